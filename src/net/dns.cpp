// The pod's /etc/resolv.conf (see dns.hpp).
#include "podrun/net/dns.hpp"

#include <algorithm>
#include <sstream>

namespace podrun::net {

namespace {

void add_unique(std::vector<std::string>& list, const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
}

}  // namespace

ResolvConf resolv_conf(const spec::Pod& pod, const std::string& host_resolv) {
    ResolvConf out;
    std::vector<std::string> servers, searches;
    std::vector<spec::DnsOption> options;
    const bool none = pod.dns_policy == spec::DnsPolicy::None;
    const bool from_host = !none;
    if (pod.dns_policy == spec::DnsPolicy::ClusterFirst || pod.dns_policy == spec::DnsPolicy::ClusterFirstWithHostNet) {
        out.warnings.push_back(
            "spec.dnsPolicy: ClusterFirst needs a cluster DNS, which one node has not; the pod gets the host's "
            "resolvers (as dnsPolicy: Default)");
    }
    if (from_host) {
        std::istringstream in(host_resolv);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string key;
            if (!(f >> key) || key[0] == '#' || key[0] == ';') continue;
            std::string v;
            if (key == "nameserver" && f >> v) {
                add_unique(servers, v);
            } else if (key == "search" || key == "domain") {
                if (key == "domain") searches.clear();  // resolv.conf(5): the last of the two wins
                while (f >> v) add_unique(searches, v);
            } else if (key == "options") {
                while (f >> v) {
                    auto colon = v.find(':');
                    spec::DnsOption o{v.substr(0, colon), std::nullopt};
                    if (colon != std::string::npos) o.value = v.substr(colon + 1);
                    options.push_back(o);
                }
            }
        }
    }
    if (pod.dns_config) {
        for (const auto& s : pod.dns_config->nameservers) add_unique(servers, s);
        for (const auto& s : pod.dns_config->searches) add_unique(searches, s);
        for (const auto& o : pod.dns_config->options) {
            options.erase(std::remove_if(options.begin(), options.end(),
                                         [&](const spec::DnsOption& x) { return x.name == o.name; }),
                          options.end());
            options.push_back(o);
        }
    }
    // The resolver reads three nameservers at most (resolv.conf(5)).
    if (servers.size() > 3) {
        out.warnings.push_back("/etc/resolv.conf: " + std::to_string(servers.size()) +
                               " nameservers; the resolver uses the first 3");
    }
    std::string t = "# podrun: dnsPolicy " + std::string(none ? "None" : "Default (the host's resolvers)") +
                    (pod.dns_config ? " + dnsConfig" : "") + "\n";
    for (const auto& s : servers) t += "nameserver " + s + "\n";
    if (!searches.empty()) {
        t += "search";
        for (const auto& s : searches) t += " " + s;
        t += "\n";
    }
    if (!options.empty()) {
        t += "options";
        for (const auto& o : options) t += " " + o.name + (o.value ? ":" + *o.value : "");
        t += "\n";
    }
    out.text = t;
    return out;
}

}  // namespace podrun::net
