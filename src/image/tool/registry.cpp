// The registry client: one curl easy handle per request, the token flow of the
// distribution spec (docs/images.md), retries with exponential back-off.
#include "registry.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::image {

namespace {

constexpr int kAttempts = 4;
constexpr size_t kMaxManifest = 4 << 20;

const char* kAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

void curl_global() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

std::string url_escape(const std::string& s) {
    std::string out;
    static constexpr char hex[] = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The registry's error document, if it sent one: "MANIFEST_UNKNOWN: manifest unknown".
std::string registry_errors(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    std::string out;
    if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
        for (const auto& e : j["errors"]) {
            if (!e.is_object()) continue;
            out += (out.empty() ? "" : "; ") + e.value("code", std::string("?")) + ": " +
                   e.value("message", std::string());
        }
    }
    return out;
}

}  // namespace

struct Registry::Response {
    int status = 0;
    CURLcode code = CURLE_OK;
    std::string error;                           // curl's message for a transport error
    std::map<std::string, std::string> headers;  // lowercased names, of the last response
    std::string error_body;                      // body of a non-2xx response (capped)
    std::string url;
};

Registry::Registry(std::string domain, std::string path, RegistryOptions opts)
    : domain_(std::move(domain)), path_(std::move(path)), opts_(std::move(opts)) {
    curl_global();
    bool insecure = false;
    for (const auto& h : opts_.insecure) insecure = insecure || h == domain_ || h == domain_host(domain_);
    // Docker talks plain HTTP to registries on loopback; --insecure-registry hosts get
    // HTTPS without verification first, then HTTP (Registry::request falls back).
    if (is_loopback_domain(domain_)) {
        base_ = "http://" + domain_;
    } else {
        base_ = "https://" + (domain_ == "docker.io" ? std::string("registry-1.docker.io") : domain_);
        verify_tls_ = !insecure;
    }
    creds_ = find_credentials(domain_, path_);
}

