// The command line: the only room that includes CLI11 and sets spdlog's sinks.
#pragma once

namespace podrun::cli {

// Parses argv, runs the subcommand, returns the process exit code
// (2 usage/invalid manifest, 125 podrun failed before a container ran, else the pod's).
int run(int argc, char** argv);

}  // namespace podrun::cli
