// The one error convention of labeille ft.
//
// Library code reports a problem the USER can fix (bad input file, bad option, missing
// interpreter) by throwing labeille::Error with a message that names the file, the field
// and the value. Only main() catches it and prints it, with the fixed prefix
// "labeille: error: " (or "labeille-ft-runner: error: "), then exits with the code the
// error carries. Programming errors are not Errors: they are assertions.
#pragma once

#include <stdexcept>
#include <string>

namespace labeille {

// Exit codes shared by every labeille executable for errors (not outcomes):
inline constexpr int kExitUsage = 2;      // bad command line
inline constexpr int kExitInput = 3;      // unreadable or invalid input file
inline constexpr int kExitInternal = 70;  // could not write results, unexpected failure

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, int exit_code = kExitInput)
      : std::runtime_error(std::move(message)), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace labeille
