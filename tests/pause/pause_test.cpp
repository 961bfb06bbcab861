// Black-box tests of podrun-pause: reaping as PID 1, exit 0 on SIGTERM/SIGINT, the not-PID-1
// warning, fd/cwd hygiene, -v and usage, and the static ELF with its size and idle RSS.
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/sched.h>  // struct clone_args, CLONE_PIDFD
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../integration/harness.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/fd.hpp"

using podrun::sys::retry_eintr;
using podrun::sys::UniqueFd;

static constexpr int kOrphans = 1000;
// Forks cost milliseconds on the build VMs: several orphans per exiting parent halve the test time.
static constexpr int kOrphansPerParent = 50;
static constexpr double kTimeoutS = 10;

static double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static void sleep_ms(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// Polls `done` every millisecond until it holds or `timeout_s` passes; returns its last value.
template <typename F>
static bool eventually(F&& done, double timeout_s = kTimeoutS) {
    const double deadline = now_s() + timeout_s;
    for (;;) {
        if (done()) return true;
        if (now_s() > deadline) return false;
        sleep_ms(1);
    }
}

static int decode_status(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A child of this test: SIGKILLed and reaped on scope exit unless it was reaped already.
// Killing by pid is safe while it is unreaped: the pid cannot be reused before waitpid(2).
struct Child {
    pid_t pid = -1;
    UniqueFd pidfd;
    UniqueFd err;  // read end of its stderr, when captured

    Child() = default;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    Child(Child&& o) noexcept : pid(std::exchange(o.pid, -1)), pidfd(std::move(o.pidfd)), err(std::move(o.err)) {}
    ~Child() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            int st = 0;
            retry_eintr([&] { return ::waitpid(pid, &st, 0); });
        }
    }

    // Exit code (128+signal for a signal death), or -1 if still running after `timeout_s`.
    int wait_exit(double timeout_s = kTimeoutS) {
        pollfd p{pidfd.get(), POLLIN, 0};  // a pidfd is readable once the process has exited
        if (retry_eintr([&] { return ::poll(&p, 1, static_cast<int>(timeout_s * 1000)); }) != 1) return -1;
        int st = 0;
        if (retry_eintr([&] { return ::waitpid(pid, &st, 0); }) != pid) return -1;
        pid = -1;
        return decode_status(st);
    }

    bool exited() const {
        siginfo_t si{};
        // WNOWAIT: look without reaping, the handle still owns the pid.
        return ::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
    }

    // What it wrote to stderr so far (the pipe is non-blocking).
    std::string read_err() const {
        std::string s;
        char buf[4096];
        for (;;) {
            ssize_t n = retry_eintr([&] { return ::read(err.get(), buf, sizeof buf); });
            if (n <= 0) return s;
            s.append(buf, static_cast<size_t>(n));
        }
    }
};

struct SpawnOptions {
    bool new_pid_ns = true;     // PID 1 of a fresh pid namespace, as podrun starts it
    int inherit_fd = -1;        // pass this fd on (without CLOEXEC) as fd 20
    bool zombie_first = false;  // leave a dead, unreaped child for pause to inherit at exec
};

// Starts podrun-pause with clone3(2) (CLONE_PIDFD, optionally CLONE_NEWPID), stderr captured.
static Child spawn_pause(const SpawnOptions& o) {
    Child c;
    int errp[2];
    if (::pipe2(errp, O_CLOEXEC | O_NONBLOCK) != 0) podrun::sys::throw_errno("pipe2(pause stderr)");
    UniqueFd err_r(errp[0]), err_w(errp[1]);
    char path[] = PODRUN_PAUSE_BIN;
    char* argv[] = {path, nullptr};

    int pidfd = -1;
    clone_args args{};
    args.flags = CLONE_PIDFD | (o.new_pid_ns ? CLONE_NEWPID : 0);
    args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) podrun::sys::throw_errno("clone3(pause)");
    if (pid == 0) {
        // Child, PID 1 of the new pid namespace (or a plain child), before exec: syscalls only.
        ::dup2(err_w.get(), 2);  // dup2 clears CLOEXEC on the copy
        if (o.inherit_fd >= 0) ::dup2(o.inherit_fd, 20);
        if (o.zombie_first) {
            pid_t z = ::fork();
            if (z == 0) ::_exit(0);
            siginfo_t si{};
            // Wait until it is a zombie, but leave it unreaped for pause to find.
            ::waitid(P_PID, static_cast<id_t>(z), &si, WEXITED | WNOWAIT);
        }
        ::execv(path, argv);
        ::_exit(127);
    }
    c.pid = static_cast<pid_t>(pid);
    c.pidfd.reset(pidfd);
    c.err = std::move(err_r);
    return c;
}

