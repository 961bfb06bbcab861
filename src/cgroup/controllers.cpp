// Enabling controllers top-down (see controllers.hpp).
#include "podrun/cgroup/controllers.hpp"

#include <cerrno>
#include <sstream>

#include "podrun/explain.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::cgroup {

std::set<std::string> read_controller_list(const std::string& file) {
    std::set<std::string> out;
    std::istringstream in(sys::try_read_file(file).value_or(""));
    std::string c;
    while (in >> c) out.insert(c);
    return out;
}

std::set<std::string> available_controllers(const std::string& mount_point) {
    return read_controller_list(mount_point + "/cgroup.controllers");
}

namespace {

std::vector<int> procs_of(const std::string& dir) {
    std::vector<int> pids;
    std::istringstream in(sys::try_read_file(dir + "/cgroup.procs").value_or(""));
    int p;
    while (in >> p) pids.push_back(p);
    return pids;
}

// The real root of the hierarchy has no cgroup.kill / is exempt from the internal-process
// rule; a cgroup-namespace root is an ordinary cgroup seen from inside.
bool is_real_root(const std::string& dir) {
    return !sys::exists(dir + "/cgroup.kill") && !sys::exists(dir + "/cgroup.type");
}

void move_processes_out(const std::string& root, EnableReport& rep) {
    std::string leaf = root + "/init";
    sys::make_dir(leaf, 0755);
    rep.moved_to = leaf;
    // Repeat: a process may fork while we move them; the set shrinks to empty.
    for (int round = 0; round < 10; round++) {
        auto pids = procs_of(root);
        if (pids.empty()) break;
        for (int p : pids) {
            try {
                sys::write_file(leaf + "/cgroup.procs", std::to_string(p));
                rep.moved_pids.push_back(p);
            } catch (const sys::SysError& e) {
                if (e.err() != ESRCH) throw;  // it exited meanwhile
            }
        }
    }
    explain("cgroup", "moved " + std::to_string(rep.moved_pids.size()) + " process(es) from " + root + " into " + leaf +
                          "  (no internal processes: a cgroup with controllers enabled for its children holds none)");
}

}  // namespace

EnableReport enable_controllers(const std::string& mount_point, const std::string& dir,
                                const std::set<std::string>& controllers) {
    EnableReport rep;
    if (controllers.empty()) return rep;
    // The chain from the mount point down to dir.
    std::vector<std::string> chain;
    for (std::string d = dir; d.size() >= mount_point.size(); d = d.substr(0, d.rfind('/'))) {
        chain.insert(chain.begin(), d);
        if (d == mount_point) break;
    }
    for (const auto& d : chain) {
        auto enabled = read_controller_list(d + "/cgroup.subtree_control");
        std::string add;
        for (const auto& c : controllers) {
            if (!enabled.count(c)) add += (add.empty() ? "+" : " +") + c;
        }
        if (add.empty()) continue;
        try {
            sys::write_file(d + "/cgroup.subtree_control", add);
        } catch (const sys::SysError& e) {
            if (e.err() != EBUSY || d != mount_point || is_real_root(d)) throw;
            move_processes_out(d, rep);
            sys::write_file(d + "/cgroup.subtree_control", add);
        }
        rep.writes.push_back(d + "/cgroup.subtree_control += " + add);
        explain("cgroup", "write " + d + "/cgroup.subtree_control = \"" + add +
                              "\"  (a controller reaches a cgroup only if every ancestor enables it)");
    }
    return rep;
}

}  // namespace podrun::cgroup
