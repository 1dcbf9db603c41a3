#include "labeille/core/time.hpp"

#include <chrono>
#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace labeille {

double monotonic_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::int64_t epoch_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso8601_utc_from_ms(std::int64_t ms) {
  const auto secs = static_cast<std::time_t>(ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(secs), static_cast<int>(ms % 1000));
}

std::string iso8601_utc_now() { return iso8601_utc_from_ms(epoch_ms()); }

std::string compact_utc(std::int64_t seconds) {
  return fmt::format("{:%Y%m%d_%H%M%S}", fmt::gmtime(static_cast<std::time_t>(seconds)));
}

}  // namespace labeille
