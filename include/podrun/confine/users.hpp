// The user a container runs as (pure): runAsUser, runAsGroup, supplementalGroups with its
// policy, fsGroup, and the container's own /etc/passwd and /etc/group (the image's; the
// host's for an image-less container), as containerd's WithUserID and WithAdditionalGIDs
// read them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podrun/spec/security.hpp"

namespace podrun::confine {

struct Identity {
    uint32_t uid = 0, gid = 0;
    std::vector<gid_t> groups;  // supplementary, in setgroups order
    std::string user_name;      // from /etc/passwd, if the uid is there
    std::string home;           // that entry's home directory ("" when none): HOME's default
    std::string why;            // for --explain: where uid, gid and each group came from
};

// passwd/group: the files' text (nullopt: no such file). uid = runAsUser, else 0 (podrun's
// image-less containers run as root unless told otherwise). gid = runAsGroup, else the
// uid's entry in passwd, else 0. groups = with policy Merge the groups of /etc/group that
// list the user by name, then supplementalGroups, then fsGroup; with Strict only the last
// two (KEP-3619). Duplicates are dropped.
Identity resolve_identity(const spec::SecurityContext& sc, const std::optional<std::string>& passwd,
                          const std::optional<std::string>& group);

}  // namespace podrun::confine
