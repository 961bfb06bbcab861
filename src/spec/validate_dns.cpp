// The pod's name resolution and network choice: spec.dnsPolicy, spec.dnsConfig,
// spec.hostAliases and the podrun.io/network annotation (docs/network.md).
#include "names.hpp"
#include "validate.hpp"

namespace podrun::spec {

std::optional<NetworkChoice> parse_network(const std::string& text, std::string* why) {
    NetworkChoice c;
    if (text == "none") {
        c.mode = NetworkMode::None;
    } else if (text == "pasta") {
        c.mode = NetworkMode::Pasta;
    } else if (text == "bridge") {
        c.mode = NetworkMode::Bridge;
    } else if (text.rfind("bridge:", 0) == 0) {
        c.mode = NetworkMode::Bridge;
        c.bridge_network = text.substr(7);
        // A conflist's name is also a file name under /etc/cni/net.d: no path in it.
        if (std::string bad = detail::check_dns1123_subdomain(c.bridge_network); !bad.empty()) {
            if (why) *why = detail::quote(text) + ": the network name " + bad;
            return std::nullopt;
        }
    } else {
        if (why) *why = detail::quote(text) + " must be none, pasta, bridge or bridge:NAME";
        return std::nullopt;
    }
    return c;
}

std::string to_string(const NetworkChoice& c) {
    switch (c.mode) {
        case NetworkMode::Default:
            return "default";
        case NetworkMode::None:
            return "none";
        case NetworkMode::Pasta:
            return "pasta";
        case NetworkMode::Bridge:
            return c.bridge_network.empty() ? "bridge" : "bridge:" + c.bridge_network;
    }
    return "?";
}

namespace detail {

namespace {

// Kubernetes' limits (pkg/apis/core/validation: validatePodDNSConfig).
constexpr size_t kMaxNameservers = 3;
constexpr size_t kMaxSearches = 32;
constexpr size_t kMaxSearchChars = 2048;

void check_dns_config(Checker& ck, const Json& spec, Pod& pod) {
    const Json* v = member(spec, "dnsConfig");
    const std::string p = "spec.dnsConfig";
    if (v == nullptr || ck.object(v, p, Kind::PodDnsConfig) == nullptr) return;
    DnsConfig cfg;
    cfg.nameservers = ck.strings(*v, "nameservers", p);
    if (cfg.nameservers.size() > kMaxNameservers)
        ck.error(join(p, "nameservers"),
                 "has " + std::to_string(cfg.nameservers.size()) + " entries; at most 3 (the resolver reads no more)");
    for (size_t i = 0; i < cfg.nameservers.size(); i++) {
        if (!is_ip_address(cfg.nameservers[i]))
            ck.error(index(join(p, "nameservers"), i), quote(cfg.nameservers[i]) + " must be an IPv4 or IPv6 address");
    }
    cfg.searches = ck.strings(*v, "searches", p);
    size_t chars = 0;
    for (size_t i = 0; i < cfg.searches.size(); i++) {
        chars += cfg.searches[i].size() + 1;
        std::string s = cfg.searches[i];
        if (!s.empty() && s.back() == '.') s.pop_back();  // a rooted name is allowed
        if (std::string why = check_dns1123_subdomain(s); !why.empty())
            ck.error(index(join(p, "searches"), i), quote(cfg.searches[i]) + " " + why);
    }
    if (cfg.searches.size() > kMaxSearches)
        ck.error(join(p, "searches"), "has " + std::to_string(cfg.searches.size()) + " entries; at most 32");
    if (chars > kMaxSearchChars) ck.error(join(p, "searches"), "is longer than 2048 characters in all");
    if (const Json* opts = ck.array(*v, "options", p)) {
        for (size_t i = 0; i < opts->size(); i++) {
            const std::string op = index(join(p, "options"), i);
            if (ck.object(&(*opts)[i], op, Kind::PodDnsConfigOption) == nullptr) continue;
            DnsOption o;
            o.name = ck.string((*opts)[i], "name", op).value_or("");
            if (o.name.empty()) ck.error(join(op, "name"), "required (a resolver option, e.g. ndots)");
            o.value = ck.string((*opts)[i], "value", op);
            cfg.options.push_back(o);
        }
    }
    pod.dns_config = cfg;
}

void check_host_aliases(Checker& ck, const Json& spec, Pod& pod) {
    const Json* list = ck.array(spec, "hostAliases", "spec");
    if (list == nullptr) return;
    for (size_t i = 0; i < list->size(); i++) {
        const std::string p = index("spec.hostAliases", i);
        if (ck.object(&(*list)[i], p, Kind::HostAlias) == nullptr) continue;
        HostAlias a;
        a.ip = ck.string((*list)[i], "ip", p).value_or("");
        if (a.ip.empty())
            ck.error(join(p, "ip"), "required (the address the hostnames map to)");
        else if (!is_ip_address(a.ip))
            ck.error(join(p, "ip"), quote(a.ip) + " must be an IPv4 or IPv6 address");
        a.hostnames = ck.strings((*list)[i], "hostnames", p);
        for (size_t j = 0; j < a.hostnames.size(); j++) {
            if (std::string why = check_dns1123_subdomain(a.hostnames[j]); !why.empty())
                ck.error(index(join(p, "hostnames"), j), quote(a.hostnames[j]) + " " + why);
        }
        pod.host_aliases.push_back(a);
    }
}

}  // namespace

void validate_dns(Checker& ck, const Json& spec, Pod& pod) {
    if (auto policy = ck.string(spec, "dnsPolicy", "spec")) {
        if (*policy == "ClusterFirst")
            pod.dns_policy = DnsPolicy::ClusterFirst;
        else if (*policy == "ClusterFirstWithHostNet")
            pod.dns_policy = DnsPolicy::ClusterFirstWithHostNet;
        else if (*policy == "Default")
            pod.dns_policy = DnsPolicy::Default;
        else if (*policy == "None")
            pod.dns_policy = DnsPolicy::None;
        else
            ck.error("spec.dnsPolicy",
                     quote(*policy) + " must be ClusterFirst, ClusterFirstWithHostNet, Default or None");
    }
    check_dns_config(ck, spec, pod);
    if (pod.dns_policy == DnsPolicy::None && (!pod.dns_config || pod.dns_config->nameservers.empty()))
        ck.error("spec.dnsConfig.nameservers",
                 "required with dnsPolicy: None (the pod would have no resolver); give at least one nameserver");
    check_host_aliases(ck, spec, pod);
}

void validate_network_annotation(Checker& ck, Pod& pod) {
    auto it = pod.metadata.annotations.find("podrun.io/network");
    if (it == pod.metadata.annotations.end()) return;
    std::string why;
    if (auto c = parse_network(it->second, &why))
        pod.network = *c;
    else
        ck.error(key_path("metadata.annotations", it->first), why);
}

}  // namespace detail
}  // namespace podrun::spec
