// A manifest file -> its documents, split as kubectl splits them, each parsed by parse_text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parse_text.hpp"

namespace podrun::spec::detail {

// The most a manifest file may hold (the Kubernetes API server's default request limit).
inline constexpr size_t kMaxFileBytes = 3 * 1024 * 1024;

struct ParsedDocs {
    std::vector<Json> docs;  // non-empty documents, in order
    std::string error;       // as ParsedText::error, with the line counted in the whole file
};

// JSON (one value) as parse_text reads it; YAML split at lines that start with "---"
// followed by nothing but blanks or a comment (k8s.io/apimachinery's YAMLReader, which
// kubectl uses), each part parsed by parse_text; parts that hold only blanks and comments
// are dropped, as kubectl drops them.
ParsedDocs parse_documents(std::string_view text);

}  // namespace podrun::spec::detail
