// The container's uid, gid and groups (see users.hpp).
#include "podrun/confine/users.hpp"

#include <algorithm>
#include <sstream>

namespace podrun::confine {

namespace {

std::vector<std::string> fields(const std::string& line) {
    std::vector<std::string> out;
    std::string f;
    std::istringstream in(line);
    while (std::getline(in, f, ':')) out.push_back(f);
    if (!line.empty() && line.back() == ':') out.emplace_back();
    return out;
}

bool parse_id(const std::string& s, uint32_t* out) {
    if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
    unsigned long v = std::stoul(s);
    if (v > 0xffffffffUL) return false;
    *out = static_cast<uint32_t>(v);
    return true;
}

}  // namespace

Identity resolve_identity(const spec::SecurityContext& sc, const std::optional<std::string>& passwd,
                          const std::optional<std::string>& group) {
    Identity id;
    id.uid = static_cast<uint32_t>(sc.run_as_user.value_or(0));
    id.why = sc.run_as_user ? "uid " + std::to_string(id.uid) + " (runAsUser)" : "uid 0 (runAsUser unset)";
    std::optional<uint32_t> passwd_gid;
    if (passwd) {
        std::istringstream in(*passwd);
        std::string line;
        while (std::getline(in, line)) {
            auto f = fields(line);
            uint32_t uid = 0, gid = 0;
            if (f.size() < 4 || !parse_id(f[2], &uid) || uid != id.uid || !parse_id(f[3], &gid)) continue;
            id.user_name = f[0];
            if (f.size() >= 6) id.home = f[5];
            passwd_gid = gid;
            break;
        }
    }
    if (sc.run_as_group) {
        id.gid = static_cast<uint32_t>(*sc.run_as_group);
        id.why += ", gid " + std::to_string(id.gid) + " (runAsGroup)";
    } else if (passwd_gid) {
        id.gid = *passwd_gid;
        id.why += ", gid " + std::to_string(id.gid) + " (" + id.user_name + "'s in /etc/passwd)";
    } else {
        id.why += ", gid 0 (runAsGroup unset, uid not in /etc/passwd)";
    }
    auto add = [&](gid_t g) {
        if (std::find(id.groups.begin(), id.groups.end(), g) == id.groups.end()) id.groups.push_back(g);
    };
    std::vector<gid_t> from_file;
    if (sc.supplemental_groups_policy == spec::SupplementalGroupsPolicy::Merge && group && !id.user_name.empty()) {
        std::istringstream in(*group);
        std::string line;
        while (std::getline(in, line)) {
            auto f = fields(line);
            uint32_t gid = 0;
            if (f.size() < 4 || !parse_id(f[2], &gid)) continue;
            std::istringstream members(f[3]);
            std::string m;
            while (std::getline(members, m, ',')) {
                if (m == id.user_name) from_file.push_back(gid);
            }
        }
    }
    for (gid_t g : from_file) add(g);
    for (int64_t g : sc.supplemental_groups) add(static_cast<gid_t>(g));
    if (sc.fs_group) add(static_cast<gid_t>(*sc.fs_group));
    std::string list;
    for (gid_t g : id.groups) list += (list.empty() ? "" : ",") + std::to_string(g);
    id.why += ", groups [" + list + "]";
    if (!from_file.empty())
        id.why += " (" + id.user_name + "'s in /etc/group, then supplementalGroups, fsGroup)";
    else if (!id.groups.empty())
        id.why += " (supplementalGroups, fsGroup)";
    return id;
}

}  // namespace podrun::confine
