// Starting one container: a forked child joins pause's namespaces through its pidfd
// (one setns), then clone3s the container process with CLONE_PARENT (so the supervisor is
// its real parent and alone sees its exit code) directly into the container's cgroup leaf.
// That process unshares its own mount and cgroup namespaces, builds its root, pivot_roots
// and execs. Every step is an Op, narrated by the parent and reported back on failure.
#pragma once

#include <string>
#include <vector>

#include "podrun/cgroup/cgroup.hpp"
#include "podrun/confine/confine.hpp"
#include "podrun/sandbox/sandbox.hpp"
#include "podrun/spec/env.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/op_list.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::launcher {

struct LaunchContext {
    const spec::Pod& pod;
    const state::PodPaths& paths;
    const sandbox::Sandbox& sandbox;
    const cgroup::PodTree& cgroups;
    spec::PodRuntimeInfo info;
    bool die_with_supervisor = true;
    const confine::PodConfinement* confine = nullptr;  // required by launch(): never unconfined by omission
};

struct Launched {
    sys::ChildProcess process;  // the container's main process, a direct child of ours
    sys::UniqueFd stdout_read;  // its stdout and stderr, for the log streamer
    sys::UniqueFd stderr_read;
};

// The default PATH the CRI runtimes give a container without one.
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Where each of the container's volumes comes from, as seen in the pod's mount namespace.
std::string volume_source(const LaunchContext& ctx, const spec::Volume& v);

// The ops that build the container's root, from unshare to pivot_root and workdir.
// Pure: exposed for unit tests and --explain.
sys::OpList container_fs_ops(const LaunchContext& ctx, const spec::Container& c);

// The container's environment (PATH and HOSTNAME defaults, then the manifest's env).
spec::EnvList environment(const LaunchContext& ctx, const spec::Container& c);

// Starts the container; throws SysError naming the failed step (nothing is left running).
Launched launch(const LaunchContext& ctx, const spec::Container& c);

}  // namespace podrun::launcher
