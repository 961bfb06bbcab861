/* podrun-pause: PID 1 of a pod; holds its namespaces, reaps orphans, exits 0 on SIGTERM/SIGINT. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PODRUN_VERSION
#define PODRUN_VERSION "unknown"
#endif

/* No stdio: write(2) keeps the static binary a few KB (docs/pause.md has the figures). */
static void say(int fd, const char* s) {
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; /* nobody is listening: a message is never worth dying for */
        s += n;
        len -= (size_t)n;
    }
}

static void say_num(int fd, long v) {
    char buf[24];
    char* p = buf + sizeof buf;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    *--p = '\0';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    say(fd, p);
}

static void warn_errno(const char* call) {
    int e = errno;
    say(2, "podrun-pause: warning: ");
    say(2, call);
    say(2, ": ");
    say(2, strerror(e));
    say(2, "\n");
}

static void usage(void) {
    say(2,
        "usage: podrun-pause [-v]\n"
        "  PID 1 of a podrun pod: reaps orphans, exits 0 on SIGTERM or SIGINT.\n"
        "  -v  print the version and exit\n");
}

/* Inherited fds would keep pipes, sockets or files of the launcher alive for the pod's whole life.
 * close_range(2) (Linux 5.9) does it in one call; older kernels get the loop up to RLIMIT_NOFILE.
 */
static void close_inherited_fds(void) {
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
    struct rlimit rl;
    long max = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) max = (long)rl.rlim_cur;
    for (long fd = 3; fd < max; fd++) close((int)fd);
}

/* Reap every child that has exited. SIGCHLD is a standard signal: several exits while it is
 * pending coalesce into one delivery (signal(7)), so one SIGCHLD may stand for many children and we
 * loop with WNOHANG until waitpid(2) says none is left (0: children alive, -1/ECHILD: no children).
 */
static void reap_all(void) {
    for (;;) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid > 0) continue;
        if (pid < 0 && errno == EINTR) continue;
        return;
    }
}

/* The next signal. Everything is blocked, so signals wait in the pending set until read here.
 * If the signalfd ever fails, sigwaitinfo(2) on the same set still works: never spin, never die. */
static int next_signal(int sfd, const sigset_t* set) {
    struct signalfd_siginfo si;
    if (sfd >= 0) {
        ssize_t n = read(sfd, &si, sizeof si);
        if (n == (ssize_t)sizeof si) return (int)si.ssi_signo;
        if (n < 0 && errno == EINTR) return 0;
    }
    int sig = sigwaitinfo(set, NULL);
    return sig > 0 ? sig : 0;
}

int main(int argc, char** argv) {
    if (argc == 2 && strcmp(argv[1], "-v") == 0) {
        say(1, "podrun-pause " PODRUN_VERSION "\n");
        return 0;
    }
    if (argc != 1) {
        usage();
        return 2;
    }

    /* 1. Block every signal first. The kernel drops unhandled (SIG_DFL) signals sent to the init of
     * a pid namespace, but blocked signals are never ignored: they stay pending until the signalfd
     * reads them (signalfd(2), pid_namespaces(7)). Outside a new pid namespace blocking is what
     * keeps SIGHUP, SIGPIPE, SIGUSR1... from killing us. SIGKILL and SIGSTOP cannot be blocked. Raw
     * rt_sigprocmask(2): musl's sigfillset/sigprocmask leave out signals 32-34, reserved for its
     * threads, timers and cancellation (none used here), and their default action would terminate
     * us. The kernel reads _NSIG/8 = 8 bytes of the set. */
    sigset_t all;
    memset(&all, 0xff, sizeof all);
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, _NSIG / 8) != 0) {
        warn_errno("rt_sigprocmask(SIG_SETMASK, all)");
        return 1;
    }

    /* 2. Only PID 1 of a pid namespace inherits the namespace's orphans (reparenting, see
     * pid_namespaces(7) and PR_SET_CHILD_SUBREAPER in prctl(2)). Elsewhere we still run: useful for
     * hostPID pods and for trying the binary by hand. */
    if (getpid() != 1) {
        say(2, "podrun-pause: warning: not PID 1 (pid ");
        say_num(2, (long)getpid());
        say(2, "); orphans outside our own children will not be reaped here\n");
    }

    /* 3. Do not keep the launcher's cwd busy (its mount could not be unmounted), nor its fds. */
    if (chdir("/") != 0) warn_errno("chdir(\"/\")");
    close_inherited_fds();

    /* 4. One signalfd for every signal (so no signal piles up pending unread). CLOEXEC: pause never
     * execs, but fds of PID 1 must not leak anywhere. */
    int sfd = signalfd(-1, &all, SFD_CLOEXEC);
    if (sfd < 0) warn_errno("signalfd (falling back to sigwaitinfo)");

    /* 5. Children that died before we blocked signals (or before exec, inherited with this pid)
     * left no SIGCHLD we can read: reap them once now. */
    reap_all();

    /* 6. The loop. After setup nothing makes us exit except SIGTERM/SIGINT (and SIGKILL). */
    for (;;) {
        switch (next_signal(sfd, &all)) {
            case SIGCHLD:
                reap_all();
                break;
            case SIGTERM:
            case SIGINT:
                /* Exiting as init kills every process of the namespace (pid_namespaces(7)): that is
                 * the pod stopping, which is what the launcher asked for. */
                _exit(0);
            default:
                break; /* any other signal: read and dropped, so it cannot kill or pile up */
        }
    }
}
