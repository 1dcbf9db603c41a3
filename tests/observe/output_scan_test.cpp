#include "labeille/observe/output_scan.hpp"

#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace labeille::observe {

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
      "  Cycle in lock order graph: M0 (0x7b0c00000010) => M1 (0x7b0c00000040) => M0\n\n"
      "  Mutex M1 acquired here while holding mutex M0 in thread T1:\n"
      "    #0 pthread_mutex_lock <null> (libtsan.so.2+0x1)\n"
      "    #1 take_locks /src/locks.c:20 (locks+0x2)\n\n"
      "  Mutex M0 acquired here while holding mutex M1 in thread T2:\n"
      "    #0 pthread_mutex_lock <null> (libtsan.so.2+0x1)\n"
      "    #1 take_locks_reversed /src/locks.c:31 (locks+0x3)\n\n"
      "SUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) /src/locks.c:20 in take_locks\n");
  s.finish();
  EXPECT_EQ(s.tsan_count(), 3);
  ASSERT_EQ(s.tsan_reports().size(), 2u);
  const auto& race = s.tsan_reports()[0];
  EXPECT_EQ(race.type, "data race");
  EXPECT_EQ(race.kind, "data race");
  EXPECT_EQ(race.count, 2);
  ASSERT_EQ(race.stacks.size(), 2u);
  EXPECT_EQ(race.stacks[0], std::vector<std::string>{"bump_counter racy.c:9"});
  EXPECT_EQ(race.frames, race.stacks[0]);
  EXPECT_EQ(race.location, "racy.c:9");
  EXPECT_EQ(race.signature, "data race | bump_counter racy.c:9");  // distinct top frames
  const auto& inversion = s.tsan_reports()[1];
  EXPECT_EQ(inversion.type, "lock-order-inversion (potential deadlock)");
  EXPECT_EQ(inversion.kind, "lock-order inversion");
  // The interceptor frame on top is TSAN's runtime, not the package's code.
  ASSERT_EQ(inversion.stacks.size(), 2u);
  EXPECT_EQ(inversion.stacks[0], std::vector<std::string>{"take_locks locks.c:20"});
  EXPECT_EQ(inversion.stacks[1], std::vector<std::string>{"take_locks_reversed locks.c:31"});
}

// What a --with-thread-sanitizer CPython prints for a C extension's race: the
// extension's frames on top, then the interpreter's (a static build: python3.13t).
std::string extension_race(const char* first, const char* second) {
  return fmt::format(
      "WARNING: ThreadSanitizer: data race (pid={})\n"
      "  Write of size 8 at 0x7f4f1c0a2040 by thread T{}:\n"
      "    #0 {} /home/u/repos/pkg/src/pkg/_counter.c:8 (_counter.cpython-313t-x86_64-linux-gnu.so+0x11d9)\n"
      "    #1 bump /home/u/repos/pkg/src/pkg/_counter.c:14 (_counter.cpython-313t-x86_64-linux-gnu.so+0x1267)\n"
      "    #2 cfunction_vectorcall_O Objects/methodobject.c:512 (python3.13t+0x1f7e8a)\n"
      "    #3 _PyEval_EvalFrameDefault Python/generated_cases.c.h:1502 (python3.13t+0x3b4d12)\n\n"
      "  Previous write of size 8 at 0x7f4f1c0a2040 by thread T3:\n"
      "    #0 {} /home/u/repos/pkg/src/pkg/_counter.c:8 (_counter.cpython-313t-x86_64-linux-gnu.so+0x11d9)\n"
      "    #1 cfunction_vectorcall_O Objects/methodobject.c:512 (python3.13t+0x1f7e8a)\n\n"
      "  Location is global 'counter' of size 8 at 0x7f4f1c0a2040 (_counter.cpython-313t-x86_64-linux-gnu.so+0x4040)\n\n"
      "  Thread T2 (tid=1236, running) created by main thread at:\n"
      "    #0 pthread_create <null> (libtsan.so.2+0x5f056)\n"
      "    #1 do_start_joinable_thread Python/thread_pthread.h:290 (python3.13t+0x4a1b2c)\n\n"
      "SUMMARY: ThreadSanitizer: data race /home/u/repos/pkg/src/pkg/_counter.c:8 in {}\n"
      "==================\n",
      std::rand() % 30000, 2, first, second, first);
}

TEST(OutputScanner, TsanStacksAreTrimmedToThePackagesFramesAndDedupedByThePair) {
  OutputScanner s(true);
  s.feed(extension_race("bump_n", "bump_n"));
  s.feed(extension_race("bump_n", "bump_n"));
  s.feed(extension_race("add_to", "bump_n"));  // a second race: another writer
  s.feed(extension_race("bump_n", "add_to"));  // the same one, threads the other way round
  s.finish();
  EXPECT_EQ(s.tsan_count(), 4);
  ASSERT_EQ(s.tsan_reports().size(), 2u);
  const auto& r = s.tsan_reports()[0];
  EXPECT_EQ(r.count, 2);
  ASSERT_EQ(r.stacks.size(), 2u);  // the creation stack is context, not an access
  EXPECT_EQ(r.stacks[0], (std::vector<std::string>{"bump_n _counter.c:8", "bump _counter.c:14"}));
  EXPECT_EQ(r.stacks[1], std::vector<std::string>{"bump_n _counter.c:8"});
  EXPECT_EQ(r.location, "_counter.c:8");
  EXPECT_EQ(s.tsan_reports()[1].count, 2);
  EXPECT_EQ(s.tsan_reports()[1].signature, "data race | add_to _counter.c:8 | bump_n _counter.c:8");
}