static std::vector<std::string> fd_links(pid_t pid) {
    std::vector<std::string> links;
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return links;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char buf[256];
        ssize_t n = ::readlink((dir + "/" + e->d_name).c_str(), buf, sizeof buf - 1);
        links.push_back(std::string(e->d_name) + " -> " + (n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?"));
    }
    ::closedir(d);
    return links;
}

// Ready = past setup: signals blocked and the signalfd open (before that, a SIGTERM to a non-PID-1
// pause would kill it, and one to a PID-1 pause would be dropped by the kernel).
static bool wait_ready(const Child& c) {
    return eventually([&] {
               if (c.exited()) return true;
               for (const auto& l : fd_links(c.pid))
                   if (l.find("anon_inode:[signalfd]") != std::string::npos) return true;
               return false;
           }) &&
           !c.exited();
}

struct ProcStatus {
    char state = '?';
    pid_t ppid = -1;
    long rss_kib = -1;
};

// State, PPid (as seen from this pid namespace) and VmRSS from /proc/<pid>/status. Plain read(2):
// the reaping test scans every process of the host many times.
static std::optional<ProcStatus> proc_status(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/status", pid);
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    char buf[4096];
    ssize_t n = retry_eintr([&] { return ::read(fd.get(), buf, sizeof buf - 1); });
    if (n <= 0) return std::nullopt;
    buf[n] = '\0';
    ProcStatus s;
    if (const char* p = std::strstr(buf, "\nState:\t")) s.state = p[8];
    if (const char* p = std::strstr(buf, "\nPPid:\t")) s.ppid = static_cast<pid_t>(std::atoi(p + 7));
    if (const char* p = std::strstr(buf, "\nVmRSS:")) s.rss_kib = std::atol(p + 7);
    return s.ppid < 0 ? std::nullopt : std::optional(s);
}

struct NsId {
    dev_t dev;
    ino_t ino;
    bool operator==(const NsId&) const = default;
};

static std::optional<NsId> pid_ns_of(pid_t pid) {
    struct stat st {};
    if (::stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) != 0) return std::nullopt;
    return NsId{st.st_dev, st.st_ino};
}

struct NsProc {
    pid_t pid;
    ProcStatus st;
};

// Every process of the pid namespace `ns`, seen from here. A process counts as inside when its
// /proc/<pid>/ns/pid is `ns`, or when its parent is `init` (for a zombie whose link is unreadable).
static std::vector<NsProc> processes_in(NsId ns, pid_t init) {
    std::vector<NsProc> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        auto st = proc_status(static_cast<pid_t>(pid));
        if (!st) continue;  // gone meanwhile
        auto id = pid_ns_of(static_cast<pid_t>(pid));
        if ((id && *id == ns) || st->ppid == init) out.push_back({static_cast<pid_t>(pid), *st});
    }
    ::closedir(d);
    return out;
}

// The namespace holds pause alone, and pause is not a zombie.
static bool only_pause_left(NsId ns, pid_t pause, std::vector<NsProc>* seen) {
    *seen = processes_in(ns, pause);
    return seen->size() == 1 && (*seen)[0].pid == pause && (*seen)[0].st.state != 'Z';
}

