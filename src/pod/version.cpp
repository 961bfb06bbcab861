// `podrun version` (see version.hpp): the build's identity and the kernel features found.
#include "podrun/pod/version.hpp"

#include <cstdio>
#include <utility>

#include "podrun/cgroup/cgroup.hpp"
#include "podrun/cgroup/controllers.hpp"
#include "podrun/sys/files.hpp"

#ifndef PODRUN_GIT_REVISION
#define PODRUN_GIT_REVISION "unknown"
#endif

namespace podrun::pod {

namespace {

// doctor's check item -> the stable key `version --json` prints. Only the kernel's
// features: "root" and "inside a container" describe the caller, not the kernel.
constexpr std::pair<const char*, const char*> kFeatureOf[] = {
    {"cgroup2 mount", "cgroup2"},
    {"clone3 + CLONE_INTO_CGROUP", "clone3_into_cgroup"},
    {"pid/net/ipc/uts/mount namespaces", "namespaces"},
    {"cgroup.kill", "cgroup_kill"},
    {"pidfd", "pidfd"},
    {"overlayfs", "overlayfs"},
};

}  // namespace

std::vector<Feature> features_from(const DoctorReport& rep) {
    std::vector<Feature> out;
    for (const auto& [item, key] : kFeatureOf) {
        Feature f{key, std::nullopt, "not probed (the probe needs root)"};
        for (const auto& c : rep.checks) {
            if (c.item == item) {
                f.found = c.ok;
                f.detail = c.detail;
            }
        }
        out.push_back(std::move(f));
    }
    return out;
}

VersionInfo build_info() {
    VersionInfo v;
    v.version = PODRUN_VERSION;
    v.revision = PODRUN_GIT_REVISION;
    v.kernel = sys::try_read_file("/proc/sys/kernel/osrelease").value_or("unknown");
    while (!v.kernel.empty() && (v.kernel.back() == '\n' || v.kernel.back() == ' ')) v.kernel.pop_back();
    return v;
}

VersionInfo version_info() {
    VersionInfo v = build_info();
    v.features = features_from(doctor());
    if (auto mount = cgroup::find_cgroup2_mount()) {
        for (const auto& c : cgroup::available_controllers(*mount)) v.controllers.push_back(c);
    }
    return v;
}

nlohmann::json version_json(const VersionInfo& v) {
    nlohmann::json features = nlohmann::json::object();
    for (const auto& f : v.features) features[f.key] = f.found ? nlohmann::json(*f.found) : nlohmann::json(nullptr);
    return {{"version", v.version},
            {"revision", v.revision},
            {"kernel", v.kernel},
            {"features", features},
            {"cgroupControllers", v.controllers}};
}

std::string version_text(const VersionInfo& v) {
    std::string out = "podrun " + v.version + " (revision " + v.revision + ")\n";
    out += "kernel " + v.kernel + "\n";
    out += "features:\n";
    char line[512];
    for (const auto& f : v.features) {
        const char* mark = !f.found ? "  ?" : *f.found ? "yes" : " no";
        std::snprintf(line, sizeof line, "  %-20s %s  %s\n", f.key.c_str(), mark, f.detail.c_str());
        out += line;
    }
    std::string ctl;
    for (const auto& c : v.controllers) ctl += (ctl.empty() ? "" : " ") + c;
    out += "cgroup controllers: " + (ctl.empty() ? std::string("(none)") : ctl) + "\n";
    return out;
}

}  // namespace podrun::pod
