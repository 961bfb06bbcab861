// JSON and YAML to one JSON model. YAML scalars are typed as sigs.k8s.io/yaml (and so kubectl)
// types them: plain scalars may be booleans, numbers or null; quoted ones are always strings.
#include "parse_text.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>
#include <vector>

namespace podrun::spec::detail {
namespace {

std::string at(size_t line, size_t column) {
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// nlohmann reports a byte offset; people want line and column (both 1-based).
std::string at_offset(std::string_view text, size_t offset) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return at(line, column);
}

// Kubernetes' strict decoding rejects duplicate fields; nlohmann would keep the last one
// silently, so the parser callback tracks the keys of every open object.
ParsedText parse_json(std::string_view text) {
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
        switch (event) {
            case Json::parse_event_t::object_start:
                open_objects.emplace_back();
                break;
            case Json::parse_event_t::object_end:
                open_objects.pop_back();
                break;
            case Json::parse_event_t::key:
                if (!open_objects.back().insert(parsed.get<std::string>()).second &&
                    duplicate.empty())
                    duplicate = parsed.get<std::string>();
                break;
            default:
                break;
        }
        return true;
    };
    ParsedText out;
    try {
        out.doc = Json::parse(text.begin(), text.end(), callback);
    } catch (const Json::parse_error& e) {
        // e.what() is "[json.exception.parse_error.101] parse error at line ..."; keep the reason.
        std::string what = e.what();
        auto colon = what.rfind(": ");
        out.error = at_offset(text, e.byte == 0 ? 0 : e.byte - 1) + ": JSON syntax error: " +
                    (colon == std::string::npos ? what : what.substr(colon + 2));
        return out;
    }
    if (!duplicate.empty()) out.error = "JSON: duplicate key \"" + duplicate + "\"";
    return out;
}

bool digit(char c) {
    return c >= '0' && c <= '9';
}

// Skips the digits from i on; returns how many there were.
size_t skip_digits(const std::string& s, size_t& i) {
    const size_t start = i;
    while (i < s.size() && digit(s[i])) i++;
    return i - start;
}

// [-+]?[0-9]+
bool is_yaml_int(const std::string& s) {
    size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return skip_digits(s, i) > 0 && i == s.size();
}

// [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_yaml_float(const std::string& s) {
    size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i < s.size() && s[i] == '.') {
        i++;
        if (skip_digits(s, i) == 0) return false;
    } else {
        if (skip_digits(s, i) == 0) return false;
        if (i < s.size() && s[i] == '.') {
            i++;
            skip_digits(s, i);
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) i++;
        if (skip_digits(s, i) == 0) return false;
    }
    return i == s.size();
}

// YAML 1.1 core schema as go-yaml v2 resolves plain scalars (the library kubectl uses).
Json plain_scalar(const std::string& s) {
    static const std::set<std::string> nulls = {"", "~", "null", "Null", "NULL"};
    static const std::set<std::string> trues = {"true", "True", "TRUE", "y",  "Y", "yes",
                                                "Yes",  "YES",  "on",   "On", "ON"};
    static const std::set<std::string> falses = {"false", "False", "FALSE", "n",   "N",  "no",
                                                 "No",    "NO",    "off",   "Off", "OFF"};
    if (nulls.count(s)) return nullptr;
    if (trues.count(s)) return true;
    if (falses.count(s)) return false;
    if (is_yaml_int(s)) {
        int64_t v = 0;
        const char* b = s.data() + (s[0] == '+' ? 1 : 0);
        // go-yaml v2 reads ints with strconv.ParseInt(s, 0, 64): a leading 0 is octal, as
        // in `defaultMode: 0644` (an invalid octal such as 08 falls back to a float below).
        const size_t digits = (s[0] == '-' || s[0] == '+') ? 1 : 0;
        if (s.size() - digits > 1 && s[digits] == '0') {
            auto [p, ec] = std::from_chars(s.data() + digits + 1, s.data() + s.size(), v, 8);
            if (ec == std::errc() && p == s.data() + s.size()) return s[0] == '-' ? -v : v;
            return std::stod(s);
        }
        auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size()) return v;
        return std::stod(s);  // beyond int64: go-yaml falls back to a float as well
    }
    if (is_yaml_float(s)) return std::stod(s);
    return s;
}

struct YamlError {
    std::string message;
};

Json convert(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Scalar:
            // "?" = plain scalar; "!" = quoted or block scalar; explicit tags are honoured
            // only for strings, the one a manifest has reason to use.
            if (node.Tag() == "?") return plain_scalar(node.Scalar());
            if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return node.Scalar();
            return plain_scalar(node.Scalar());
        case YAML::NodeType::Sequence: {
            Json arr = Json::array();
            for (const auto& item : node) arr.push_back(convert(item));
            return arr;
        }
        case YAML::NodeType::Map: {
            Json obj = Json::object();
            for (const auto& kv : node) {
                const auto mark = kv.first.Mark();
                if (!kv.first.IsScalar())
                    throw YamlError{at(mark.line + 1, mark.column + 1) +
                                    ": a mapping key must be a scalar"};
                const std::string& key = kv.first.Scalar();
                if (obj.contains(key))
                    throw YamlError{at(mark.line + 1, mark.column + 1) + ": duplicate key \"" +
                                    key + "\""};
                obj[key] = convert(kv.second);
            }
            return obj;
        }
    }
    return nullptr;
}

ParsedText parse_yaml(std::string_view text) {
    ParsedText out;
    try {
        std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
        if (docs.empty()) {
            out.error = "the manifest is empty";
        } else if (docs.size() > 1) {
            out.error = "the manifest holds " + std::to_string(docs.size()) +
                        " YAML documents; podrun runs one Pod per file";
        } else {
            out.doc = convert(docs[0]);
        }
    } catch (const YAML::ParserException& e) {
        out.error =
            at(static_cast<size_t>(e.mark.line) + 1, static_cast<size_t>(e.mark.column) + 1) +
            ": YAML syntax error: " + e.msg;
    } catch (const YamlError& e) {
        out.error = e.message;
    }
    return out;
}

}  // namespace

ParsedText parse_text(std::string_view text) {
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '{') return parse_yaml(text);
    // JSON keys are quoted; a whole-document YAML flow mapping ({apiVersion: v1, ...}) also
    // starts with '{' but its keys usually are not. Everything else stays strict JSON, so a
    // JSON typo gets a JSON error.
    const size_t next = text.find_first_not_of(" \t\r\n", first + 1);
    if (next != std::string_view::npos && text[next] != '"' && text[next] != '}')
        return parse_yaml(text);
    return parse_json(text);
}

}  // namespace podrun::spec::detail