static std::string describe(const std::vector<NsProc>& ps) {
    std::string s;
    size_t zombies = 0;
    for (const auto& p : ps) zombies += p.st.state == 'Z';
    s = std::to_string(ps.size()) + " processes, " + std::to_string(zombies) + " zombies:";
    for (size_t i = 0; i < ps.size() && i < 10; i++)
        s += " " + std::to_string(ps[i].pid) + "(" + ps[i].st.state + ",ppid " + std::to_string(ps[i].st.ppid) + ")";
    return s;
}

static UniqueFd pidfd_open(pid_t pid) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) podrun::sys::throw_errno("pidfd_open(" + std::to_string(pid) + ")");
    return UniqueFd(fd);
}

// ---- Reaping -----------------------------------------------------------------------------------

// 1000 orphans are reparented to pause (PPid = pause, i.e. 1 inside the namespace) and, once they
// all exit at the same moment (coalesced SIGCHLDs), pause reaps every one of them.
TEST(Pause, ReapsThousandOrphansAsPid1) {
    PODRUN_REQUIRE_ROOT();
    Child pause = spawn_pause({});
    ASSERT_TRUE(wait_ready(pause)) << "pause did not get ready: " << pause.read_err();
    auto ns = pid_ns_of(pause.pid);
    ASSERT_TRUE(ns);
    ASSERT_NE(*ns, *pid_ns_of(::getpid())) << "pause is not in a new pid namespace";

    // The orphans block on this pipe; closing the write end makes all of them exit at once.
    int rel[2];
    ASSERT_EQ(::pipe2(rel, O_CLOEXEC), 0);
    UniqueFd release_r(rel[0]), release_w(rel[1]);

    pid_t h = ::fork();
    ASSERT_GE(h, 0);
    if (h == 0) {
        // Helper, outside the pod: setns(CLONE_NEWPID) places its *children* in pause's pid
        // namespace (setns(2): the caller's own pid namespace never changes).
        ::close(release_w.get());
        if (::setns(pause.pidfd.get(), CLONE_NEWPID) != 0) ::_exit(10);
        int failed = 0;
        for (int i = 0; i < kOrphans / kOrphansPerParent; i++) {
            pid_t c = ::fork();
            if (c < 0) {
                failed++;
                continue;
            }
            if (c == 0) {
                // Middle generation, inside the pod: fork the orphans-to-be, then exit at once, so
                // the kernel reparents them to the namespace's init (pid_namespaces(7)).
                for (int j = 0; j < kOrphansPerParent; j++) {
                    pid_t g = ::fork();
                    if (g < 0) ::_exit(1);
                    if (g == 0) {
                        // Orphan: wait for EOF on the release pipe, then exit for pause to reap.
                        char b;
                        while (::read(release_r.get(), &b, 1) < 0 && errno == EINTR) {}
                        ::_exit(0);
                    }
                }
                ::_exit(0);
            }
        }
        int st = 0;
        pid_t r;
        while ((r = ::wait(&st)) > 0 || (r < 0 && errno == EINTR))
            if (r > 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) failed++;
        ::_exit(failed ? 1 : 0);
    }
    Child helper;
    helper.pid = h;
    helper.pidfd = pidfd_open(h);
    release_r.reset();
    ASSERT_EQ(helper.wait_exit(60), 0) << "helper could not create the orphans";

    // Every orphan is alive, not a zombie, and its parent is pause.
    std::vector<NsProc> seen;
    auto orphans = [&] {
        size_t n = 0;
        for (const auto& p : seen) n += p.pid != pause.pid && p.st.ppid == pause.pid && p.st.state != 'Z';
        return n;
    };
    bool all_reparented = eventually([&] {
        seen = processes_in(*ns, pause.pid);
        return orphans() == kOrphans;
    });
    ASSERT_TRUE(all_reparented) << orphans() << " of " << kOrphans << " orphans reparented to pause; "
                                << describe(seen);
    EXPECT_EQ(seen.size(), static_cast<size_t>(kOrphans) + 1) << describe(seen);

    release_w.reset();
    const double t0 = now_s();
    EXPECT_TRUE(eventually([&] { return only_pause_left(*ns, pause.pid, &seen); }))
        << "orphans not reaped: " << describe(seen);
    std::cout << "[ info     ] " << kOrphans << " orphans reaped in " << (now_s() - t0) * 1000 << " ms\n";

    EXPECT_FALSE(pause.exited());
    ASSERT_EQ(::kill(pause.pid, SIGTERM), 0);
    EXPECT_EQ(pause.wait_exit(), 0);
}

