// `podrun exec` end to end: exit codes passed through (126/127 for cannot-run/not-found,
// 125 for podrun's own errors), stdout/stderr/stdin, the container's namespaces, cgroup
// leaf, root, environment and working directory, -c, a pty with -t (its name, its window
// size, our terminal restored), signals passed on, and the command killed with podrun exec.
// Every pod here is named it-exec-*: other worktrees run their own pods at the same time.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace t = podrun::test;
using t::Background;
using t::eventually;
using t::PodrunTest;
using t::RunResult;
using t::TempDir;

namespace {

// Two app containers that mark their own /tmp, then sleep; an init container that is done.
// (restartPolicy Never: the supervisor restarts a succeeded init container under Always.)
std::string pod_json(const std::string& name) {
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + R"("},
 "spec":{"terminationGracePeriodSeconds":1,"restartPolicy":"Never",
  "initContainers":[{"name":"setup","command":["true"]}],
  "containers":[
   {"name":"main","command":["sh","-c","echo mine > /tmp/mark; exec sleep 1000"],
    "env":[{"name":"GREETING","value":"hello-exec"}],"workingDir":"/work"},
   {"name":"other","command":["sh","-c","echo theirs > /tmp/other-mark; exec sleep 1000"]}]}})";
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
}

// Pids in a cgroup whose command line is exactly `cmdline` (NUL-separated words).
std::vector<pid_t> pids_running(const std::string& leaf, const std::string& cmdline) {
    std::vector<pid_t> out;
    std::istringstream in(t::read_file(leaf + "/cgroup.procs"));
    pid_t p;
    while (in >> p) {
        std::string c = t::read_file("/proc/" + std::to_string(p) + "/cmdline");
        if (c == cmdline) out.push_back(p);
    }
    return out;
}

std::string status_field(pid_t pid, const std::string& key) {
    for (const auto& l : lines_of(t::read_file("/proc/" + std::to_string(pid) + "/status"))) {
        if (l.rfind(key + ":", 0) == 0) {
            std::string v = l.substr(key.size() + 1);
            return v.substr(v.find_first_not_of(" \t"));
        }
    }
    return "";
}

bool gone(pid_t pid) {
    char s = t::proc_state(pid);
    return s == 0 || s == 'Z';
}

struct PtyResult {
    int exit_code = -1;
    bool timed_out = false;
    std::string out;
    bool canonical_after = false;  // the terminal's ICANON and ECHO are back after podrun
};

// Runs podrun with a fresh pty (rows x cols) as its controlling terminal and stdio, like
// a user's shell would; `input` is typed once `after` appeared in the output.
PtyResult podrun_on_pty(const std::vector<std::string>& args, unsigned short rows, unsigned short cols,
                        const std::string& after = "", const std::string& input = "", double timeout_s = 30) {
    PtyResult r;
    int m = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || ::grantpt(m) < 0 || ::unlockpt(m) < 0) return r;
    std::string name = ::ptsname(m);
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    ::ioctl(m, TIOCSWINSZ, &ws);
    std::vector<std::string> argv{podrun::test::podrun_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        int s = ::open(name.c_str(), O_RDWR);
        if (s < 0 || ::ioctl(s, TIOCSCTTY, 0) < 0) _exit(120);
        ::dup2(s, 0);
        ::dup2(s, 1);
        ::dup2(s, 2);
        ::execv(cargv[0], cargv.data());
        _exit(127);
    }
    const double deadline = t::now_s() + timeout_s;
    bool typed = input.empty();
    char buf[4096];
    for (;;) {
        if (!typed && r.out.find(after) != std::string::npos) {
            ssize_t w = ::write(m, input.data(), input.size());
            (void)w;
            typed = true;
        }
        int left = static_cast<int>((deadline - t::now_s()) * 1000);
        if (left <= 0) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd p{m, POLLIN, 0};
        if (::poll(&p, 1, std::min(left, 100)) <= 0) continue;
        ssize_t n = ::read(m, buf, sizeof buf);
        if (n <= 0) break;  // EIO: podrun and its command closed the terminal
        r.out.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int s = ::open(name.c_str(), O_RDWR | O_NOCTTY);
    termios tio{};
    if (s >= 0 && ::tcgetattr(s, &tio) == 0) r.canonical_after = (tio.c_lflag & ICANON) && (tio.c_lflag & ECHO);
    if (s >= 0) ::close(s);
    ::close(m);
    return r;
}

