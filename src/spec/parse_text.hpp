// Manifest bytes -> one JSON document (JSON as is; YAML with Kubernetes' scalar rules).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace podrun::spec::detail {

// ordered_json keeps the document's key order, so problems come out in that order.
using Json = nlohmann::ordered_json;

// Bounds on hostile input (docs/manifest.md, "Limits"). The size is the Kubernetes API
// server's default request limit (3 MiB); the depth is far beyond any Pod's (under 15) and far
// below what the recursive walks over the model could not take.
inline constexpr size_t kMaxManifestBytes = 3 * 1024 * 1024;
inline constexpr int kMaxNestingDepth = 100;

struct ParsedText {
    Json doc;
    std::string error;  // non-empty on a syntax problem: "line 3, column 5: ..."
};

// JSON when the text starts with '{' and a quoted key (or '}'), YAML otherwise (including a
// whole-document flow mapping such as {apiVersion: v1, ...}).
ParsedText parse_text(std::string_view text);

}  // namespace podrun::spec::detail
