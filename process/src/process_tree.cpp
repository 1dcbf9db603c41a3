#include "labeille/process/process_tree.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
      int ppid = 0, pgrp = 0;
      char state = '?';
      // fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt
      // cmajflt utime stime
      if (std::sscanf(s.c_str() + close + 1, " %c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                      &state, &ppid, &pgrp, &utime, &stime) != 5)
        continue;
      p.state = state;
      p.ppid = ppid;
      p.pgid = pgrp;
      p.cpu_s = static_cast<double>(utime + stime) / ticks;
      out.push_back(p);
    }
    ::closedir(d);
    return out;
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
