// Probes and lifecycle hooks of one container: Kubernetes' handler, timing and port rules,
// plus the host, scheme and named-port choices of a runtime with a loopback-only pod.
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string_view>
#include <vector>

#include "names.hpp"
#include "podrun/spec/signals.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

// Probe timings and thresholds are int32 in the API; larger numbers do not decode.
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// The names given as ports[].name, for messages: `"http", "metrics"`.
std::string port_names(const Container& c) {
    std::string out;
    for (const ContainerPort& p : c.ports) {
        if (p.name.empty()) continue;
        if (!out.empty()) out += ", ";
        out += quote(p.name);
    }
    return out;
}

// An IntOrString port: a number 1-65535, or the IANA service name of one of this
// container's ports[], resolved here to its containerPort (the kubelet resolves it the same
// way, but only when the probe runs; podrun finds a bad name before the pod starts).
int action_port(Checker& ck, const Json& action, const std::string& path, const Container& c) {
    const std::string p = join(path, "port");
    const Json* v = member(action, "port");
    if (v == nullptr) {
        ck.error(p, "required: a port number or the name of one of this container's ports");
        return 0;
    }
    if (v->is_string()) {
        const std::string name = v->get<std::string>();
        if (name.empty()) {
            ck.error(p, "required: a port number or the name of one of this container's ports");
            return 0;
        }
        if (std::string why = check_iana_svc_name(name); !why.empty()) {
            const bool digits = name.find_first_not_of("0123456789") == std::string::npos;
            ck.error(p, quote(name) + ": " +
                            (digits ? std::string("a port number must not be quoted")
                                    : why + " (a port name, or a number without quotes)"));
            return 0;
        }
        for (const ContainerPort& cp : c.ports)
            if (cp.name == name) return cp.container_port;
        const std::string names = port_names(c);
        ck.error(p, quote(name) + " is not the name of one of this container's ports (" +
                        (names.empty() ? std::string("it has no named ports") : "its port names: " + names) + ")");
        return 0;
    }
    if (!v->is_number()) {
        ck.type_error(p, "a port number or name", *v);
        return 0;
    }
    auto n = ck.integer(action, "port", path);
    if (!n) return 0;
    if (*n < 1 || *n > 65535) {
        ck.error(p, std::to_string(*n) + " must be between 1 and 65535");
        return 0;
    }
    return static_cast<int>(*n);
}

// host: omitted or "" is the pod's IP. podrun's pod has only loopback and podrun resolves no
// names, so "localhost" becomes 127.0.0.1 and anything else must be an IP literal.
std::string action_host(Checker& ck, const Json& action, const std::string& path) {
    auto host = ck.string(action, "host", path);
    if (!host || host->empty()) return {};
    if (*host == "localhost") return "127.0.0.1";
    if (!is_ip_address(*host))
        ck.error(join(path, "host"), quote(*host) +
                                         ": podrun resolves no host names; give an IP literal "
                                         "(such as 127.0.0.1) or omit host for the pod's IP");
    return *host;
}

bool is_hex(char ch) {
    return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
}

// A URL path with an optional query, as it goes into the request line: RFC 3986 pchar, '/',
// '?' and %XX escapes. The kubelet would escape other characters itself; podrun sends the
// path as written, so it asks for the escapes instead.
std::string check_http_path(std::string_view s) {
    static constexpr std::string_view allowed = "-._~!$&'()*+,;=:@/?";
    for (size_t i = 0; i < s.size(); ++i) {
        const char ch = s[i];
        if (ch == '%') {
            if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return "'%' must start an escape such as %20";
            i += 2;
        } else if (!std::isalnum(static_cast<unsigned char>(ch)) && allowed.find(ch) == std::string_view::npos) {
            return "must be a URL path such as /healthz (with an optional ?query); write "
                   "spaces and other special characters as %XX escapes";
        }
    }
    return {};
}

ExecAction exec_action(Checker& ck, const Json& v, const std::string& path) {
    ExecAction a;
    if (ck.object(&v, path, Kind::ExecAction) == nullptr) return a;
    a.command = ck.strings(v, "command", path);
    const Json* cmd = member(v, "command");
    if (cmd == nullptr || (cmd->is_array() && cmd->empty()))
        ck.error(join(path, "command"),
                 "required: the program and its arguments (run without a shell; use "
                 "[sh, -c, \"...\"] for one)");
    return a;
}

