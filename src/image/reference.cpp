// Image references as distribution's reference grammar defines them, normalised as
// Docker's ParseNormalizedNamed does: a first component without '.' or ':' that is not
// "localhost" is a Docker Hub path; Hub names of one component live under library/.
#include "podrun/image/reference.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace podrun::image {

namespace {

constexpr std::string_view kHub = "docker.io";

bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool word(char c) {
    return alnum(c) || c == '_';
}
bool hex_lower(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

[[noreturn]] void fail(const std::string& why) {
    throw ReferenceError("invalid reference format: " + why);
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool path_component(std::string_view c) {
    if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
    for (size_t i = 0; i < c.size();) {
        if (lower_alnum(c[i])) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < c.size() && !lower_alnum(c[j])) ++j;
        std::string_view sep = c.substr(i, j - i);
        bool dashes = std::all_of(sep.begin(), sep.end(), [](char ch) { return ch == '-'; });
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
        i = j;
    }
    return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool domain_component(std::string_view c) {
    if (c.empty() || !alnum(c.front()) || !alnum(c.back())) return false;
    return std::all_of(c.begin(), c.end(), [](char ch) { return alnum(ch) || ch == '-'; });
}

bool valid_domain(std::string_view d) {
    std::string_view host = d, port;
    if (!d.empty() && d.front() == '[') {
        size_t close = d.find(']');
        if (close == std::string_view::npos) return false;
        std::string v6(d.substr(1, close - 1));
        in6_addr a{};
        if (::inet_pton(AF_INET6, v6.c_str(), &a) != 1) return false;
        host = {};
        std::string_view rest = d.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
            if (port.empty()) return false;
        }
    } else if (size_t colon = d.rfind(':'); colon != std::string_view::npos) {
        host = d.substr(0, colon);
        port = d.substr(colon + 1);
        if (port.empty()) return false;
    }
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    if (d.front() == '[') return true;
    if (host.empty()) return false;
    for (size_t s = 0;;) {
        size_t dot = host.find('.', s);
        if (!domain_component(host.substr(s, dot == std::string_view::npos ? std::string_view::npos : dot - s)))
            return false;
        if (dot == std::string_view::npos) return true;
        s = dot + 1;
    }
}

void check_digest(std::string_view d) {
    size_t colon = d.find(':');
    if (colon == std::string_view::npos || colon == 0) fail("digest \"" + std::string(d) + "\" is not algorithm:hex");
    std::string_view algo = d.substr(0, colon);
    if (algo != "sha256") fail("digest algorithm \"" + std::string(algo) + "\" is not supported (only sha256)");
    if (!is_sha256_digest(d)) fail("digest \"" + std::string(d) + "\" is not sha256: and 64 lowercase hex digits");
}

void check_tag(std::string_view t) {
    bool ok = !t.empty() && t.size() <= 128 && word(t.front()) &&
              std::all_of(t.begin(), t.end(), [](char c) { return word(c) || c == '.' || c == '-'; });
    if (!ok) fail("tag \"" + std::string(t) + "\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
}

}  // namespace

bool is_sha256_digest(std::string_view d) {
    return d.size() == 71 && d.substr(0, 7) == "sha256:" && std::all_of(d.begin() + 7, d.end(), hex_lower);
}

Reference parse_reference(std::string_view s) {
    if (s.empty()) fail("empty reference");
    Reference r;
    std::string_view name = s;
    if (size_t at = s.find('@'); at != std::string_view::npos) {
        check_digest(s.substr(at + 1));
        r.digest = std::string(s.substr(at + 1));
        name = s.substr(0, at);
    }
    size_t slash = name.rfind('/');
    size_t colon = name.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        check_tag(name.substr(colon + 1));
        r.tag = std::string(name.substr(colon + 1));
        name = name.substr(0, colon);
    }
    if (name.empty()) fail("no repository name");
    if (name.size() > 255) fail("repository name must not be more than 255 characters");
    if (name.size() == 64 && std::all_of(name.begin(), name.end(), hex_lower)) {
        fail("repository name \"" + std::string(name) + "\" is a 64-digit hexadecimal string (an image ID?)");
    }
    std::string_view remainder = name;
    std::string domain(kHub);
    if (size_t i = name.find('/'); i != std::string_view::npos) {
        std::string_view first = name.substr(0, i);
        bool has_upper = std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
        if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" || has_upper) {
            if (!valid_domain(first)) fail("registry host \"" + std::string(first) + "\" is not host[:port]");
            domain = std::string(first);
            remainder = name.substr(i + 1);
        }
    }
    if (domain == "index.docker.io") domain = std::string(kHub);
    if (std::any_of(remainder.begin(), remainder.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        fail("repository name \"" + std::string(remainder) + "\" must be lowercase");
    }
    for (size_t b = 0;;) {
        size_t e = remainder.find('/', b);
        std::string_view comp = remainder.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
        if (!path_component(comp)) {
            fail("path component \"" + std::string(comp) + "\" of \"" + std::string(remainder) +
                 "\" must be lowercase letters and digits, separated by '.', '_', '__' or dashes");
        }
        if (e == std::string_view::npos) break;
        b = e + 1;
    }
    r.domain = domain;
    r.path = std::string(remainder);
    if (r.domain == kHub && r.path.find('/') == std::string::npos) r.path = "library/" + r.path;
    if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
    return r;
}

std::optional<std::string> reference_problem(std::string_view s) {
    try {
        parse_reference(s);
        return std::nullopt;
    } catch (const ReferenceError& e) {
        return std::string(e.what());
    }
}

std::string Reference::str() const {
    std::string s = repository();
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

std::string Reference::name() const {
    return repository() + (tag.empty() ? "@" + digest : ":" + tag);
}

std::string Reference::registry_host() const {
    return domain == kHub ? "registry-1.docker.io" : domain;
}

std::string domain_host(std::string_view domain) {
    if (!domain.empty() && domain.front() == '[') {
        size_t close = domain.find(']');
        return std::string(domain.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    }
    return std::string(domain.substr(0, domain.rfind(':')));
}

bool is_loopback_domain(std::string_view domain) {
    std::string h = domain_host(domain);
    if (h == "localhost" || h == "::1") return true;
    in_addr a{};
    return ::inet_pton(AF_INET, h.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace podrun::image