// A child that died before pause's signal mask was set (here: before exec) sent a SIGCHLD nobody
// read; the reap at startup must collect it anyway.
TEST(Pause, ReapsZombieInheritedAtStartup) {
    PODRUN_REQUIRE_ROOT();
    Child pause = spawn_pause({.zombie_first = true});
    ASSERT_TRUE(wait_ready(pause)) << pause.read_err();
    auto ns = pid_ns_of(pause.pid);
    ASSERT_TRUE(ns);
    std::vector<NsProc> seen;
    EXPECT_TRUE(eventually([&] { return only_pause_left(*ns, pause.pid, &seen); }, 2))
        << "zombie left: " << describe(seen);
}

// ---- Signals -----------------------------------------------------------------------------------

static void expect_exit_zero_on(int sig, bool new_pid_ns) {
    Child pause = spawn_pause({.new_pid_ns = new_pid_ns});
    ASSERT_TRUE(wait_ready(pause)) << pause.read_err();
    ASSERT_EQ(::kill(pause.pid, sig), 0);
    EXPECT_EQ(pause.wait_exit(), 0) << "after " << strsignal(sig) << "; stderr: " << pause.read_err();
}

TEST(Pause, SigtermExitsZeroAsPid1) {
    PODRUN_REQUIRE_ROOT();
    expect_exit_zero_on(SIGTERM, true);
}

TEST(Pause, SigintExitsZeroAsPid1) {
    PODRUN_REQUIRE_ROOT();
    expect_exit_zero_on(SIGINT, true);
}

TEST(Pause, SigtermExitsZeroNotPid1) {
    expect_exit_zero_on(SIGTERM, false);
}

TEST(Pause, SigintExitsZeroNotPid1) {
    expect_exit_zero_on(SIGINT, false);
}

// Signals whose default action is to terminate must not end pause (not PID 1, where the kernel's
// protection of a namespace init does not apply).
TEST(Pause, OtherSignalsDoNotKillIt) {
    Child pause = spawn_pause({.new_pid_ns = false});
    ASSERT_TRUE(wait_ready(pause)) << pause.read_err();
    // 32-34: musl keeps them for itself and leaves them out of sigfillset; 34 is glibc's SIGRTMIN.
    for (int sig : {32, 33, 34, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTTIN, SIGRTMAX})
        ASSERT_EQ(::kill(pause.pid, sig), 0);
    sleep_ms(100);
    EXPECT_FALSE(pause.exited());
    ASSERT_EQ(::kill(pause.pid, SIGTERM), 0);
    EXPECT_EQ(pause.wait_exit(), 0);
}

// ---- Setup -------------------------------------------------------------------------------------

TEST(Pause, WarnsWhenNotPid1AndKeepsRunning) {
    Child pause = spawn_pause({.new_pid_ns = false});
    ASSERT_TRUE(wait_ready(pause)) << pause.read_err();
    std::string err = pause.read_err();
    EXPECT_NE(err.find("warning: not PID 1 (pid " + std::to_string(pause.pid) + ")"), std::string::npos)
        << "stderr: " << err;
    sleep_ms(100);
    EXPECT_FALSE(pause.exited());
    auto st = proc_status(pause.pid);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->state, 'S');
}

TEST(Pause, NoWarningAsPid1) {
    PODRUN_REQUIRE_ROOT();
    Child pause = spawn_pause({});
    ASSERT_TRUE(wait_ready(pause)) << pause.read_err();
    EXPECT_EQ(pause.read_err(), "");
}

