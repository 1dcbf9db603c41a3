#include "labeille/process/process_tree.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace labeille::process {

namespace {

class ProcFsTable final : public ProcessTable {
 public:
  std::vector<ProcInfo> snapshot() const override {
    std::vector<ProcInfo> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      char path[64];
      std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
      FILE* f = std::fopen(path, "re");
      if (!f) continue;  // exited meanwhile
      char buf[1024];
      std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[n] = '\0';
      // The command name is in parentheses and may contain spaces or ')': parse after
      // the LAST ')'.
      std::string s(buf, n);
      auto close = s.rfind(')');
      if (close == std::string::npos) continue;
      ProcInfo p;
      p.pid = static_cast<int>(pid);
      unsigned long utime = 0, stime = 0;
      long cutime = 0, cstime = 0;
      int ppid = 0, pgrp = 0;
      char state = '?';
      // fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt
      // cmajflt utime stime cutime cstime
      if (std::sscanf(s.c_str() + close + 1, " %c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld",
                      &state, &ppid, &pgrp, &utime, &stime, &cutime, &cstime) != 7)
        continue;
      p.state = state;
      p.ppid = ppid;
      p.pgid = pgrp;
      p.cpu_s = static_cast<double>(utime + stime) / ticks;
      p.reaped_cpu_s = static_cast<double>(cutime + cstime) / ticks;
      out.push_back(p);
    }
    ::closedir(d);
    return out;
  }

  std::optional<IoCounters> io(int pid) const override {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/io", pid);
    FILE* f = std::fopen(path, "re");
    if (!f) return std::nullopt;
    IoCounters c;
    char key[32];
    unsigned long long v = 0;
    int found = 0;
    while (std::fscanf(f, "%31[^:]: %llu\n", key, &v) == 2) {
      std::string k(key);
      if (k == "rchar") c.rchar = v, ++found;
      else if (k == "wchar") c.wchar = v, ++found;
      else if (k == "syscr") c.syscr = v, ++found;
      else if (k == "syscw") c.syscw = v, ++found;
    }
    std::fclose(f);
    if (found == 0) return std::nullopt;
    return c;
  }
};

}  // namespace

std::unique_ptr<ProcessTable> make_procfs_table() { return std::make_unique<ProcFsTable>(); }

std::vector<int> descendants_of(const std::vector<ProcInfo>& table, int root) {
  std::unordered_map<int, std::vector<int>> children;
  for (const auto& p : table) children[p.ppid].push_back(p.pid);
  std::vector<int> out;
  std::vector<int> stack{root};
  std::unordered_set<int> seen{root};
  while (!stack.empty()) {
    int pid = stack.back();
    stack.pop_back();
    for (int c : children[pid]) {
      if (!seen.insert(c).second) continue;
      out.push_back(c);
      stack.push_back(c);
    }
  }
  return out;
}

double cpu_seconds(const std::vector<ProcInfo>& table, const std::vector<int>& pids) {
  std::unordered_set<int> want(pids.begin(), pids.end());
  double total = 0;
  for (const auto& p : table)
    if (want.count(p.pid)) total += p.cpu_s;
  return total;
}

TreeSample sample_tree(const ProcessTable& table, int root) {
  const auto snap = table.snapshot();
  TreeSample t;
  t.pids = descendants_of(snap, root);
  std::sort(t.pids.begin(), t.pids.end());
  for (const auto& p : snap)
    if (std::binary_search(t.pids.begin(), t.pids.end(), p.pid)) t.cpu_s += p.cpu_s + p.reaped_cpu_s;
  for (int pid : t.pids)
    if (auto c = table.io(pid)) {
      t.io_chars += c->rchar + c->wchar;
      t.io_calls += c->syscr + c->syscw;
    }
  return t;
}

bool tree_moved(const TreeSample& before, const TreeSample& after, double interval_s) {
  if (before.pids != after.pids) return true;
  if (after.io_calls != before.io_calls || after.io_chars != before.io_chars) return true;
  return after.cpu_s - before.cpu_s >= std::max(kActiveCpuShare * interval_s, kActiveCpuMin_s) - 1e-9;
}

bool has_children() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;  // ECHILD: none
}

bool catches_signal(int pid, int sig) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key, mask;
  while (status >> key) {
    if (key != "SigCgt:") continue;
    if (!(status >> mask) || sig < 1 || sig > 64) return false;
    // 16 hex digits, bit (sig - 1) set when caught.
    unsigned long long bits = std::strtoull(mask.c_str(), nullptr, 16);
    return (bits >> (sig - 1)) & 1ULL;
  }
  return false;  // gone, or a zombie
}

int signal_all(int pgid, const std::vector<int>& pids, int sig) {
  int delivered = 0;
  if (pgid > 0 && ::kill(-pgid, sig) == 0) ++delivered;
  for (int pid : pids)
    if (pid > 1 && ::kill(pid, sig) == 0) ++delivered;
  return delivered;
}

}  // namespace labeille::process