// TSAN's history may have lost the earlier access (seen with the real TSAN CPython in 2
// of 3 runs): the same race, the same signature, the lost stack kept as TSAN said it.
TEST(OutputScanner, ALostPreviousStackIsStillTheSameRace) {
  OutputScanner s(true);
  s.feed(extension_race("bump_n", "bump_n"));
  s.feed(
      "WARNING: ThreadSanitizer: data race (pid=23100)\n"
      "  Read of size 8 at 0x7f63e2905188 by thread T3:\n"
      "    #0 bump_n src/pkg/_counter.c:8 (_counter.cpython-313t-x86_64-linux-gnu.so+0x121b)\n"
      "    #1 bump src/pkg/_counter.c:14 (_counter.cpython-313t-x86_64-linux-gnu.so+0x121b)\n\n"
      "  Previous write of size 8 at 0x7f63e2905188 by thread T4:\n"
      "    [failed to restore the stack]\n\n"
      "SUMMARY: ThreadSanitizer: data race src/pkg/_counter.c:8 in bump_n\n");
  s.finish();
  ASSERT_EQ(s.tsan_reports().size(), 1u);
  EXPECT_EQ(s.tsan_reports()[0].count, 2);
  EXPECT_EQ(s.tsan_reports()[0].signature, "data race | bump_n _counter.c:8");
  OutputScanner lost(true);
  lost.feed(
      "WARNING: ThreadSanitizer: data race (pid=1)\n"
      "  Read of size 8 at 0x7f by thread T3:\n"
      "    #0 bump_n src/pkg/_counter.c:8 (_counter.cpython-313t-x86_64-linux-gnu.so+0x121b)\n\n"
      "  Previous write of size 8 at 0x7f by thread T4:\n"
      "    [failed to restore the stack]\n\n"
      "SUMMARY: ThreadSanitizer: data race\n");
  lost.finish();
  ASSERT_EQ(lost.tsan_reports().size(), 1u);
  EXPECT_EQ(lost.tsan_reports()[0].stacks[1], std::vector<std::string>{"[failed to restore the stack]"});
}

TEST(OutputScanner, ThreadLeakKeepsWhereTheThreadWasCreated) {
  OutputScanner s(true);
  s.feed(
      "WARNING: ThreadSanitizer: thread leak (pid=7)\n"
      "  Thread T1 (tid=8, finished) created by main thread at:\n"
      "    #0 pthread_create <null> (libtsan.so.2+0x5f056)\n"
      "    #1 start_worker /src/pkg/_pool.c:40 (_pool.cpython-313t-x86_64-linux-gnu.so+0x1100)\n\n"
      "SUMMARY: ThreadSanitizer: thread leak /src/pkg/_pool.c:40 in start_worker\n");
  s.finish();
  ASSERT_EQ(s.tsan_reports().size(), 1u);
  EXPECT_EQ(s.tsan_reports()[0].kind, "thread leak");
  EXPECT_EQ(s.tsan_reports()[0].signature, "thread leak | start_worker _pool.c:40");
}

TEST(OutputScanner, TsanAbortMessagesAreFatalItsWarningsAreNot) {
  OutputScanner s(true);
  s.feed("ThreadSanitizer: reported 2 warnings\n");
  EXPECT_EQ(s.tsan_fatal(), "");
  s.feed("==4321==ERROR: ThreadSanitizer failed to allocate 0x40000 (262144) bytes of sync allocator (error code: 12)\n");
  EXPECT_EQ(s.tsan_fatal().find("4321"), std::string::npos);
  EXPECT_EQ(s.tsan_fatal().rfind("ERROR: ThreadSanitizer failed to allocate", 0), 0u) << s.tsan_fatal();
  OutputScanner fork(true);
  fork.feed("ThreadSanitizer: starting new threads after multi-threaded fork is not supported. Dying.\n");
  EXPECT_EQ(fork.tsan_fatal(), "ThreadSanitizer: starting new threads after multi-threaded fork is not supported. Dying.");
  OutputScanner off(false);
  off.feed("FATAL: ThreadSanitizer CHECK failed: x\n");
  EXPECT_EQ(off.tsan_fatal(), "");
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
  EXPECT_EQ(normalize_native_frame("    #2 bump (_counter.so+0x99)"), "bump");
  auto f = parse_native_frame("    #2 cfunction_call Objects/methodobject.c:540 (python3.13t+0x1f7e8a)");
  EXPECT_EQ(f.module, "python3.13t");
  EXPECT_TRUE(is_runtime_frame(f));
  EXPECT_FALSE(is_runtime_frame(parse_native_frame("    #0 bump /a/_c.c:3 (/v/_c.cpython-313t-x86_64-linux-gnu.so+0x9)")));
  EXPECT_TRUE(is_runtime_frame(parse_native_frame("    #0 memcpy <null> (libtsan.so.2+0x9)")));
}

TEST(Normalize, TsanKinds) {
  EXPECT_EQ(tsan_kind("heap-use-after-free"), "use after free");
  EXPECT_EQ(tsan_kind("data race on vptr (ctor/dtor vs virtual call)"), "data race");
  EXPECT_EQ(tsan_kind("destroy of a locked mutex"), "mutex misuse");
  EXPECT_EQ(tsan_kind("signal handler spoils errno"), "signal handler spoils errno");
}

}  // namespace labeille::observe