Registry::Response Registry::request(const std::string& url_in, const std::vector<std::string>& headers,
                                     const std::function<bool(const char*, size_t)>& sink,
                                     const std::function<void()>& restart) {
    std::string url = url_in;
    bool reauthed = false;
    for (int attempt = 1;; ++attempt) {
        Response r;
        r.url = url;
        if (restart) restart();
        CURL* h = curl_easy_init();
        if (!h) throw RegistryError("curl_easy_init failed", 0);
        curl_slist* hl = nullptr;
        for (const auto& x : headers) hl = curl_slist_append(hl, x.c_str());
        std::string auth;
        {
            std::lock_guard<std::mutex> g(mu_);
            if (!auth_header_.empty() && token_expiry_ms_ && sys::monotonic_ms() > token_expiry_ms_)
                auth_header_.clear();
            auth = auth_header_;
        }
        if (!auth.empty()) hl = curl_slist_append(hl, auth.c_str());
        struct Ctx {
            Response* r;
            const std::function<bool(const char*, size_t)>* sink;
            CURL* h;
        } ctx{&r, &sink, h};
        auto on_header = +[](char* b, size_t sz, size_t n, void* p) -> size_t {
            auto* c = static_cast<Ctx*>(p);
            std::string line(b, sz * n);
            if (line.rfind("HTTP/", 0) == 0) c->r->headers.clear();  // a new response (redirects)
            size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string v = line.substr(colon + 1);
                while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
                while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
                c->r->headers[lower(line.substr(0, colon))] = v;
            }
            return sz * n;
        };
        auto on_data = +[](char* b, size_t sz, size_t n, void* p) -> size_t {
            auto* c = static_cast<Ctx*>(p);
            long st = 0;
            curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &st);
            if (st < 200 || st >= 300) {
                if (c->r->error_body.size() < 65536) c->r->error_body.append(b, sz * n);
                return sz * n;
            }
            return (*c->sink)(b, sz * n) ? sz * n : 0;
        };
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &ctx);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &ctx);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
        // A stalled transfer (under 1 byte/s for 30 s) is a transport error, then retried.
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "podrun/" PODRUN_VERSION);
        if (!verify_tls_) {
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        r.code = curl_easy_perform(h);
        long st = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        r.status = static_cast<int>(st);
        if (r.code != CURLE_OK) r.error = curl_easy_strerror(r.code);
        curl_slist_free_all(hl);
        curl_easy_cleanup(h);
        if (opts_.explain) {
            opts_.explain("GET " + url + " -> " + (r.code == CURLE_OK ? std::to_string(r.status) : r.error));
        }
        // An --insecure-registry host that does not speak TLS: plain HTTP, as Docker.
        if (!verify_tls_ && base_.rfind("https://", 0) == 0 &&
            (r.code == CURLE_SSL_CONNECT_ERROR || r.code == CURLE_COULDNT_CONNECT)) {
            std::string old = base_;
            base_ = "http://" + domain_;
            if (url.rfind(old, 0) == 0) url = base_ + url.substr(old.size());
            continue;
        }
        if (r.code == CURLE_WRITE_ERROR) return r;  // the sink refused: not a network problem
        if (r.code == CURLE_OK && r.status == 401 && !reauthed) {
            reauthed = true;
            if (auto a = authorize(r)) {
                std::lock_guard<std::mutex> g(mu_);
                auth_header_ = *a;
                --attempt;
                continue;
            }
            return r;
        }
        bool transient = r.code != CURLE_OK ? r.code != CURLE_URL_MALFORMAT && r.code != CURLE_UNSUPPORTED_PROTOCOL
                                            : r.status == 429 || r.status >= 500;
        if (!transient || attempt >= kAttempts) return r;
        int delay_ms = 250 << (attempt - 1);
        if (auto ra = r.headers.find("retry-after"); ra != r.headers.end()) {
            int s = std::atoi(ra->second.c_str());
            if (s > 0 && s <= 30) delay_ms = s * 1000;
        }
        if (opts_.explain)
            opts_.explain("retry in " + std::to_string(delay_ms) + " ms (attempt " + std::to_string(attempt + 1) + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
}

std::optional<std::string> Registry::authorize(const Response& r) {
    auto it = r.headers.find("www-authenticate");
    if (it == r.headers.end()) return std::nullopt;
    auto c = parse_challenge(it->second);
    if (!c) return std::nullopt;
    if (c->scheme == "basic") {
        if (!creds_) return std::nullopt;
        return "Authorization: Basic " + base64_encode(creds_->user + ":" + creds_->password);
    }
    if (c->scheme != "bearer") return std::nullopt;
    return "Authorization: Bearer " + fetch_token(*c);
}

// The token endpoint of the challenge: GET realm?service=...&scope=..., with basic
// credentials when the auth files have some, anonymous otherwise.
std::string Registry::fetch_token(const Challenge& c) {
    auto realm = c.params.find("realm");
    if (realm == c.params.end()) throw RegistryError(domain_ + ": a Bearer challenge without a realm", 401);
    std::string url = realm->second;
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        throw RegistryError(domain_ + ": token realm \"" + url + "\" is not an http(s) URL", 401);
    }
    std::string q;
    if (auto s = c.params.find("service"); s != c.params.end()) q += "service=" + url_escape(s->second);
    auto scope = c.params.find("scope");
    q += std::string(q.empty() ? "" : "&") +
         "scope=" + url_escape(scope != c.params.end() ? scope->second : "repository:" + path_ + ":pull");
    url += (url.find('?') == std::string::npos ? "?" : "&") + q;
    std::string body;
    std::vector<std::string> hdr;
    if (creds_) hdr.push_back("Authorization: Basic " + base64_encode(creds_->user + ":" + creds_->password));
    CURL* h = curl_easy_init();
    if (!h) throw RegistryError("curl_easy_init failed", 0);
    curl_slist* hl = nullptr;
    for (const auto& x : hdr) hl = curl_slist_append(hl, x.c_str());
    auto on_data = +[](char* b, size_t sz, size_t n, void* p) -> size_t {
        auto* s = static_cast<std::string*>(p);
        if (s->size() > 1 << 20) return 0;
        s->append(b, sz * n);
        return sz * n;
    };
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    if (!verify_tls_) curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    CURLcode code = curl_easy_perform(h);
    long st = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    if (opts_.explain)
        opts_.explain("GET " + url + " (token) -> " +
                      (code == CURLE_OK ? std::to_string(st) : curl_easy_strerror(code)));
    if (code != CURLE_OK) throw RegistryError("token from " + realm->second + ": " + curl_easy_strerror(code), 0);
    if (st != 200) {
        throw RegistryError("token from " + realm->second + ": HTTP " + std::to_string(st) +
                                (creds_ ? " (with the credentials of the auth files)"
                                        : " (anonymous; no credentials in the auth files)"),
                            static_cast<int>(st));
    }
    auto j = nlohmann::json::parse(body, nullptr, false);
    std::string tok;
    if (j.is_object()) {
        if (j.contains("token") && j["token"].is_string()) tok = j["token"].get<std::string>();
        if (tok.empty() && j.contains("access_token") && j["access_token"].is_string())
            tok = j["access_token"].get<std::string>();
    }
    if (tok.empty()) throw RegistryError("token from " + realm->second + ": no token or access_token in the answer", 0);
    // expires_in defaults to 60 s (distribution token spec); refresh 5 s early.
    int64_t expires = 60;
    if (j.contains("expires_in") && j["expires_in"].is_number_integer())
        expires = std::max<int64_t>(j["expires_in"].get<int64_t>(), 10);
    std::lock_guard<std::mutex> g(mu_);
    token_expiry_ms_ = sys::monotonic_ms() + (expires - 5) * 1000;
    return tok;
}

