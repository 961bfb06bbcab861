// The mount table as this process sees it (/proc/self/mountinfo), and detaching a mount.
#pragma once

#include <string>
#include <vector>

namespace podrun::sys {

// Is "/" a mount point? (Not after a plain chroot(2) into a directory.) And the visible
// mounts whose parent is not visible: the tops of the tree as this process sees it.
bool root_is_mount_point();
std::vector<std::string> top_mount_points();
bool is_mount_point_listed(const std::string& path);
// umount2(MNT_DETACH); errno or 0.
int detach_mount(const std::string& path);

}  // namespace podrun::sys
