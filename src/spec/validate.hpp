// The one validator: JSON model -> spec::Pod plus every problem found (DESIGN.md section 2).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "check.hpp"
#include "podrun/spec/pod.hpp"

namespace podrun::spec::detail {

// Fills `pod` from `doc`; problems and ignored fields go to `ck`. `pod` is meaningful only
// when ck.errors is empty.
void validate_pod(Checker& ck, const Json& doc, Pod& pod);

// One container at `path`; `volume_names` are the names in spec.volumes;
// `pod_grace_seconds` is spec.terminationGracePeriodSeconds (unset when it is invalid).
Container validate_container(Checker& ck, const Json& v, const std::string& path, bool init,
                             const std::set<std::string>& volume_names,
                             std::optional<int64_t> pod_grace_seconds);

// livenessProbe, readinessProbe, startupProbe and lifecycle of the container at `path`,
// whose ports `c` already holds (named ports resolve against them).
void validate_probes_and_hooks(Checker& ck, const Json& v, const std::string& path,
                               std::optional<int64_t> pod_grace_seconds, Container& c);

// limits/requests at `path` (container or pod level), with Kubernetes' defaulting of a
// missing request to its limit.
Resources validate_resources(Checker& ck, const Json& v, const std::string& path);

}  // namespace podrun::spec::detail
