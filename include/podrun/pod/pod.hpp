// The pod's lifecycle, step by step: validate, record, create (cgroups, volumes, sandbox),
// supervise, and tear down - rolling back whatever was created when a step fails.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "podrun/cgroup/limits.hpp"
#include "podrun/spec/bundle.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"

namespace podrun::pod {

// Exit codes (docs/cli.md).
inline constexpr int kExitInvalid = 2;
inline constexpr int kExitPodrunFailed = 125;

struct UpOptions {
    std::string manifest;       // path or "-"
    std::string cgroup_parent;  // empty = <cgroup2 mount>/podrun
    bool explain = false;
    // Run a pod that asks for limits on a host without the controllers, unenforced.
    bool no_limits = false;
    std::optional<int64_t> pids_max;  // --pids-max; else the podrun.io/pids-max annotation
    // --network; else the podrun.io/network annotation; else pasta where it can run.
    std::optional<spec::NetworkChoice> network;
    cgroup::WeightFormula weight_formula = cgroup::WeightFormula::Quadratic;
    // --insecure-registry: passed to each pull (registries.conf is read by the pull itself).
    std::vector<std::string> insecure_registries;
    // Detached (`up -d`): no log echo, and pause and the containers do not die with the
    // supervisor (a killed detached supervisor leaves the pod Unknown, for `down`).
    bool detached = false;
    // Called once the pod's directory exists (the detached supervisor moves its stderr there).
    std::function<void(const state::PodPaths&)> on_dir_ready;
    // Called once every app container has started.
    std::function<void()> on_running;
    // up -d: called when the pod waits for an image it could not pull (ErrImagePull), with
    // the error; the pod goes on waiting (ImagePullBackOff) until it is pulled or stopped.
    std::function<void(const std::string&)> on_waiting;
    // The PersistentVolumeClaim objects of the manifest's files: made (or their record
    // updated) by `up`, whether the pod mounts them or not, as `kubectl apply` would.
    std::vector<spec::PersistentVolumeClaim> claims;
};

// The host cannot enforce what the pod asks for (missing cgroup controllers).
struct LimitsUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A problem found before anything is created: printed as "path: message", exit 2.
struct InvalidInput : std::runtime_error {
    std::vector<std::string> problems;
    explicit InvalidInput(std::vector<std::string> p)
        : std::runtime_error(p.empty() ? "invalid input" : p.front()), problems(std::move(p)) {}
};

// Host-dependent checks the validator cannot do (image directories, hostPath types);
// creates DirectoryOrCreate/FileOrCreate paths. Throws InvalidInput.
void check_host(const spec::Pod& pod);
// The rootfs-directory images of `pod` that are missing or not a root filesystem (for
// `validate`, which reads no image store and no network, but does look at directories).
std::vector<std::string> image_problems(const spec::Pod& pod);

// The controllers to use for this pod; throws LimitsUnavailable when the pod asks for
// limits the host cannot enforce (unless no_limits, which warns and returns none).
std::set<std::string> check_controllers(const spec::Pod& pod, const std::string& mount, std::optional<int64_t> pids_max,
                                        bool no_limits);

// Runs the pod in the foreground; returns the exit code of `podrun up`.
int up(const spec::Pod& pod, const UpOptions& opts);

// `up -d`: the same `up`, with the same options, in a detached supervisor (its own
// session; stderr in the pod's supervisor.log). Returns once every app container runs
// (code 0) or the pod failed first (its code, and why).
struct DetachedOutcome {
    int code = 0;
    std::string message;
};
DetachedOutcome up_detached(const spec::Pod& pod, const UpOptions& opts);

// `down`: stops a pod - through its supervisor when it lives (SIGTERM; it runs the grace
// period), else itself (SIGTERM to recorded processes verified by start time, grace,
// cgroup.kill) - and removes everything. timeout_s < 0: the pod's own grace period.
// Returns problems (empty = clean). Throws InvalidInput if there is no such pod.
std::vector<std::string> down(const std::string& name, int64_t timeout_s);

// `gc`: removes what pods whose supervisor is gone left behind. Returns the pods cleaned.
std::vector<std::string> gc();

// Removes everything a pod left: processes (by cgroup), cgroups, volumes, state.
// Returns problems as text (empty = clean).
std::vector<std::string> teardown(const state::PodPaths& paths, const std::string& cgroup_parent);

}  // namespace podrun::pod
