// Option checks for CLI11 whose errors say the allowed range in words
// ("--timeout: expected a whole number of seconds from 1 to 604800, got "0"") instead of
// CLI11's "Value 0 not in range 0.000000 to 1797693...". Header-only: for executables
// that link CLI11.
#pragma once

#include <charconv>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace labeille::cli {

// A whole number (digits only) from `lo` to `hi`; `what` names it in the error
// ("a whole number of seconds"); `note` is appended ("; 0 turns it off").
inline CLI::Validator whole_number(long long lo, long long hi, std::string what, std::string note = "") {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        long long v = 0;
        const char* end = s.data() + s.size();
        auto [p, ec] = std::from_chars(s.data(), end, v);
        bool digits = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || ec != std::errc() || p != end || v < lo || v > hi)
          return fmt::format("expected {} from {} to {}{}, got \"{}\"", what, lo, hi, note, s);
        return {};
      },
      fmt::format("{}..{}", lo, hi));
}

// Limits shared by the commands: a week is longer than any test suite should run.
inline constexpr long long kMaxSeconds = 7 * 24 * 3600;
inline constexpr long long kMaxCount = 1'000'000'000;

}  // namespace labeille::cli
