#include "labeille/runner/output_scan.hpp"

#include <gtest/gtest.h>

namespace labeille::runner {

TEST(OutputScanner, FatalErrorAndCurrentThreadFramesAcrossChunkBoundaries) {
  OutputScanner s(false);
  std::string text =
      "collected 3 items\n"
      "Fatal Python error: Segmentation fault\n\n"
      "Thread 0x00007f0000000001 (most recent call first):\n"
      "  File \"/usr/lib/python3.13/threading.py\", line 359 in wait\n\n"
      "Current thread 0x00007f1234567890 (most recent call first):\n"
      "  File \"/home/u/venvs/pkg/lib/python3.13t/site-packages/pkg/core.py\", line 42 in explode\n"
      "  File \"/home/u/repos/pkg/tests/test_core.py\", line 7 in test_explode\n\n"
      "Extension modules: pkg._speedups (total: 1)\n";
  for (std::size_t i = 0; i < text.size(); i += 7) s.feed(std::string_view(text).substr(i, 7));
  s.finish();
  EXPECT_EQ(s.fatal_error(), "Fatal Python error: Segmentation fault");
  ASSERT_EQ(s.crash_frames().size(), 2u);
  EXPECT_EQ(s.crash_frames()[0], "pkg/core.py:42 explode");
  EXPECT_EQ(s.crash_frames()[1], "tests/test_core.py:7 test_explode");
  EXPECT_EQ(s.last_line(), "Extension modules: pkg._speedups (total: 1)");
}

TEST(OutputScanner, TsanReportsAreParsedCountedAndDeduplicated) {
  OutputScanner s(true);
  std::string report =
      "==================\n"
      "WARNING: ThreadSanitizer: data race (pid=4242)\n"
      "  Write of size 4 at 0x55d0c0a01014 by thread T2:\n"
      "    #0 bump_counter /src/racy.c:9 (racy+0x1249)\n"
      "    #1 <null> <null> (libtsan.so.2+0x3a2f1)\n\n"
      "  Previous write of size 4 at 0x55d0c0a01014 by thread T1:\n"
      "    #0 bump_counter /src/racy.c:9 (racy+0x1249)\n\n"
      "SUMMARY: ThreadSanitizer: data race /src/racy.c:9 in bump_counter\n"
      "==================\n";
  s.feed(report);
  s.feed(report);  // the same race again (other pid, same code)
  s.feed(
      "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=1)\n"
      "    #0 pthread_mutex_lock <null> (libtsan.so.2+0x1)\n"
      "    #1 take_locks /src/locks.c:20 (locks+0x2)\n"
      "SUMMARY: ThreadSanitizer: lock-order-inversion\n");
  s.finish();
  EXPECT_EQ(s.tsan_count(), 3);
  ASSERT_EQ(s.tsan_reports().size(), 2u);
  EXPECT_EQ(s.tsan_reports()[0].type, "data race");
  EXPECT_EQ(s.tsan_reports()[0].count, 2);
  ASSERT_GE(s.tsan_reports()[0].frames.size(), 1u);
  EXPECT_EQ(s.tsan_reports()[0].frames[0], "bump_counter racy.c:9");
  EXPECT_EQ(s.tsan_reports()[0].signature.find("0x"), std::string::npos);
  EXPECT_EQ(s.tsan_reports()[1].type, "lock-order-inversion (potential deadlock)");
}

TEST(OutputScanner, TsanIgnoredWhenOff) {
  OutputScanner s(false);
  s.feed("WARNING: ThreadSanitizer: data race (pid=1)\nSUMMARY: ThreadSanitizer: data race\n");
  s.finish();
  EXPECT_EQ(s.tsan_count(), 0);
}

TEST(OutputScanner, VeryLongLinesAreCutNotAccumulated) {
  OutputScanner s(false);
  s.feed(std::string(10 * OutputScanner::kMaxLine, 'x'));
  s.feed("\nshort\n");
  EXPECT_EQ(s.last_line(), "short");
  // A long last line is kept only up to kMaxLastLine bytes (a cut UTF-8 sequence becomes
  // U+FFFD, so the record stays valid).
  s.feed(std::string(OutputScanner::kMaxLastLine - 1, 'y') + "\xC3\xA9 and more\n");
  EXPECT_EQ(s.last_line(), std::string(OutputScanner::kMaxLastLine - 1, 'y') + "\xEF\xBF\xBD");
}

TEST(Normalize, VolatilePartsAreRemoved) {
  EXPECT_EQ(normalize_native_frame("    #3 main /a/b/prog.c:17 (prog+0x99)"), "main prog.c:17");
  EXPECT_EQ(normalize_native_frame("    #1 <null> <null> (libtsan.so.2+0x3a2f1)"), "<null>");
}

}  // namespace labeille::runner
