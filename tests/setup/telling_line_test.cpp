// The one line a failed set-up step is summed up by, on outputs pip and uv really print.
#include <gtest/gtest.h>

#include "labeille/setup/setup.hpp"

namespace labeille::setup {

TEST(TellingLine, TheBuildsOwnMessageThatPipQuotes) {
  const char* pip = R"(  error: subprocess-exited-with-error

  × Getting requirements to build wheel did not run successfully.
  │ exit code: 1
  ╰─> [3 lines of output]
      Traceback (most recent call last):
        File "<string>", line 1, in <module>
      RuntimeError: CFFI does not support the free-threaded build of CPython 3.13.
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: subprocess-exited-with-error
)";
  EXPECT_EQ(telling_line(pip), "RuntimeError: CFFI does not support the free-threaded build of CPython 3.13.");
}

TEST(TellingLine, TheExceptionEndingPipsOwnTraceback) {
  // pandas from its sdist with --no-build-isolation and no meson-python (laruche, top 30).
  const char* pip = R"(ERROR: Exception:
Traceback (most recent call last):
  File "/v/lib/python3.13t/site-packages/pip/_internal/cli/base_command.py", line 107, in _run_wrapper
    status = _inner_run()
  File "/v/lib/python3.13t/site-packages/pip/_vendor/pyproject_hooks/_impl.py", line 402, in _call_hook
    raise BackendUnavailable(
    ...<4 lines>...
    )
pip._vendor.pyproject_hooks._impl.BackendUnavailable: Cannot import 'mesonpy'
)";
  EXPECT_EQ(telling_line(pip), "pip._vendor.pyproject_hooks._impl.BackendUnavailable: Cannot import 'mesonpy'");
}

TEST(TellingLine, ElseTheLastErrorLineElseTheLastLine) {
  EXPECT_EQ(telling_line("Collecting x\nERROR: No matching distribution found for x\n\n"),
            "ERROR: No matching distribution found for x");
  EXPECT_EQ(telling_line("fatal: could not read Username\nsomething else\n"), "something else");
  EXPECT_EQ(telling_line(""), "");
}

}  // namespace labeille::setup
