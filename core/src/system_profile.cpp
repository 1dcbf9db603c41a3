#include "labeille/core/system_profile.hpp"

#include <sys/statvfs.h>
#include <sys/utsname.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "labeille/core/json.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/text.hpp"
#include "labeille/core/time.hpp"

namespace fs = std::filesystem;

namespace labeille {

namespace {

// The value after `sep` on the first line of `file` that starts with `key`.
std::optional<std::string> field(const char* file, std::string_view key, char sep) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) {
      auto at = line.find(sep, key.size());
      return trim(at == std::string::npos ? line.substr(key.size()) : line.substr(at + 1));
    }
  return std::nullopt;
}

double meminfo_gb(const char* key) {
  auto v = field("/proc/meminfo", key, ':');
  return v ? std::strtod(v->c_str(), nullptr) / (1024.0 * 1024.0) : 0.0;  // kB
}

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

std::string system_profile_json(const fs::path& results_dir) {
  rapidjson::StringBuffer sb;
  json::LineWriter w(sb);
  json::Out out(w);
  w.StartObject();
  out.key("cpu_model").str(field("/proc/cpuinfo", "model name", ':').value_or("unknown"));
  // Physical cores: distinct (physical id, core id) pairs, as that tool counts them.
  std::set<std::pair<std::string, std::string>> cores;
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line, physical;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      if (line.rfind("physical id", 0) == 0) physical = trim(line.substr(colon + 1));
      else if (line.rfind("core id", 0) == 0) cores.emplace(physical, trim(line.substr(colon + 1)));
    }
  }
  const int logical = static_cast<int>(std::thread::hardware_concurrency());
  out.key("cpu_cores_physical").integer(cores.empty() ? logical : static_cast<int>(cores.size()));
  out.key("cpu_cores_logical").integer(logical);
  auto mhz = field("/proc/cpuinfo", "cpu MHz", ':');
  out.key("cpu_freq_mhz");
  mhz ? out.num(std::strtod(mhz->c_str(), nullptr)) : out.null();
  std::ifstream max_freq("/sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq");
  double khz = 0;
  out.key("cpu_freq_max_mhz");
  (max_freq >> khz) ? out.num(khz / 1000) : out.null();
  utsname u{};
  ::uname(&u);
  out.key("cpu_architecture").str(u.machine);
  out.key("ram_total_gb").num(round_to(meminfo_gb("MemTotal"), 0.01));
  out.key("ram_available_gb").num(round_to(meminfo_gb("MemAvailable"), 0.01));
  out.key("swap_total_gb").num(round_to(meminfo_gb("SwapTotal"), 0.01));
  out.key("os_name").str(u.sysname);
  out.key("os_kernel_version").str(u.release);
  std::string distro = field("/etc/os-release", "PRETTY_NAME=", '=').value_or("");
  if (distro.size() >= 2 && distro.front() == '"' && distro.back() == '"') distro = distro.substr(1, distro.size() - 2);
  out.key("os_distro").str(distro.empty() ? fmt::format("{} {}", u.sysname, u.release) : distro);
  // The interpreter running the tool: there is none (this tool is C++).
  out.key("host_python_version").str("");
  out.key("host_python_implementation").str("");
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  out.key("load_avg_1m").num(round_to(load[0], 0.01));
  out.key("load_avg_5m").num(round_to(load[1], 0.01));
  out.key("load_avg_15m").num(round_to(load[2], 0.01));
  auto running = field("/proc/stat", "procs_running", ' ');
  out.key("running_processes").integer(running ? std::atoi(running->c_str()) : 0);
  out.key("disk_type").str("unknown");
  // The disk the results go to, also before their directory exists.
  fs::path dir = results_dir.empty() ? fs::current_path() : fs::absolute(results_dir);
  std::error_code ec;
  while (dir.has_parent_path() && dir != dir.parent_path() && !fs::exists(dir, ec)) dir = dir.parent_path();
  struct statvfs st {};
  double avail = 0;
  if (::statvfs(dir.c_str(), &st) == 0)
    avail = round_to(static_cast<double>(st.f_bavail) * st.f_frsize / (1024.0 * 1024 * 1024), 0.1);
  out.key("disk_available_gb").num(avail);
  out.key("hostname").str(host_name());
  out.key("timestamp").str(iso8601_utc_now());
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace labeille
