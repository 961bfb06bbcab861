// Host probes for `podrun doctor` (see doctor.hpp). Each probe does the real thing once
// (clone3 into a cgroup with every namespace flag, pidfd_open, cgroup.kill) rather than
// reading version numbers.
#include "podrun/pod/doctor.hpp"

#include <unistd.h>

#include <set>

#include "podrun/cgroup/cgroup.hpp"
#include "podrun/cgroup/controllers.hpp"
#include "podrun/net/pasta.hpp"
#include "podrun/sys/clone_flags.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::pod {

namespace {

std::string join(const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : " ") + x;
    return out.empty() ? "(none)" : out;
}

// Starts a child with `flags` in `cgroup_fd` that exits at once; "" on success.
std::string probe_clone(uint64_t flags, int cgroup_fd) {
    try {
        sys::CloneResult r = sys::clone3_fork(sys::CloneArgs{flags, cgroup_fd, true});
        if (r.pid == 0) _exit(0);
        sys::ChildProcess child(r.pid, std::move(r.pidfd));
        child.wait();
        return "";
    } catch (const sys::SysError& e) {
        return e.what();
    }
}

bool inside_container() {
    if (sys::exists("/.dockerenv") || sys::exists("/run/.containerenv")) return true;
    auto env = sys::try_read_file("/proc/1/environ").value_or("");
    return env.find("container=") != std::string::npos;
}

}  // namespace