// Inherited fds above 2 are closed (only the signalfd is left) and the cwd is "/".
TEST(Pause, ClosesInheritedFdsAndChdirsToRoot) {
    PODRUN_REQUIRE_ROOT();
    UniqueFd extra(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(extra);
    Child pause = spawn_pause({.inherit_fd = extra.get()});
    ASSERT_TRUE(wait_ready(pause)) << pause.read_err();
    auto links = fd_links(pause.pid);
    std::set<std::string> fds;
    for (const auto& l : links) fds.insert(l.substr(0, l.find(' ')));
    EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2", "3"})) << ::testing::PrintToString(links);
    char cwd[256] = {};
    ASSERT_GT(::readlink(("/proc/" + std::to_string(pause.pid) + "/cwd").c_str(), cwd, sizeof cwd - 1), 0);
    EXPECT_STREQ(cwd, "/");
}

// ---- The binary --------------------------------------------------------------------------------

TEST(Pause, PrintsVersion) {
    auto r = podrun::test::run({PODRUN_PAUSE_BIN, "-v"}, "", 5);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "podrun-pause " PODRUN_VERSION "\n");
    EXPECT_EQ(r.err, "");
}

TEST(Pause, UnknownArgumentsAreUsageErrors) {
    for (auto args : {std::vector<std::string>{PODRUN_PAUSE_BIN, "--bogus"},
                      std::vector<std::string>{PODRUN_PAUSE_BIN, "-v", "extra"}}) {
        auto r = podrun::test::run(args, "", 5);
        EXPECT_EQ(r.exit_code, 2) << args[1];
        EXPECT_NE(r.err.find("usage: podrun-pause"), std::string::npos) << r.err;
        EXPECT_EQ(r.out, "");
    }
}

// Static = no PT_INTERP (no dynamic loader) and no PT_DYNAMIC, read from the program headers.
TEST(Pause, IsStaticElfOfAtMost16KiB) {
    std::ifstream f(PODRUN_PAUSE_BIN, std::ios::binary);
    ASSERT_TRUE(f) << PODRUN_PAUSE_BIN;
    std::vector<char> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    ASSERT_GE(bytes.size(), sizeof(Elf64_Ehdr));
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes.data(), sizeof eh);
    ASSERT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0) << "not an ELF file";
    ASSERT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
    ASSERT_EQ(eh.e_phentsize, sizeof(Elf64_Phdr));
    ASSERT_LE(eh.e_phoff + std::uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), bytes.size());
    int loads = 0;
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        std::memcpy(&ph, bytes.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
        EXPECT_NE(ph.p_type, static_cast<Elf64_Word>(PT_INTERP)) << "has a dynamic loader";
        EXPECT_NE(ph.p_type, static_cast<Elf64_Word>(PT_DYNAMIC)) << "has a dynamic section";
        loads += ph.p_type == PT_LOAD;
    }
    EXPECT_GT(loads, 0);
    ::testing::Test::RecordProperty("size_bytes", static_cast<int>(bytes.size()));
    std::cout << "[ info     ] podrun-pause: " << bytes.size() << " bytes on disk\n";
    EXPECT_LE(bytes.size(), 16u * 1024);
}

TEST(Pause, IdleRssAtMost64KiB) {
    PODRUN_REQUIRE_ROOT();
    Child pause = spawn_pause({});
    ASSERT_TRUE(wait_ready(pause)) << pause.read_err();
    sleep_ms(50);
    auto st = proc_status(pause.pid);
    ASSERT_TRUE(st);
    ASSERT_GE(st->rss_kib, 0);
    ::testing::Test::RecordProperty("idle_rss_kib", static_cast<int>(st->rss_kib));
    std::cout << "[ info     ] podrun-pause idle VmRSS: " << st->rss_kib << " KiB\n";
    EXPECT_LE(st->rss_kib, 64);
}
