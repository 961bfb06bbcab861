// Manifest bytes -> one JSON document (JSON as is; YAML with Kubernetes' scalar rules).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace podrun::spec::detail {

// ordered_json keeps the document's key order, so problems come out in that order.
using Json = nlohmann::ordered_json;

struct ParsedText {
    Json doc;
    std::string error;  // non-empty on a syntax problem: "line 3, column 5: ..."
};

// JSON when the text starts with '{' and a quoted key (or '}'), YAML otherwise (including a
// whole-document flow mapping such as {apiVersion: v1, ...}).
ParsedText parse_text(std::string_view text);

}  // namespace podrun::spec::detail
