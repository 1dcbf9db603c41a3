// Fold's reading of record directories: each package directory listed once, its
// records read relative to the directory's descriptor and parsed at once into their
// compact form (private to the analyzers; fold.cpp is its user).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/record.hpp"

namespace labeille::analyzers {

// What fold keeps of one attempt: never the whole record (its tails can be 128 KiB, and
// there may be hundreds of thousands of records).
struct Attempt {
  std::string mode, test_name, attempt_id, start_time;
  GilMode gil = GilMode::Off;
  int iteration = 0, attempt = 0;
  Outcome outcome = Outcome::Error;
  IterationResult it;
  std::vector<TsanReport> tsan;
  std::string skip_detail;            // a skipped attempt: why (stop-on-first-pass, --until-bound)
  std::optional<StressInfo> stress;   // a stress attempt's per-test counts
};

// The layout is fixed (<dir>/<package>/<attempt dir>/record.json). Each worker takes
// whole package directories: lists one, then reads its records relative to the
// directory's descriptor, so a record costs open + read + close and no directory is ever
// stat'ed (d_type says which entries are directories).
struct Parsed {
  std::string attempt_dir, package, id, problem;
  std::string warning;  // a problem that does not skip the record (its JUnit)
  bool missing = false;                 // no record.json (yet)
  std::optional<StartedMarker> started;  // when missing: the runner's started.json
  std::variant<std::monostate, Attempt, SetupRecord, ProbeRecord> item;
};
struct PackageDir {
  std::filesystem::path path;
  std::vector<Parsed> attempts;  // in attempt-directory name order
};

// Lists one package directory and reads every attempt record in it.
void read_package(PackageDir& pd, std::string& buf);

}  // namespace labeille::analyzers
