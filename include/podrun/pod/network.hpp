// The pod's network mode (none, pasta, bridge) from the flag, the annotation and the host,
// and what each mode makes for a pod: the netns file, pasta, the CNI calls; undone at the
// pod's end and by down and gc (docs/network.md).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::pod {

// The mode a pod runs with, decided before anything of it is created.
struct NetworkPlan {
    spec::NetworkMode mode = spec::NetworkMode::None;  // never Default
    bool host = false;                                 // hostNetwork: true, none of the above
    std::string label;                                 // for state and messages: none, pasta, bridge:NAME
    std::string pasta;                                 // pasta's path
    std::string pod_ip;                                // known up front (pasta), else ""
    std::string gateway;                               // pasta's gateway: host.podrun.internal
    std::string cni_network;                           // bridge: the conflist's name
    std::string cni_conflist;                          // bridge: its text
};

// --network wins over the podrun.io/network annotation; neither given: pasta where it can
// run (else none, with a one-line warning). An explicit pasta or bridge that cannot run
// throws NetworkUnavailable with the fix. hostNetwork pods take none of them.
NetworkPlan plan_network(const spec::Pod& pod, const std::optional<spec::NetworkChoice>& flag);

struct NetworkUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// What the plan made for one pod, recorded in `st` (saved through `save`) before each piece
// is made. The destructor undoes whatever stop() has not.
class PodNetwork {
  public:
    PodNetwork(NetworkPlan plan, const state::PodPaths& paths, state::PodState& st, std::function<void()> save);
    ~PodNetwork();
    PodNetwork(const PodNetwork&) = delete;
    PodNetwork& operator=(const PodNetwork&) = delete;

    // Once pause runs: its netns bound to a file, then pasta started (or the CNI plugins
    // called). die_with_supervisor: pasta dies with us (foreground `up`).
    void start(pid_t pause_pid, bool die_with_supervisor);
    // status.podIP once started ("" when the pod has only loopback).
    const std::string& pod_ip() const { return pod_ip_; }
    // SIGKILLs pasta without waiting (it keeps nothing to flush), so that its exit - the
    // kernel tearing its tap device down - overlaps pause's; stop() then reaps it.
    void begin_stop();
    // pasta stopped, CNI DEL, the netns file unbound and removed. Returns problems.
    std::vector<std::string> stop();

  private:
    void start_pasta(bool die_with_supervisor);
    void start_bridge();
    NetworkPlan plan_;
    const state::PodPaths& paths_;
    state::PodState& st_;
    std::function<void()> save_;
    sys::ChildProcess pasta_;
    bool pasta_killed_ = false;
    bool netns_bound_ = false;
    bool cni_added_ = false;
    std::string pod_ip_;
};

// down and gc: undoes what a pod's record says its network still holds (pasta by pid and
// start time, CNI DEL, the netns file). Appends problems.
void teardown_network(const state::PodPaths& paths, const state::NetworkRecord& rec,
                      std::vector<std::string>& problems);

}  // namespace podrun::pod