HttpGetAction http_get_action(Checker& ck, const Json& v, const std::string& path, const Container& c) {
    HttpGetAction a;
    if (ck.object(&v, path, Kind::HttpGetAction) == nullptr) return a;
    a.host = action_host(ck, v, path);
    a.port = action_port(ck, v, path, c);
    // "" is defaulted to "/" by the API server; a path without a leading '/' is sent with
    // one, as the kubelet's URL building does.
    if (auto p = ck.string(v, "path", path); p && !p->empty()) {
        if (std::string why = check_http_path(*p); !why.empty()) ck.error(join(path, "path"), quote(*p) + ": " + why);
        a.path = p->front() == '/' ? *p : "/" + *p;
    }
    if (auto scheme = ck.string(v, "scheme", path); scheme && !scheme->empty()) {
        const std::string p = join(path, "scheme");
        if (*scheme == "HTTPS")
            a.https = true;
        else if (*scheme != "HTTP")
            ck.error(p, quote(*scheme) + " must be \"HTTP\" (the default) or \"HTTPS\"");
    }
    const Json* headers = ck.array(v, "httpHeaders", path);
    if (headers == nullptr) return a;
    for (size_t i = 0; i < headers->size(); ++i) {
        const std::string hp = index(join(path, "httpHeaders"), i);
        const Json* h = ck.object(&(*headers)[i], hp, Kind::HttpHeader);
        if (h == nullptr) continue;
        HttpHeader header;
        if (auto name = ck.string(*h, "name", hp)) {
            if (std::string why = check_http_header_name(*name); !why.empty())
                ck.error(join(hp, "name"), quote(*name) + ": " + why);
            header.name = *name;
        } else if (member(*h, "name") == nullptr) {
            ck.error(join(hp, "name"), "required");
        }
        if (auto value = ck.string(*h, "value", hp)) {
            // A line break would end the header (Go's HTTP client refuses such a value too).
            for (char ch : *value) {
                if ((static_cast<unsigned char>(ch) < 32 && ch != '\t') || ch == 127) {
                    ck.error(join(hp, "value"), "must not contain line breaks or other control characters");
                    break;
                }
            }
            header.value = *value;
        }
        a.headers.push_back(std::move(header));
    }
    return a;
}

TcpSocketAction tcp_socket_action(Checker& ck, const Json& v, const std::string& path, const Container& c) {
    TcpSocketAction a;
    if (ck.object(&v, path, Kind::TcpSocketAction) == nullptr) return a;
    a.host = action_host(ck, v, path);
    a.port = action_port(ck, v, path, c);
    return a;
}

// Kubernetes' GRPCAction: a port number (names are not allowed there) and an optional service.
GrpcAction grpc_action(Checker& ck, const Json& v, const std::string& path) {
    GrpcAction a;
    if (ck.object(&v, path, Kind::GrpcAction) == nullptr) return a;
    const std::string p = join(path, "port");
    const Json* port = member(v, "port");
    if (port == nullptr) {
        ck.error(p, "required: the port number of the gRPC server");
    } else if (!port->is_number_integer()) {
        ck.error(p, "must be a port number (gRPC probes take no port names)");
    } else if (int64_t n = port->get<int64_t>(); n < 1 || n > 65535) {
        ck.error(p, std::to_string(n) + " must be between 1 and 65535");
    } else {
        a.port = static_cast<int>(n);
    }
    if (auto s = ck.string(v, "service", path)) a.service = *s;
    return a;
}

// Kubernetes (since 1.34, and 1.33 by default): 0 <= seconds <= the pod's
// terminationGracePeriodSeconds, for postStart as well as preStop.
SleepAction sleep_action(Checker& ck, const Json& v, const std::string& path,
                         std::optional<int64_t> pod_grace_seconds) {
    SleepAction a;
    if (ck.object(&v, path, Kind::SleepAction) == nullptr) return a;
    const std::string p = join(path, "seconds");
    auto s = ck.integer(v, "seconds", path);
    if (!s) {
        if (member(v, "seconds") == nullptr) ck.error(p, "required");
        return a;
    }
    if (*s < 0)
        ck.error(p, std::to_string(*s) + " must be 0 or more");
    else if (pod_grace_seconds && *s > *pod_grace_seconds)
        ck.error(p, std::to_string(*s) + " must not exceed the pod's terminationGracePeriodSeconds (" +
                        std::to_string(*pod_grace_seconds) + ")");
    else
        a.seconds = *s;
    return a;
}

// The handler members present (not null) among `keys`, for the exactly-one rule.
std::vector<std::string_view> present(const Json& v, std::initializer_list<std::string_view> keys) {
    std::vector<std::string_view> out;
    for (std::string_view k : keys)
        if (member(v, k) != nullptr) out.push_back(k);
    return out;
}

void exactly_one(Checker& ck, const std::string& path, const std::vector<std::string_view>& given,
                 std::string_view choices) {
    if (given.size() == 1) return;
    std::string msg = "must specify exactly one of " + std::string(choices);
    if (given.size() > 1) {
        msg += "; got ";
        for (size_t i = 0; i < given.size(); ++i)
            msg += (i == 0 ? "" : i + 1 == given.size() ? " and " : ", ") + std::string(given[i]);
    }
    ck.error(path, msg);
}

enum class ProbeKind { Liveness, Readiness, Startup };

// A timing or threshold: 0 (Go's zero value) and omitted both mean Kubernetes' default,
// which `out` holds on entry.
void probe_number(Checker& ck, const Json& v, const std::string& path, std::string_view key, int64_t& out) {
    auto n = ck.integer(v, key, path);
    if (!n) return;
    const std::string p = join(path, key);
    if (*n < 0)
        ck.error(p, std::to_string(*n) + (out == 0 ? std::string(" must be 0 or more")
                                                   : " must be 1 or more (0 or omitted means the default, " +
                                                         std::to_string(out) + ")"));
    else if (*n > kInt32Max)
        ck.error(p, std::to_string(*n) + " must be at most " + std::to_string(kInt32Max));
    else if (*n > 0)
        out = *n;
}

