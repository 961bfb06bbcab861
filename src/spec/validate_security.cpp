// securityContext: the pod level (PodSecurityContext), each container's (SecurityContext),
// and their merge, with Kubernetes' rules (pkg/apis/core/validation) and the kubelet's
// merge (container wins for runAsUser, runAsGroup, runAsNonRoot, seccompProfile,
// appArmorProfile, seLinuxOptions). See docs/manifest.md, "securityContext".
#include <algorithm>
#include <cctype>
#include <set>

#include "names.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

constexpr int64_t kMaxId = 2147483647;  // Kubernetes' IsValidUserID/IsValidGroupID: int32

constexpr std::string_view kAppArmorNote =
    "podrun applies no AppArmor profile (RuntimeDefault and Unconfined both mean none here; "
    "the container is confined by seccomp, capabilities, masks and the device filter)";

// runAsUser, runAsGroup, fsGroup: a Linux id in Kubernetes' range.
std::optional<int64_t> id_field(Checker& ck, const Json& obj, std::string_view key, const std::string& path,
                                std::string_view what) {
    auto v = ck.integer(obj, key, path);
    if (v && (*v < 0 || *v > kMaxId)) {
        ck.error(join(path, key), std::to_string(*v) + " must be between 0 and 2147483647 (a " + std::string(what) +
                                      ", as Kubernetes allows)");
        return std::nullopt;
    }
    return v;
}

// The type/localhostProfile pair of seccompProfile and appArmorProfile, with Kubernetes'
// consistency rules. Returns the type when it is valid.
std::optional<std::string> profile(Checker& ck, const Json& sc, std::string_view key, const std::string& path,
                                   Kind kind, std::string* localhost) {
    const std::string p = join(path, key);
    const Json* o = ck.object(member(sc, key), p, kind);
    if (o == nullptr) return std::nullopt;
    auto type = ck.string(*o, "type", p);
    auto lp = ck.string(*o, "localhostProfile", p);
    if (lp && lp->empty()) lp.reset();  // "" is Go's zero value: not set
    std::optional<std::string> result;
    if (!type) {
        if (member(*o, "type") == nullptr)
            ck.error(join(p, "type"), "required; use RuntimeDefault, Unconfined or Localhost");
    } else if (*type != "RuntimeDefault" && *type != "Unconfined" && *type != "Localhost") {
        ck.error(join(p, "type"), quote(*type) + " must be RuntimeDefault, Unconfined or Localhost");
    } else {
        result = type;
    }
    if (result == "Localhost" && !lp) {
        ck.error(join(p, "localhostProfile"),
                 "required when type is Localhost (the profile's path, relative to the "
                 "profile directory)");
        result.reset();
    } else if (result && *result != "Localhost" && lp) {
        ck.error(join(p, "localhostProfile"),
                 "can only be set when type is Localhost; remove it or set type: Localhost");
        result.reset();
    }
    if (lp && (lp->front() == '/' || has_dotdot_element(*lp))) {
        ck.error(join(p, "localhostProfile"), quote(*lp) +
                                                  " must be a relative path without '..' (it names a file below "
                                                  "the profile directory)");
        result.reset();
    }
    if (localhost != nullptr && lp) *localhost = *lp;
    return result;
}

std::optional<SeccompProfile> seccomp(Checker& ck, const Json& sc, const std::string& path) {
    std::string lp;
    auto type = profile(ck, sc, "seccompProfile", path, Kind::SeccompProfile, &lp);
    if (!type) return std::nullopt;
    SeccompProfile out;
    if (*type == "Unconfined")
        out.kind = SeccompKind::Unconfined;
    else if (*type == "Localhost") {
        out.kind = SeccompKind::Localhost;
        out.localhost_profile = lp;
    }
    return out;
}

void app_armor(Checker& ck, const Json& sc, const std::string& path) {
    auto type = profile(ck, sc, "appArmorProfile", path, Kind::AppArmorProfile, nullptr);
    const std::string p = join(path, "appArmorProfile");
    if (type == "Localhost")
        ck.error(p,
                 "type Localhost: podrun loads no AppArmor profiles (its confinement is seccomp, "
                 "capabilities, masks and the device filter); use a seccompProfile of type "
                 "Localhost instead, or remove appArmorProfile");
    else if (type)
        ck.note(kAppArmorNote, p);
}

