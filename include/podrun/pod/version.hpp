// `podrun version [--json]`: the version, the git revision it was built from, and the kernel
// features this host offers (the probes of `podrun doctor`, reduced to stable keys).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "podrun/pod/doctor.hpp"

namespace podrun::pod {

struct Feature {
    std::string key;            // stable name, e.g. "clone3_into_cgroup"
    std::optional<bool> found;  // nullopt: not probed (the probe needs root)
    std::string detail;         // doctor's detail, or why it was not probed
};

struct VersionInfo {
    std::string version;   // PODRUN_VERSION (CMake's project version)
    std::string revision;  // git revision at configure time, "unknown" outside a checkout
    std::string kernel;    // /proc/sys/kernel/osrelease
    std::vector<Feature> features;
    std::vector<std::string> controllers;  // cgroup2 controllers offered at the root
};

// The doctor's checks as features, in a fixed order; a check the report lacks (doctor runs
// the cgroup probes only as root) is a feature with `found` unset. Pure.
std::vector<Feature> features_from(const DoctorReport& rep);

// version, revision and kernel only: no probe.
VersionInfo build_info();
// build_info() and the features: probes the host (pod::doctor(), leaves nothing behind).
VersionInfo version_info();

nlohmann::json version_json(const VersionInfo& v);
std::string version_text(const VersionInfo& v);

}  // namespace podrun::pod
