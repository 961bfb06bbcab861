// The validator's toolbox: typed reads of the JSON model that record a Problem (with its
// path) instead of stopping, and the field-table check every object goes through.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fields.hpp"
#include "parse_text.hpp"
#include "podrun/spec/load.hpp"
#include "podrun/spec/quantity.hpp"

namespace podrun::spec::detail {

std::string join(const std::string& path, std::string_view key);      // "a" + "b" -> "a.b"
std::string index(const std::string& path, size_t i);                 // "a[3]"
std::string key_path(const std::string& path, std::string_view key);  // "a[key]" (map entries)
std::string quote(std::string_view s);                                // "\"s\"" (JSON escaping)
std::string describe(const Json& v);                                  // `string "80"`, `an array`

// The member `key` of `obj`, or nullptr when absent or null (Kubernetes treats both alike).
const Json* member(const Json& obj, std::string_view key);

// The longest grace period podrun keeps: the supervisor counts it in milliseconds in an
// int64 (Kubernetes' int64 seconds would overflow that; this is still 292 million years).
inline constexpr int64_t kMaxGraceSeconds = INT64_MAX / 1000;

class Checker {
  public:
    std::vector<Problem> errors;
    std::vector<std::string> ignored;  // paths of accepted fields that mean nothing here
    // Accepted fields worth a warning of their own: (reason, paths), one warning per reason.
    std::vector<std::pair<std::string, std::vector<std::string>>> notes;

    void note(std::string_view reason, const std::string& path);

    void error(const std::string& path, std::string message);
    void type_error(const std::string& path, std::string_view expected, const Json& got);

    // `v` must be an object of `kind`: every key is checked against the kind's table
    // (unknown -> error with suggestion, NotYet or Refused -> error, Ignored -> noted). Returns `v` if it
    // is an object (even with bad keys, so its good fields are still checked), else nullptr.
    const Json* object(const Json* v, const std::string& path, Kind kind);

    // Typed members of `obj` (at `path`): nullopt when absent, or after recording a type error.
    std::optional<std::string> string(const Json& obj, std::string_view key, const std::string& path);
    std::optional<int64_t> integer(const Json& obj, std::string_view key, const std::string& path);
    std::optional<bool> boolean(const Json& obj, std::string_view key, const std::string& path);
    const Json* array(const Json& obj, std::string_view key, const std::string& path);
    std::vector<std::string> strings(const Json& obj, std::string_view key, const std::string& path);
    std::map<std::string, std::string> string_map(const Json& obj, std::string_view key, const std::string& path);
    // A quantity given as a string or a bare number, as resource.Quantity's JSON form allows.
    // `text` receives the quantity as written, for messages.
    std::optional<Quantity> quantity(const Json& v, const std::string& path, std::string* text);
};

// The one wording for a Kubernetes resource podrun does not manage (ephemeral-storage,
// hugepages-*, extended resources), wherever it is named.
std::string unsupported_resource(std::string_view name);

// True when one of the '/'-separated elements of `p` is "..".
bool has_dotdot_element(std::string_view p);

// The warnings of a finished check: one naming every ignored field, one per note reason.
std::vector<std::string> checker_warnings(const Checker& ck);

}  // namespace podrun::spec::detail
