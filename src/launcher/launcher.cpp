// Starting a container process (see launcher.hpp). Three processes take part:
//   supervisor        prepares every op, vforks the joiner, reads the report pipe;
//   joiner            (host pid ns) setns(pause_pidfd), clone3(CLONE_PARENT|INTO_CGROUP);
//   container         (pod pid ns, its leaf) runs the root ops, pivot_root, execve.
// Neither child copies the supervisor's memory: the joiner is a vfork (CLONE_VM|CLONE_VFORK)
// of the supervisor, the container one of the joiner (sys::clone3_run), each on a stack of
// its own, so starting a container costs no page-table copy, no copy-on-write faults in the
// supervisor afterwards, and no teardown of a copied address space at exec. The supervisor
// is suspended meanwhile: it resumes once the container has exec'd (or failed).
#include "podrun/launcher/launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

#include "podrun/explain.hpp"
#include "podrun/namespaces/namespaces.hpp"
#include "podrun/sys/clone_flags.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/mount.hpp"

namespace podrun::launcher {

spec::EnvList environment(const LaunchContext& ctx, const spec::Container& c) {
    spec::EnvList env{{"PATH", kDefaultPath}, {"HOSTNAME", ctx.pod.effective_hostname()}};
    for (auto& [k, v] : spec::container_env(ctx.pod, c, ctx.info)) {
        bool replaced = false;
        for (auto& e : env) {
            if (e.first == k) {
                e.second = v;
                replaced = true;
            }
        }
        if (!replaced) env.emplace_back(k, v);
    }
    // HOME when neither the image nor the container set it: the user's home in the root's
    // /etc/passwd, else "/", as runc does (and so containerd and CRI-O).
    bool home = false;
    for (const auto& e : env) home = home || e.first == "HOME";
    if (!home) {
        const confine::ContainerPlan* plan = ctx.confine ? ctx.confine->for_container(c.name) : nullptr;
        env.emplace_back("HOME", plan && !plan->id.home.empty() ? plan->id.home : "/");
    }
    return env;
}

namespace {

// What the joiner and the container process need, prepared by the supervisor. Both run in
// the supervisor's memory (or, for the container where sys::clone3_run forks, a copy of it)
// and only read it: they report on the pipe.
struct JoinPlan {
    int pause_pidfd = -1;
    uint64_t join = 0;  // setns flags, for pause's pidfd (all but the mount namespace)
    int mnt_ns = -1;    // the pod's mount namespace (pause has one of its own)
    int root = -1;      // >= 0: podrun's root (a chroot) in that namespace
    uint64_t clone_flags = 0;
    int leaf = -1;  // the container's cgroup leaf, for CLONE_INTO_CGROUP
    int devnull = -1, out = -1, err = -1;
    int report = -1;            // write end of the report pipe
    int supervisor_pidfd = -1;  // >= 0: die with the supervisor
    const sys::OpList* ops = nullptr;
    const sys::ExecPlan* exec = nullptr;
    const sys::ChildStack* container_stack = nullptr;
    const sys::StartHere* placement = nullptr;
    const sys::ChildConfinement* confine = nullptr;
};

// Container process: in the pod's namespaces and its own cgroup leaf, before exec. Raw
// syscalls only; failures go to the report pipe.
int container_main(void* arg) noexcept {
    const JoinPlan& p = *static_cast<const JoinPlan*>(arg);
    if (int e = sys::child_stdio(p.devnull, p.out, p.err)) {
        sys::ReportPipe::send(p.report, {sys::kStepStdio, e});
        _exit(126);
    }
    sys::child_setup_and_exec(p.report, p.supervisor_pidfd, *p.ops, *p.exec, 126, p.placement, p.confine);
}

// Joiner: host pid namespace, in the supervisor's memory while it waits, until _exit. Raw
// syscalls only.
int joiner_main(void* arg) noexcept {
    JoinPlan& p = *static_cast<JoinPlan*>(arg);
    if (int e = sys::join_pod(p.pause_pidfd, p.join, p.mnt_ns, p.root)) {
        sys::ReportPipe::send(p.report, {e > 0 ? sys::kStepSetns : sys::kStepRechroot, e > 0 ? e : -e});
        _exit(1);
    }
    long pid = sys::clone3_run(p.clone_flags, p.leaf, container_main, &p, *p.container_stack);
    if (pid < 0) {
        sys::ReportPipe::send(p.report, {sys::kStepClone, static_cast<int>(-pid)});
        _exit(1);
    }
    sys::ReportPipe::send_value(p.report, sys::ReportPipe::kValueTag, pid);
    _exit(0);
}

}  // namespace

Launched launch(const LaunchContext& ctx, const spec::Container& c) {
    // Everything the children need is prepared here: they only make raw syscalls.
    sys::OpList ops = container_fs_ops(ctx, c);
    spec::EnvList env = environment(ctx, c);
    std::vector<std::string> env_strings;
    std::string path_var = kDefaultPath;
    for (auto& [k, v] : env) {
        env_strings.push_back(k + "=" + v);
        if (k == "PATH") path_var = v;
    }
    sys::ExecPlan exec(spec::container_argv(c, env), env_strings, path_var);
    const confine::ContainerPlan* conf = ctx.confine ? ctx.confine->for_container(c.name) : nullptr;
    if (!conf) throw sys::SysError(EINVAL, "container \"" + c.name + "\": no confinement prepared for it");
    const sys::ChildConfinement child_conf = conf->child();

    const bool share_pid = ctx.pod.share_process_namespace && ctx.sandbox.ns.pid;
    const uint64_t join = ctx.sandbox.ns.join_flags(share_pid) & ~static_cast<uint64_t>(CLONE_NEWNS);
    const uint64_t clone_flags = CLONE_PARENT | ((ctx.sandbox.ns.pid && !share_pid) ? CLONE_NEWPID : 0);
    const bool chrooted = ctx.sandbox.root.get() >= 0;
    sys::UniqueFd leaf = ctx.cgroups.make_leaf(
        c.name, cgroup::container_writes(c.resources, ctx.cgroups.formula(), ctx.cgroups.controllers()));
    ctx.confine->attach_devices(*conf, leaf.get(), ctx.cgroups.leaf_dir(c.name));
    sys::UniqueFd devnull = sys::open_file("/dev/null", O_RDONLY);
    sys::Pipe out = sys::make_pipe(0);
    sys::Pipe err = sys::make_pipe(0);
    sys::ReportPipe report = sys::ReportPipe::make();
    // Our parent (the supervisor) is outside the pod's pid namespace: watch its pidfd.
    sys::UniqueFd self_pidfd = ctx.die_with_supervisor ? sys::pidfd_open(::getpid()) : sys::UniqueFd();
    // Reused from one launch to the next: the children are done with them when launch()
    // returns (exec'd, exited, or running on a copy where clone3_run forks).
    static sys::ChildStack joiner_stack, container_stack;

    // The joiner and the container set up on the CPU we sleep on (sys::StartHere); pinned
    // until the joiner is gone.
    std::optional<sys::StartHere> here(std::in_place);
    if (explaining()) {
        if (here->active()) {
            explain("launcher", "[" + c.name + "] sched_setaffinity(0, {CPU " + std::to_string(here->cpu()) +
                                    "})  (the joiner and the container inherit it: they start on the CPU we "
                                    "sleep on while they run)");
        }
        explain("launcher", "[" + c.name + "] fork -> joiner; setns(pause pidfd " +
                                std::to_string(ctx.sandbox.pause.pid()) + ", " + namespaces::flag_names(join) +
                                ")  (one call joins them all; the fork is a vfork, CLONE_VM|CLONE_VFORK: the joiner "
                                "runs in our memory while we wait)");
        explain("launcher", "[" + c.name +
                                "] joiner: setns(the pod's mount namespace, CLONE_NEWNS)  (held by us: "
                                "pause lives in a mount namespace of its own)");
        if (chrooted) {
            explain("launcher", "[" + c.name +
                                    "] joiner: fchdir(our root)  (setns left the chroot; the container "
                                    "chroots there, and pivot_roots from the real root at the end)");
        }
        explain("launcher",
                "[" + c.name + "] joiner: clone3(" +
                    namespaces::flag_names(clone_flags | sys::kClone3RunFlags | 0x200000000ULL) +
                    ", cgroup=" + ctx.cgroups.leaf_dir(c.name) +
                    ")  (the new process is the supervisor's child, in the pod's pid namespace" +
                    (sys::kClone3RunFlags ? "; it runs in our memory on a stack of its own until it execs" : "") + ")");
        explain("launcher", "[" + c.name +
                                "] setsid()  (a session of its own: a terminal's Ctrl-C reaches only "
                                "podrun, which runs the grace protocol)");
        for (size_t i = 0; i < ops.size(); i++) {
            const auto& op = ops.ops()[i];
            explain("launcher", "[" + c.name + "] " + ops.describe(i) + (op.why.empty() ? "" : "  (" + op.why + ")"));
        }
        if (here->active()) {
            explain("launcher", "[" + c.name + "] sched_setaffinity(0, every CPU but " + std::to_string(here->cpu()) +
                                    "), then sched_setaffinity(0, the supervisor's CPUs)  (off the CPU where the "
                                    "supervisor wakes once we exec; the program gets the CPUs it would have had)");
        }
        conf->narrate("[" + c.name + "] ");
        std::string argv;
        for (auto& a : exec.argv()) argv += (argv.empty() ? "" : " ") + a;
        explain("launcher", "[" + c.name +
                                "] close_range(3, ~0, CLOSE_RANGE_CLOEXEC)  (only stdin, stdout and "
                                "stderr cross into the container)");
        explain("launcher", "[" + c.name + "] execve(" + argv + ")");
    }

    JoinPlan plan;
    plan.pause_pidfd = ctx.sandbox.pause.pidfd();
    plan.join = join;
    plan.mnt_ns = ctx.sandbox.mnt_ns.get();
    plan.root = ctx.sandbox.root.get();
    plan.clone_flags = clone_flags;
    plan.leaf = leaf.get();
    plan.devnull = devnull.get();
    plan.out = out.write_end.get();
    plan.err = err.write_end.get();
    plan.report = report.write_end.get();
    plan.supervisor_pidfd = ctx.die_with_supervisor ? self_pidfd.get() : -1;
    plan.ops = &ops;
    plan.exec = &exec;
    plan.container_stack = &container_stack;
    plan.placement = &*here;
    plan.confine = &child_conf;
    sys::vfork_call(joiner_main, &plan, joiner_stack);
    here.reset();

    // Supervisor, the joiner gone (reaped): only the container holds the write ends now.
    report.write_end.reset();
    out.write_end.reset();
    err.write_end.reset();
    // EOF arrives when the container execs (CLOEXEC) or exits: where clone3_run is a vfork
    // that has already happened, elsewhere we wait for it here.
    sys::LaunchReport report_in = sys::read_launch_report(report.read_end.get());
    if (const auto& failure = report_in.failure) {
        std::string what = ops.step_text(failure->tag);
        if (failure->tag == sys::kStepExec) what += "(" + (exec.argv().empty() ? "" : exec.argv()[0]) + ")";
        const std::string hint = ops.hint(failure->tag, static_cast<int>(failure->value));
        if (!hint.empty()) what += " [" + hint + "]";
        throw sys::SysError(static_cast<int>(failure->value), "container \"" + c.name + "\": " + what);
    }
    Launched l;
    l.process = std::move(report_in.process);
    if (!l.process.alive()) throw sys::SysError(ECHILD, "container \"" + c.name + "\": no process reported");
    l.stdout_read = std::move(out.read_end);
    l.stderr_read = std::move(err.read_end);
    return l;
}

}  // namespace podrun::launcher
