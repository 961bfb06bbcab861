// Registry auth, the pure parts: the WWW-Authenticate challenge (RFC 7235 as the
// distribution token spec uses it) and credentials from containers' auth.json / Docker's
// config.json ("auths": {"host": {"auth": base64(user:password)}}).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podrun::image {

struct Challenge {
    std::string scheme;                         // lowercased: "bearer", "basic"
    std::map<std::string, std::string> params;  // realm, service, scope (keys lowercased)
};
std::optional<Challenge> parse_challenge(const std::string& header);

struct Credentials {
    std::string user, password;
};
// The entry of one auth file for domain/path: the longest "host/path" prefix key
// (containers-auth.json allows repository keys), then "host", "https://host", "http://host",
// Docker Hub's legacy "https://index.docker.io/v1/". Identity tokens are not supported.
std::optional<Credentials> credentials_in(const nlohmann::json& cfg, const std::string& domain,
                                          const std::string& path);
// The files podrun reads, in order: $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,
// ~/.docker/config.json (as podman and skopeo do; the first that names the host wins).
std::vector<std::string> auth_files();
std::optional<Credentials> find_credentials(const std::string& domain, const std::string& path);

std::string base64_encode(const std::string& s);
std::optional<std::string> base64_decode(const std::string& s);

}  // namespace podrun::image
