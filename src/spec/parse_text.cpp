// JSON and YAML to one JSON model. YAML scalars are typed as sigs.k8s.io/yaml (and so kubectl)
// types them: plain scalars may be booleans, numbers or null; quoted ones are always strings.
// Hostile input is bounded: nesting depth, and YAML aliases by go-yaml's own budget.
#include "parse_text.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>
#include <vector>

namespace podrun::spec::detail {
namespace {

std::string at(size_t line, size_t column) {
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string at(const YAML::Mark& m) {
    return at(static_cast<size_t>(m.line) + 1, static_cast<size_t>(m.column) + 1);
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

std::string too_deep() {
    return "nested deeper than " + std::to_string(kMaxNestingDepth) +
           " levels (a Pod needs fewer than 15; is this file a Pod manifest?)";
}

struct ParseStop {
    std::string message;
};

// Kubernetes' strict decoding rejects duplicate fields; nlohmann would keep the last one
// silently, so the parser callback tracks the keys of every open object. nlohmann's parser
// keeps its own stack (no recursion), but what is built from it is walked recursively:
// the callback bounds the depth.
ParsedText parse_json(std::string_view text) {
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
        switch (event) {
            case Json::parse_event_t::object_start:
                if (depth >= kMaxNestingDepth) throw ParseStop{"JSON: " + too_deep()};
                open_objects.emplace_back();
                break;
            case Json::parse_event_t::array_start:
                if (depth >= kMaxNestingDepth) throw ParseStop{"JSON: " + too_deep()};
                break;
            case Json::parse_event_t::object_end:
                open_objects.pop_back();
                break;
            case Json::parse_event_t::key:
                if (!open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
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
        out.error = at_offset(text, e.byte == 0 ? 0 : e.byte - 1) +
                    ": JSON syntax error: " + (colon == std::string::npos ? what : what.substr(colon + 2));
        return out;
    } catch (const Json::out_of_range& e) {
        // A number beyond a double (1e999): nlohmann refuses it as Go's decoder does.
        out.error = std::string("JSON: a number out of range: ") + e.what();
        return out;
    } catch (const ParseStop& e) {
        out.error = e.message;
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

// go-yaml's strconv.ParseFloat: an overflow (1e999) is an error there, and the scalar then
// stays a string; an underflow is 0. strtod reports both as ERANGE, told apart by the value.
std::optional<double> parse_float(const std::string& s) {
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return std::nullopt;
    if (errno == ERANGE && std::isinf(v)) return std::nullopt;
    return v;
}

// YAML 1.1 core schema as go-yaml v2 resolves plain scalars (the library kubectl uses):
// int64, else uint64, else a float, else (out of range even for a float) a string - which
// the validator then refuses at its path like any string where a number belongs.
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
        const char* b = s.data() + (s[0] == '+' ? 1 : 0);
        const char* e = s.data() + s.size();
        // go-yaml v2 reads ints with strconv.ParseInt(s, 0, 64): a leading 0 is octal, as in
        // `defaultMode: 0644` (an invalid octal such as 08 falls back to a float below).
        const size_t digits = (s[0] == '-' || s[0] == '+') ? 1 : 0;
        if (s.size() - digits > 1 && s[digits] == '0') {
            int64_t o = 0;
            if (auto [p, ec] = std::from_chars(s.data() + digits + 1, e, o, 8); ec == std::errc() && p == e)
                return s[0] == '-' ? -o : o;
        } else {
            int64_t v = 0;
            if (auto [p, ec] = std::from_chars(b, e, v); ec == std::errc() && p == e) return v;
            uint64_t u = 0;
            if (auto [p, ec] = std::from_chars(b, e, u); ec == std::errc() && p == e) return u;
        }
    }
    if (is_yaml_int(s) || is_yaml_float(s)) {
        if (auto f = parse_float(s)) return *f;
    }
    return s;
}

// A YAML node as the events describe it. Aliases share the node they name, so the graph
// stays as small as the text; `size` and `height` are those of the expanded tree.
struct YNode {
    enum Kind { Null, Scalar, Seq, Map } kind = Null;
    std::string text;
    bool plain = true;
    YAML::Mark mark;
    std::vector<std::shared_ptr<const YNode>> items;  // a Map holds key, value, key, value...
    size_t size = 1;                                  // nodes, this one included
    int height = 0;                                   // collections on the longest path down (a scalar: 0)
};
using NodePtr = std::shared_ptr<const YNode>;

// go-yaml v2's alias budget (decode.go, allowedAliasRatio; sigs.k8s.io/yaml decodes with it):
// up to 99% of the decoded nodes may come from aliases in a document of up to 400,000
// nodes, tapering to 10% at 4,000,000. A 330-byte file of nested aliases that would expand
// to gigabytes is refused before anything is expanded.
double allowed_alias_ratio(size_t decoded) {
    constexpr double low = 400000, high = 4000000;
    const double d = static_cast<double>(decoded);
    if (d <= low) return 0.99;
    if (d >= high) return 0.10;
    return 0.99 - 0.89 * ((d - low) / (high - low));
}

// Builds the first document's graph from yaml-cpp's parser events.
class Builder final : public YAML::EventHandler {
  public:
    NodePtr root;
    int start_pos = -1;

    void OnDocumentStart(const YAML::Mark& mark) override { start_pos = mark.pos; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        auto n = std::make_shared<YNode>();
        n->mark = mark;
        add(std::move(n), anchor);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        auto n = std::make_shared<YNode>();
        n->kind = YNode::Scalar;
        n->mark = mark;
        n->text = value;
        // "?" = plain scalar; "!" = quoted or block scalar; explicit tags are honoured only
        // for strings, the one a manifest has reason to use.
        n->plain = !(tag == "!" || tag == "tag:yaml.org,2002:str");
        add(std::move(n), anchor);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        auto it = anchors_.find(anchor);
        if (it == anchors_.end()) throw ParseStop{at(mark) + ": an alias to a node that contains it"};
        const NodePtr& target = it->second;
        decoded_ += target->size;
        aliased_ += target->size;
        // go-yaml counts one decode at a time; the sum of a whole alias is checked at once.
        if (aliased_ > 100 && decoded_ > 1000 &&
            static_cast<double>(aliased_) / static_cast<double>(decoded_) > allowed_alias_ratio(decoded_))
            throw ParseStop{at(mark) + ": the document contains excessive aliasing (" + std::to_string(aliased_) +
                            " of " + std::to_string(decoded_) +
                            " nodes from aliases; Kubernetes' decoder refuses it alike)"};
        if (static_cast<int>(open_.size()) + target->height > kMaxNestingDepth)
            throw ParseStop{at(mark) + ": " + too_deep() + ", counting what aliases expand to"};
        attach(target, mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(YNode::Seq, mark, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(YNode::Map, mark, anchor);
    }
    void OnMapEnd() override { close(); }

  private:
    struct Open {
        std::shared_ptr<YNode> node;
        YAML::anchor_t anchor;
        std::set<std::string> keys;  // a Map's keys so far
    };
    std::vector<Open> open_;
    std::unordered_map<YAML::anchor_t, NodePtr> anchors_;
    size_t decoded_ = 0, aliased_ = 0;

    void open(YNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
        if (static_cast<int>(open_.size()) >= kMaxNestingDepth) throw ParseStop{at(mark) + ": " + too_deep()};
        auto n = std::make_shared<YNode>();
        n->kind = kind;
        n->mark = mark;
        ++decoded_;
        open_.push_back(Open{std::move(n), anchor, {}});
    }
    void close() {
        Open o = std::move(open_.back());
        open_.pop_back();
        o.node->height = 1;
        for (const auto& c : o.node->items) {
            o.node->size += c->size;
            o.node->height = std::max(o.node->height, c->height + 1);
        }
        if (o.anchor != YAML::NullAnchor) anchors_[o.anchor] = o.node;
        attach(o.node, o.node->mark);
    }
    void add(std::shared_ptr<YNode> n, YAML::anchor_t anchor) {
        ++decoded_;
        if (anchor != YAML::NullAnchor) anchors_[anchor] = n;
        const YAML::Mark mark = n->mark;
        attach(std::move(n), mark);
    }
    // Appends a finished node to the open collection (or makes it the root), checking map keys.
    void attach(NodePtr n, const YAML::Mark& mark) {
        if (open_.empty()) {
            if (!root) root = std::move(n);
            return;
        }
        Open& parent = open_.back();
        const bool is_key = parent.node->kind == YNode::Map && parent.node->items.size() % 2 == 0;
        if (is_key) {
            if (n->kind != YNode::Scalar) throw ParseStop{at(mark) + ": a mapping key must be a scalar"};
            if (!parent.keys.insert(n->text).second) throw ParseStop{at(mark) + ": duplicate key \"" + n->text + "\""};
        }
        parent.node->items.push_back(std::move(n));
    }
};

// Counts the documents after the first without building them. yaml-cpp 0.7 (Debian 12)
// loops for ever on a stray ',' after a flow collection ("[a],"): it returns empty documents
// that all start at that ','. A document starting where the previous one did is that.
class Skipper final : public YAML::EventHandler {
  public:
    int last_pos = -1;
    void OnDocumentStart(const YAML::Mark& mark) override {
        if (mark.pos == last_pos)
            throw ParseStop{at(mark) + ": YAML syntax error: unexpected text after the end of the document"};
        last_pos = mark.pos;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// The expansion: bounded by the budget checked while building (size and height).
Json to_json(const YNode& n) {
    switch (n.kind) {
        case YNode::Null:
            return nullptr;
        case YNode::Scalar:
            return n.plain ? plain_scalar(n.text) : Json(n.text);
        case YNode::Seq: {
            Json arr = Json::array();
            for (const auto& item : n.items) arr.push_back(to_json(*item));
            return arr;
        }
        case YNode::Map: {
            Json obj = Json::object();
            for (size_t i = 0; i + 1 < n.items.size(); i += 2) obj[n.items[i]->text] = to_json(*n.items[i + 1]);
            return obj;
        }
    }
    return nullptr;
}

// go-yaml's reader (reader.go) accepts only well-formed UTF-8 and YAML's printable set:
// tab, LF, CR, 0x20-0x7E, 0x85, 0xA0-0xD7FF, 0xE000-0xFFFD, 0x10000-0x10FFFF. yaml-cpp takes
// any bytes, so the text is checked first; names with stray bytes then never reach a message.
std::string yaml_char_error(std::string_view text) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        const size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > text.size()) return at(line, column) + ": invalid UTF-8";
        uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1Fu) : len == 3 ? (b & 0x0Fu) : (b & 0x07u);
        for (size_t k = 1; k < len; ++k) {
            const auto c = static_cast<unsigned char>(text[i + k]);
            if ((c >> 6) != 0x2) return at(line, column) + ": invalid UTF-8";
            cp = (cp << 6) | (c & 0x3Fu);
        }
        static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len]) return at(line, column) + ": invalid UTF-8 (an overlong sequence)";
        const bool printable = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
                               (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
                               (cp >= 0x10000 && cp <= 0x10FFFF);
        if (!printable) {
            char hex[16];
            std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
            return at(line, column) + ": control character " + hex + " is not allowed in YAML";
        }
        if (cp == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
        i += len;
    }
    return "";
}

ParsedText parse_yaml(std::string_view text) {
    ParsedText out;
    out.error = yaml_char_error(text);
    if (!out.error.empty()) return out;
    try {
        std::istringstream in{std::string(text)};
        YAML::Parser parser(in);
        Builder first;
        if (!parser.HandleNextDocument(first)) {
            out.error = "the manifest is empty";
            return out;
        }
        size_t docs = 1;
        Skipper skip;
        skip.last_pos = first.start_pos;
        while (parser.HandleNextDocument(skip)) ++docs;
        if (docs > 1) {
            out.error = "the manifest holds " + std::to_string(docs) + " YAML documents; podrun runs one Pod per file";
            return out;
        }
        out.doc = first.root ? to_json(*first.root) : Json(nullptr);
    } catch (const YAML::ParserException& e) {
        out.error = at(e.mark) + ": YAML syntax error: " + e.msg;
    } catch (const ParseStop& e) {
        out.error = e.message;
    }
    return out;
}

}  // namespace

ParsedText parse_text(std::string_view text) {
    if (text.size() > kMaxManifestBytes) {
        ParsedText out;
        out.error = "the manifest is larger than " + std::to_string(kMaxManifestBytes) +
                    " bytes (3 MiB), the most podrun reads (the Kubernetes API server's "
                    "default request limit)";
        return out;
    }
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '{') return parse_yaml(text);
    // JSON keys are quoted; a whole-document YAML flow mapping ({apiVersion: v1, ...}) also
    // starts with '{' but its keys usually are not. Everything else stays strict JSON, so a
    // JSON typo gets a JSON error.
    const size_t next = text.find_first_not_of(" \t\r\n", first + 1);
    if (next != std::string_view::npos && text[next] != '"' && text[next] != '}') return parse_yaml(text);
    return parse_json(text);
}

}  // namespace podrun::spec::detail
