// A test command under supervision: process::supervise() plus what the runner reads in
// the output (crash evidence, ThreadSanitizer reports, the last line) and through the
// startup hook (thread stacks on a stall, whether the GIL was enabled at exit).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "labeille/core/record.hpp"
#include "labeille/process/supervisor.hpp"

namespace labeille::observe {

struct SuperviseSpec : process::Spec {
  SuperviseSpec() = default;
  explicit SuperviseSpec(process::Spec base) : process::Spec(std::move(base)) {}
  std::filesystem::path hook_dir;  // where the startup hook writes <pid>.started / <pid>.json ("" = no hook)
  bool parse_tsan = false;
};

struct SuperviseResult : process::Result {
  SuperviseResult() = default;
  explicit SuperviseResult(process::Result base) : process::Result(std::move(base)) {}
  std::string last_output_line;
  std::string fatal_error;
  std::vector<std::string> crash_frames;
  int tsan_count = 0;
  std::vector<TsanReport> tsan;
  std::optional<bool> gil_enabled_at_exit;
};

SuperviseResult supervise(const SuperviseSpec& spec);

}  // namespace labeille::observe
