// The pod's /etc/resolv.conf from dnsPolicy and dnsConfig (pure; docs/network.md).
#pragma once

#include <string>
#include <vector>

#include "podrun/spec/pod.hpp"

namespace podrun::net {

struct ResolvConf {
    std::string text;
    std::vector<std::string> warnings;  // e.g. ClusterFirst without a cluster DNS
};

// host_resolv: the host's /etc/resolv.conf. Default (and ClusterFirst, which falls back to
// it with a warning: there is no cluster DNS on one node) starts from the host's
// nameservers, search domains and options; None from nothing. dnsConfig is then merged as
// the kubelet merges it: nameservers and searches appended without duplicates, options
// replacing those of the same name.
ResolvConf resolv_conf(const spec::Pod& pod, const std::string& host_resolv);

}  // namespace podrun::net