DoctorReport doctor() {
    DoctorReport rep;
    auto check = [&](std::string item, bool ok, std::string detail) {
        rep.checks.push_back({std::move(item), ok, std::move(detail)});
    };
    bool root = ::geteuid() == 0;
    check("root", root, root ? "running as root" : "podrun up needs root (namespaces, mounts, cgroups)");
    check("inside a container", true, inside_container() ? "yes (a container manager's marker was found)" : "no");

    auto mount = cgroup::find_cgroup2_mount();
    check("cgroup2 mount", mount.has_value(), mount ? *mount : "none in /proc/self/mountinfo: podrun cannot run pods");
    std::set<std::string> have;
    bool kill_ok = false, clone_ok = false, ns_ok = false;
    if (mount) {
        have = cgroup::available_controllers(*mount);
        check("controllers offered", have.count("cpu") && have.count("memory") && have.count("pids"),
              join(have) + (have.count("memory") ? "" : "  (cpu/memory/pids missing: a hybrid v1/v2 host)"));
        check("controllers enabled for children", true,
              join(cgroup::read_controller_list(*mount + "/cgroup.subtree_control")));
        bool ns_root = sys::exists(*mount + "/cgroup.type");
        auto procs = sys::try_read_file(*mount + "/cgroup.procs").value_or("");
        size_t nprocs = 0;
        for (char ch : procs) nprocs += ch == '\n';
        check("delegation", true,
              ns_root ? "the mount is a cgroup namespace's root (delegated); it holds " + std::to_string(nprocs) +
                            " process(es), which podrun moves into <root>/init before enabling controllers"
                      : "the mount is the hierarchy's real root");
        if (root) {
            std::string probe = *mount + "/podrun-doctor-" + std::to_string(::getpid());
            try {
                sys::make_dir(probe, 0755);
                kill_ok = sys::exists(probe + "/cgroup.kill");
                sys::UniqueFd fd = sys::open_dir(probe);
                std::string err = probe_clone(0, fd.get());
                clone_ok = err.empty();
                check("clone3 + CLONE_INTO_CGROUP", clone_ok, clone_ok ? "works" : err);
                err = probe_clone(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS, fd.get());
                ns_ok = err.empty();
                check("pid/net/ipc/uts/mount namespaces", ns_ok, ns_ok ? "all five in one clone3" : err);
            } catch (const std::exception& e) {
                check("probe cgroup", false, e.what());
            }
            sys::rmdir_errno(probe);
            check("cgroup.kill", kill_ok,
                  kill_ok ? "present (Linux >= 5.14)" : "missing: teardown cannot kill a pod at once");
        }
    }
    try {
        sys::pidfd_open(::getpid());
        check("pidfd", true, "pidfd_open works");
    } catch (const std::exception& e) {
        check("pidfd", false, e.what());
    }
    bool overlay = sys::try_read_file("/proc/filesystems").value_or("").find("overlay") != std::string::npos;
    check("overlayfs", overlay,
          overlay ? "available (images as rootfs directories)" : "not loaded (modprobe overlay) - images will fail");

    // Networking (docs/network.md): hostPort needs nothing; these say what the pasta and
    // bridge modes would find.
    const bool tun = sys::exists("/dev/net/tun");
    check("/dev/net/tun", tun, tun ? "present" : "missing: pasta cannot give pods outbound connectivity");
    const std::string pasta_path = net::find_pasta();
    const bool pasta = !pasta_path.empty() && sys::executable(pasta_path);
    check("pasta (Debian's passt)", pasta, pasta ? pasta_path : "not installed (apt-get install passt)");
    const std::string pasta_why = net::pasta_problem();
    std::string cni_missing;
    for (const char* plugin : {"bridge", "host-local", "loopback"}) {
        if (!sys::exists(std::string("/usr/lib/cni/") + plugin))
            cni_missing += std::string(cni_missing.empty() ? "" : " ") + plugin;
    }
    check("CNI plugins (/usr/lib/cni)", cni_missing.empty(),
          cni_missing.empty() ? "bridge, host-local, loopback"
                              : "missing " + cni_missing + " (apt-get install containernetworking-plugins)");
    const std::string fwd = sys::try_read_file("/proc/sys/net/ipv4/ip_forward").value_or("?");
    check("ip_forward", fwd.rfind('1', 0) == 0,
          fwd.rfind('1', 0) == 0 ? "1" : "0: bridged pods cannot reach beyond the host (sysctl net.ipv4.ip_forward=1)");
    const bool iptables = sys::exists("/usr/sbin/iptables");
    check("iptables", iptables,
          iptables ? "/usr/sbin/iptables (the bridge plugin's ipMasq)"
                   : "not installed: no outbound NAT for bridged pods (apt-get install iptables)");

    auto verdict = [&](std::string item, bool ok, std::string detail) {
        rep.verdicts.push_back({std::move(item), ok, std::move(detail)});
    };
    bool pods = root && mount && clone_ok && ns_ok && kill_ok;
    verdict("pods without resources", pods, pods ? "will run" : "will not run (see above)");
    for (const std::string c : {"cpu", "memory", "pids"}) {
        bool ok = pods && have.count(c);
        std::string what = c == "cpu"      ? "cpu requests/limits"
                           : c == "memory" ? "memory limits, OOMKilled"
                                           : "pids limit";
        verdict(what, ok, ok ? "enforced" : "not enforced here: pods asking for them fail, or run with --no-limits");
    }
    verdict("images (rootfs directories)", pods && overlay, pods && overlay ? "will run" : "will not run");
    verdict("hostPort", pods, pods ? "served by podrun's forwarder" : "will not run");
    verdict("--network=pasta (the default)", pods && pasta_why.empty(),
            !pods               ? "will not run"
            : pasta_why.empty() ? "will run: outbound through pasta, host.podrun.internal"
                                : "not here (" + pasta_why + "); pods default to none");
    const bool bridge = pods && cni_missing.empty();
    verdict("--network=bridge", bridge,
            !bridge                              ? "will not run (the CNI plugins are missing)"
            : fwd.rfind('1', 0) == 0 && iptables ? "will run, with outbound NAT"
                                                 : "pods get IPs and reach each other; no outbound NAT "
                                                   "(ip_forward or iptables missing)");
    return rep;
}

}  // namespace podrun::pod
