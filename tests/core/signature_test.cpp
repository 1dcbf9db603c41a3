#include "labeille/core/signature.hpp"

#include <gtest/gtest.h>

namespace labeille {

TEST(Signature, StallSignatureIsTheSortedTopFrameOfEveryThread) {
  std::string dump =
      "Thread 0x00007f2a1b7fe6c0 (most recent call first):\n"
      "  File \"/home/a/venv/lib/python3.13t/site-packages/pkg/locks.py\", line 9 in worker_b\n"
      "  File \"/usr/lib/python3.13/threading.py\", line 1012 in run\n\n"
      "Thread 0x00007f2a1bfff6c0 (most recent call first):\n"
      "  File \"/home/a/venv/lib/python3.13t/site-packages/pkg/locks.py\", line 4 in worker_a\n\n"
      "Current thread 0x00007f2a2c5b5740 (most recent call first):\n"
      "  File \"/usr/lib/python3.13/threading.py\", line 1092 in join\n";
  EXPECT_EQ(stall_signature(dump), "pkg/locks.py:4 worker_a ; pkg/locks.py:9 worker_b ; python3.13/threading.py:1092 join");
  // Other thread addresses and another venv, same deadlock: same signature.
  std::string again = dump;
  for (auto pos = again.find("0x00007f2a"); pos != std::string::npos; pos = again.find("0x00007f2a", pos))
    again.replace(pos, 10, "0x0000aaaa");
  for (auto pos = again.find("/home/a/venv"); pos != std::string::npos; pos = again.find("/home/a/venv", pos))
    again.replace(pos, 12, "/srv/ci/venvs/pkg");
  EXPECT_EQ(stall_signature(again), stall_signature(dump));
  EXPECT_EQ(stall_signature(""), "");
}

TEST(Signature, Normalization) {
  EXPECT_EQ(strip_volatile("thread T12 at 0xdeadbeef pid=123 in 1234567"), "thread T? at 0x? pid=? in ?");
  EXPECT_EQ(normalize_python_frame("  File \"<string>\", line 1 in <module>"), "<string>:1 <module>");
  EXPECT_EQ(normalize_python_frame("  File \"/x/site-packages/pkg/mod.py\", line 12 in f"), "pkg/mod.py:12 f");
}

}  // namespace labeille

#include "labeille/core/names.hpp"

namespace labeille {

TEST(Names, Pep508) {
  EXPECT_TRUE(is_pep508_name("urllib3"));
  EXPECT_TRUE(is_pep508_name("zope.interface"));
  EXPECT_TRUE(is_pep508_name("a"));
  EXPECT_FALSE(is_pep508_name("../evil"));
  EXPECT_FALSE(is_pep508_name("-leading"));
  EXPECT_FALSE(is_pep508_name("trailing."));
  EXPECT_FALSE(is_pep508_name("with space"));
  EXPECT_FALSE(is_pep508_name(""));
  EXPECT_TRUE(is_package_name("zope.interface"));
  EXPECT_FALSE(is_package_name("a..b")) << "a PEP 508 name, but not a safe path component";
  EXPECT_FALSE(is_package_name("../evil"));
}

}  // namespace labeille
