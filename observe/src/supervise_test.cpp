#include "labeille/observe/supervise_test.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"
#include "labeille/observe/output_scan.hpp"
#include "labeille/process/process_tree.hpp"

namespace fs = std::filesystem;

namespace labeille::observe {

namespace {

std::vector<int> hooked_pids(const fs::path& hook_dir) {
  std::vector<int> pids;
  if (hook_dir.empty()) return pids;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(hook_dir, ec)) {
    auto name = e.path().filename().string();
    if (name.size() > 8 && name.ends_with(".started")) pids.push_back(std::atoi(name.c_str()));
  }
  return pids;
}

std::optional<bool> read_gil_states(const fs::path& hook_dir) {
  std::optional<bool> any;
  if (hook_dir.empty()) return any;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(hook_dir, ec)) {
    if (e.path().extension() != ".json") continue;
    std::string text;
    try {
      text = read_file(e.path());
    } catch (const Error&) {
      continue;
    }
    std::optional<bool> gil;
    try {
      const auto d = json::parse_object(text, e.path().string());
      gil = json::Reader(d, e.path().string()).opt_bool("gil_enabled");
    } catch (const Error&) {
      continue;  // a process killed mid-write
    }
    if (gil) any = any.value_or(false) || *gil;
  }
  return any;
}

// Feeds each stream to its scanner and asks hooked Pythons for their stacks.
class TestObserver final : public process::Observer {
 public:
  TestObserver(const fs::path& hook_dir, bool tsan) : hook_dir_(hook_dir), out(tsan), err(tsan) {}

  void on_output(process::Channel c, std::string_view data) override {
    (c == process::Channel::Stdout ? out : err).feed(data);
  }

  // SIGUSR1 kills a process with no handler: signal only pids whose hook said they
  // registered one, only while they are still ours, and only if they still catch it (a
  // pid may have exec'd another program since).
  void on_sample(const std::vector<int>& tree) override {
    for (int pid : hooked_pids(hook_dir_))
      if (std::find(tree.begin(), tree.end(), pid) != tree.end() && process::catches_signal(pid, SIGUSR1))
        ::kill(pid, SIGUSR1);
  }

  const fs::path& hook_dir_;
  OutputScanner out, err;
};

}  // namespace

SuperviseResult supervise(const SuperviseSpec& spec) {
  TestObserver obs(spec.hook_dir, spec.parse_tsan);
  SuperviseResult result(process::supervise(spec, &obs));
  obs.out.finish();
  obs.err.finish();
  // The crash evidence is on stderr (faulthandler); stdout only when stderr had none.
  const OutputScanner& se = obs.err;
  const OutputScanner& so = obs.out;
  result.last_output_line = !se.last_line().empty() ? se.last_line() : so.last_line();
  result.fatal_error = !se.fatal_error().empty() ? se.fatal_error() : so.fatal_error();
  result.crash_frames = !se.crash_frames().empty() ? se.crash_frames() : so.crash_frames();
  result.tsan_count = se.tsan_count() + so.tsan_count();
  result.tsan = se.tsan_reports();
  for (const auto& r : so.tsan_reports()) result.tsan.push_back(r);
  if (result.termination.started) result.gil_enabled_at_exit = read_gil_states(spec.hook_dir);
  return result;
}

}  // namespace labeille::observe
