// HTTPS and gRPC probes with libcurl (see probe.hpp). Both follow the kubelet: an HTTPS
// probe does not verify the certificate (the kubelet sets InsecureSkipVerify), counts
// 200 <= status < 400 as success and does not follow redirects (a 3xx is a success, as the
// kubelet ends up treating a redirect off the pod); a gRPC probe calls
// grpc.health.v1.Health/Check over HTTP/2 cleartext and succeeds only on SERVING.
#include "probe.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace podrun::image {

std::string grpc_health_request(const std::string& service) {
    // HealthCheckRequest { string service = 1; }: tag 0x0a, a varint length, the bytes.
    std::string msg;
    if (!service.empty()) {
        msg.push_back('\x0a');
        for (size_t n = service.size();; n >>= 7) {
            if (n < 0x80) {
                msg.push_back(static_cast<char>(n));
                break;
            }
            msg.push_back(static_cast<char>((n & 0x7f) | 0x80));
        }
        msg += service;
    }
    std::string framed(5, '\0');
    const uint32_t len = static_cast<uint32_t>(msg.size());
    framed[1] = static_cast<char>(len >> 24);
    framed[2] = static_cast<char>(len >> 16);
    framed[3] = static_cast<char>(len >> 8);
    framed[4] = static_cast<char>(len);
    return framed + msg;
}

int grpc_health_status(const std::string& framed) {
    if (framed.size() < 5 || framed[0] != 0) return -1;  // compressed or no frame
    const auto b = [&](size_t i) { return static_cast<uint8_t>(framed[i]); };
    const size_t len = (size_t{b(1)} << 24) | (size_t{b(2)} << 16) | (size_t{b(3)} << 8) | b(4);
    if (framed.size() < 5 + len) return -1;
    // HealthCheckResponse { ServingStatus status = 1; }: tag 0x08 then a varint. An empty
    // message is status 0 (proto3 leaves defaults out); unknown fields are skipped.
    int status = 0;
    for (size_t i = 5; i < 5 + len;) {
        const uint8_t tag = b(i++);
        uint64_t v = 0;
        int shift = 0;
        if ((tag & 7) == 0) {  // varint
            for (;;) {
                if (i >= 5 + len || shift > 63) return -1;
                const uint8_t c = b(i++);
                v |= uint64_t{c & 0x7fu} << shift;
                shift += 7;
                if (!(c & 0x80)) break;
            }
            if (tag == 0x08) status = static_cast<int>(v);
        } else if ((tag & 7) == 2) {  // length-delimited
            for (;;) {
                if (i >= 5 + len || shift > 63) return -1;
                const uint8_t c = b(i++);
                v |= uint64_t{c & 0x7fu} << shift;
                shift += 7;
                if (!(c & 0x80)) break;
            }
            if (v > 5 + len - i) return -1;
            i += v;
        } else {
            return -1;
        }
    }
    return status;
}

namespace {

const char* status_name(int s) {
    switch (s) {
        case 0:
            return "UNKNOWN";
        case 1:
            return "SERVING";
        case 2:
            return "NOT_SERVING";
        case 3:
            return "SERVICE_UNKNOWN";
        default:
            return "an unknown status";
    }
}

struct Reply {
    std::string body;
    std::string grpc_status, grpc_message;
};

size_t on_body(char* p, size_t size, size_t n, void* u) {
    auto* r = static_cast<Reply*>(u);
    if (r->body.size() < 65536) r->body.append(p, size * n);
    return size * n;
}

// Headers and, for HTTP/2, trailers: gRPC's status comes in either.
size_t on_header(char* p, size_t size, size_t n, void* u) {
    auto* r = static_cast<Reply*>(u);
    std::string line(p, size * n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "grpc-status") r->grpc_status = value;
        if (name == "grpc-message") r->grpc_message = value;
    }
    return size * n;
}

int fail(const std::string& why) {
    std::printf("%s\n", why.c_str());
    return 1;
}

struct Easy {
    CURL* h = curl_easy_init();
    curl_slist* headers = nullptr;
    ~Easy() {
        curl_slist_free_all(headers);
        if (h) curl_easy_cleanup(h);
    }
};

CURLcode perform(Easy& e, Reply& r, const std::string& url, long timeout_ms) {
    curl_easy_setopt(e.h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e.h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(e.h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e.h, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(e.h, CURLOPT_NOPROXY, "*");  // a probe goes to the pod, never a proxy
    curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
    return curl_easy_perform(e.h);
}

int probe_https(const std::string& url, long timeout_ms, const std::vector<std::string>& headers) {
    Easy e;
    if (!e.h) return fail("curl_easy_init failed");
    for (const auto& h : headers) e.headers = curl_slist_append(e.headers, h.c_str());
    curl_easy_setopt(e.h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e.h, CURLOPT_SSL_VERIFYHOST, 0L);
    Reply r;
    if (CURLcode rc = perform(e, r, url, timeout_ms); rc != CURLE_OK) return fail(curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 400) return 0;
    return fail("HTTP status " + std::to_string(code));
}

int probe_grpc(const std::string& host, const std::string& port, const std::string& service, long timeout_ms) {
    Easy e;
    if (!e.h) return fail("curl_easy_init failed");
    const std::string body = grpc_health_request(service);
    for (const char* h : {"Content-Type: application/grpc", "TE: trailers", "User-Agent: kube-probe/podrun"})
        e.headers = curl_slist_append(e.headers, h);
    curl_easy_setopt(e.h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
    curl_easy_setopt(e.h, CURLOPT_POST, 1L);
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(e.h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    Reply r;
    if (CURLcode rc = perform(e, r, "http://" + h + ":" + port + "/grpc.health.v1.Health/Check", timeout_ms);
        rc != CURLE_OK)
        return fail(std::string("failed to connect service \"") + h + ":" + port + "\": " + curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) return fail("HTTP status " + std::to_string(code) + " (not a gRPC server?)");
    if (!r.grpc_status.empty() && r.grpc_status != "0")
        return fail("health rpc failed with grpc-status " + r.grpc_status +
                    (r.grpc_message.empty() ? "" : ": " + r.grpc_message));
    const int s = grpc_health_status(r.body);
    if (s < 0) return fail("malformed HealthCheckResponse");
    if (s != 1) return fail(std::string("service unhealthy (responded with \"") + status_name(s) + "\")");
    return 0;
}

long number(const char* s) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    return end && *end == '\0' && v > 0 ? v : -1;
}

}  // namespace

int probe_main(int argc, char** argv) {
    const std::string kind = argc > 2 ? argv[2] : "";
    if (kind == "https" && argc >= 5 && number(argv[4]) > 0) {
        std::vector<std::string> headers(argv + 5, argv + argc);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        return probe_https(argv[3], number(argv[4]), headers);
    }
    if (kind == "grpc" && argc == 7 && number(argv[6]) > 0) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        return probe_grpc(argv[3], argv[4], argv[5], number(argv[6]));
    }
    std::fprintf(stderr,
                 "usage: podrun-image probe https URL TIMEOUT_MS [HEADER: VALUE]...\n"
                 "       podrun-image probe grpc HOST PORT SERVICE TIMEOUT_MS\n");
    return 2;
}

}  // namespace podrun::image
