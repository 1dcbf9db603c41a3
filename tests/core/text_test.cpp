#include "labeille/core/text.hpp"

#include <gtest/gtest.h>

namespace labeille {

TEST(SanitizeUtf8, KeepsValidTextUnchanged) {
  EXPECT_EQ(sanitize_utf8("héllo — ✓ 𝄞"), "héllo — ✓ 𝄞");
}

TEST(SanitizeUtf8, ReplacesInvalidBytesAndNul) {
  std::string bad("a\xff" "b\xc3" "c", 5);
  EXPECT_EQ(sanitize_utf8(bad), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
  std::string nul("x\0y", 3);
  EXPECT_EQ(sanitize_utf8(nul), "x\xE2\x90\x80y");
  // Overlong encoding of '/' and a UTF-16 surrogate are rejected too.
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(SanitizeUtf8, SpecialBytesAtEveryOffsetOfTheEightByteFastPath) {
  // The fast path takes 8 bytes at a time: a NUL, an invalid byte or a multi-byte
  // character at any offset of a word, or straddling two words, must still be seen.
  for (std::size_t at = 0; at < 20; ++at) {
    const std::string pad(at, 'a'), tail(11, 'z');
    EXPECT_EQ(sanitize_utf8(pad + std::string(1, '\0') + tail), pad + "\xE2\x90\x80" + tail) << at;
    EXPECT_EQ(sanitize_utf8(pad + "\xff" + tail), pad + "\xEF\xBF\xBD" + tail) << at;
    EXPECT_EQ(sanitize_utf8(pad + "\xF0\x9D\x84\x9E" + tail), pad + "\xF0\x9D\x84\x9E" + tail) << at;
    EXPECT_EQ(sanitize_utf8(pad + "\x7f" + tail), pad + "\x7f" + tail) << at;
  }
}

TEST(SanitizeUtf8, TruncatedSequenceAtEnd) {
  EXPECT_EQ(sanitize_utf8("ok\xE2\x9C"), "ok\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TailBuffer, KeepsOnlyTheLastBytes) {
  TailBuffer t(4);
  t.append("ab");
  EXPECT_EQ(t.str(), "ab");
  t.append("cdef");
  EXPECT_EQ(t.str(), "cdef");
  t.append("g");
  EXPECT_EQ(t.str(), "defg");
  t.append("0123456789");
  EXPECT_EQ(t.str(), "6789");
  EXPECT_EQ(t.total_bytes(), 17u);
}

TEST(Lines, LastNonEmptyLine) {
  EXPECT_EQ(last_line("a\nb  \n\n  \n"), "b");
  EXPECT_EQ(last_line(""), "");
  auto lines = split_lines("x\r\ny\nz");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "x");
  EXPECT_EQ(lines[2], "z");
}

TEST(Lines, LastLinesWithPrefix) {
  EXPECT_EQ(last_lines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(last_lines("a\nb", 5, "  | "), "  | a\n  | b\n");
  EXPECT_EQ(last_lines("", 3), "");
}

TEST(Lists, SplitDropsEmptyItems) {
  EXPECT_EQ(split_list("trustme,uvicorn"), (std::vector<std::string>{"trustme", "uvicorn"}));
  EXPECT_EQ(split_list(",a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_list("").empty());
}

// --extra-deps: a comma inside a requirement stays in it (version specifier lists,
// extras), so what the user wrote reaches pip whole.
TEST(Lists, RequirementsKeepTheirOwnCommas) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_requirements("trustme,uvicorn"), (V{"trustme", "uvicorn"}));
  EXPECT_EQ(split_requirements("numpy>=1.26,<3"), (V{"numpy>=1.26,<3"}));
  EXPECT_EQ(split_requirements("numpy>=1.26, !=2.0.1 ,pytest"), (V{"numpy>=1.26, !=2.0.1", "pytest"}));
  EXPECT_EQ(split_requirements("requests[socks,security]>=2,<3,idna"),
            (V{"requests[socks,security]>=2,<3", "idna"}));
  EXPECT_EQ(split_requirements("x ; python_version < '3.14', y"), (V{"x ; python_version < '3.14'", "y"}));
  EXPECT_EQ(split_requirements(" a , , b ,"), (V{"a", "b"}));
  EXPECT_EQ(split_requirements("pkg (>=1,<2),other"), (V{"pkg (>=1,<2)", "other"}));
  EXPECT_TRUE(split_requirements("").empty());
}

TEST(Xml, EscapeMakesCharacterData) {
  EXPECT_EQ(xml_escape("a < b && c > \"d\""), "a &lt; b &amp;&amp; c &gt; \"d\"");
  EXPECT_EQ(xml_escape("</CTestDetails>"), "&lt;/CTestDetails&gt;");
  EXPECT_EQ(xml_escape("plain"), "plain");
  EXPECT_EQ(xml_escape(""), "");
  EXPECT_EQ(xml_escape("caf\xC3\xA9"), "caf\xC3\xA9");  // UTF-8 passes through
}

}  // namespace labeille
