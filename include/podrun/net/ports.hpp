// The hostPorts a pod publishes, as plain data: which listeners it needs, how `ps` prints
// them, what the forwarder cannot serve (pure, unit-tested).
#pragma once

#include <string>
#include <vector>

#include "podrun/spec/pod.hpp"

namespace podrun::net {

struct PublishedPort {
    std::string host_ip;  // an address literal; the manifest's "" is 0.0.0.0
    int host_port = 0;
    int container_port = 0;
    std::string protocol = "TCP";  // TCP or UDP
    std::string path;              // spec.containers[i].ports[j], for messages
    bool udp() const { return protocol == "UDP"; }
};

// Every port of the pod with a hostPort, in manifest order (init containers first). A
// hostIP left empty binds 0.0.0.0 and, where `ipv6` (the host can bind IPv6), also [::],
// as one entry each.
std::vector<PublishedPort> published_ports(const spec::Pod& pod, bool ipv6);
// "0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp" (docker's and podman's shape).
std::string format_port(const PublishedPort& p);
// The hostPorts the forwarder cannot serve, as "path: why": protocol SCTP; a hostNetwork
// pod whose hostPort differs from containerPort (there is no forwarder: the container binds
// the host's port itself); two ports of the pod claiming one host port.
std::vector<std::string> port_problems(const spec::Pod& pod);
// Whether two bindings collide: one protocol and port, and one address or a wildcard of
// the same family.
bool overlaps(const PublishedPort& a, const PublishedPort& b);

}  // namespace podrun::net