// Each test starts its own pod (detached) and downs it. The test process is a subreaper:
// a command whose `podrun exec` was SIGKILLed is re-parented to us and reaped here rather
// than by the host's init, which on some hosts reaps only now and then.
class ExecVerb : public PodrunTest {
  protected:
    void SetUp() override {
        PodrunTest::SetUp();
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }

    void TearDown() override {
        if (::geteuid() != 0) return;
        for (const auto& p : pods_) {
            auto d = t::podrun({"down", p, "--timeout", "1"}, "", 60);
            EXPECT_TRUE(d.exit_code == 0 || ::access(("/run/podrun/" + p).c_str(), F_OK) != 0) << d.err;
        }
        eventually(
            [] {
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
                return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
            },
            10);
        ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        // PodrunTest's check, narrowed to this file's pods: other engineers' it-* pods may
        // be running right now, and its scrub would kill them.
        std::string all;
        for (const auto& l : t::podrun_leftovers()) {
            if (l.find("it-exec-") != std::string::npos || l.find("pause process left") != std::string::npos)
                all += "  " + l + "\n";
        }
        EXPECT_TRUE(all.empty()) << "podrun left behind:\n" << all;
    }

    // `podrun up -d` of pod_json(name); waits until both containers marked their /tmp.
    void start(const std::string& name) {
        pods_.push_back(name);
        auto up = t::podrun({"up", "-d", dir_.file(name + ".json", pod_json(name))}, "", 60);
        ASSERT_EQ(up.exit_code, 0) << up.err;
        ASSERT_TRUE(eventually(
            [&] {
                return exec({name, "-c", "main", "--", "test", "-e", "/tmp/mark"}).exit_code == 0;
            },
            20));
        ASSERT_TRUE(eventually(
            [&] {
                return exec({name, "-c", "other", "--", "test", "-e", "/tmp/other-mark"}).exit_code == 0;
            },
            20));
    }

    static RunResult exec(std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.begin(), "exec");
        return t::podrun(args, input, 30);
    }

    static std::string leaf_of(const std::string& pod, const std::string& container) {
        auto st = nlohmann::json::parse(t::read_file("/run/podrun/" + pod + "/state.json"));
        return st["cgroupParent"].get<std::string>() + "/" + pod + "/" + container;
    }

    TempDir dir_;
    std::vector<std::string> pods_;
};

}  // namespace

TEST_F(ExecVerb, ExitCodesPassThrough) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-codes");
    EXPECT_EQ(exec({"it-exec-codes", "-c", "main", "--", "true"}).exit_code, 0);
    EXPECT_EQ(exec({"it-exec-codes", "-c", "main", "--", "sh", "-c", "exit 3"}).exit_code, 3);
    auto missing = exec({"it-exec-codes", "-c", "main", "--", "no-such-command"});
    EXPECT_EQ(missing.exit_code, 127);
    EXPECT_NE(missing.err.find("execve(no-such-command)"), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("No such file or directory"), std::string::npos) << missing.err;
    // Not executable: the shells' 126.
    EXPECT_EQ(exec({"it-exec-codes", "-c", "main", "--", "/etc/hostname"}).exit_code, 126);
    // Killed by a signal: 128 + signal.
    EXPECT_EQ(exec({"it-exec-codes", "-c", "main", "--", "sh", "-c", "kill -KILL $$"}).exit_code, 137);
}

