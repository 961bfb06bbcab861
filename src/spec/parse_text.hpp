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

// JSON when the first non-space character is '{', YAML otherwise.
ParsedText parse_text(std::string_view text);

}  // namespace podrun::spec::detail
