// Typed reads of the JSON model with path-carrying problems, and the field-table check.
#include "check.hpp"

#include <cmath>

#include "names.hpp"

namespace podrun::spec::detail {

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

std::string key_path(const std::string& path, std::string_view key) {
    return path + "[" + std::string(key) + "]";
}

// Invalid UTF-8 (which the parsers refuse, but a message must never throw) becomes U+FFFD.
std::string quote(std::string_view s) {
    return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string describe(const Json& v) {
    switch (v.type()) {
        case Json::value_t::string:
            return "string " + quote(v.get_ref<const std::string&>());
        case Json::value_t::boolean:
            return "boolean " + v.dump();
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            return "number " + v.dump();
        case Json::value_t::null:
            return "null";
        case Json::value_t::object:
            return "an object";
        case Json::value_t::array:
            return "an array";
        default:
            return "an unexpected value";
    }
}

const Json* member(const Json& obj, std::string_view key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(std::string(key));
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

std::string unsupported_resource(std::string_view name) {
    return "resource \"" + std::string(name) + "\" is not supported by podrun yet (only cpu and memory are)";
}

bool has_dotdot_element(std::string_view p) {
    size_t start = 0;
    while (start <= p.size()) {
        size_t end = p.find('/', start);
        if (end == std::string_view::npos) end = p.size();
        if (p.substr(start, end - start) == "..") return true;
        start = end + 1;
    }
    return false;
}

void Checker::note(std::string_view reason, const std::string& path) {
    for (auto& [r, paths] : notes)
        if (r == reason) {
            paths.push_back(path);
            return;
        }
    notes.push_back({std::string(reason), {path}});
}

std::vector<std::string> checker_warnings(const Checker& ck) {
    std::vector<std::string> out;
    if (!ck.ignored.empty()) {
        // One warning naming every such field, so a cluster manifest does not flood the output.
        std::string w = "ignoring fields that mean nothing on one node: ";
        for (size_t i = 0; i < ck.ignored.size(); ++i) w += (i ? ", " : "") + ck.ignored[i];
        out.push_back(std::move(w));
    }
    for (const auto& [reason, paths] : ck.notes) {
        std::string w = reason + ": ";
        for (size_t i = 0; i < paths.size(); ++i) w += (i ? ", " : "") + paths[i];
        out.push_back(std::move(w));
    }
    return out;
}

void Checker::error(const std::string& path, std::string message) {
    errors.push_back(Problem{path, std::move(message)});
}

void Checker::type_error(const std::string& path, std::string_view expected, const Json& got) {
    error(path, "expected " + std::string(expected) + ", got " + describe(got));
}

const Json* Checker::object(const Json* v, const std::string& path, Kind kind) {
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
        type_error(path, "an object (" + std::string(kind_name(kind)) + ")", *v);
        return nullptr;
    }
    const auto table = fields_of(kind);
    std::vector<std::string_view> names;
    for (const Field& f : table) names.push_back(f.name);
    for (const auto& [key, value] : v->items()) {
        const std::string p = join(path, key);
        const Field* field = nullptr;
        for (const Field& f : table)
            if (f.name == key) field = &f;
        if (field == nullptr) {
            // Strict decoding rejects unknown fields even when null: they are typos.
            const std::string near = closest(key, names);
            error(p, near.empty() ? "unknown field (not a field of " + std::string(kind_name(kind)) + ")"
                                  : "unknown field; did you mean " + quote(near) + "?");
        } else if (value.is_null()) {
            continue;  // null is "not set" in Kubernetes, whatever the policy
        } else if (field->policy == Policy::NotYet) {
            error(p,
                  "not supported by podrun yet (a Kubernetes field podrun does not "
                  "implement; remove it to run this pod here)");
        } else if (field->policy == Policy::Refused) {
            error(p, std::string(field->reason));
        } else if (field->policy == Policy::Ignored) {
            ignored.push_back(p);
        }
    }
    return v;
}

std::optional<std::string> Checker::string(const Json& obj, std::string_view key, const std::string& path) {
    const Json* v = member(obj, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
        type_error(join(path, key), "a string", *v);
        return std::nullopt;
    }
    return v->get<std::string>();
}

std::optional<int64_t> Checker::integer(const Json& obj, std::string_view key, const std::string& path) {
    const Json* v = member(obj, key);
    if (v == nullptr) return std::nullopt;
    // Go's decoder refuses a number an int64 cannot hold; read unsigned, it would wrap.
    if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t{INT64_MAX}) {
        error(join(path, key),
              v->dump() + " is out of range (an integer field holds at most " + std::to_string(INT64_MAX) + ")");
        return std::nullopt;
    }
    if (v->is_number_integer()) return v->get<int64_t>();
    // YAML "80.0" reaches Kubernetes as the JSON number 80, which an int field accepts.
    if (v->is_number_float()) {
        const double d = v->get<double>();
        if (std::floor(d) == d && std::fabs(d) < 9e18) return static_cast<int64_t>(d);
    }
    type_error(join(path, key), "an integer", *v);
    return std::nullopt;
}

std::optional<bool> Checker::boolean(const Json& obj, std::string_view key, const std::string& path) {
    const Json* v = member(obj, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
        type_error(join(path, key), "a boolean (true or false)", *v);
        return std::nullopt;
    }
    return v->get<bool>();
}

const Json* Checker::array(const Json& obj, std::string_view key, const std::string& path) {
    const Json* v = member(obj, key);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
        type_error(join(path, key), "an array", *v);
        return nullptr;
    }
    return v;
}

std::vector<std::string> Checker::strings(const Json& obj, std::string_view key, const std::string& path) {
    std::vector<std::string> out;
    const Json* arr = array(obj, key, path);
    if (arr == nullptr) return out;
    const std::string p = join(path, key);
    for (size_t i = 0; i < arr->size(); ++i) {
        const Json& item = (*arr)[i];
        if (item.is_string())
            out.push_back(item.get<std::string>());
        else
            type_error(index(p, i), "a string", item);
    }
    return out;
}

std::map<std::string, std::string> Checker::string_map(const Json& obj, std::string_view key, const std::string& path) {
    std::map<std::string, std::string> out;
    const Json* v = member(obj, key);
    if (v == nullptr) return out;
    const std::string p = join(path, key);
    if (!v->is_object()) {
        type_error(p, "an object of strings", *v);
        return out;
    }
    for (const auto& [k, value] : v->items()) {
        if (value.is_string())
            out[k] = value.get<std::string>();
        else
            type_error(key_path(p, k), "a string (quote it in YAML)", value);
    }
    return out;
}

std::optional<Quantity> Checker::quantity(const Json& v, const std::string& path, std::string* text) {
    std::string s;
    if (v.is_string())
        s = v.get<std::string>();
    else if (v.is_number())
        s = v.dump();  // the shortest text that reads back as the same number
    else {
        type_error(path, "a quantity (a string such as \"64Mi\" or a number)", v);
        return std::nullopt;
    }
    if (text != nullptr) *text = s;
    auto q = parse_quantity(s);
    if (!q) error(path, quote(s) + " is not a quantity (examples: 64Mi, 1G, 500M, 250m, 0.5)");
    return q;
}

}  // namespace podrun::spec::detail
