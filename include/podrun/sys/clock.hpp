// Clocks: monotonic milliseconds for timers and durations, RFC 3339 wall time for status
// and logs; and a plain sleep.
#pragma once

#include <cstdint>
#include <string>

namespace podrun::sys {

int64_t monotonic_ms();
std::string now_rfc3339(bool nanos = false);  // UTC, e.g. 2026-11-27T21:00:00Z
void sleep_ms(int ms);

}  // namespace podrun::sys
