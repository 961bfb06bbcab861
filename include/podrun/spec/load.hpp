// Reading a manifest: bytes (JSON or YAML) -> validated spec::Pod, or every problem at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podrun/spec/pod.hpp"

namespace podrun::spec {

// One problem with the manifest: where (a Kubernetes-style field path such as
// "spec.containers[1].resources.limits.memory") and what, including the fix when known.
struct Problem {
    std::string path;
    std::string message;
    std::string to_string() const { return path.empty() ? message : path + ": " + message; }
};

struct LoadResult {
    std::optional<Pod> pod;             // set only when errors is empty
    std::vector<Problem> errors;        // every error found, in document order
    std::vector<std::string> warnings;  // e.g. fields accepted but meaningless on one node
    bool ok() const { return errors.empty() && pod.has_value(); }
};

// Parses JSON or YAML text (detected from content) and validates it with the field policy
// of DESIGN.md section 2. `source` names the input in messages (a path or "<stdin>").
LoadResult load_pod_text(std::string_view text, std::string_view source);

// Reads `path` ("-" = standard input) and calls load_pod_text. A read failure is one
// error with an empty path.
LoadResult load_pod_file(const std::string& path);

}  // namespace podrun::spec