TEST_F(ExecVerb, StdoutStderrAndStdin) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-io");
    auto r = exec({"it-exec-io", "-c", "main", "--", "sh", "-c", "echo out; echo err >&2"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    // Without -i the command's stdin is /dev/null; with -i it is ours.
    EXPECT_EQ(exec({"it-exec-io", "-c", "main", "--", "cat"}, "ignored\n").out, "");
    EXPECT_EQ(exec({"it-exec-io", "-c", "main", "-i", "--", "cat"}, "hello-in\n").out, "hello-in\n");
    // -it with a pipe for input: still a pty for the command, our bytes relayed to it.
    auto tty = exec({"it-exec-io", "-c", "main", "-it", "--", "sh", "-c", "read x; echo got=$x; tty"}, "piped\n");
    EXPECT_EQ(tty.exit_code, 0) << tty.err;
    EXPECT_NE(tty.out.find("got=piped"), std::string::npos) << tty.out;
    EXPECT_NE(tty.out.find("/dev/pts/"), std::string::npos) << tty.out;
}

TEST_F(ExecVerb, JoinsTheContainersNamespaces) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-ns");
    pid_t main_pid = t::container_pid("it-exec-ns", "main");
    pid_t pause = t::pause_pid("it-exec-ns");
    ASSERT_GT(main_pid, 0);
    ASSERT_GT(pause, 0);
    const std::vector<std::string> names{"pid", "net", "ipc", "uts", "mnt", "cgroup"};
    auto r = exec({"it-exec-ns", "-c", "main", "--", "sh", "-c",
                   "for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto got = lines_of(r.out);
    ASSERT_EQ(got.size(), names.size()) << r.out;
    for (size_t i = 0; i < names.size(); i++) {
        EXPECT_EQ(got[i], t::ns_link(main_pid, names[i])) << names[i];
        if (i < 4) {
            EXPECT_EQ(got[i], t::ns_link(pause, names[i])) << names[i];  // the pod's shared ones
        }
    }
    // The other container has its own mount and cgroup namespaces: exec -c other is there.
    auto o = exec({"it-exec-ns", "-c", "other", "--", "readlink", "/proc/self/ns/mnt"});
    EXPECT_EQ(o.out, t::ns_link(t::container_pid("it-exec-ns", "other"), "mnt") + "\n");
    EXPECT_NE(o.out, got[4] + "\n");
}

TEST_F(ExecVerb, RunsInTheContainersCgroupLeafAsOurChildAndGetsOurSignals) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-cg");
    auto inside = exec({"it-exec-cg", "-c", "main", "--", "grep", "^0::", "/proc/self/cgroup"});
    EXPECT_EQ(inside.out, "0::/\n") << inside.err;  // its cgroup namespace is rooted at the leaf

    const std::string leaf = leaf_of("it-exec-cg", "main");
    Background ex({"exec", "it-exec-cg", "-c", "main", "--", "sleep", "4243"});
    std::vector<pid_t> found;
    ASSERT_TRUE(eventually(
        [&] {
            return !(found = pids_running(leaf, std::string("sleep\0"
                                                            "4243\0",
                                                            11)))
                        .empty();
        },
        10))
        << ex.err();
    ASSERT_EQ(found.size(), 1u);
    pid_t sleeper = found[0];
    // From the host: in the leaf, and a child of podrun exec itself (CLONE_PARENT).
    std::string cg;
    for (const auto& l : lines_of(t::read_file("/proc/" + std::to_string(sleeper) + "/cgroup"))) {
        if (l.rfind("0::", 0) == 0) cg = l;
    }
    EXPECT_NE(cg.find("/it-exec-cg/main"), std::string::npos) << cg;
    EXPECT_EQ(cg.substr(cg.size() - std::string("/it-exec-cg/main").size()), "/it-exec-cg/main") << cg;
    EXPECT_EQ(status_field(sleeper, "PPid"), std::to_string(ex.pid()));
    // Its pid inside the pod differs from the host's (NSpid: host pid, then pod pid).
    EXPECT_NE(status_field(sleeper, "NSpid"), std::to_string(sleeper));
    // SIGTERM to podrun exec goes on to the command; its death is our exit code.
    ex.signal(SIGTERM);
    RunResult r = ex.wait(10);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 143) << r.err;
    EXPECT_TRUE(eventually([&] { return gone(sleeper); }, 5));
}

TEST_F(ExecVerb, CommandDiesWithAKilledPodrunExec) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-kill");
    const std::string leaf = leaf_of("it-exec-kill", "main");
    Background ex({"exec", "it-exec-kill", "-c", "main", "--", "sleep", "4244"});
    std::vector<pid_t> found;
    ASSERT_TRUE(eventually(
        [&] {
            return !(found = pids_running(leaf, std::string("sleep\0"
                                                            "4244\0",
                                                            11)))
                        .empty();
        },
        10))
        << ex.err();
    ex.signal(SIGKILL);
    ex.wait(10);
    EXPECT_TRUE(eventually(
        [&] {
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
            return gone(found[0]);
        },
        3));
    // The container itself is untouched.
    EXPECT_FALSE(gone(t::container_pid("it-exec-kill", "main")));
}

