// Entering a running container (see enter.hpp). Three processes take part:
//   caller      opens the container's pidfd, root, cgroup namespace and leaf; forks the
//               joiner; reads the report pipe;
//   joiner      (host pid ns) setns(container pidfd), fchdir(root) + chroot("."),
//               clone3(CLONE_PARENT | CLONE_INTO_CGROUP);
//   program     (the container's pid ns, root and leaf) setns(its cgroup ns), stdio,
//               chdir(cwd), execve.
#include "podrun/launcher/enter.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "podrun/explain.hpp"
#include "podrun/launcher/launcher.hpp"
#include "podrun/namespaces/namespaces.hpp"
#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/clone_flags.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/op_list.hpp"

namespace podrun::launcher {

namespace {

std::string who(const EnterTarget& t) {
    std::string pid = "pid " + std::to_string(t.container_pid);
    return t.name.empty() ? pid : "container \"" + t.name + "\" (" + pid + ")";
}

// The container's handles, opened before anything is forked. The pidfd pins the process:
// once it is open and the start time matches, the /proc/PID paths opened after it are the
// container's, provided the process is still alive afterwards (checked last).
struct Opened {
    sys::UniqueFd pidfd, root, cgroup_ns, leaf;
};

Opened open_target(const EnterTarget& t, bool for_enter) {
    if (t.container_pid <= 0) throw sys::SysError(ESRCH, "enter " + who(t) + ": no process");
    const std::string proc = "/proc/" + std::to_string(t.container_pid);
    Opened o;
    o.pidfd = sys::pidfd_open(t.container_pid);
    if (t.start_time != 0 && sys::process_start_time(t.container_pid) != t.start_time) {
        throw sys::SysError(ESRCH, "enter " + who(t) + ": that pid is no longer the container's process");
    }
    o.root = sys::open_dir(proc + "/root");
    if (for_enter) {
        o.cgroup_ns = sys::open_file(proc + "/ns/cgroup", O_RDONLY);
        o.leaf = sys::open_dir(t.leaf_dir);
    }
    if (sys::pidfd_exited(o.pidfd.get())) throw sys::SysError(ESRCH, "enter " + who(t) + ": the process has exited");
    return o;
}

// The namespaces among `names` that the container does not share with us.
uint64_t differing(pid_t pid, const std::vector<std::pair<const char*, uint64_t>>& names) {
    uint64_t flags = 0;
    for (const auto& [n, f] : names) {
        auto ours = namespaces::ns_inode(::getpid(), n);
        auto theirs = namespaces::ns_inode(pid, n);
        if (!theirs) throw sys::SysError(ESRCH, "stat(/proc/" + std::to_string(pid) + "/ns/" + n + ")");
        if (ours != theirs) flags |= f;
    }
    return flags;
}

std::string path_of(const std::vector<std::string>& env) {
    for (const auto& e : env) {
        if (e.rfind("PATH=", 0) == 0) return e.substr(5);
    }
    return kDefaultPath;
}

}  // namespace

sys::Pty open_pty(const EnterTarget& t) {
    Opened o = open_target(t, false);
    try {
        return sys::open_pty_in(o.root.get());
    } catch (const sys::SysError& e) {
        if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
        spdlog::warn(
            "{} has no /dev/pts/ptmx: using a terminal of the host's devpts, which the program "
            "cannot name (tty says \"not a tty\")",
            who(t));
        return sys::open_pty();
    }
}

sys::ChildProcess enter(const EnterTarget& t, const EnterRequest& r) {
    if (r.argv.empty()) throw sys::SysError(EINVAL, "enter " + who(t) + ": empty command");
    if (!r.confine) throw sys::SysError(EINVAL, "enter " + who(t) + ": no confinement plan");
    const sys::ChildConfinement child_conf = r.confine->child();
    // Everything the children need is prepared here: they only make raw syscalls.
    Opened o = open_target(t, true);
    const pid_t pid = t.container_pid;
    const std::string proc = "/proc/" + std::to_string(pid);
    const uint64_t join = differing(pid, {{"pid", CLONE_NEWPID},
                                          {"net", CLONE_NEWNET},
                                          {"ipc", CLONE_NEWIPC},
                                          {"uts", CLONE_NEWUTS},
                                          {"mnt", CLONE_NEWNS}});
    const bool join_cgroup = differing(pid, {{"cgroup", CLONE_NEWCGROUP}}) != 0;

    sys::OpList ops;
    if (join) {
        ops.add(sys::Op{sys::OpKind::Setns,
                        "container pid " + std::to_string(pid) + " pidfd, " + namespaces::flag_names(join), "", "", "",
                        join, 0, o.pidfd.get(), false,
                        "one call joins them all; namespaces we already share (host*) are left out"});
    }
    // setns(CLONE_NEWNS) leaves us at the mount namespace's root; the container's own root
    // is what /proc/PID/root points to, whether it pivot_root'ed or (podrun in a chroot)
    // chroot'ed into it.
    ops.add(sys::Op{sys::OpKind::Fchdir, proc + "/root", "", "", "", 0, 0, o.root.get(), false,
                    "the container's root, opened before the fork"});
    ops.add(sys::Op{sys::OpKind::Chroot, ".", "", "", "", 0, 0, -1, false, "the container's root becomes ours"});
    const size_t joiner_end = ops.size();
    if (join_cgroup) {
        ops.add(sys::Op{sys::OpKind::Setns, "cgroup namespace of container pid " + std::to_string(pid), "", "", "",
                        CLONE_NEWCGROUP, 0, o.cgroup_ns.get(), false,
                        "after clone3 put us in the leaf, which is that namespace's root (on a cgroup2 mounted "
                        "with nsdelegate a process may only enter cgroups its namespace sees)"});
    }
    ops.add(
        sys::Op{sys::OpKind::Chdir, r.cwd, "", "", "", 0, 0, -1, false, "the working directory, inside the container"});

    sys::ExecPlan exec(r.argv, r.env, path_of(r.env));
    sys::UniqueFd devnull = sys::open_file("/dev/null", O_RDWR);
    const int in = r.stdin_fd >= 0 ? r.stdin_fd : devnull.get();
    const int out = r.stdout_fd >= 0 ? r.stdout_fd : devnull.get();
    const int err = r.stderr_fd >= 0 ? r.stderr_fd : devnull.get();
    sys::ReportPipe report = sys::ReportPipe::make();
    const int report_fd = report.write_end.get();
    // The program's parent (us) is outside its pid namespace: it watches our pidfd.
    sys::UniqueFd self_pidfd = r.die_with_parent ? sys::pidfd_open(::getpid()) : sys::UniqueFd();
    const uint64_t clone_flags = CLONE_PARENT;

    if (explaining()) {
        const std::string tag = "[exec " + (t.name.empty() ? std::to_string(pid) : t.name) + "] ";
        explain("launcher", tag + "pidfd_open(" + std::to_string(pid) + "), open " + proc + "/root, " + proc +
                                "/ns/cgroup and " + t.leaf_dir + "  (before the fork; start time checked)");
        explain("launcher", tag + "fork -> joiner (host pid namespace)");
        for (size_t i = 0; i < joiner_end; i++) {
            explain("launcher", tag + "joiner: " + ops.describe(i) + "  (" + ops.ops()[i].why + ")");
        }
        explain("launcher", tag + "joiner: clone3(" + namespaces::flag_names(clone_flags | 0x200000000ULL) +
                                ", cgroup=" + t.leaf_dir +
                                ")  (the program is our child, in the container's pid namespace and leaf)");
        for (size_t i = joiner_end; i < ops.size(); i++) {
            explain("launcher", tag + ops.describe(i) + "  (" + ops.ops()[i].why + ")");
        }
        if (r.controlling_tty) {
            explain("launcher", tag + "setsid(); ioctl(0, TIOCSCTTY)  (the terminal becomes its controlling tty)");
        } else {
            explain("launcher", tag + "setsid()  (a session of its own: a terminal's signals reach only podrun)");
        }
        explain("launcher", tag + "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)  (only stdin, stdout and stderr cross)");
        r.confine->narrate(tag);
        std::string argv;
        for (auto& a : exec.argv()) argv += (argv.empty() ? "" : " ") + a;
        explain("launcher", tag + "execve(" + argv + ")");
    }

    sys::CloneResult joiner = sys::clone3_fork(sys::CloneArgs{0, -1, true});
    if (joiner.pid == 0) {
        // Joiner: host pid namespace, single-threaded, before exit. Raw syscalls only.
        sys::StepFailure f = ops.run(0, joiner_end);
        if (f.step >= 0) {
            sys::ReportPipe::send(report_fd, f);
            _exit(1);
        }
        long child = sys::clone3_raw(clone_flags, o.leaf.get(), nullptr);
        if (child < 0) {
            sys::ReportPipe::send(report_fd, {sys::kStepClone, static_cast<int>(-child)});
            _exit(1);
        }
        if (child > 0) {
            sys::ReportPipe::send_value(report_fd, sys::ReportPipe::kValueTag, child);
            _exit(0);
        }
        // Program: in the container's namespaces, root and leaf; our caller's child.
        if (int e = sys::child_stdio(in, out, err)) {
            sys::ReportPipe::send(report_fd, {sys::kStepStdio, e});
            _exit(126);
        }
        if (r.die_with_parent) {
            if (int e = sys::child_pdeathsig_pidfd(SIGKILL, self_pidfd.get())) {
                sys::ReportPipe::send(report_fd, {sys::kStepPdeathsig, e});
                _exit(126);
            }
        }
        f = ops.run(joiner_end, ops.size());
        if (f.step >= 0) {
            sys::ReportPipe::send(report_fd, f);
            _exit(126);
        }
        if (r.controlling_tty) {
            if (int e = sys::child_controlling_tty(0)) {
                sys::ReportPipe::send(report_fd, {sys::kStepCtty, e});
                _exit(126);
            }
        } else if (int e = sys::child_new_session()) {
            // A session of its own, as every child podrun starts: a terminal's signals
            // reach only podrun (exec probes and hooks included).
            sys::ReportPipe::send(report_fd, {sys::kStepSetsid, e});
            _exit(126);
        }
        if (int e = sys::child_cloexec_from(3)) {
            sys::ReportPipe::send(report_fd, {sys::kStepCloexec, e});
            _exit(126);
        }
        if (int e = sys::child_default_signals()) {
            sys::ReportPipe::send(report_fd, {sys::kStepSignals, e});
            _exit(126);
        }
        sys::ConfineFailure cf = sys::apply_confinement(child_conf, r.die_with_parent ? self_pidfd.get() : -1);
        if (cf.step != 0) {
            sys::ReportPipe::send(report_fd, {cf.step, cf.err});
            _exit(126);
        }
        int e = exec.exec();
        sys::ReportPipe::send(report_fd, {sys::kStepExec, e});
        _exit(127);
    }

    // Caller.
    sys::ChildProcess joiner_proc(joiner.pid, std::move(joiner.pidfd));
    report.write_end.reset();
    joiner_proc.wait();
    // EOF arrives when the program execs (CLOEXEC) or exits.
    sys::LaunchReport report_in = sys::read_launch_report(report.read_end.get());
    if (const auto& failure = report_in.failure) {
        const int e = static_cast<int>(failure->value);
        if (failure->tag == sys::kStepExec) {
            throw ExecError(e, "exec in " + who(t) + ": execve(" + r.argv[0] + ")" +
                                   (r.argv[0].find('/') == std::string::npos ? " (PATH=" + path_of(r.env) + ")" : ""));
        }
        std::string step = ops.step_text(static_cast<int>(failure->tag));
        if (failure->tag == sys::kStepClone) step = "clone3(CLONE_PARENT|CLONE_INTO_CGROUP " + t.leaf_dir + ")";
        throw sys::SysError(e, "exec in " + who(t) + ": " + step);
    }
    sys::ChildProcess program = std::move(report_in.process);
    if (!program.alive()) throw sys::SysError(ECHILD, "exec in " + who(t) + ": no process reported");
    return program;
}

}  // namespace podrun::launcher
