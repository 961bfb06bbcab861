// The mount table as this process sees it, and detaching mounts (see mounts.hpp).
#include "podrun/sys/mounts.hpp"

#include <sys/mount.h>

#include <set>
#include <sstream>

#include "podrun/sys/files.hpp"

#include "podrun/sys/error.hpp"

namespace podrun::sys {

namespace {
struct MountEntry {
    int id = 0, parent = 0;
    std::string point;
};
std::vector<MountEntry> mount_entries() {
    std::vector<MountEntry> out;
    std::istringstream in(try_read_file("/proc/self/mountinfo").value_or(""));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        MountEntry e;
        std::string dev, root;
        f >> e.id >> e.parent >> dev >> root >> e.point;
        out.push_back(e);
    }
    return out;
}
}  // namespace

bool root_is_mount_point() {
    for (const auto& e : mount_entries()) {
        if (e.point == "/") return true;
    }
    return false;
}

std::vector<std::string> top_mount_points() {
    auto entries = mount_entries();
    std::set<int> ids;
    for (const auto& e : entries) ids.insert(e.id);
    std::vector<std::string> out;
    for (const auto& e : entries) {
        if (!ids.count(e.parent)) out.push_back(e.point);
    }
    return out;
}

bool is_mount_point_listed(const std::string& path) {
    for (const auto& e : mount_entries()) {
        if (e.point == path) return true;
    }
    return false;
}

void bind_mount_file(const std::string& src, const std::string& dst) {
    if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) < 0)
        throw_errno("mount(" + src + " on " + dst + ", MS_BIND)");
}

int detach_mount(const std::string& path) {
    return ::umount2(path.c_str(), MNT_DETACH) < 0 ? errno : 0;
}

}  // namespace podrun::sys
