// The mount table as this process sees it (/proc/self/mountinfo), binding a namespace file,
// and detaching a mount.
#pragma once

#include <string>
#include <vector>

namespace podrun::sys {

// Is "/" a mount point? (Not after a plain chroot(2) into a directory.) And the visible
// mounts whose parent is not visible: the tops of the tree as this process sees it.
bool root_is_mount_point();
std::vector<std::string> top_mount_points();
bool is_mount_point_listed(const std::string& path);
// mount(src, dst, MS_BIND) in our own mount namespace: a namespace file (/proc/PID/ns/net)
// kept reachable by path for a helper that takes one (pasta --netns, CNI_NETNS). dst must
// exist. Throws SysError.
void bind_mount_file(const std::string& src, const std::string& dst);
// umount2(MNT_DETACH); errno or 0.
int detach_mount(const std::string& path);

}  // namespace podrun::sys
