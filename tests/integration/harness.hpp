// Shared helpers of the root tests: the root requirement, running binaries with a timeout,
// and reading files. A test that needs root skips with a reason; with PODRUN_MUST_RUN=1
// (set by ./dev test and CI) that skip is a failure instead.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace podrun::test {

inline bool must_run() {
    const char* v = std::getenv("PODRUN_MUST_RUN");
    return v && std::string(v) == "1";
}

#define PODRUN_REQUIRE_ROOT()                                                          \
    do {                                                                               \
        if (::geteuid() != 0) {                                                        \
            if (::podrun::test::must_run()) FAIL() << "needs root (PODRUN_MUST_RUN=1)"; \
            GTEST_SKIP() << "needs root";                                              \
        }                                                                              \
    } while (0)

struct RunResult {
    int exit_code = -1;   // exit status, or 128+signal
    bool timed_out = false;
    std::string out;      // stdout
    std::string err;      // stderr
};

// Runs argv[0] (a path) with `input` on stdin; kills it (SIGKILL, by pid) after
// `timeout_s` seconds. Never uses a shell.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "",
              double timeout_s = 60);

// The podrun binary under test, with arguments.
RunResult podrun(const std::vector<std::string>& args, const std::string& input = "",
                 double timeout_s = 60);

std::string read_file(const std::string& path);
std::string source_path(const std::string& rel);  // PODRUN_SOURCE_DIR/rel

}  // namespace podrun::test
