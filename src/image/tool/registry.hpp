// A registry client (OCI distribution spec) on libcurl: manifests and blobs of one
// repository, the bearer-token and basic auth flows, retries with back-off on 429/5xx and
// network errors, redirects followed. Thread-safe: each request has its own easy handle;
// the token cache is shared under a mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth.hpp"
#include "errors.hpp"
#include "podrun/image/manifest.hpp"
#include "podrun/image/reference.hpp"

namespace podrun::image {

struct RegistryError : std::runtime_error {
    int status = 0;  // HTTP status, 0 for a transport error
    RegistryError(const std::string& what, int st) : std::runtime_error(what), status(st) {}
};

struct RegistryOptions {
    std::vector<std::string> insecure;                // hosts (host[:port]) spoken to over http, or https unverified
    std::function<void(const std::string&)> explain;  // each request, each check
};

class Registry {
  public:
    Registry(std::string domain, std::string path, RegistryOptions opts);

    struct Fetched {
        std::string body, media_type, digest;
    };
    // GET /v2/<path>/manifests/<reference> accepting the four manifest types; checked
    // against the reference when it is a digest. At most 4 MiB, as containerd.
    Fetched manifest(const std::string& reference);
    // GET /v2/<path>/blobs/<digest> into fd (truncated first, and again on a retry), hashed
    // while it streams; DigestError on a mismatch or a wrong size. progress(bytes so far).
    void blob(const Descriptor& d, int fd, const std::function<void(int64_t)>& progress);
    // "http://host" or "https://host": where the API lives.
    const std::string& base() const { return base_; }

  private:
    struct Response;
    Response request(const std::string& url, const std::vector<std::string>& headers,
                     const std::function<bool(const char*, size_t)>& sink, const std::function<void()>& restart);
    std::optional<std::string> authorize(const Response& r);
    std::string fetch_token(const Challenge& c);

    std::string domain_, path_, base_;
    bool verify_tls_ = true;
    RegistryOptions opts_;
    std::optional<Credentials> creds_;
    std::mutex mu_;
    std::string auth_header_;  // "Authorization: Bearer ..." once obtained
    int64_t token_expiry_ms_ = 0;
};

}  // namespace podrun::image