TEST_F(ExecVerb, SeesTheContainersRootEnvAndWorkingDir) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-root");
    EXPECT_EQ(exec({"it-exec-root", "-c", "main", "--", "cat", "/tmp/mark"}).out, "mine\n");
    // Another container's /tmp is its own.
    EXPECT_EQ(exec({"it-exec-root", "-c", "main", "--", "test", "-e", "/tmp/other-mark"}).exit_code, 1);
    EXPECT_EQ(exec({"it-exec-root", "-c", "other", "--", "cat", "/tmp/other-mark"}).out, "theirs\n");
    EXPECT_EQ(exec({"it-exec-root", "-c", "other", "--", "test", "-e", "/tmp/mark"}).exit_code, 1);
    // The environment the container got, and its workingDir (the default one "/").
    auto env =
        exec({"it-exec-root", "-c", "main", "--", "sh", "-c", "echo $GREETING; echo $HOSTNAME; echo $PATH; pwd"});
    EXPECT_EQ(env.out,
              "hello-exec\nit-exec-root\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/work\n")
        << env.err;
    EXPECT_EQ(exec({"it-exec-root", "-c", "other", "--", "sh", "-c", "echo ${GREETING:-unset}; pwd"}).out,
              "unset\n/\n");
    // The pod's hostname.
    EXPECT_EQ(exec({"it-exec-root", "-c", "other", "--", "cat", "/proc/sys/kernel/hostname"}).out, "it-exec-root\n");
}

TEST_F(ExecVerb, ChoosesTheContainer) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-pick");
    // Default: the first app container, named as kubectl does.
    auto def = exec({"it-exec-pick", "--", "cat", "/tmp/mark"});
    EXPECT_EQ(def.out, "mine\n");
    EXPECT_NE(def.err.find("Defaulted container \"main\" out of: main, other, setup (init)"), std::string::npos)
        << def.err;
    EXPECT_EQ(exec({"it-exec-pick", "-c", "other", "--", "cat", "/tmp/other-mark"}).out, "theirs\n");
    auto unknown = exec({"it-exec-pick", "-c", "nope", "--", "true"});
    EXPECT_EQ(unknown.exit_code, 125);
    EXPECT_NE(unknown.err.find(
                  "container \"nope\" is not in pod \"it-exec-pick\" (choose one of: main, other, setup (init))"),
              std::string::npos)
        << unknown.err;
    // A completed init container cannot be entered.
    auto done = exec({"it-exec-pick", "-c", "setup", "--", "true"});
    EXPECT_EQ(done.exit_code, 125);
    EXPECT_NE(done.err.find("is not running (terminated: Completed"), std::string::npos) << done.err;
    auto nopod = exec({"it-exec-no-such-pod", "--", "true"});
    EXPECT_EQ(nopod.exit_code, 125);
    EXPECT_NE(nopod.err.find("pod \"it-exec-no-such-pod\" not found"), std::string::npos) << nopod.err;
    // No command: a usage error.
    EXPECT_EQ(exec({"it-exec-pick"}).exit_code, 2);
}

TEST_F(ExecVerb, TtyGivesAPtyOfTheContainerWithOurWindowSize) {
    PODRUN_REQUIRE_ROOT();
    start("it-exec-tty");
    auto r = podrun_on_pty(
        {"exec", "-t", "it-exec-tty", "-c", "main", "--", "sh", "-c", "tty; stty size; echo TERM=$TERM; exit 5"}, 33,
        101);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 5) << r.out;
    EXPECT_NE(r.out.find("/dev/pts/0\r\n"), std::string::npos) << r.out;  // the container's own devpts
    EXPECT_NE(r.out.find("33 101\r\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("TERM="), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("\r\r\n"), std::string::npos) << r.out;  // our terminal did not add a second \r
    EXPECT_TRUE(r.canonical_after);

    // -it: what we type reaches the command through its terminal; ours is restored after.
    auto i =
        podrun_on_pty({"exec", "-it", "it-exec-tty", "-c", "main", "--", "sh", "-c", "echo ready; read x; echo got-$x"},
                      24, 80, "ready", "typed\r");
    EXPECT_FALSE(i.timed_out);
    EXPECT_EQ(i.exit_code, 0) << i.out;
    EXPECT_NE(i.out.find("got-typed"), std::string::npos) << i.out;
    EXPECT_TRUE(i.canonical_after) << "podrun exec left the terminal in raw mode";
}
