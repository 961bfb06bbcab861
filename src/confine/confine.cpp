// A pod's confinement: prepared once per pod, applied per container (see confine.hpp).
#include "podrun/confine/confine.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "podrun/explain.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::confine {

using nlohmann::json;

namespace {

std::string kind_name(spec::SeccompKind k) {
    switch (k) {
        case spec::SeccompKind::RuntimeDefault:
            return "RuntimeDefault";
        case spec::SeccompKind::Unconfined:
            return "Unconfined";
        case spec::SeccompKind::Localhost:
            return "Localhost";
    }
    return "?";
}

// Where a Localhost profile is, or a problem: the kubelet takes localhostProfile relative
// to its seccomp directory and never outside it.
std::string localhost_path(const std::string& rel, const std::string& field, std::vector<std::string>* problems) {
    bool dotdot = rel == ".." || rel.rfind("../", 0) == 0 || rel.find("/../") != std::string::npos ||
                  (rel.size() >= 3 && rel.compare(rel.size() - 3, 3, "/..") == 0);
    if (rel.empty() || rel[0] == '/' || dotdot) {
        problems->push_back(field + ".localhostProfile: \"" + rel + "\" must be a path relative to " +
                            localhost_profile_dir() + " without \"..\"");
        return "";
    }
    return localhost_profile_dir() + "/" + rel;
}

// A file of the pod's directory for `podrun exec`: no fsync (1-3 ms where /run is on a
// disk, bench/RESULTS.md) - after a crash of the machine there is no container to enter.
void write_pod_file(const std::string& path, const std::string& data) {
    sys::UniqueFd fd = sys::open_file(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    sys::write_all(fd.get(), data);
}

// Our own permitted set (CapPrm in /proc/self/status): a container cannot get more than
// podrun has (a root without CAP_SYS_RESOURCE, a podrun inside a container).
CapMask own_permitted() {
    auto status = sys::try_read_file("/proc/self/status");
    if (!status) return ~CapMask{0};
    auto at = status->find("\nCapPrm:");
    if (at == std::string::npos) return ~CapMask{0};
    return std::strtoull(status->c_str() + at + 8, nullptr, 16);
}

}  // namespace

std::vector<sys::DeviceRule> default_device_rules() {
    const unsigned rwm = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    return {
        {'c', -1, -1, BPF_DEVCG_ACC_MKNOD, "mknod of any character device"},
        {'b', -1, -1, BPF_DEVCG_ACC_MKNOD, "mknod of any block device"},
        {'c', 1, 3, rwm, "/dev/null"},
        {'c', 1, 5, rwm, "/dev/zero"},
        {'c', 1, 7, rwm, "/dev/full"},
        {'c', 1, 8, rwm, "/dev/random"},
        {'c', 1, 9, rwm, "/dev/urandom"},
        {'c', 5, 0, rwm, "/dev/tty"},
        {'c', 5, 2, rwm, "/dev/ptmx"},
        {'c', 136, -1, rwm, "/dev/pts/*"},
    };
}

sys::ChildConfinement ContainerPlan::child() const {
    sys::ChildConfinement c;
    c.uid = id.uid;
    c.gid = id.gid;
    c.groups = id.groups.empty() ? nullptr : id.groups.data();
    c.ngroups = id.groups.size();
    c.bounding = caps.bounding;
    c.effective = caps.effective;
    c.permitted = caps.permitted;
    c.inheritable = caps.inheritable;
    c.last_cap = last_cap;
    c.no_new_privs = no_new_privs;
    c.seccomp = seccomp ? &seccomp->prog : nullptr;
    return c;
}

void ContainerPlan::narrate(const std::string& tag) const {
    if (!explaining()) return;
    const std::string why_caps = privileged ? "privileged: every capability"
                                            : "the default set of containerd 2.x and CRI-O, then capabilities.add/drop";
    if (seccomp && !no_new_privs) {
        explain("confine", tag + "seccomp(SECCOMP_SET_MODE_FILTER, " + std::to_string(seccomp->insns.size()) +
                               " instructions, " + seccomp_what + " " + seccomp->hash +
                               ")  (first: without no_new_privs loading a filter needs "
                               "CAP_SYS_ADMIN, dropped next)");
    }
    explain("confine", tag + "prctl(PR_CAPBSET_DROP) for every capability but: " + cap_list(caps.bounding) +
                           "  (bounding set; " + why_caps + ")");
    explain("confine", tag + "prctl(PR_SET_KEEPCAPS, 1); setgroups(" + std::to_string(id.groups.size()) +
                           "); setresgid(" + std::to_string(id.gid) + "); setresuid(" + std::to_string(id.uid) +
                           "); prctl(PR_SET_KEEPCAPS, 0)  (" + id.why + ")");
    explain("confine",
            tag + "capset(effective = permitted = " + cap_list(caps.effective) + ", inheritable = " +
                cap_list(caps.inheritable) + ")  (inheritable empty as in containerd >= 1.6.2, CVE-2022-24769" +
                (id.uid != 0 ? "; uid " + std::to_string(id.uid) + " keeps none of them after execve" : "") + ")");
    explain("confine", tag + "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)  (no ambient capabilities)");
    if (no_new_privs) {
        explain("confine", tag + "prctl(PR_SET_NO_NEW_PRIVS, 1)  (allowPrivilegeEscalation: false)");
        if (seccomp) {
            explain("confine", tag + "seccomp(SECCOMP_SET_MODE_FILTER, " + std::to_string(seccomp->insns.size()) +
                                   " instructions, " + seccomp_what + " " + seccomp->hash +
                                   ")  (last before execve: as few syscalls as possible run before it)");
        }
    }
    if (!seccomp) explain("confine", tag + "no seccomp filter  (" + seccomp_what + ")");
}

PodConfinement PodConfinement::prepare(const spec::Pod& pod) {
    PodConfinement pc;
    const int last_cap = sys::kernel_last_cap();
    const CapMask own = own_permitted();
    std::vector<std::string> problems;
    std::map<std::string, std::string> texts;                             // profile path -> text
    std::map<std::string, std::shared_ptr<SeccompProgram>> cache;         // cache_key -> program
    std::map<std::string, std::pair<std::string, FilteredProfile>> keys;  // path + bounding -> cache_key, filtered
    std::map<const SeccompProgram*, std::vector<std::string>> users;
    bool any_device_filter = false;
    for (const auto* list : {&pod.init_containers, &pod.containers}) {
        for (size_t i = 0; i < list->size(); i++) {
            const spec::Container& c = (*list)[i];
            const spec::SecurityContext& sc = c.security;
            const std::string field =
                std::string(list == &pod.containers ? "spec.containers[" : "spec.initContainers[") + std::to_string(i) +
                "].securityContext";
            ContainerPlan plan;
            plan.name = c.name;
            plan.privileged = sc.privileged;
            plan.last_cap = last_cap;
            std::vector<std::string> unknown;
            plan.caps = capability_sets(sc, last_cap, &unknown);
            if (CapMask missing = plan.caps.bounding & ~own; missing) {
                spdlog::warn("{}: container \"{}\" does not get {}: podrun itself does not have {}", field, c.name,
                             cap_list(missing), missing & (missing - 1) ? "them" : "it");
                plan.caps.bounding &= own;
                plan.caps.effective &= own;
                plan.caps.permitted &= own;
                plan.caps.inheritable &= own;
            }
            for (const auto& u : unknown) {
                problems.push_back(field + ".capabilities: \"" + u + "\" is not a capability this kernel has (" +
                                   "cap_last_cap " + std::to_string(last_cap) + ")");
            }
            if (!c.image_layers.empty()) {
                // An image of the store: its files as its overlay shows them (pod/images.cpp).
                plan.id = resolve_identity(sc, c.image_passwd, c.image_group);
            } else {
                const std::string etc = c.image ? *c.image + "/etc" : "/etc";
                plan.id = resolve_identity(sc, sys::try_read_file(etc + "/passwd"), sys::try_read_file(etc + "/group"));
            }
            if (sc.run_as_non_root.value_or(false) && plan.id.uid == 0) {
                problems.push_back(field + ".runAsNonRoot: container \"" + c.name + "\" would run as uid 0 (" +
                                   (sc.run_as_user ? "runAsUser: 0"
                                                   : "runAsUser is unset, and a container without an image runs as "
                                                     "root") +
                                   "); set runAsUser to a non-zero uid, or runAsNonRoot: false");
            }
            plan.no_new_privs = sc.allow_privilege_escalation.has_value() && !*sc.allow_privilege_escalation;
            plan.device_filter = !sc.privileged;
            any_device_filter = any_device_filter || plan.device_filter;
            std::string path;
            if (sc.privileged) {
                plan.seccomp_what = "Unconfined (privileged)";
            } else if (sc.seccomp.kind == spec::SeccompKind::Unconfined) {
                plan.seccomp_what = "Unconfined (seccompProfile)";
            } else if (sc.seccomp.kind == spec::SeccompKind::RuntimeDefault) {
                path = runtime_default_profile_path();
                plan.seccomp_what = "RuntimeDefault " + path;
            } else {
                path = localhost_path(sc.seccomp.localhost_profile, field + ".seccompProfile", &problems);
                plan.seccomp_what = "Localhost " + path;
            }
            if (!path.empty()) {
                auto t = texts.find(path);
                if (t == texts.end()) {
                    auto text = sys::try_read_file(path);
                    if (!text) {
                        std::string fix = sc.seccomp.kind == spec::SeccompKind::RuntimeDefault
                                              ? "install the package "
                                                "golang-github-containers-common (podman's and "
                                                "CRI-O's default profile), or set seccompProfile: "
                                                "{type: Unconfined} "
                                                "to run without a filter"
                                              : "put the profile there, or use type RuntimeDefault";
                        throw std::runtime_error(field + ".seccompProfile: " + kind_name(sc.seccomp.kind) +
                                                 ": cannot read " + path + " (" + std::strerror(errno) + "); " + fix);
                    }
                    t = texts.emplace(path, std::move(*text)).first;
                }
                // The profile is parsed and filtered once per (profile, bounding set): parsing
                // containers-common's 25 KB profile is ~1 ms of CPU, which each container of a
                // default pod paid again before (the marginal container, bench/run section 1).
                const std::string fkey = path + '\0' + std::to_string(plan.caps.bounding);
                auto fit = keys.find(fkey);
                if (fit == keys.end()) {
                    FilteredProfile f = filter_profile(t->second, path, native_inputs(plan.caps.bounding));
                    fit = keys.emplace(fkey, std::make_pair(cache_key(t->second, f), std::move(f))).first;
                }
                const std::string& key = fit->second.first;
                const FilteredProfile& f = fit->second.second;
                auto& prog = cache[key];
                if (!prog) {
                    const std::string hash = fnv1a_hex(key);
                    const std::string kept = "kept " + std::to_string(f.rules.size()) + " of " +
                                             std::to_string(f.total) + " rules (architecture " +
                                             native_inputs(0).go_arch + ", capabilities " +
                                             cap_list(plan.caps.bounding) + ")" +
                                             (f.x32_left_out ? "; x32 left out: this kernel has no x32 "
                                                               "(x32 calls get ENOSYS, as without a filter)"
                                                             : "");
                    prog = cache_load(key, path, hash);
                    if (prog) {
                        prog->rules_kept = f.rules.size();
                        prog->rules_total = f.total;
                        explain("confine", "seccomp " + kind_name(sc.seccomp.kind) + ": read " + path + ", " + kept +
                                               "; its BPF program (" + std::to_string(prog->insns.size()) +
                                               " instructions, hash " + hash + ") from the cache " + cache_dir() +
                                               "  (compiled by an earlier pod; the key matched byte for byte)");
                    } else {
                        prog = compile(f, path, hash);
                        std::string stored = cache_store(key, *prog);
                        char ms[32];
                        std::snprintf(ms, sizeof ms, "%.1f", prog->compile_ms);
                        explain("confine",
                                "seccomp " + kind_name(sc.seccomp.kind) + ": read " + path + ", " + kept +
                                    ", compiled with libseccomp to " + std::to_string(prog->insns.size()) +
                                    " BPF instructions in " + ms + " ms, hash " + hash +
                                    (stored.empty() ? ", cached in " + cache_dir() : ", not cached: " + stored) +
                                    "  (once per distinct profile; each container only loads it)");
                    }
                    pc.programs_.push_back(prog);
                }
                users[prog.get()].push_back(c.name);
                plan.seccomp = prog;
            }
            pc.plans_[c.name] = std::move(plan);
        }
    }
    if (!problems.empty()) throw Refused(problems);
    for (const auto& [prog, names] : users) {
        if (names.size() < 2) continue;
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        explain("confine", "seccomp program " + prog->hash + " shared by " + list);
    }
    if (any_device_filter) {
        auto insns = sys::device_filter_program(default_device_rules());
        pc.device_prog_ = sys::load_device_filter(insns);
        std::string allowed;
        for (const auto& r : default_device_rules()) allowed += (allowed.empty() ? "" : ", ") + r.what;
        explain("confine", "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE, " + std::to_string(insns.size()) +
                               " instructions)  (the device filter, loaded once per pod; allows " + allowed +
                               "; everything else is EPERM)");
    }
    return pc;
}

const ContainerPlan* PodConfinement::for_container(const std::string& name) const {
    auto it = plans_.find(name);
    return it == plans_.end() ? nullptr : &it->second;
}

void PodConfinement::attach_devices(const ContainerPlan& plan, int leaf_fd, const std::string& leaf_dir) const {
    if (!plan.device_filter) {
        explain("confine", "[" + plan.name + "] no device filter  (privileged: every host device)");
        return;
    }
    explain("confine", "[" + plan.name + "] bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, " + leaf_dir +
                           ")  (the container and everything exec'd into it open only the allowed devices)");
    sys::attach_device_filter(leaf_fd, device_prog_.get(), leaf_dir);
}

void PodConfinement::save(const std::string& pod_dir) const {
    json j;
    j["programs"] = json::array();
    std::map<const SeccompProgram*, size_t> index;
    for (size_t i = 0; i < programs_.size(); i++) {
        const auto& p = *programs_[i];
        const std::string file = "seccomp-" + std::to_string(i) + ".bpf";
        write_pod_file(pod_dir + "/" + file, std::string(reinterpret_cast<const char*>(p.insns.data()),
                                                         p.insns.size() * sizeof(sock_filter)));
        j["programs"].push_back({{"file", file}, {"source", p.source}, {"hash", p.hash}});
        index[&p] = i;
    }
    json cs = json::object();
    for (const auto& [name, p] : plans_) {
        json c = {{"privileged", p.privileged},
                  {"bounding", p.caps.bounding},
                  {"effective", p.caps.effective},
                  {"permitted", p.caps.permitted},
                  {"inheritable", p.caps.inheritable},
                  {"last_cap", p.last_cap},
                  {"uid", p.id.uid},
                  {"gid", p.id.gid},
                  {"groups", p.id.groups},
                  {"why", p.id.why},
                  {"no_new_privs", p.no_new_privs},
                  {"seccomp_what", p.seccomp_what},
                  {"device_filter", p.device_filter}};
        c["seccomp"] = p.seccomp ? json(index.at(p.seccomp.get())) : json(nullptr);
        cs[name] = c;
    }
    j["containers"] = cs;
    write_pod_file(pod_dir + "/confine.json", j.dump());
}

ContainerPlan PodConfinement::load(const std::string& pod_dir, const std::string& container) {
    const std::string file = pod_dir + "/confine.json";
    auto text = sys::try_read_file(file);
    if (!text)
        throw std::runtime_error("read " + file +
                                 ": no confinement record (was the pod started by an older podrun? restart it)");
    try {
        json j = json::parse(*text);
        if (!j["containers"].contains(container))
            throw std::runtime_error(file + ": no container \"" + container + "\"");
        const json& c = j["containers"][container];
        ContainerPlan p;
        p.name = container;
        p.privileged = c["privileged"].get<bool>();
        p.caps.bounding = c["bounding"].get<uint64_t>();
        p.caps.effective = c["effective"].get<uint64_t>();
        p.caps.permitted = c["permitted"].get<uint64_t>();
        p.caps.inheritable = c["inheritable"].get<uint64_t>();
        p.last_cap = c["last_cap"].get<int>();
        p.id.uid = c["uid"].get<uint32_t>();
        p.id.gid = c["gid"].get<uint32_t>();
        p.id.groups = c["groups"].get<std::vector<gid_t>>();
        p.id.why = c["why"].get<std::string>();
        p.no_new_privs = c["no_new_privs"].get<bool>();
        p.seccomp_what = c["seccomp_what"].get<std::string>();
        p.device_filter = c["device_filter"].get<bool>();
        if (!c["seccomp"].is_null()) {
            const json& prog = j["programs"].at(c["seccomp"].get<size_t>());
            const std::string bpf = pod_dir + "/" + prog["file"].get<std::string>();
            p.seccomp = program_from_bytes(sys::read_file(bpf), prog["source"].get<std::string>(),
                                           prog["hash"].get<std::string>());
        }
        return p;
    } catch (const json::exception& e) {
        throw std::runtime_error(file + ": " + e.what());
    }
}

}  // namespace podrun::confine