// seLinuxOptions: accepted when it sets no label, since podrun applies none.
void se_linux(Checker& ck, const Json& sc, const std::string& path) {
    const std::string p = join(path, "seLinuxOptions");
    const Json* o = ck.object(member(sc, "seLinuxOptions"), p, Kind::SELinuxOptions);
    if (o == nullptr) return;
    bool any = false;
    for (const char* key : {"user", "role", "type", "level"}) {
        auto v = ck.string(*o, key, p);
        if (!v || v->empty()) continue;
        any = true;
        ck.error(join(p, key), quote(*v) +
                                   ": podrun applies no SELinux labels (it is not an "
                                   "SELinux-aware runtime); remove seLinuxOptions to run here");
    }
    if (!any) ck.note("SELinux options that set no label (podrun applies none)", p);
}

// windowsOptions: accepted only when it asks for nothing.
void windows(Checker& ck, const Json& sc, const std::string& path) {
    const std::string p = join(path, "windowsOptions");
    const Json* o = ck.object(member(sc, "windowsOptions"), p, Kind::WindowsOptions);
    if (o == nullptr) return;
    bool any = false;
    const std::string why = ": a Windows-only option; podrun runs Linux containers (remove it)";
    for (const char* key : {"gmsaCredentialSpecName", "gmsaCredentialSpec", "runAsUserName"}) {
        auto v = ck.string(*o, key, p);
        if (!v || v->empty()) continue;
        any = true;
        ck.error(join(p, key), quote(*v) + why);
    }
    if (ck.boolean(*o, "hostProcess", p).value_or(false)) {
        any = true;
        ck.error(join(p, "hostProcess"), "true" + why);
    }
    if (!any) ck.note("Windows options that ask for nothing (podrun runs Linux containers)", p);
}

