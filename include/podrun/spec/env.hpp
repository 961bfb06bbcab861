// Container environment and command lines as Kubernetes computes them: fieldRef values,
// $(VAR) expansion with $$ as the escape, in declaration order.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "podrun/spec/pod.hpp"

namespace podrun::spec {

// The node's allocatable resources, which the kubelet puts in place of a limit a container
// does not set when resourceFieldRef reads it: on one machine, its capacity (no reservations).
struct NodeAllocatable {
    int64_t cpu_millis = 0;  // online CPUs * 1000
    int64_t memory_bytes = 0;
    int64_t ephemeral_storage_bytes = 0;  // the filesystem of podrun's /var/lib/podrun
};

// Facts known only when the pod runs, read by env[].valueFrom.fieldRef and resourceFieldRef.
struct PodRuntimeInfo {
    std::string uid;
    std::string pod_ip;
    std::string host_ip;
    NodeAllocatable node = {};
};

using EnvList = std::vector<std::pair<std::string, std::string>>;

// Kubernetes' expansion of one string against `env` (later entries win): $(NAME) is replaced
// when NAME is defined, left as written otherwise; $$ becomes $; other text is unchanged.
std::string expand(const std::string& input, const EnvList& env);

// The container's environment in order: each value resolved (fieldRef) and expanded against
// the entries before it, exactly as the kubelet does.
EnvList container_env(const Pod& pod, const Container& c, const PodRuntimeInfo& info);

// An exec probe's command as the kubelet expands it: against the container's literal env
// values only (no fieldRef), each taken as written.
std::vector<std::string> expand_static(const std::vector<std::string>& command, const Container& c);

// command + args after expansion against the container's environment.
std::vector<std::string> container_argv(const Container& c, const EnvList& env);

}  // namespace podrun::spec
