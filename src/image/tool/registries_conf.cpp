// registries.conf, parsed by hand (see registries_conf.hpp).
#include "registries_conf.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace podrun::image {
namespace {

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Removes a comment: '#' outside a string.
std::string strip_comment(const std::string& line) {
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quote) {
            if (c == '\\' && quote == '"')
                ++i;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#') {
            return line.substr(0, i);
        }
    }
    return line;
}

struct Value {
    enum Kind { String, Bool, Array } kind = String;
    std::string s;
    bool b = false;
    std::vector<std::string> items;
};

class Parser {
  public:
    Parser(const std::string& source, int line) : source_(source), line_(line) {}
    [[noreturn]] void fail(const std::string& why) const {
        throw RegistriesConfError(source_ + ":" + std::to_string(line_) + ": " + why);
    }
    std::string string_at(const std::string& v, size_t& i) const {
        const char q = v[i++];
        std::string out;
        while (i < v.size() && v[i] != q) {
            if (q == '"' && v[i] == '\\' && i + 1 < v.size()) {
                char e = v[++i];
                out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
            } else {
                out += v[i];
            }
            ++i;
        }
        if (i >= v.size()) fail("unterminated string");
        ++i;
        return out;
    }
    Value value(const std::string& v) const {
        Value out;
        if (v == "true" || v == "false") {
            out.kind = Value::Bool;
            out.b = v == "true";
            return out;
        }
        size_t i = 0;
        if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
            out.s = string_at(v, i);
            if (!trim(v.substr(i)).empty()) fail("unexpected text after a string: " + v);
            return out;
        }
        if (v.empty() || v[0] != '[') fail("a value podrun reads only as a string, true/false or an array: " + v);
        out.kind = Value::Array;
        i = 1;
        for (;;) {
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) ++i;
            if (i >= v.size()) fail("unterminated array");
            if (v[i] == ']') break;
            if (v[i] != '"' && v[i] != '\'') fail("arrays of strings only: " + v);
            out.items.push_back(string_at(v, i));
        }
        return out;
    }

  private:
    std::string source_;
    int line_;
};

}  // namespace

RegistriesConf parse_registries_conf(const std::string& text, const std::string& source) {
    RegistriesConf conf;
    std::istringstream in(text);
    std::string raw, table;
    int n = 0;
    bool in_registry = false;
    std::set<std::string> warned_tables;
    RegistryEntry cur;
    std::string cur_location, cur_prefix;
    auto finish = [&] {
        if (!in_registry) return;
        cur.prefix = cur_prefix.empty() ? cur_location : cur_prefix;
        if (cur.prefix.empty()) throw RegistriesConfError(source + ": a [[registry]] without location or prefix");
        conf.registries.push_back(cur);
        in_registry = false;
    };
    while (std::getline(in, raw)) {
        ++n;
        std::string line = trim(strip_comment(raw));
        // An array may span lines: join until its closing bracket.
        const int first_line = n;
        while (line.find('=') != std::string::npos && line.find('[', line.find('=')) != std::string::npos &&
               line.find(']', line.find('[', line.find('='))) == std::string::npos) {
            std::string more;
            if (!std::getline(in, more)) break;
            ++n;
            line += " " + trim(strip_comment(more));
        }
        Parser p(source, first_line);
        if (line.empty()) continue;
        if (line.rfind("[[", 0) == 0) {
            if (line.size() < 4 || line.compare(line.size() - 2, 2, "]]") != 0) p.fail("bad table header " + line);
            finish();
            table = trim(line.substr(2, line.size() - 4));
            if (table == "registry") {
                in_registry = true;
                cur = {};
                cur_location.clear();
                cur_prefix.clear();
            } else if (table == "registry.mirror") {
                conf.warnings.push_back(
                    source + ":" + std::to_string(first_line) +
                    ": [[registry.mirror]] is not supported by podrun (the registry itself is used)");
            } else {
                conf.warnings.push_back(source + ":" + std::to_string(first_line) + ": [[" + table +
                                        "]] is not read by podrun");
            }
            continue;
        }
        if (line[0] == '[') {
            if (line.back() != ']') p.fail("bad table header " + line);
            finish();
            table = trim(line.substr(1, line.size() - 2));
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string::npos) p.fail("expected key = value: " + line);
        std::string key = trim(line.substr(0, eq));
        if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'')) key = key.substr(1, key.size() - 2);
        Value v = p.value(trim(line.substr(eq + 1)));
        auto want = [&](Value::Kind k, const char* what) {
            if (v.kind != k) p.fail(key + " must be " + what);
        };
        if (table == "registry" && in_registry) {
            if (key == "location") {
                want(Value::String, "a string");
                cur_location = v.s;
            } else if (key == "prefix") {
                want(Value::String, "a string");
                cur_prefix = v.s;
            } else if (key == "insecure") {
                want(Value::Bool, "true or false");
                cur.insecure = v.b;
            } else if (key == "blocked") {
                want(Value::Bool, "true or false");
                cur.blocked = v.b;
            } else {
                conf.warnings.push_back(source + ":" + std::to_string(first_line) + ": [[registry]] " + key +
                                        " is not used by podrun");
            }
        } else if (table == "registries.insecure" || table == "registries.block") {
            // Version 1 of the format: lists of hosts.
            if (key != "registries") {
                conf.warnings.push_back(source + ":" + std::to_string(first_line) + ": [" + table + "] " + key +
                                        " is not used by podrun");
                continue;
            }
            want(Value::Array, "an array of strings");
            for (const auto& h : v.items) {
                RegistryEntry e;
                e.prefix = h;
                e.insecure = table == "registries.insecure";
                e.blocked = table == "registries.block";
                conf.registries.push_back(e);
            }
        } else if (table.empty()) {
            // unqualified-search-registries, short-name-mode, credential-helpers...: podrun
            // normalises short names as Docker does (docs/images.md).
            conf.notes.push_back(source + ":" + std::to_string(first_line) + ": " + key + " is not used by podrun");
        } else if (warned_tables.insert(table).second && table != "registry.mirror") {
            // [aliases] and the like: one note for the table, not one per entry.
            conf.notes.push_back(source + ":" + std::to_string(first_line) + ": [" + table + "] is not used by podrun");
        }
    }
    finish();
    return conf;
}

