// The ConfigMaps and Secrets a pod reads (configMap/secret volumes, envFrom, configMapKeyRef,
// secretKeyRef), looked up when the pod starts, as the kubelet looks them up: `validate`
// accepts a reference to an object that is not there, as the API server does.
#pragma once

#include <string>
#include <vector>

#include "podrun/spec/bundle.hpp"

namespace podrun::spec {

// Fills every ObjectVolume's files and turns envFrom and key references into plain
// (verbatim) env entries, from the objects of `bundle` in the pod's namespace. An optional
// reference to a missing object or key gives nothing (an empty volume, no variable).
// Returns one message per missing non-optional reference, worded as the kubelet reports it:
//   CreateContainerConfigError: container "app": configmap "cfg" not found
//   FailedMount: MountVolume.SetUp failed for volume "conf": configmap "cfg" not found
std::vector<std::string> resolve_objects(Pod& pod, const Bundle& bundle);

}  // namespace podrun::spec
