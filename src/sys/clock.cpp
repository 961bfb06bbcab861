// Clocks and sleeping (see clock.hpp).
#include "podrun/sys/clock.hpp"

#include <time.h>

#include <cstdio>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

int64_t monotonic_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

std::string now_rfc3339(bool nanos) {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    ::gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    std::string out(buf, n);
    if (nanos) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
        out += frac;
    }
    return out + "Z";
}

void sleep_ms(int ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    retry_eintr([&] { return ::nanosleep(&ts, &ts); });
}

}  // namespace podrun::sys
