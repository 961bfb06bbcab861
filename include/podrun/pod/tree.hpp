// `podrun tree`: the pod's real process tree, each process with its pid on the host and
// inside the pod (NSpid), the container it belongs to (its cgroup leaf).
#pragma once

#include <string>

namespace podrun::pod {

// The tree as text, one process a line; throws InvalidInput if there is no such pod.
std::string tree(const std::string& name);

}  // namespace podrun::pod