// Kubernetes' IsValidSysctlName: segments [a-z0-9]([-_a-z0-9]*[a-z0-9])? joined by '.' or
// '/', at most 253 characters.
bool sysctl_name_ok(std::string_view n) {
    if (n.empty() || n.size() > 253) return false;
    size_t start = 0;
    while (true) {
        size_t end = n.find_first_of("./", start);
        std::string_view seg = n.substr(start, end == std::string_view::npos ? end : end - start);
        if (seg.empty()) return false;
        auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
        if (!alnum(seg.front()) || !alnum(seg.back())) return false;
        for (char c : seg)
            if (!alnum(c) && c != '-' && c != '_') return false;
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

// The kubelet's NormalizeName: a name whose first separator is '/' swaps '/' and '.'.
std::string normalise_sysctl(std::string_view n) {
    const size_t first = n.find_first_of("./");
    if (first == std::string_view::npos || n[first] == '.') return std::string(n);
    return sysctl_proc_path(n);  // the same swap, in the other direction
}

void sysctls(Checker& ck, const Json& psc, const std::string& path, bool host_network, bool host_ipc, Pod& pod) {
    const Json* arr = ck.array(psc, "sysctls", path);
    if (arr == nullptr) return;
    std::set<std::string> seen;
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = index(join(path, "sysctls"), i);
        const Json* o = ck.object(&(*arr)[i], p, Kind::Sysctl);
        if (o == nullptr) continue;
        auto value = ck.string(*o, "value", p);
        if (!value && member(*o, "value") == nullptr) ck.error(join(p, "value"), "required");
        auto name = ck.string(*o, "name", p);
        const std::string np = join(p, "name");
        if (!name) {
            if (member(*o, "name") == nullptr) ck.error(np, "required");
            continue;
        }
        if (!sysctl_name_ok(*name)) {
            ck.error(np, quote(*name) +
                             " is not a sysctl name: lowercase letters, digits, '-' and '_', "
                             "in components separated by '.' or '/', at most 253 characters "
                             "(e.g. net.ipv4.ip_unprivileged_port_start)");
            continue;
        }
        const std::string n = normalise_sysctl(*name);
        if (!seen.insert(n).second) {
            ck.error(np, quote(*name) + " is given twice");
            continue;
        }
        const SysctlNamespace ns = sysctl_namespace(n);
        if (ns == SysctlNamespace::None) {
            ck.error(np, quote(*name) +
                             " is not a namespaced sysctl: setting it would change the whole "
                             "host. podrun sets only kernel.shm*, kernel.msg*, kernel.sem, "
                             "fs.mqueue.* (IPC namespace) and net.* (network namespace)");
        } else if (ns == SysctlNamespace::Net && host_network) {
            ck.error(np, quote(*name) +
                             " may not be set when hostNetwork is true (it would change the "
                             "host's network stack); remove it or hostNetwork");
        } else if (ns == SysctlNamespace::Ipc && host_ipc) {
            ck.error(np, quote(*name) +
                             " may not be set when hostIPC is true (it would change the "
                             "host's IPC limits); remove it or hostIPC");
        } else if (value) {
            pod.security.sysctls.push_back(Sysctl{n, *value});
        }
    }
}

// One capability name as the CRI runtimes take it: with or without CAP_, any case.
void capability_list(Checker& ck, const Json& caps, const char* key, const std::string& path,
                     std::vector<std::string>& out) {
    const Json* arr = ck.array(caps, key, path);
    if (arr == nullptr) return;
    static const std::vector<std::string_view> candidates = [] {
        std::vector<std::string_view> c{"ALL"};
        for (std::string_view n : capability_names()) c.push_back(n.substr(4));
        return c;
    }();
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = index(join(path, key), i);
        const Json& item = (*arr)[i];
        if (!item.is_string()) {
            ck.type_error(p, "a capability name (a string)", item);
            continue;
        }
        const std::string raw = item.get<std::string>();
        std::string up = raw;
        for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (up == "ALL") {
            out.push_back("ALL");
            continue;
        }
        const std::string bare = up.rfind("CAP_", 0) == 0 ? up.substr(4) : up;
        if (capability_number("CAP_" + bare) >= 0) {
            out.push_back("CAP_" + bare);
            continue;
        }
        const std::string near = closest(bare, candidates);
        ck.error(p, quote(raw) + " is not a Linux capability" +
                        (near.empty() ? " (see capabilities(7); write e.g. NET_ADMIN)"
                                      : "; did you mean " + quote(near) + "?"));
    }
}

// The fields both levels have; `user_path`/`non_root_path` receive where those came from.
void common_fields(Checker& ck, const Json& sc, const std::string& path, SecurityContext& out, std::string& user_path,
                   std::string& non_root_path) {
    if (auto u = id_field(ck, sc, "runAsUser", path, "uid")) {
        out.run_as_user = u;
        user_path = join(path, "runAsUser");
    }
    if (auto g = id_field(ck, sc, "runAsGroup", path, "gid")) out.run_as_group = g;
    if (auto nr = ck.boolean(sc, "runAsNonRoot", path)) {
        out.run_as_non_root = nr;
        non_root_path = join(path, "runAsNonRoot");
    }
    if (auto s = seccomp(ck, sc, path)) out.seccomp = *s;
    app_armor(ck, sc, path);
    se_linux(ck, sc, path);
    windows(ck, sc, path);
}

// A field written at the wrong level is a common slip: say where it belongs instead of only
// "unknown field" (the error the table check recorded for it).
void hint_level(Checker& ck, const Json& sc, const std::string& path, std::initializer_list<const char*> keys,
                const std::string& where) {
    for (const char* key : keys) {
        if (!sc.contains(key)) continue;
        const std::string p = join(path, key);
        for (Problem& e : ck.errors)
            if (e.path == p) e.message = "unknown field here: " + std::string(key) + " is a field of " + where;
    }
}

