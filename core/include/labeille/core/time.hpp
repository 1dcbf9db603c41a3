// Clocks and timestamps every part uses: one monotonic time base for durations and
// deadlines, one UTC format for records and one for run directory names.
#pragma once

#include <cstdint>
#include <string>

namespace labeille {

// Seconds on the monotonic clock (durations, deadlines, the watchdog's time base).
double monotonic_s();

// Milliseconds since the Unix epoch (wall clock).
std::int64_t epoch_ms();

// "2026-11-25T05:00:00.123Z" for now / for a time point in ms since the epoch.
std::string iso8601_utc_now();
std::string iso8601_utc_from_ms(std::int64_t ms_since_epoch);

// "20261125_050000" for seconds since the epoch (UTC): sorts as it reads.
std::string compact_utc(std::int64_t seconds_since_epoch);

}  // namespace labeille
