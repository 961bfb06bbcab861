// Helper programs started from the supervisor (see spawn.hpp).
#include "podrun/sys/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "podrun/sys/error.hpp"
#include "podrun/sys/fdio.hpp"

namespace podrun::sys {

namespace {
constexpr uid_t kNobody = 65534;  // nobody and nogroup on Debian
}  // namespace

void Spawned::release() {
    if (!go) return;
    char b = 'g';
    (void)retry_eintr([&] { return ::write(go.get(), &b, 1); });
    go.reset();
}

Spawned spawn(const ExecPlan& plan, const SpawnOptions& opts) {
    Pipe hold;
    if (opts.hold) hold = make_pipe(0);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) throw_errno("open(/dev/null)");
    UniqueFd null_owner(null);
    const pid_t parent = ::getpid();
    CloneResult r = clone3_fork(CloneArgs{});
    if (r.pid == 0) {
        // Child, in the host's namespaces, before exec: raw syscalls only.
        if (child_default_signals() != 0) ::_exit(125);
        if (::setsid() < 0) ::_exit(125);
        if (opts.die_with_parent && child_pdeathsig(SIGKILL, parent) != 0) ::_exit(125);
        if (child_stdio(opts.in >= 0 ? opts.in : null, opts.out >= 0 ? opts.out : null,
                        opts.err >= 0 ? opts.err : null) != 0)
            ::_exit(125);
        if (opts.net_pidfd >= 0 && ::setns(opts.net_pidfd, CLONE_NEWNET) < 0) ::_exit(125);
        // Last, as it takes away what setns needed.
        if (opts.as_nobody &&
            (::setgroups(0, nullptr) < 0 || ::setresgid(kNobody, kNobody, kNobody) < 0 ||
             ::setresuid(kNobody, kNobody, kNobody) < 0 || ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0))
            ::_exit(125);
        if (opts.hold) {
            // Our copy of the write end would keep the pipe from ever reaching EOF.
            ::close(hold.write_end.get());
            char b = 0;
            ssize_t n;
            do {
                n = ::read(hold.read_end.get(), &b, 1);
            } while (n < 0 && errno == EINTR);
            if (n != 1) ::_exit(125);
        }
        if (child_cloexec_from(3) != 0) ::_exit(125);
        plan.exec();
        ::_exit(127);
    }
    Spawned s;
    s.child = ChildProcess(r.pid, std::move(r.pidfd));
    if (opts.hold) s.go = std::move(hold.write_end);
    return s;
}

}  // namespace podrun::sys