RegistriesConf load_registries_conf() {
    RegistriesConf all;
    std::vector<std::string> files;
    if (const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF"); env && *env) {
        files.push_back(env);
    } else {
        files.push_back("/etc/containers/registries.conf");
        std::vector<std::string> dropins;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/etc/containers/registries.conf.d", ec)) {
            if (e.path().extension() == ".conf") dropins.push_back(e.path().string());
        }
        std::sort(dropins.begin(), dropins.end());
        files.insert(files.end(), dropins.begin(), dropins.end());
    }
    for (const auto& f : files) {
        std::ifstream in(f);
        if (!in) continue;
        std::stringstream ss;
        ss << in.rdbuf();
        RegistriesConf one = parse_registries_conf(ss.str(), f);
        for (auto& e : one.registries) {
            // A later file's entry for the same prefix replaces the earlier one.
            all.registries.erase(std::remove_if(all.registries.begin(), all.registries.end(),
                                                [&](const RegistryEntry& o) { return o.prefix == e.prefix; }),
                                 all.registries.end());
            all.registries.push_back(e);
        }
        all.warnings.insert(all.warnings.end(), one.warnings.begin(), one.warnings.end());
        all.notes.insert(all.notes.end(), one.notes.begin(), one.notes.end());
    }
    return all;
}

const RegistryEntry* registry_entry(const RegistriesConf& conf, const std::string& domain, const std::string& path) {
    const std::string ref = domain + "/" + path;
    const RegistryEntry* best = nullptr;
    size_t best_len = 0;
    for (const auto& e : conf.registries) {
        const std::string& p = e.prefix;
        size_t len = 0;
        if (p.rfind("*.", 0) == 0) {
            // "*.example.com" matches the subdomains of example.com (the host part only).
            const std::string host = domain.substr(0, domain.find(':'));
            const std::string suffix = p.substr(1);
            if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0)
                continue;
            len = p.size();
        } else {
            if (ref.compare(0, p.size(), p) != 0) continue;
            // At a boundary: "reg.io" must not match "reg.io.evil/x", nor "reg/ab" "reg/abc".
            if (ref.size() > p.size() && ref[p.size()] != '/' && ref[p.size()] != ':' && ref[p.size()] != '@') continue;
            len = p.size() + 1;  // an exact prefix beats a wildcard of the same length
        }
        if (len > best_len) {
            best = &e;
            best_len = len;
        }
    }
    return best;
}

}  // namespace podrun::image
