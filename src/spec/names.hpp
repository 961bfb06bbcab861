// Kubernetes name syntaxes (apimachinery/pkg/util/validation) and the closest-name helper.
// Each check returns "" when `s` is valid, else a short explanation for the message.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace podrun::spec::detail {

std::string check_dns1123_label(std::string_view s);      // <= 63, [a-z0-9]([-a-z0-9]*[a-z0-9])?
std::string check_dns1123_subdomain(std::string_view s);  // <= 253, labels joined by '.'
std::string check_qualified_name(std::string_view s);     // [prefix/]name, label/annotation keys
std::string check_label_value(std::string_view s);
std::string check_iana_svc_name(std::string_view s);  // port names
std::string check_env_var_name(std::string_view s);
std::string check_http_header_name(std::string_view s);  // probe/hook httpHeaders[].name
bool is_ip_address(const std::string& s);

// The candidate closest to `name` (case-insensitive edit distance), or "" if none is close.
std::string closest(std::string_view name, std::span<const std::string_view> candidates);

}  // namespace podrun::spec::detail
