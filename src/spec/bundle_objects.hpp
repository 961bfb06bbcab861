// The objects of a bundle other than Pods: ConfigMap, Secret, PersistentVolumeClaim, and the
// workload kinds whose pod template runs as one pod.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "check.hpp"
#include "podrun/spec/bundle.hpp"

namespace podrun::spec::detail {

void validate_config_map(Checker& ck, const Json& doc, ConfigMap& out);
void validate_secret(Checker& ck, const Json& doc, Secret& out);
void validate_claim(Checker& ck, const Json& doc, PersistentVolumeClaim& out);

// The apiVersion each workload kind must have ("apps/v1", "batch/v1", "v1"), or "" when
// `kind` carries no pod template podrun runs.
std::string_view workload_api_version(std::string_view kind);

// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController: validates the
// object's own fields and its pod template, which becomes `pod`, named after the object.
// Problems in the template carry their full path (spec.template.spec.containers[0]...).
// `warnings` receives what does not apply to one pod (replicas > 1, the other spec fields).
void validate_workload(Checker& ck, const Json& doc, std::string_view kind, Pod& pod,
                       std::vector<std::string>& warnings);

// Go's base64.StdEncoding (padded), as []byte fields are encoded in JSON; nullopt if invalid.
std::optional<std::string> decode_base64(std::string_view s);

}  // namespace podrun::spec::detail
