// The command line: the only room that includes CLI11 and sets spdlog's sinks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "podrun/pod/pod.hpp"

namespace podrun::cli {

// Parses argv, runs the subcommand, returns the process exit code
// (2 usage/invalid manifest, 125 podrun failed before a container ran, else the pod's).
int run(int argc, char** argv);

// What `podrun up` was asked: one options struct for both the foreground and the
// detached form, so every flag `up` takes reaches `up -d` too.
struct UpArgs {
    std::string file;
    std::vector<std::string> configmaps, secrets;  // --configmap, --secret: files of objects
    bool detach = false;
    pod::UpOptions options;
};
// The UpArgs `podrun up ARGS...` runs with (nullopt: a usage error). For tests.
std::optional<UpArgs> parse_up(const std::vector<std::string>& args);

}  // namespace podrun::cli
