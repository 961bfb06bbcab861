// A pod's status as Kubernetes shapes it (phase, conditions, containerStatuses), read from
// its state file, for `podrun ps` and `podrun inspect`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podrun/state/state.hpp"

namespace podrun::pod {

struct PodSummary {
    std::string name;
    std::string phase;   // Pending, Running, Succeeded, Failed, Unknown (supervisor gone)
    std::string status;  // kubectl's STATUS: a waiting container's reason (ImagePullBackOff), else phase
    int ready = 0, total = 0;
    int restarts = 0;
    std::string age;
    bool supervisor_alive = false;
    std::string ports;  // published hostPorts: "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
};

// Is the pod's supervisor alive? (it holds the pod's lock for its whole life)
bool supervisor_alive(const state::PodPaths& paths);

std::vector<PodSummary> list();
nlohmann::json summary_json(const PodSummary& s);

// The Pod object (metadata + status) of a running pod; throws InvalidInput if absent.
nlohmann::json inspect(const std::string& name);
// Namespace inodes of pause and of each running container.
nlohmann::json inspect_namespaces(const std::string& name);

std::string human_age(const std::string& rfc3339);

}  // namespace podrun::pod