std::optional<Probe> probe(Checker& ck, const Json& container, std::string_view key, const std::string& cpath,
                           ProbeKind kind, const Container& c) {
    const std::string path = join(cpath, key);
    const Json* v = ck.object(member(container, key), path, Kind::Probe);
    if (v == nullptr) return std::nullopt;
    Probe pr;
    exactly_one(ck, path, present(*v, {"exec", "httpGet", "tcpSocket", "grpc"}), "exec, httpGet, tcpSocket, grpc");
    if (const Json* e = member(*v, "exec")) pr.handler = exec_action(ck, *e, join(path, "exec"));
    if (const Json* h = member(*v, "httpGet")) pr.handler = http_get_action(ck, *h, join(path, "httpGet"), c);
    if (const Json* t = member(*v, "tcpSocket")) pr.handler = tcp_socket_action(ck, *t, join(path, "tcpSocket"), c);
    if (const Json* g = member(*v, "grpc")) pr.handler = grpc_action(ck, *g, join(path, "grpc"));

    probe_number(ck, *v, path, "initialDelaySeconds", pr.initial_delay_seconds);
    probe_number(ck, *v, path, "periodSeconds", pr.period_seconds);
    probe_number(ck, *v, path, "timeoutSeconds", pr.timeout_seconds);
    probe_number(ck, *v, path, "successThreshold", pr.success_threshold);
    probe_number(ck, *v, path, "failureThreshold", pr.failure_threshold);
    if (kind != ProbeKind::Readiness && pr.success_threshold != 1)
        ck.error(join(path, "successThreshold"), std::to_string(pr.success_threshold) + " must be 1 for a " +
                                                     std::string(key) +
                                                     " (only readiness probes may ask for several successes)");

    if (auto g = ck.integer(*v, "terminationGracePeriodSeconds", path)) {
        const std::string p = join(path, "terminationGracePeriodSeconds");
        if (kind == ProbeKind::Readiness)
            ck.error(p,
                     "must not be set on a readinessProbe (Kubernetes forbids it: only "
                     "liveness and startup probe failures stop the container)");
        else if (*g <= 0)
            ck.error(p, std::to_string(*g) +
                            " must be greater than 0 (omit it to use the "
                            "pod's terminationGracePeriodSeconds)");
        else if (*g > kMaxGraceSeconds)
            ck.error(p, std::to_string(*g) + " must be at most " + std::to_string(kMaxGraceSeconds));
        else
            pr.termination_grace_period_seconds = *g;
    }
    return pr;
}

std::optional<LifecycleHandler> hook(Checker& ck, const Json& lifecycle, std::string_view key, const std::string& lpath,
                                     const Container& c, std::optional<int64_t> pod_grace_seconds) {
    const std::string path = join(lpath, key);
    const Json* v = ck.object(member(lifecycle, key), path, Kind::LifecycleHandler);
    if (v == nullptr) return std::nullopt;
    // tcpSocket counts as given (its own error explains why it is refused).
    exactly_one(ck, path, present(*v, {"exec", "httpGet", "sleep", "tcpSocket"}), "exec, httpGet, sleep");
    LifecycleHandler h;
    if (const Json* e = member(*v, "exec")) h = exec_action(ck, *e, join(path, "exec"));
    if (const Json* g = member(*v, "httpGet")) h = http_get_action(ck, *g, join(path, "httpGet"), c);
    if (const Json* s = member(*v, "sleep")) h = sleep_action(ck, *s, join(path, "sleep"), pod_grace_seconds);
    return h;
}

}  // namespace

void validate_probes_and_hooks(Checker& ck, const Json& v, const std::string& path,
                               std::optional<int64_t> pod_grace_seconds, Container& c) {
    c.liveness_probe = probe(ck, v, "livenessProbe", path, ProbeKind::Liveness, c);
    c.readiness_probe = probe(ck, v, "readinessProbe", path, ProbeKind::Readiness, c);
    c.startup_probe = probe(ck, v, "startupProbe", path, ProbeKind::Startup, c);
    const std::string lp = join(path, "lifecycle");
    if (const Json* lc = ck.object(member(v, "lifecycle"), lp, Kind::Lifecycle)) {
        c.lifecycle.post_start = hook(ck, *lc, "postStart", lp, c, pod_grace_seconds);
        c.lifecycle.pre_stop = hook(ck, *lc, "preStop", lp, c, pod_grace_seconds);
        // Kubernetes' Linux names only; that spec.os.name is set is checked with the pod.
        if (auto sig = ck.string(*lc, "stopSignal", lp)) {
            if (kubernetes_signal(*sig))
                c.lifecycle.stop_signal = *sig;
            else
                ck.error(join(lp, "stopSignal"),
                         quote(*sig) + " is not a supported stop signal; use one of " + kubernetes_signal_names());
        }
    }
}

}  // namespace podrun::spec::detail
