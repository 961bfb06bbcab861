// Challenges and credential files for registry auth.
#include "auth.hpp"

#include <cstdlib>
#include <cstring>

#include "podrun/sys/files.hpp"

namespace podrun::image {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::optional<Challenge> parse_challenge(const std::string& h) {
    size_t i = 0;
    auto skip_ws = [&] {
        while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
    };
    skip_ws();
    size_t s = i;
    while (i < h.size() && h[i] != ' ') ++i;
    if (i == s) return std::nullopt;
    Challenge c;
    c.scheme = lower(h.substr(s, i - s));
    while (i < h.size()) {
        skip_ws();
        size_t k = i;
        while (i < h.size() && h[i] != '=' && h[i] != ',') ++i;
        std::string key = lower(h.substr(k, i - k));
        if (i >= h.size() || h[i] != '=') {
            ++i;
            continue;
        }
        ++i;
        std::string val;
        if (i < h.size() && h[i] == '"') {
            for (++i; i < h.size() && h[i] != '"'; ++i) {
                if (h[i] == '\\' && i + 1 < h.size()) ++i;
                val += h[i];
            }
            ++i;
        } else {
            while (i < h.size() && h[i] != ',') val += h[i++];
        }
        if (!key.empty()) c.params[key] = val;
        while (i < h.size() && h[i] != ',') ++i;
        ++i;
    }
    return c;
}

std::string base64_encode(const std::string& s) {
    std::string out;
    size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        unsigned v = (unsigned(uint8_t(s[i])) << 16) | (unsigned(uint8_t(s[i + 1])) << 8) | uint8_t(s[i + 2]);
        out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
    }
    if (i + 1 == s.size()) {
        unsigned v = unsigned(uint8_t(s[i])) << 16;
        out += {kB64[v >> 18], kB64[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == s.size()) {
        unsigned v = (unsigned(uint8_t(s[i])) << 16) | (unsigned(uint8_t(s[i + 1])) << 8);
        out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], '='};
    }
    return out;
}

std::optional<std::string> base64_decode(const std::string& s) {
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : s) {
        if (c == '=') break;
        const char* p = std::strchr(kB64, c);
        if (!p || c == '\0') return std::nullopt;
        buf = (buf << 6) | unsigned(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((buf >> bits) & 0xff);
        }
    }
    return out;
}

std::optional<Credentials> credentials_in(const nlohmann::json& cfg, const std::string& domain,
                                          const std::string& path) {
    if (!cfg.is_object() || !cfg.contains("auths") || !cfg["auths"].is_object()) return std::nullopt;
    const auto& auths = cfg["auths"];
    std::vector<std::string> keys;
    // Repository-scoped keys first, longest first: host/a/b, host/a.
    for (std::string p = path; !p.empty();) {
        keys.push_back(domain + "/" + p);
        size_t slash = p.rfind('/');
        p = slash == std::string::npos ? "" : p.substr(0, slash);
    }
    for (const std::string& d :
         {domain, std::string("https://") + domain, std::string("http://") + domain,
          std::string("https://") + domain + "/v1/", std::string("https://") + domain + "/v2/"}) {
        keys.push_back(d);
    }
    if (domain == "docker.io") {
        keys.push_back("https://index.docker.io/v1/");
        keys.push_back("index.docker.io");
        keys.push_back("registry-1.docker.io");
    }
    for (const auto& k : keys) {
        auto it = auths.find(k);
        if (it == auths.end() || !it->is_object()) continue;
        auto a = it->find("auth");
        if (a == it->end() || !a->is_string()) continue;
        auto dec = base64_decode(a->get<std::string>());
        if (!dec) continue;
        size_t colon = dec->find(':');
        if (colon == std::string::npos) continue;
        return Credentials{dec->substr(0, colon), dec->substr(colon + 1)};
    }
    return std::nullopt;
}

std::vector<std::string> auth_files() {
    std::vector<std::string> out;
    if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) out.push_back(f);
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x)
        out.push_back(std::string(x) + "/containers/auth.json");
    if (const char* h = std::getenv("HOME"); h && *h) out.push_back(std::string(h) + "/.docker/config.json");
    return out;
}

std::optional<Credentials> find_credentials(const std::string& domain, const std::string& path) {
    for (const auto& f : auth_files()) {
        auto text = sys::try_read_file(f);
        if (!text) continue;
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (auto c = credentials_in(j, domain, path)) return c;
    }
    return std::nullopt;
}

}  // namespace podrun::image
