// Golden records written by hand from docs/records.md (tests/core/data/): the reader
// must understand them field by field, and the writer must give back the same JSON
// (every documented field, no undocumented one). A format change fails here until
// docs/records.md and these files say the same.
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"

namespace labeille {
namespace {

std::string golden(const char* name) {
  return read_file(std::string(LABEILLE_FT_SOURCE_DIR) + "/tests/core/data/" + name);
}

// Same JSON value (member order and whitespace aside); on a difference, names the first
// member that differs.
void expect_same_json(const std::string& want_text, const std::string& got_text) {
  rapidjson::Document want, got;
  want.Parse(want_text.c_str());
  got.Parse(got_text.c_str());
  ASSERT_FALSE(want.HasParseError());
  ASSERT_FALSE(got.HasParseError());
  for (auto& m : want.GetObject()) {
    auto it = got.FindMember(m.name);
    if (it == got.MemberEnd()) {
      ADD_FAILURE() << "the writer no longer writes \"" << m.name.GetString() << "\"";
      continue;
    }
    EXPECT_TRUE(it->value == m.value) << "field \"" << m.name.GetString() << "\" differs";
  }
  for (auto& m : got.GetObject())
    EXPECT_TRUE(want.HasMember(m.name)) << "the writer writes \"" << m.name.GetString()
                                        << "\", which docs/records.md does not document";
}

TEST(GoldenRecord, AttemptReadsFieldByField) {
  auto rec = parse_record(golden("golden_attempt.json"), "golden_attempt.json");
  ASSERT_TRUE(std::holds_alternative<AttemptRecord>(rec));
  const auto& r = std::get<AttemptRecord>(rec);
  EXPECT_EQ(r.attempt_id, "ci-7:31337:1764046800123:gil0.iter03.a002");
  EXPECT_EQ(r.package, "urllib3");
  EXPECT_EQ(r.mode, "gil0");
  EXPECT_EQ(r.test_name, "ft.urllib3.gil0.iter03");
  EXPECT_EQ(r.gil, GilMode::Off);
  EXPECT_EQ(r.iteration, 3);
  EXPECT_EQ(r.attempt, 2);
  EXPECT_EQ(r.command, (std::vector<std::string>{"/bin/sh", "-c", "python -m pytest -x"}));
  EXPECT_TRUE(r.shell);
  EXPECT_EQ(r.cwd, "/home/ci/ft-work/repos/urllib3");
  EXPECT_EQ(r.venv, "/home/ci/ft-work/venvs/urllib3");
  EXPECT_EQ(r.env_delta.at("PYTHON_GIL"), "0");
  EXPECT_EQ(r.env_delta.at("PYTHONPATH"), "");
  EXPECT_EQ(r.start_time, "2025-11-25T05:00:00.123Z");
  EXPECT_EQ(r.end_time, "2025-11-25T05:00:12.623Z");
  EXPECT_DOUBLE_EQ(r.duration_s, 12.5);
  EXPECT_EQ(r.outcome, Outcome::Crash);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_EQ(r.term_signal, 11);
  EXPECT_EQ(r.detail, "killed by SIGSEGV");
  ASSERT_TRUE(r.crash);
  EXPECT_EQ(r.crash->signal, 11);
  EXPECT_EQ(r.crash->signal_name, "SIGSEGV");
  EXPECT_EQ(r.crash->frames.size(), 2u);
  EXPECT_EQ(r.crash->signature, "SIGSEGV | Fatal Python error: Segmentation fault | pool.py:12 _get_conn < api.py:40 call");
  EXPECT_FALSE(r.stall.detected);
  EXPECT_DOUBLE_EQ(r.stall.threshold_s, 60);
  EXPECT_DOUBLE_EQ(r.stall.last_output_age_s, 0.25);
  EXPECT_DOUBLE_EQ(r.timeout_s, 600);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.interrupted);
  EXPECT_TRUE(r.tsan_enabled);
  EXPECT_EQ(r.tsan_count, 3);
  ASSERT_EQ(r.tsan.size(), 1u);
  EXPECT_EQ(r.tsan[0].type, "data race");
  EXPECT_EQ(r.tsan[0].count, 3);
  EXPECT_EQ(r.gil_enabled_at_exit, false);
  EXPECT_EQ(r.out.bytes, 70000u);
  EXPECT_EQ(r.out.tail, "collected 412 items\n");
  EXPECT_EQ(r.err.log_path, "/home/ci/ft-work/records/urllib3/gil0.iter03.a002/stderr.log");
  EXPECT_EQ(r.last_output_line, "Fatal Python error: Segmentation fault");
  EXPECT_EQ(r.junit_path, "/home/ci/ft-work/records/urllib3/gil0.iter03.a002/junit.xml");
  EXPECT_EQ(r.peak_rss_kb, 51200);
  EXPECT_EQ(r.host, "ci-7");
  EXPECT_EQ(r.runner_version, "0.1.0");
}

TEST(GoldenRecord, AttemptWriterGivesTheDocumentedJsonBack) {
  const std::string text = golden("golden_attempt.json");
  expect_same_json(text, to_json(std::get<AttemptRecord>(parse_record(text, "golden_attempt.json"))));
}

TEST(GoldenRecord, StartedMarkerBothWays) {
  const std::string text = golden("golden_started.json");
  auto m = parse_started(text, "golden_started.json");
  EXPECT_EQ(m.attempt_id, "ci-7:31337:1764046800123:gil0.iter03.a002");
  EXPECT_EQ(m.test_name, "ft.urllib3.gil0.iter03");
  EXPECT_EQ(m.iteration, 3);
  EXPECT_EQ(m.attempt, 2);
  EXPECT_DOUBLE_EQ(m.timeout_s, 600);
  EXPECT_EQ(m.pid, 31337);
  EXPECT_EQ(m.host, "ci-7");
  expect_same_json(text, to_json(m));
}

}  // namespace
}  // namespace labeille