Registry::Fetched Registry::manifest(const std::string& reference) {
    std::string body;
    auto r = request(
        base_ + "/v2/" + path_ + "/manifests/" + reference, {kAccept},
        [&](const char* b, size_t n) {
            if (body.size() + n > kMaxManifest) return false;
            body.append(b, n);
            return true;
        },
        [&] { body.clear(); });
    std::string what = domain_ + "/" + path_ + (reference.rfind("sha256:", 0) == 0 ? "@" : ":") + reference;
    if (r.code == CURLE_WRITE_ERROR) throw RegistryError("manifest of " + what + " is larger than 4 MiB", 0);
    if (r.code != CURLE_OK) throw RegistryError(what + ": " + r.url + ": " + r.error, 0);
    if (r.status == 404) {
        throw RegistryError(what + ": not found in the registry (" +
                                (registry_errors(r.error_body).empty() ? "HTTP 404" : registry_errors(r.error_body)) +
                                ")",
                            404);
    }
    if (r.status == 401 || r.status == 403) {
        throw RegistryError(what + ": access denied (HTTP " + std::to_string(r.status) + ")" +
                                (creds_ ? "" : "; no credentials for " + domain_ + " in the auth files"),
                            r.status);
    }
    if (r.status != 200) {
        std::string e = registry_errors(r.error_body);
        throw RegistryError(what + ": HTTP " + std::to_string(r.status) + (e.empty() ? "" : " (" + e + ")"), r.status);
    }
    Fetched f;
    f.body = std::move(body);
    f.digest = sha256_digest(f.body);
    auto ct = r.headers.find("content-type");
    f.media_type = ct != r.headers.end() ? ct->second.substr(0, ct->second.find(';')) : "";
    if (!manifest_kind(f.media_type)) f.media_type = declared_media_type(f.body);
    if (reference.rfind("sha256:", 0) == 0 && f.digest != reference) {
        throw DigestError("manifest " + what + ": the registry sent content whose digest is " + f.digest);
    }
    if (opts_.explain) opts_.explain("manifest " + what + " is " + f.media_type + ", digest " + f.digest);
    return f;
}

void Registry::blob(const Descriptor& d, int fd, const std::function<void(int64_t)>& progress) {
    Sha256 hash;
    int64_t got = 0;
    std::string werr;
    auto r = request(
        base_ + "/v2/" + path_ + "/blobs/" + d.digest, {},
        [&](const char* b, size_t n) {
            if (got + static_cast<int64_t>(n) > d.size) {
                werr = "more bytes than its declared size " + std::to_string(d.size);
                return false;
            }
            hash.update(b, n);
            try {
                sys::write_all(fd, std::string(b, n));
            } catch (const std::exception& e) {
                werr = e.what();
                return false;
            }
            got += static_cast<int64_t>(n);
            if (progress) progress(got);
            return true;
        },
        [&] {
            hash = Sha256();
            got = 0;
            if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) werr = "truncate the partial download";
        });
    std::string what = "blob " + d.digest + " of " + domain_ + "/" + path_;
    if (r.code == CURLE_WRITE_ERROR) {
        if (werr.find("declared size") != std::string::npos) throw DigestError(what + ": the registry sent " + werr);
        throw RegistryError(what + ": " + werr, 0);
    }
    if (r.code != CURLE_OK) throw RegistryError(what + ": " + r.error, 0);
    if (r.status != 200) {
        std::string e = registry_errors(r.error_body);
        throw RegistryError(what + ": HTTP " + std::to_string(r.status) + (e.empty() ? "" : " (" + e + ")"), r.status);
    }
    std::string actual = hash.digest();
    if (actual != d.digest)
        throw DigestError(what + ": the registry sent content whose digest is " + actual + "; nothing stored");
    if (got != d.size)
        throw DigestError(what + ": " + std::to_string(got) + " bytes, the manifest says " + std::to_string(d.size));
    if (opts_.explain) opts_.explain(what + ": " + std::to_string(got) + " bytes, digest verified");
}

}  // namespace podrun::image
