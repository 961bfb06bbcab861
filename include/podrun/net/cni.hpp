// The bridge mode's CNI calls: the conflist (podrun's own podrun0, or NAME from
// /etc/cni/net.d), each plugin run with ADD in order with the previous result chained, DEL in
// reverse; what ipMasq needs on the host (docs/network.md, the CNI spec's "network
// configuration lists").
#pragma once

#include <string>
#include <vector>

#include "podrun/sys/fd.hpp"

namespace podrun::net {

// Where conflists are looked up ($PODRUN_CNI_CONF_DIR, else /etc/cni/net.d) and where the
// plugins are ($PODRUN_CNI_PATH, else /usr/lib/cni).
std::string cni_conf_dir();
std::string cni_plugin_dir();

// The conflist's text: name "" = podrun's podrun0 (share/podrun/cni/podrun0.conflist next to
// the binary, else the copy compiled in); else <conf dir>/NAME.conflist (or .conf, .json,
// a list or a single plugin's config) whose "name" is NAME. Throws std::runtime_error with
// the fix.
std::string load_conflist(const std::string& name);

// What the conflist needs that this host lacks: each plugin binary; with ipMasq, the
// iptables binary and net.ipv4.ip_forward = 1 (the plugin would half-work without them).
// Empty = nothing missing.
std::vector<std::string> cni_problems(const std::string& conflist);

struct CniCall {
    std::string conflist, container_id, netns, ifname;
};

// ADD through every plugin of the list in order (prevResult chained); returns the last
// result (JSON text). On a plugin's failure, DEL is run for those already added and
// std::runtime_error says which plugin failed and why.
std::string cni_add(const CniCall& call);
// DEL through every plugin in reverse, each given `result` (ADD's) as prevResult. Returns
// problems (empty = clean); plugins treat a DEL of what is already gone as success.
std::vector<std::string> cni_del(const CniCall& call, const std::string& result);

// Serialises the ADDs and DELs of podrun's pods on one network (a flock on host-local's
// lease directory, /var/lib/cni/networks/NAME, made if missing), so that removing podrun0
// after the last pod can never race another pod's ADD.
sys::UniqueFd lock_network(const std::string& conflist);
// podrun's own network only: once no lease is left in its lease directory, deletes the
// bridge device its conflist names (the bridge plugin leaves it, with its gateway
// address). Call under lock_network. Returns "" or the problem.
std::string remove_bridge_if_unused(const std::string& conflist);

// The first IP of a CNI result, without its prefix length ("" when none).
std::string result_ip(const std::string& result);

}  // namespace podrun::net
