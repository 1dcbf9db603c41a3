#include "labeille/core/record.hpp"

#include <gtest/gtest.h>

#include "labeille/core/error.hpp"

namespace labeille {

TEST(RecordJson, AttemptRoundTrips) {
  AttemptRecord r;
  r.attempt_id = "host:1:2";
  r.package = "foo";
  r.mode = "gil0";
  r.iteration = 3;
  r.attempt = 2;
  r.command = {"/bin/sh", "-c", "pytest"};
  r.shell = true;
  r.env_delta = {{"PYTHON_GIL", "0"}, {"PYTHONPATH", ""}};
  r.outcome = Outcome::Crash;
  r.exit_code = std::nullopt;
  r.term_signal = 11;
  r.crash = CrashInfo{11, "SIGSEGV", "", {"File \"x.py\", line 3 in boom"}, "SIGSEGV|boom"};
  r.stall.cpu_state = "idle";
  TsanReport race;
  race.type = race.kind = "data race";
  race.frames = {"f a.c:1", "g a.c:9"};
  race.stacks = {race.frames, {"h b.c:2"}};
  race.location = "a.c:1";
  race.signature = "data race | f a.c:1 | h b.c:2";
  race.count = 2;
  r.tsan = {race};
  r.tsan_count = 2;
  r.tsan_log_dir = "/r/foo/gil0.iter03.a002/tsan";
  r.tsan_fatal = "ThreadSanitizer: ... Dying.";
  r.gil_enabled_at_exit = false;
  r.out.tail = std::string("bad\xff\0tail", 9);
  auto back = std::get<AttemptRecord>(parse_record(to_json(r), "mem"));
  EXPECT_EQ(back.package, "foo");
  EXPECT_EQ(back.iteration, 3);
  EXPECT_EQ(back.outcome, Outcome::Crash);
  EXPECT_FALSE(back.exit_code.has_value());
  ASSERT_TRUE(back.crash);
  EXPECT_EQ(back.crash->signature, "SIGSEGV|boom");
  EXPECT_EQ(back.env_delta.at("PYTHONPATH"), "");
  ASSERT_EQ(back.tsan.size(), 1u);
  EXPECT_EQ(back.tsan[0].count, 2);
  EXPECT_EQ(back.tsan[0].kind, "data race");
  EXPECT_EQ(back.tsan[0].stacks, race.stacks);
  EXPECT_EQ(back.tsan[0].location, "a.c:1");
  EXPECT_EQ(back.tsan[0].signature, race.signature);
  EXPECT_EQ(back.tsan_log_dir, r.tsan_log_dir);
  EXPECT_EQ(back.tsan_fatal, r.tsan_fatal);
  EXPECT_EQ(back.gil_enabled_at_exit, false);
  EXPECT_EQ(back.out.tail, "bad\xEF\xBF\xBD\xE2\x90\x80tail");
  EXPECT_FALSE(back.stress);  // a plain attempt has no "stress" key
  EXPECT_EQ(to_json(r).find("\"stress\""), std::string::npos);
}

TEST(RecordJson, StressAttemptRoundTrips) {
  AttemptRecord r;
  r.package = "foo";
  r.mode = "stress.gil0";
  r.outcome = Outcome::Fail;
  r.stress = StressInfo{2, 20, true, 5, {{"t::a", 40, 37, "AssertionError: lost 3"}}, {{"t::m", "uses monkeypatch"}}};
  auto back = std::get<AttemptRecord>(parse_record(to_json(r), "mem"));
  ASSERT_TRUE(back.stress);
  EXPECT_EQ(back.stress->repeat, 20);
  EXPECT_TRUE(back.stress->reported);
  ASSERT_EQ(back.stress->tests.size(), 1u);
  EXPECT_EQ(back.stress->tests[0].failures, 37);
  EXPECT_EQ(back.stress->thread_unsafe[0].reason, "uses monkeypatch");
  EXPECT_EQ(to_json(back), to_json(r));
}

TEST(RecordJson, SetupAndProbeRoundTrip) {
  SetupRecord s;
  s.package = "bar";
  s.ok = false;
  s.stage = "install";
  s.error = "pip failed";
  s.installer = "pip";
  s.installer_fallback = "install failed (exit 2): error: unexpected argument '--progress-bar' found";
  auto sb = std::get<SetupRecord>(parse_record(to_json(s), "mem"));
  EXPECT_EQ(sb.stage, "install");
  EXPECT_FALSE(sb.ok);
  EXPECT_EQ(sb.installer, "pip");
  EXPECT_EQ(sb.installer_fallback, s.installer_fallback);
  ProbeRecord p;
  p.package = "bar";
  p.ok = true;
  p.gil_reenabled_by = "bar._speedups";
  p.extensions = {{"bar._speedups", "/x.so", true, "", true, "none"}};
  auto pb = std::get<ProbeRecord>(parse_record(to_json(p), "mem"));
  EXPECT_EQ(pb.extensions.at(0).reenabled_gil, true);
  EXPECT_EQ(pb.gil_reenabled_by, "bar._speedups");
}

TEST(RecordJson, SetupSourceAndDeclaredRoundTrip) {
  SetupRecord s;
  s.package = "idna";
  s.ok = true;
  s.source = SourceInfo{"sdist", "3.10", "https://files.example/idna-3.10.tar.gz", "git-clone failed: no host",
                        {"dropped `git fetch --tags --depth 1`"}, false, "tests/ is not in the sdist"};
  s.declared = DeclaredInfo{"2 - Beta", false, {}, std::nullopt, true};
  s.steps.install_s = 4.5;
  s.steps.venv_s = 0.25;
  auto b = std::get<SetupRecord>(parse_record(to_json(s), "mem"));
  ASSERT_TRUE(b.source && b.declared);
  EXPECT_EQ(b.source->kind, "sdist");
  EXPECT_EQ(b.source->version, "3.10");
  EXPECT_EQ(b.source->fallback_reason, "git-clone failed: no host");
  EXPECT_EQ(b.source->adapted.at(0), "dropped `git fetch --tags --depth 1`");
  EXPECT_EQ(b.source->tests_present, false);
  EXPECT_EQ(b.declared->classifier_level, "2 - Beta");
  EXPECT_EQ(b.declared->ft_wheel, false);
  EXPECT_FALSE(b.declared->error.has_value());
  EXPECT_EQ(b.declared->on_index, true);
  EXPECT_DOUBLE_EQ(b.steps.install_s, 4.5);
  EXPECT_DOUBLE_EQ(b.steps.venv_s, 0.25);
  // Standalone objects (what fold copies) round-trip too, nulls included.
  SourceInfo repo{"repo", std::nullopt, "https://github.com/kjd/idna", std::nullopt, {}, std::nullopt, std::nullopt};
  auto r = parse_source_info(to_json(repo), "mem");
  EXPECT_EQ(r.kind, "repo");
  EXPECT_FALSE(r.version.has_value());
  EXPECT_FALSE(r.tests_present.has_value());
  EXPECT_NE(to_json(repo).find("\"version\":null"), std::string::npos);
  auto d = parse_declared_info(to_json(*s.declared), "mem");
  EXPECT_EQ(d.classifier_level, "2 - Beta");
  EXPECT_THROW(parse_declared_info("{\"ft_wheel\":\"yes\"}", "mem"), Error);
  // A setup record written before these fields existed reads as null.
  auto old = std::get<SetupRecord>(parse_record(R"({"schema":1,"kind":"setup","ok":true})", "mem"));
  EXPECT_FALSE(old.source || old.declared);
}

TEST(RecordJson, ErrorsNameSourceFieldAndValue) {
  auto expect_error = [](std::string_view json, std::string_view needle) {
    try {
      parse_record(json, "rec/x.json");
      ADD_FAILURE() << "no error for " << json;
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("rec/x.json"), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  };
  expect_error("{\"schema\":1,\"kind\":\"attempt\",\"gil\":\"0\",\"outcome\":\"exploded\"}", "exploded");
  expect_error("{\"schema\":2,\"kind\":\"attempt\"}", "schema");
  expect_error("{\"schema\":1,\"kind\":\"attempt\",\"gil\":\"0\",\"iteration\":\"3\"}", "iteration");
  expect_error("{\"schema\":1,\"kind\":\"attempt\",\"gil\":\"0\",\"outcome\":\"pass\",\"stall\":{\"threshold_s\":\"x\"}}", "stall.threshold_s");
  expect_error("{\"schema\":1,", "not valid JSON");
  expect_error("{\"schema\":1,\"kind\":\"weird\"}", "weird");
  // One wording for every type error: "<source>: <field>: expected <type>, got <value>".
  expect_error("{\"schema\":1,\"kind\":\"setup\",\"ok\":\"yes\"}", "rec/x.json: ok: expected true or false, got \"yes\"");
  expect_error("{\"schema\":1,\"kind\":\"attempt\",\"gil\":\"0\",\"outcome\":\"pass\",\"stdout\":{\"bytes\":-1}}",
               "stdout.bytes: expected an integer >= 0, got -1");
  expect_error("[]", "rec/x.json: expected a JSON object, got an array");
  expect_error("", "rec/x.json: empty");
  expect_error(std::string(100000, '[') + std::string(100000, ']'), "nested deeper than");
  // Brackets inside strings do not nest, escaped quotes do not end a string, and an
  // escaped backslash before a quote does.
  const std::string brackets(200, '[');
  EXPECT_NO_THROW(parse_record("{\"schema\":1,\"kind\":\"setup\",\"error\":\"" + brackets + "\\\"" + brackets +
                                   "\\\\\",\"stage\":\"" + brackets + "\"}",
                               "mem"));
  expect_error("{\"schema\":1,\"kind\":\"setup\",\"error\":\"\\\\\",\"stage\":" + brackets + "}",
               "nested deeper than");
  // A NUL ends nothing: what follows it is still read (and refused).
  expect_error(std::string("{\"schema\":1}\0{", 14), "not valid JSON");
}

TEST(RecordJson, StartedMarkerRoundTripsAndIsNotARecord) {
  StartedMarker m{"h:42:1764046800123:gil0.iter03.a002", "foo", "gil0", "ft.foo.gil0.iter03", 3, 2,
                  "2026-11-25T05:00:00.123Z", 600, 42, "h"};
  const auto json = to_json(m);
  auto back = parse_started(json, "started.json");
  EXPECT_EQ(back.attempt_id, m.attempt_id);
  EXPECT_EQ(back.test_name, "ft.foo.gil0.iter03");
  EXPECT_EQ(back.iteration, 3);
  EXPECT_EQ(back.attempt, 2);
  EXPECT_DOUBLE_EQ(back.timeout_s, 600);
  EXPECT_EQ(back.pid, 42);
  // A record is not a marker, and a marker is not a record: each reader names the kind.
  AttemptRecord r;
  try {
    parse_started(to_json(r), "rec/record.json");
    ADD_FAILURE() << "a record read as a marker";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kind: expected \"started\", got \"attempt\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_record(json, "started.json"), Error);
}

TEST(Iso8601, FormatsMilliseconds) {
  EXPECT_EQ(iso8601_utc_from_ms(1764046800123), "2025-11-25T05:00:00.123Z");
}

}  // namespace labeille
