// The process tree below the runner, read from /proc behind a small interface so the
// tree logic (who descends from whom, how much CPU they used) is tested with fakes.
#pragma once

#include <memory>
#include <vector>

namespace labeille::process {

struct ProcInfo {
  int pid = 0;
  int ppid = 0;
  int pgid = 0;
  char state = '?';       // 'Z' zombie, 'R' running, 'S' sleeping, ...
  double cpu_s = 0;       // utime + stime of the process itself
};

class ProcessTable {
 public:
  virtual ~ProcessTable() = default;
  virtual std::vector<ProcInfo> snapshot() const = 0;
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

// True when the live process `pid` has a handler installed for `sig` (the SigCgt mask
// of /proc/<pid>/status). A pid whose hook announced a handler may since have exec'd a
// program without one; the signal would then kill it instead of dumping its stacks.
bool catches_signal(int pid, int sig);

// Sends `sig` to the process group `pgid` (if > 0) and to every pid in `pids`; returns how
// many signals were delivered. ESRCH (already gone) is not an error.
int signal_all(int pgid, const std::vector<int>& pids, int sig);

}  // namespace labeille::process
