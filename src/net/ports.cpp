// The hostPorts a pod publishes (see ports.hpp).
#include "podrun/net/ports.hpp"

#include <cctype>

namespace podrun::net {

namespace {

template <typename F>
void each_host_port(const spec::Pod& pod, F&& f) {
    for (const auto* list : {&pod.init_containers, &pod.containers}) {
        const std::string kind = list == &pod.init_containers ? "spec.initContainers[" : "spec.containers[";
        for (size_t i = 0; i < list->size(); i++) {
            const auto& c = (*list)[i];
            for (size_t j = 0; j < c.ports.size(); j++) {
                if (c.ports[j].host_port == 0) continue;
                f(c.ports[j], kind + std::to_string(i) + "].ports[" + std::to_string(j) + "]");
            }
        }
    }
}

bool v6(const std::string& ip) {
    return ip.find(':') != std::string::npos;
}
bool wildcard(const std::string& ip) {
    return ip == "0.0.0.0" || ip == "::";
}

std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

}  // namespace

std::vector<PublishedPort> published_ports(const spec::Pod& pod, bool ipv6) {
    std::vector<PublishedPort> out;
    each_host_port(pod, [&](const spec::ContainerPort& cp, const std::string& path) {
        PublishedPort p{cp.host_ip.empty() ? "0.0.0.0" : cp.host_ip, cp.host_port, cp.container_port, cp.protocol,
                        path};
        out.push_back(p);
        if (cp.host_ip.empty() && ipv6) {
            p.host_ip = "::";
            out.push_back(p);
        }
    });
    return out;
}

std::string format_port(const PublishedPort& p) {
    const std::string ip = v6(p.host_ip) ? "[" + p.host_ip + "]" : p.host_ip;
    return ip + ":" + std::to_string(p.host_port) + "->" + std::to_string(p.container_port) + "/" + lower(p.protocol);
}

bool overlaps(const PublishedPort& a, const PublishedPort& b) {
    if (a.protocol != b.protocol || a.host_port != b.host_port) return false;
    if (v6(a.host_ip) != v6(b.host_ip)) return false;
    return a.host_ip == b.host_ip || wildcard(a.host_ip) || wildcard(b.host_ip);
}

std::vector<std::string> port_problems(const spec::Pod& pod) {
    std::vector<std::string> problems;
    std::vector<PublishedPort> seen;
    each_host_port(pod, [&](const spec::ContainerPort& cp, const std::string& path) {
        if (cp.protocol == "SCTP") {
            problems.push_back(path +
                               ".protocol: \"SCTP\" with a hostPort is not supported by podrun's forwarder "
                               "(TCP and UDP are); drop the hostPort or use TCP/UDP");
            return;
        }
        if (pod.host_network && cp.host_port != cp.container_port) {
            problems.push_back(path + ".hostPort: " + std::to_string(cp.host_port) + " must equal containerPort (" +
                               std::to_string(cp.container_port) +
                               ") with hostNetwork: true (the container binds the host's port itself)");
            return;
        }
        PublishedPort p{cp.host_ip.empty() ? "0.0.0.0" : cp.host_ip, cp.host_port, cp.container_port, cp.protocol,
                        path};
        for (const auto& q : seen) {
            if (overlaps(p, q)) {
                problems.push_back(path + ".hostPort: " + std::to_string(p.host_port) + "/" + p.protocol +
                                   " is already published by " + q.path);
                return;
            }
        }
        seen.push_back(p);
    });
    return problems;
}

}  // namespace podrun::net
