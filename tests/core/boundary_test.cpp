// Issue #20's one-owner helpers: the CMake value writer, the terminal-safe sanitizer,
// the numeric range policy and the test-name scheme.
#include <limits>

#include <gtest/gtest.h>

#include "labeille/core/cmake_value.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/test_names.hpp"
#include "labeille/core/text.hpp"

namespace labeille {

TEST(CMakeValue, BracketNoContentCanClose) {
  EXPECT_EQ(cmake_bracket("abc"), "[=[abc]=]");
  EXPECT_EQ(cmake_bracket("a]=]b"), "[==[a]=]b]==]");
  EXPECT_EQ(cmake_bracket("a]"), "[=[a]]=]");
  EXPECT_EQ(cmake_bracket("a]="), "[==[a]=]==]");
  EXPECT_EQ(cmake_bracket("\nx"), "[=[\n\nx]=]");
}

TEST(CMakeValue, ListItemsCarryWhatACMakeListCannot) {
  EXPECT_EQ(cmake_list_item("X=a;b[c]\\d%e"), "X=a%3Bb%5Bc%5D%5Cd%25e");
  EXPECT_EQ(cmake_list({"A=1;2", "B=[["}), "[=[A=1%3B2;B=%5B%5B]=]");
  EXPECT_EQ(cmake_list({}), "[=[]=]");
}

TEST(CMakeValue, RefusesWhatCMakeWouldChange) {
  EXPECT_NO_THROW(check_cmake_value("a;b [[ ]=] \\ $ \" \n é", "--env", kExitUsage));
  for (std::string bad : {std::string("\xff"), std::string("a\0b", 3), std::string("a\r\nb")}) {
    try {
      check_cmake_value(bad, "--env", kExitUsage);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(std::string(e.what()).find("--env"), std::string::npos) << e.what();
    }
  }
}

TEST(SafeText, ControlSequencesBecomeVisible) {
  EXPECT_EQ(safe_text("\x1b]0;PWNED\x07\x1b[2J"), "␛]0;PWNED␇␛[2J");
  EXPECT_EQ(safe_text("a\tb\nc\r\nd"), "a\tb\nc\r\nd");  // tab, newline, CRLF kept
  EXPECT_EQ(safe_text("a\rb"), "a␍b");
  EXPECT_EQ(safe_text("\x7f"), "␡");
  EXPECT_EQ(safe_text("\xc2\x9b" "31m"), "\xEF\xBF\xBD" "31m");  // C1 CSI
  EXPECT_EQ(safe_text("é ✓"), "é ✓");
  EXPECT_EQ(safe_text(std::string("x\0y", 3)), "x␀y");
  EXPECT_EQ(safe_text("\xff"), "\xEF\xBF\xBD");
}

TEST(NumberPolicy, ReaderRefusesWhatWouldWrapOrOverflow) {
  auto doc = json::parse_object(
      R"({"big": 1e308, "ok": 12.5, "wide": 4294967297, "exact": 9007199254740993, "i": 7})", "t.json");
  json::Reader in(doc, "t.json");
  EXPECT_THROW(in.num("big"), Error);
  EXPECT_EQ(in.num("ok"), 12.5);
  EXPECT_THROW(in.int32("wide"), Error);
  EXPECT_EQ(in.integer("wide"), 4294967297);
  EXPECT_THROW(in.integer("exact"), Error);
  EXPECT_EQ(in.int32("i"), 7);
  try {
    in.int32("wide");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.json: wide: expected an integer from -2147483648 to 2147483647, got "
                                         "4294967297"),
              std::string::npos)
        << e.what();
  }
}

TEST(NumberPolicy, WriterNeverWritesBrokenJson) {
  rapidjson::StringBuffer sb;
  json::LineWriter w(sb);
  json::Out out(w);
  w.StartObject();
  out.key("inf").num(std::numeric_limits<double>::infinity());
  out.key("huge").num(1e308);
  out.key("ok").num(1.5);
  out.key("wide").integer(std::int64_t{1} << 60);
  w.EndObject();
  EXPECT_EQ(std::string(sb.GetString()), R"({"inf":null,"huge":null,"ok":1.5,"wide":null})");
}

TEST(TestNames, FormatAndParse) {
  EXPECT_EQ(test_names::setup("urllib3"), "ft.urllib3.setup");
  EXPECT_EQ(test_names::probe("urllib3"), "ft.urllib3.probe");
  EXPECT_EQ(test_names::iteration("urllib3", "gil0", 3), "ft.urllib3.gil0.iter03");
  EXPECT_EQ(test_names::iteration("x", "stress.gil1", 7, test_names::iteration_width(150)), "ft.x.stress.gil1.iter007");
  EXPECT_EQ(test_names::iteration_width(9), 2);
  EXPECT_EQ(test_names::iteration_width(100), 3);
  auto t = test_names::parse("nightly.ft.a.b.stress.gil1.iter012");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->package, "a.b");
  EXPECT_EQ(t->kind, "stress.gil1");
  EXPECT_EQ(t->iteration, 12);
  EXPECT_EQ(t->canonical, "ft.a.b.stress.gil1.iter012");
  auto s = test_names::parse("ft.p.setup");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, "setup");
  EXPECT_FALSE(test_names::parse("ft.fold"));
  EXPECT_FALSE(test_names::parse("something.else"));
}

}  // namespace labeille
