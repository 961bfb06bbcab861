// The downward API's values as the kubelet computes them: downwardAPI files (labels and
// annotations formatted as key="value" lines) and resourceFieldRef (a limit or request
// divided by its divisor, rounded up; an unset limit is the node's allocatable).
#pragma once

#include <string>

#include "podrun/spec/env.hpp"
#include "podrun/spec/pod.hpp"

namespace podrun::spec {

// The value of `ref` read by `self` (its containerName, if set, names another container of
// `pod`; the validator made sure it exists). "" for a name that does not exist.
std::string resource_value(const Pod& pod, const Container& self, const ResourceFieldRef& ref,
                           const NodeAllocatable& node);

// The kubelet's FormatMap: one key="value" line per entry in key order, Go-quoted values, no
// newline after the last.
std::string format_map(const std::map<std::string, std::string>& m);

// Fills the files of every downwardAPI and serviceAccountToken source of `pod`'s projected
// and downwardAPI volumes, now that the pod's uid and the node are known.
void resolve_downward(Pod& pod, const PodRuntimeInfo& info);

}  // namespace podrun::spec
