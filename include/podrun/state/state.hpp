// A pod's state on disk: /run/podrun/<pod>/state.json, written atomically, recording every
// kernel resource *before* it is created, so `down`/`gc` can clean up after a supervisor
// killed with SIGKILL (DESIGN.md section 7). Processes are identified by pid + start time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podrun/sys/fd.hpp"

namespace podrun::state {

// Where a pod's files live. Roots are overridable for tests (PODRUN_RUN_ROOT,
// PODRUN_LIB_ROOT) but default to /run/podrun and /var/lib/podrun.
struct PodPaths {
    std::string pod;
    std::string run_root;
    std::string lib_root;

    static PodPaths for_pod(const std::string& pod);
    std::string dir() const { return run_root + "/" + pod; }
    std::string state_file() const { return dir() + "/state.json"; }
    std::string lock_file() const { return dir() + "/lock"; }
    // Written by `down --timeout S` before it signals the supervisor: the grace to use.
    std::string stop_request_file() const { return dir() + "/stop-request"; }
    std::string supervisor_log() const { return dir() + "/supervisor.log"; }
    std::string logs_dir() const { return dir() + "/logs"; }
    std::string log_file(const std::string& c) const { return logs_dir() + "/" + c + ".log"; }
    // The pod's scratch tmpfs (container roots, memory emptyDirs, /etc files, /dev/shm) is
    // mounted over the pod's own directory inside the pod's mount namespace only: the host
    // keeps seeing state.json and the logs there, and no directory is made for it (on a /run
    // on disk each directory costs a block, and freeing it a discard: bench/RESULTS.md).
    std::string scratch() const { return dir(); }
    // The pod's hostname and hosts files, in its scratch tmpfs (pod mount namespace only).
    std::string etc_dir() const { return scratch() + "/etc"; }
    // The pod's /dev/shm, one tmpfs bound into every container (pod mount namespace only).
    std::string shm_dir() const { return scratch() + "/shm"; }
    // pause's network namespace bound to a file (pasta --netns, CNI_NETNS). On the host
    // side of the pod's directory: the pod's mount namespace has its scratch over it.
    std::string netns_file() const { return dir() + "/netns"; }
    std::string pasta_log() const { return dir() + "/pasta.log"; }
    std::string lib_dir() const { return lib_root + "/" + pod; }
    std::string disk_volume(const std::string& v) const { return lib_dir() + "/volumes/" + v; }
    // A persistentVolumeClaim's directory: the machine's, not the pod's (volumes/claims.hpp).
    std::string claim_dir(const std::string& claim) const { return lib_root + "/volumes/" + claim; }
    std::string memory_volume(const std::string& v) const { return scratch() + "/volumes/" + v; }
};

std::string run_root();
std::string lib_root();

struct ProcessRecord {
    pid_t pid = 0;
    uint64_t start_time = 0;  // /proc/PID/stat starttime; 0 = not started yet
    bool matches() const;     // the pid still names the same process
};

struct ContainerRecord {
    std::string name;
    bool init = false;
    ProcessRecord process;
    std::string state = "waiting";  // waiting | running | terminated
    std::string reason;
    std::string message;  // with a waiting reason: why (ErrImagePull's error)
    int exit_code = 0;
    int restart_count = 0;
    std::string started_at, finished_at;
    std::string working_dir;      // the manifest's workingDir ("" = "/"): where `podrun exec` starts
    std::string image, image_id;  // a registry image: its reference and repo@sha256:<digest>
    std::string image_ref;        // its store image ID (sha256:<config>): `rmi` refuses it while running
    bool sidecar = false;         // init container with restartPolicy Always
    bool started = false;         // startupProbe passed (or none)
    bool ready = false;           // readinessProbe says ready (or none, once started)
    std::string log_error;        // why lines were lost for its log file ("" = none were)
    uint64_t log_lines_lost = 0;
};

// A hostPort the pod's forwarder listens on (in the supervisor: the socket dies with it).
struct PortRecord {
    std::string host_ip;  // an address literal (0.0.0.0, ::, ...)
    int host_port = 0;
    int container_port = 0;
    std::string protocol = "TCP";
};

// The pod's network (docs/network.md): its mode and what was made for it, each recorded
// before it is made so that down and gc undo it after a killed supervisor.
struct NetworkRecord {
    std::string mode = "none";  // none | pasta | bridge[:NAME] | host
    std::string netns_file;     // pause's netns bound here (host mount namespace); "" = none
    ProcessRecord pasta;        // pasta, recorded before it execs
    std::string pod_ip;         // status.podIP ("" = loopback only)
    // bridge: the conflist as given to ADD (DEL gets the same), the container ID and
    // interface, and ADD's result once known (DEL's prevResult).
    std::string cni_conflist, cni_container_id, cni_ifname, cni_result;
};

struct PodState {
    std::string name;
    std::string uid;
    std::string created_at;
    std::string phase = "Pending";
    std::string manifest_path;
    ProcessRecord supervisor;
    ProcessRecord pause;
    std::string cgroup_parent;   // the pod cgroup is <cgroup_parent>/<name>
    int64_t grace_seconds = 30;  // spec.terminationGracePeriodSeconds
    bool detached = false;
    std::string namespace_ = "default";
    std::map<std::string, std::string> labels, annotations;
    std::string hostname;
    std::vector<std::string> dirs;  // directories podrun created (removed on cleanup)
    std::vector<ContainerRecord> containers;
    std::vector<PortRecord> ports;    // published hostPorts (`ps`, and who holds a port)
    std::vector<std::string> claims;  // persistentVolumeClaims it mounts (`volume rm` refuses them)
    NetworkRecord network;

    nlohmann::json to_json() const;
    static PodState from_json(const nlohmann::json& j);
};

// Writes state.json atomically (tmp + fsync + rename).
void save(const PodPaths& paths, const PodState& st);
std::optional<PodState> load(const PodPaths& paths);
// Names of pods that have a state directory.
std::vector<std::string> list_pods();

}  // namespace podrun::state
