// The process tree below the runner, read from /proc behind a small interface so the
// tree logic (who descends from whom, how much CPU they used) is tested with fakes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace labeille::process {

struct ProcInfo {
  int pid = 0;
  int ppid = 0;
  int pgid = 0;
  char state = '?';       // 'Z' zombie, 'R' running, 'S' sleeping, ...
  double cpu_s = 0;       // utime + stime of the process itself
  double reaped_cpu_s = 0;  // cutime + cstime: its children it has waited for
};

// /proc/<pid>/io: characters and system calls of reads and writes (of every kind: files,
// pipes, sockets), including those of the children it has waited for.
struct IoCounters {
  std::uint64_t rchar = 0, wchar = 0, syscr = 0, syscw = 0;
};

class ProcessTable {
 public:
  virtual ~ProcessTable() = default;
  virtual std::vector<ProcInfo> snapshot() const = 0;
  // nullopt when the process is gone or its counters cannot be read.
  virtual std::optional<IoCounters> io(int pid) const = 0;
};

// Reads /proc/<pid>/stat of every process.
std::unique_ptr<ProcessTable> make_procfs_table();

// Every live descendant of `root` (not root itself), also ones re-parented to root by
// PR_SET_CHILD_SUBREAPER after their own parent died.
std::vector<int> descendants_of(const std::vector<ProcInfo>& table, int root);

// True while the calling process has any child, live or zombie (nothing is reaped). For a
// child subreaper whose main child is reaped this is exact and costs one system call:
// every descendant still alive either has a live parent below us or was re-parented to
// us, so "no children" means "no descendants" — no need to read all of /proc.
bool has_children();

// CPU seconds used by the given pids in the snapshot.
double cpu_seconds(const std::vector<ProcInfo>& table, const std::vector<int>& pids);

// What the whole tree below `root` has done so far: CPU time (also of processes it has
// reaped), I/O characters and read/write system calls, and who is in it. Two samples
// tell whether the tree made progress between them (tree_moved).
struct TreeSample {
  double cpu_s = 0;
  std::uint64_t io_chars = 0, io_calls = 0;
  std::vector<int> pids;  // sorted
};
TreeSample sample_tree(const ProcessTable& table, int root);

// A deadlocked tree uses no CPU and does no I/O; a polling thread in it may still use a
// sliver of a core (a wake-up every few ms: ~1%). CPU time is counted in clock ticks
// (10 ms), so a 1% poller shows 0-2 ticks in a second; work is at least 3% of a core
// over the interval and at least 3 ticks. Any read or write is work too, and so is a
// process starting or ending.
inline constexpr double kActiveCpuShare = 0.03;
inline constexpr double kActiveCpuMin_s = 0.03;
bool tree_moved(const TreeSample& before, const TreeSample& after, double interval_s);

// True when the live process `pid` has a handler installed for `sig` (the SigCgt mask
// of /proc/<pid>/status). A pid whose hook announced a handler may since have exec'd a
// program without one; the signal would then kill it instead of dumping its stacks.
bool catches_signal(int pid, int sig);

// Sends `sig` to the process group `pgid` (if > 0) and to every pid in `pids`; returns how
// many signals were delivered. ESRCH (already gone) is not an error.
int signal_all(int pgid, const std::vector<int>& pids, int sig);

}  // namespace labeille::process