template <typename Enum>
std::optional<Enum> enum_field(Checker& ck, const Json& obj, std::string_view key, const std::string& path,
                               std::initializer_list<std::pair<std::string_view, Enum>> values) {
    auto v = ck.string(obj, key, path);
    if (!v) return std::nullopt;
    std::string all;
    for (const auto& [name, e] : values) {
        if (*v == name) return e;
        all += (all.empty() ? "" : " or ") + std::string(name);
    }
    ck.error(join(path, key), quote(*v) + " must be " + all);
    return std::nullopt;
}

}  // namespace

PodSecurityDefaults validate_pod_security(Checker& ck, const Json& spec, bool host_network, bool host_ipc, Pod& pod) {
    PodSecurityDefaults d;
    const std::string path = "spec.securityContext";
    const Json* psc = ck.object(member(spec, "securityContext"), path, Kind::PodSecurityContext);
    if (psc == nullptr) return d;
    hint_level(ck, *psc, path,
               {"capabilities", "privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "procMount"},
               "each container's securityContext (spec.containers[*].securityContext)");
    common_fields(ck, *psc, path, d.base, d.run_as_user_path, d.run_as_non_root_path);
    if (const Json* arr = ck.array(*psc, "supplementalGroups", path)) {
        const std::string p = join(path, "supplementalGroups");
        for (size_t i = 0; i < arr->size(); ++i) {
            const Json& g = (*arr)[i];
            if (!g.is_number_integer())
                ck.type_error(index(p, i), "an integer (a gid)", g);
            else if (g.get<int64_t>() < 0 || g.get<int64_t>() > kMaxId)
                ck.error(index(p, i), g.dump() +
                                          " must be between 0 and 2147483647 (a gid, as "
                                          "Kubernetes allows)");
            else
                d.base.supplemental_groups.push_back(g.get<int64_t>());
        }
    }
    if (auto pol = enum_field<SupplementalGroupsPolicy>(
            ck, *psc, "supplementalGroupsPolicy", path,
            {{"Merge", SupplementalGroupsPolicy::Merge}, {"Strict", SupplementalGroupsPolicy::Strict}}))
        d.base.supplemental_groups_policy = *pol;
    if (auto fs = id_field(ck, *psc, "fsGroup", path, "gid")) {
        d.base.fs_group = fs;
        pod.security.fs_group = fs;
    }
    if (auto pol = enum_field<FsGroupChangePolicy>(
            ck, *psc, "fsGroupChangePolicy", path,
            {{"Always", FsGroupChangePolicy::Always}, {"OnRootMismatch", FsGroupChangePolicy::OnRootMismatch}}))
        pod.security.fs_group_change_policy = *pol;
    sysctls(ck, *psc, path, host_network, host_ipc, pod);
    return d;
}

void validate_container_security(Checker& ck, const Json& v, const std::string& cpath, const PodSecurityDefaults& pod,
                                 Container& c) {
    SecurityContext sc = pod.base;  // the pod's values, which the container's override
    std::string user_path = pod.run_as_user_path, non_root_path = pod.run_as_non_root_path;
    const std::string path = join(cpath, "securityContext");
    if (const Json* o = ck.object(member(v, "securityContext"), path, Kind::SecurityContext)) {
        hint_level(ck, *o, path,
                   {"fsGroup", "fsGroupChangePolicy", "supplementalGroups", "supplementalGroupsPolicy", "sysctls",
                    "seLinuxChangePolicy"},
                   "the pod's securityContext (spec.securityContext)");
        common_fields(ck, *o, path, sc, user_path, non_root_path);
        sc.privileged = ck.boolean(*o, "privileged", path).value_or(false);
        sc.read_only_root_filesystem = ck.boolean(*o, "readOnlyRootFilesystem", path).value_or(false);
        sc.allow_privilege_escalation = ck.boolean(*o, "allowPrivilegeEscalation", path);
        const std::string cp = join(path, "capabilities");
        if (const Json* caps = ck.object(member(*o, "capabilities"), cp, Kind::Capabilities)) {
            capability_list(ck, *caps, "add", cp, sc.capabilities.add);
            capability_list(ck, *caps, "drop", cp, sc.capabilities.drop);
        }
        if (auto pm = enum_field<ProcMount>(ck, *o, "procMount", path,
                                            {{"Default", ProcMount::Default}, {"Unmasked", ProcMount::Unmasked}})) {
            sc.proc_mount = *pm;
            if (*pm == ProcMount::Unmasked)
                ck.error(join(path, "procMount"),
                         "\"Unmasked\": Kubernetes allows it only with hostUsers: false (a "
                         "user namespace), which podrun does not support yet; use Default");
        }
        if (sc.allow_privilege_escalation == false) {
            const std::string ap = join(path, "allowPrivilegeEscalation");
            if (sc.privileged)
                ck.error(ap,
                         "false cannot be combined with privileged: true (a privileged "
                         "container can always gain privileges; Kubernetes refuses it too); "
                         "remove one of them");
            if (std::count(sc.capabilities.add.begin(), sc.capabilities.add.end(), "CAP_SYS_ADMIN"))
                ck.error(ap,
                         "false cannot be combined with capabilities.add CAP_SYS_ADMIN (such a "
                         "container can always gain privileges; Kubernetes refuses it too); "
                         "remove one of them");
        }
    }
    // Kubernetes' runtimes run a privileged container without seccomp, whatever it asks for.
    if (sc.privileged) sc.seccomp = SeccompProfile{SeccompKind::Unconfined, {}};
    if (sc.run_as_non_root == true) {
        // Without an image (host programs) or with a rootfs directory (no image config to
        // name a user), the container runs as uid 0 unless runAsUser says otherwise.
        const Json* img = member(v, "image");
        const std::string image = img && img->is_string() ? img->get<std::string>() : "";
        const bool root_by_default = image.empty() || image.front() == '/';
        if (sc.run_as_user == 0)
            ck.error(user_path, "0 (root) breaks runAsNonRoot: true (" + non_root_path +
                                    "); give a non-zero uid or remove runAsNonRoot");
        else if (!sc.run_as_user && root_by_default)
            ck.error(non_root_path, "true, but container " + quote(c.name) + " would run as root (no runAsUser, " +
                                        (image.empty() ? "and without an image podrun runs host programs as uid 0"
                                                       : "and a rootfs-directory image has no config naming a "
                                                         "user, so it runs as uid 0") +
                                        "); set runAsUser to a non-zero uid");
        // With a registry image and no runAsUser, the image's user is checked when the pod
        // starts.
    }
    c.security = std::move(sc);
}

void validate_security_annotations(Checker& ck, const Pod& pod) {
    std::set<std::string> names;
    for (const auto* list : {&pod.init_containers, &pod.containers})
        for (const Container& c : *list) names.insert(c.name);
    const std::string seccomp_pod = "seccomp.security.alpha.kubernetes.io/pod";
    const std::string seccomp_prefix = "container.seccomp.security.alpha.kubernetes.io/";
    const std::string apparmor_prefix = "container.apparmor.security.beta.kubernetes.io/";
    for (const auto& [key, value] : pod.metadata.annotations) {
        const std::string p = key_path("metadata.annotations", key);
        if (key == seccomp_pod || key.rfind(seccomp_prefix, 0) == 0) {
            ck.note(
                "seccomp annotations have had no effect since Kubernetes v1.25 and have "
                "none in podrun; use securityContext.seccompProfile",
                p);
        } else if (key.rfind(apparmor_prefix, 0) == 0) {
            const std::string name = key.substr(apparmor_prefix.size());
            if (!names.count(name)) ck.error(p, "names container " + quote(name) + ", which this pod does not have");
            if (value == "runtime/default" || value == "unconfined")
                ck.note(kAppArmorNote, p);
            else if (value.rfind("localhost/", 0) == 0)
                ck.error(p, quote(value) +
                                ": podrun loads no AppArmor profiles; use runtime/default, or "
                                "a seccompProfile of type Localhost");
            else
                ck.error(p, quote(value) +
                                " is not an AppArmor profile name: use runtime/default, "
                                "unconfined or localhost/<profile> (or, since Kubernetes "
                                "v1.30, securityContext.appArmorProfile)");
        }
    }
}

}  // namespace podrun::spec::detail
