// cgroup v2: finding the hierarchy, the pod's tree (<parent>/<pod>/{_pause,<container>}),
// and teardown with the kernel's one-shot files (cgroup.kill, cgroup.events).
// Resource files are written by cgroup/limits (the resources issue).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "podrun/cgroup/limits.hpp"
#include "podrun/sys/fd.hpp"

namespace podrun::cgroup {

// The cgroup2 mount point from /proc/self/mountinfo (never assumed to be /sys/fs/cgroup).
std::optional<std::string> find_cgroup2_mount();
// Parses mountinfo text; exposed for unit tests.
std::optional<std::string> cgroup2_mount_from_mountinfo(const std::string& mountinfo);

// Default parent of all pods: a "podrun" cgroup at the root of our cgroup namespace.
std::string default_parent(const std::string& mount_point);

// The pod's subtree. Only leaves hold processes ("no internal processes" rule).
class PodTree {
  public:
    PodTree() = default;
    PodTree(std::string parent, std::string pod) : parent_(std::move(parent)), pod_(std::move(pod)) {}

    // Which controllers this pod's files are written for (empty: grouping only, as on a
    // host whose cgroup2 has no controllers), and the cpu.weight formula.
    void set_limits(std::set<std::string> controllers, WeightFormula f) {
        controllers_ = std::move(controllers);
        formula_ = f;
    }
    const std::set<std::string>& controllers() const { return controllers_; }
    WeightFormula formula() const { return formula_; }

    const std::string& parent() const { return parent_; }
    std::string pod_dir() const { return parent_ + "/" + pod_; }
    std::string leaf_dir(const std::string& leaf) const { return pod_dir() + "/" + leaf; }

    // mkdir parent and pod cgroups (EEXIST fine).
    void create() const;
    // mkdir the leaf, write its resource files, open it for CLONE_INTO_CGROUP.
    sys::UniqueFd make_leaf(const std::string& leaf, const std::vector<CgroupWrite>& writes = {}) const;
    // Removes a leaf a previous instance used (killing what is left in it, waiting up to
    // timeout_ms for it to empty), so that the next instance gets a new one. False if it
    // is still populated then.
    bool remove_leaf(const std::string& leaf, int timeout_ms) const;
    // Writes each file in `dir`, narrating value and rule.
    static void apply(const std::string& dir, const std::vector<CgroupWrite>& writes);
    // memory.events "oom_kill" of a cgroup (0 without the memory controller).
    static uint64_t oom_kills(const std::string& dir);
    // Kills everything in `dir` (cgroup.kill) and waits until cgroup.events says
    // "populated 0", up to timeout_ms. Returns false on timeout.
    static bool kill_and_wait(const std::string& dir, int timeout_ms);
    static bool populated(const std::string& dir);
    // Kills, waits, and removes leaves, the pod cgroup and the parent if it is empty.
    // Returns problems as text (empty = clean).
    std::vector<std::string> destroy() const;

  private:
    std::string parent_;
    std::string pod_;
    std::set<std::string> controllers_;
    WeightFormula formula_ = WeightFormula::Quadratic;
};

}  // namespace podrun::cgroup
