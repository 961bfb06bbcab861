// cgroup v2 tree and teardown (see cgroup.hpp).
#include "podrun/cgroup/cgroup.hpp"

#include <fcntl.h>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "podrun/explain.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/events.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/locks.hpp"

namespace podrun::cgroup {

std::optional<std::string> cgroup2_mount_from_mountinfo(const std::string& mountinfo) {
    // mountinfo(5): id parent major:minor root mount-point options [optional...] - fstype src super
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream tail(line.substr(dash + 3));
        std::string fstype;
        tail >> fstype;
        if (fstype != "cgroup2") continue;
        std::istringstream head(line.substr(0, dash));
        std::string id, parent, dev, root, mnt;
        head >> id >> parent >> dev >> root >> mnt;
        return mnt;
    }
    return std::nullopt;
}

std::optional<std::string> find_cgroup2_mount() {
    auto mi = sys::try_read_file("/proc/self/mountinfo");
    if (!mi) return std::nullopt;
    return cgroup2_mount_from_mountinfo(*mi);
}

std::string default_parent(const std::string& mount_point) {
    return mount_point + "/podrun";
}

namespace {

// Removes the cgroups below `dir`, deepest first, then `dir` itself: a container may have
// made cgroups of its own under its leaf (the root of its cgroup namespace), and a cgroup
// with children cannot be removed (EBUSY). Only directories: the interface files go with
// their cgroup. Returns the first errno (0 = all gone).
int remove_cgroup_tree(const std::string& dir) {
    int first = 0;
    for (const auto& name : sys::list_dir(dir)) {
        const std::string sub = dir + "/" + name;
        if (!sys::is_dir(sub)) continue;
        if (int err = remove_cgroup_tree(sub); err && !first) first = err;
    }
    if (int err = sys::rmdir_errno(dir)) return first ? first : err;
    explain("cgroup", "rmdir " + dir);
    return first;
}

}  // namespace

void PodTree::create() const {
    // The shared parent may be removed by the last pod leaving (destroy) at any moment
    // until our pod cgroup is in it. We make ours under a shared flock on the parent, which
    // destroy needs exclusively to remove it; if the parent went before we held that, we
    // make it again.
    for (int attempt = 0;; ++attempt) {
        if (sys::make_dir(parent_, 0755)) explain("cgroup", "mkdir " + parent_);
        try {
            sys::UniqueFd hold = sys::lock_dir(parent_, true);
            if (sys::make_dir(pod_dir(), 0755)) explain("cgroup", "mkdir " + pod_dir());
            return;
        } catch (const sys::SysError& e) {
            if (e.code().value() != ENOENT || attempt >= 100) throw;
        }
    }
}

sys::UniqueFd PodTree::make_leaf(const std::string& leaf, const std::vector<CgroupWrite>& writes) const {
    std::string d = leaf_dir(leaf);
    if (sys::make_dir(d, 0755)) explain("cgroup", "mkdir " + d + "  (a leaf: processes live only in leaves)");
    apply(d, writes);
    return sys::open_dir(d);
}

bool PodTree::remove_leaf(const std::string& leaf, int timeout_ms) const {
    std::string d = leaf_dir(leaf);
    if (!sys::exists(d)) return true;
    if (!kill_and_wait(d, timeout_ms)) return false;
    explain("cgroup", "rmdir " + d + " and what the previous instance made below it  (the next one gets a new cgroup)");
    return remove_cgroup_tree(d) == 0;
}

void PodTree::apply(const std::string& dir, const std::vector<CgroupWrite>& writes) {
    for (const auto& w : writes) {
        explain("cgroup", "write " + dir + "/" + w.file + " = \"" + w.value + "\"  (" + w.rule + ")");
        sys::write_file(dir + "/" + w.file, w.value);
    }
}

uint64_t PodTree::oom_kills(const std::string& dir) {
    std::istringstream in(sys::try_read_file(dir + "/memory.events").value_or(""));
    std::string key;
    uint64_t v = 0;
    while (in >> key >> v) {
        if (key == "oom_kill") return v;
    }
    return 0;
}

bool PodTree::populated(const std::string& dir) {
    auto ev = sys::try_read_file(dir + "/cgroup.events");
    if (!ev) return false;
    return ev->find("populated 1") != std::string::npos;
}

bool PodTree::kill_and_wait(const std::string& dir, int timeout_ms) {
    if (!sys::exists(dir)) return true;
    if (populated(dir)) {
        // cgroup.kill (Linux 5.14) SIGKILLs every process in the subtree at once, new forks
        // included, without racing against pids we would otherwise read and signal.
        sys::write_file(dir + "/cgroup.kill", "1");
        explain("cgroup", "write " + dir + "/cgroup.kill = 1");
    }
    // cgroup.events raises POLLPRI when "populated" changes (cgroup-v2.rst).
    int64_t deadline = sys::monotonic_ms() + timeout_ms;
    auto fd = sys::open_file(dir + "/cgroup.events", O_RDONLY);
    while (populated(dir)) {
        int64_t left = deadline - sys::monotonic_ms();
        if (left <= 0) return false;
        sys::wait_priority(fd.get(), static_cast<int>(left < 50 ? left : 50));
    }
    return true;
}

std::vector<std::string> PodTree::destroy() const {
    std::vector<std::string> problems;
    std::string pd = pod_dir();
    if (sys::exists(pd)) {
        try {
            if (!kill_and_wait(pd, 5000)) problems.push_back(pd + " still populated after cgroup.kill");
        } catch (const std::exception& e) {
            problems.push_back(e.what());
        }
        // Deepest first: leaves, and whatever a container made below its own.
        if (int err = remove_cgroup_tree(pd)) problems.push_back("rmdir(" + pd + " and below): " + std::strerror(err));
    }
    // The shared parent goes when the last pod leaves (EBUSY: other pods are in it), but
    // never while another pod is making its cgroup in it (create holds a shared lock).
    try {
        sys::UniqueFd excl = sys::lock_dir(parent_, false, true);
        if (!excl) {
            explain("cgroup", "keep " + parent_ + " (another pod is starting in it)");
        } else if (sys::rmdir_errno(parent_) == 0) {
            explain("cgroup", "rmdir " + parent_ + " (no pods left)");
        }
    } catch (const std::exception&) {
        // Gone already (ENOENT): nothing to remove.
    }
    return problems;
}

}  // namespace podrun::cgroup
