// Making controllers available to the pod's leaves: "+cpu +memory +pids" in
// cgroup.subtree_control of every cgroup from the hierarchy's root down to the pod
// (cgroup-v2.rst, "Top-down constraint"), honouring "no internal processes".
#pragma once

#include <set>
#include <string>
#include <vector>

namespace podrun::cgroup {

std::set<std::string> read_controller_list(const std::string& file);  // cgroup.controllers & co
// Controllers the hierarchy offers at its root (the mount point).
std::set<std::string> available_controllers(const std::string& mount_point);

// What enable_controllers did (for the log and --explain).
struct EnableReport {
    std::vector<std::string> writes;  // "<dir>/cgroup.subtree_control += cpu"
    std::vector<int> moved_pids;      // processes moved out of the namespace root
    std::string moved_to;             // the leaf they were moved into
};

// Enables `controllers` in the subtree_control of each cgroup from `mount_point` down to
// `dir` inclusive. When the root of our cgroup namespace (the mount point) holds processes
// and is not the real root - what `docker run --privileged` gives on a cgroup v2 host - the
// kernel refuses (EBUSY); those processes are moved into `<root>/init` first, as nsjail and
// the docker-in-docker entrypoint do. Throws SysError naming the file.
EnableReport enable_controllers(const std::string& mount_point, const std::string& dir,
                                const std::set<std::string>& controllers);

}  // namespace podrun::cgroup
