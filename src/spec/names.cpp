// Name syntaxes as Kubernetes validates them, and edit-distance suggestions.
#include "names.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace podrun::spec::detail {
namespace {

// Kubernetes' name patterns, matched by hand: compiling regular expressions took longer at
// each start than the whole validation of a pod (bench/RESULTS.md).
bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool any_alnum(char c) {
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label(std::string_view s) {
    if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

// label(.label)*
bool is_subdomain(std::string_view s) {
    for (;;) {
        const size_t dot = s.find('.');
        if (!is_label(s.substr(0, dot))) return false;
        if (dot == std::string_view::npos) return true;
        s.remove_prefix(dot + 1);
    }
}

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?
bool is_qualified_part(std::string_view s) {
    if (s.empty() || !any_alnum(s.front()) || !any_alnum(s.back())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return any_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t subst = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace

std::string check_dns1123_label(std::string_view s) {
    if (s.empty()) return "must not be empty";
    if (s.size() > 63) return "must be at most 63 characters";
    if (!is_label(s))
        return "must be a DNS-1123 label: lowercase letters, digits and '-', starting and "
               "ending with a letter or digit (e.g. \"my-name\")";
    return {};
}

std::string check_dns1123_subdomain(std::string_view s) {
    if (s.empty()) return "must not be empty";
    if (s.size() > 253) return "must be at most 253 characters";
    if (!is_subdomain(s))
        return "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting "
               "and ending with a letter or digit (e.g. \"example.com\")";
    return {};
}

std::string check_qualified_name(std::string_view s) {
    std::string_view name = s;
    const size_t slash = s.find('/');
    if (slash != std::string_view::npos) {
        std::string_view prefix = s.substr(0, slash);
        name = s.substr(slash + 1);
        if (prefix.empty()) return "the prefix before '/' must not be empty";
        if (std::string why = check_dns1123_subdomain(prefix); !why.empty())
            return "prefix \"" + std::string(prefix) + "\" " + why;
    }
    if (name.empty()) return "the name part must not be empty";
    if (name.size() > 63) return "the name part must be at most 63 characters";
    if (!is_qualified_part(name))
        return "must be a qualified name: an optional DNS subdomain prefix and '/', then "
               "letters, digits, '-', '_' or '.', starting and ending with a letter or digit "
               "(e.g. \"app\" or \"example.com/app\")";
    return {};
}

std::string check_label_value(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > 63) return "a label value must be at most 63 characters";
    if (!is_qualified_part(s))
        return "a label value must be letters, digits, '-', '_' or '.', starting and ending "
               "with a letter or digit";
    return {};
}

std::string check_iana_svc_name(std::string_view s) {
    if (s.size() > 15) return "a port name must be at most 15 characters";
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; }))
        return "a port name may only hold lowercase letters, digits and '-'";
    if (std::none_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
        return "a port name must contain at least one letter";
    if (s.find("--") != std::string_view::npos) return "a port name must not contain \"--\"";
    if (s.front() == '-' || s.back() == '-') return "a port name must not begin or end with '-'";
    return {};
}

// Kubernetes' relaxed rule (default since 1.32): printable ASCII except '='.
std::string check_env_var_name(std::string_view s) {
    if (s.empty()) return "must not be empty";
    for (char c : s) {
        if (c == '=') return "must not contain '='";
        if (c < 32 || c > 126) return "must consist of printable ASCII characters";
    }
    return {};
}

// Kubernetes' IsHTTPHeaderName: letters, digits and '-' (a subset of RFC 9110's token that
// Go's HTTP library, and so the kubelet, accepts).
std::string check_http_header_name(std::string_view s) {
    if (s.empty()) return "must not be empty";
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
            return "an HTTP header name may only hold letters, digits and '-'";
    return {};
}

bool is_ip_address(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string closest(std::string_view name, std::span<const std::string_view> candidates) {
    std::string_view best;
    size_t best_d = static_cast<size_t>(-1);
    for (std::string_view c : candidates) {
        const size_t d = edit_distance(name, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    // Beyond this, the "suggestion" would be a random field and only confuse.
    const size_t limit = std::max<size_t>(2, name.size() / 3);
    return best_d <= limit ? std::string(best) : std::string();
}

}  // namespace podrun::spec::detail
