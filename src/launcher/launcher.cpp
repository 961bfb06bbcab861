// Starting a container process (see launcher.hpp). Three processes take part:
//   supervisor        prepares every op, forks the joiner, reads the report pipe;
//   joiner            (host pid ns) setns(pause_pidfd), clone3(CLONE_PARENT|INTO_CGROUP);
//   container         (pod pid ns, its leaf) runs the root ops, pivot_root, execve.
#include "podrun/launcher/launcher.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "podrun/explain.hpp"
#include "podrun/namespaces/namespaces.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/io.hpp"

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
    return env;
}

namespace {

std::string step_text(const sys::OpList& ops, int step) {
    if (step >= 0) return ops.describe(static_cast<size_t>(step));
    return sys::child_step_name(step);
}

}  // namespace

Launched launch(const LaunchContext& ctx, const spec::Container& c) {
    // Everything the children need is prepared here: they only make raw syscalls.
    sys::OpList ops = root_ops(ctx, c);
    spec::EnvList env = environment(ctx, c);
    std::vector<std::string> env_strings;
    std::string path_var = kDefaultPath;
    for (auto& [k, v] : env) {
        env_strings.push_back(k + "=" + v);
        if (k == "PATH") path_var = v;
    }
    sys::ExecPlan exec(spec::container_argv(c, env), env_strings, path_var);

    const bool share_pid = ctx.pod.share_process_namespace && ctx.sandbox.ns.pid;
    const uint64_t join = ctx.sandbox.ns.join_flags(share_pid);
    const uint64_t clone_flags = CLONE_PARENT | ((ctx.sandbox.ns.pid && !share_pid) ? CLONE_NEWPID : 0);
    const int pause_pidfd = ctx.sandbox.pause.pidfd();
    const bool chrooted = ctx.sandbox.ns.chrooted;
    const std::string pause_root = "/proc/" + std::to_string(ctx.sandbox.pause.pid()) + "/root";
    sys::UniqueFd leaf = ctx.cgroups.make_leaf(
        c.name, cgroup::container_writes(c.resources, ctx.cgroups.formula(), ctx.cgroups.controllers()));
    sys::UniqueFd devnull = sys::open_file("/dev/null", O_RDONLY);
    sys::Pipe out = sys::make_pipe(0);
    sys::Pipe err = sys::make_pipe(0);
    sys::ReportPipe report = sys::ReportPipe::make();
    const int report_fd = report.write_end.get();
    // Our parent (the supervisor) is outside the pod's pid namespace: watch its pidfd.
    sys::UniqueFd self_pidfd = ctx.die_with_supervisor ? sys::pidfd_open(::getpid()) : sys::UniqueFd();

    if (explaining()) {
        explain("launcher", "[" + c.name + "] fork -> joiner; setns(pause pidfd " + std::to_string(ctx.sandbox.pause.pid()) +
                                ", " + namespaces::flag_names(join) + ")  (one call joins them all)");
        if (chrooted) explain("launcher", "[" + c.name + "] joiner: chroot(" + pause_root + ")  (setns left the chroot)");
        explain("launcher", "[" + c.name + "] joiner: clone3(" + namespaces::flag_names(clone_flags | 0x200000000ULL) +
                                ", cgroup=" + ctx.cgroups.leaf_dir(c.name) +
                                ")  (the new process is the supervisor's child, in the pod's pid namespace)");
        for (size_t i = 0; i < ops.size(); i++) {
            const auto& op = ops.ops()[i];
            explain("launcher", "[" + c.name + "] " + ops.describe(i) + (op.why.empty() ? "" : "  (" + op.why + ")"));
        }
        std::string argv;
        for (auto& a : exec.argv()) argv += (argv.empty() ? "" : " ") + a;
        explain("launcher", "[" + c.name + "] execve(" + argv + ")");
    }

    sys::CloneResult joiner = sys::clone3_fork(sys::CloneArgs{0, -1, true});
    if (joiner.pid == 0) {
        // Joiner: host pid namespace, single-threaded, before exit. Raw syscalls only.
        if (::setns(pause_pidfd, static_cast<int>(join)) < 0) {
            sys::ReportPipe::send(report_fd, {sys::kStepSetns, errno});
            _exit(1);
        }
        // setns(CLONE_NEWNS) puts us at the namespace's real root; under a chroot, go back
        // to pause's root (the same directory the supervisor sees as "/").
        if (chrooted && (::chroot(pause_root.c_str()) < 0 || ::chdir("/") < 0)) {
            sys::ReportPipe::send(report_fd, {sys::kStepRechroot, errno});
            _exit(1);
        }
        long pid = sys::clone3_raw(clone_flags, leaf.get(), nullptr);
        if (pid < 0) {
            sys::ReportPipe::send(report_fd, {sys::kStepClone, static_cast<int>(-pid)});
            _exit(1);
        }
        if (pid > 0) {
            sys::ReportPipe::send_value(report_fd, sys::ReportPipe::kValueTag, pid);
            _exit(0);
        }
        // Container process: in the pod's namespaces and its own cgroup leaf.
        if (int e = sys::child_stdio(devnull.get(), out.write_end.get(), err.write_end.get())) {
            sys::ReportPipe::send(report_fd, {sys::kStepStdio, e});
            _exit(126);
        }
        if (ctx.die_with_supervisor) {
            if (int e = sys::child_pdeathsig_pidfd(SIGKILL, self_pidfd.get())) {
                sys::ReportPipe::send(report_fd, {sys::kStepPdeathsig, e});
                _exit(126);
            }
        }
        sys::StepFailure f = ops.run(0, ops.size());
        if (f.step >= 0) {
            sys::ReportPipe::send(report_fd, f);
            _exit(126);
        }
        if (int e = sys::child_default_signals()) {
            sys::ReportPipe::send(report_fd, {sys::kStepSignals, e});
            _exit(126);
        }
        int e = exec.exec();
        sys::ReportPipe::send(report_fd, {sys::kStepExec, e});
        _exit(127);
    }

    // Supervisor.
    sys::ChildProcess joiner_proc(joiner.pid, std::move(joiner.pidfd));
    report.write_end.reset();
    out.write_end.reset();
    err.write_end.reset();
    joiner_proc.wait();
    // EOF arrives when the container execs (CLOEXEC) or exits.
    auto records = sys::ReportPipe::read_all(report.read_end.get());
    Launched l;
    std::optional<sys::ReportPipe::Record> failure;
    for (const auto& r : records) {
        if (r.tag == sys::ReportPipe::kValueTag) {
            pid_t pid = static_cast<pid_t>(r.value);
            // Our own unreaped child (CLONE_PARENT): its pid cannot be recycled yet.
            l.process = sys::ChildProcess(pid, sys::pidfd_open(pid));
        } else if (!failure) {
            failure = r;
        }
    }
    if (failure) {
        l.process.kill_and_wait();
        std::string what = step_text(ops, failure->tag);
        if (failure->tag == sys::kStepExec) what += "(" + (exec.argv().empty() ? "" : exec.argv()[0]) + ")";
        throw sys::SysError(static_cast<int>(failure->value), "container \"" + c.name + "\": " + what);
    }
    if (!l.process.alive()) throw sys::SysError(ECHILD, "container \"" + c.name + "\": no process reported");
    l.stdout_read = std::move(out.read_end);
    l.stderr_read = std::move(err.read_end);
    return l;
}

}  // namespace podrun::launcher
