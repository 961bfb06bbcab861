// The supervisor's loop never waits for a reader (issue 14): a pod whose stdout goes into a
// pipe nobody reads still stops within its grace on SIGTERM, its log file misses no line,
// and the terminal is told what it missed; logs rotate at the kubelet's 10 MiB and
// `podrun logs` (with and without -f) reads across the rotations. And `up -d` honours the
// flags `up` does.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "harness.hpp"
#include "podrun/cgroup/cgroup.hpp"
#include "podrun/cgroup/controllers.hpp"

namespace t = podrun::test;

namespace {

class UpOutput : public t::PodrunTest {};

// Lines "line-N" of `out` must be exactly line-1 .. line-<count>, in order.
::testing::AssertionResult consecutive(const std::string& out, const std::string& prefix, long* count) {
    std::istringstream in(out);
    std::string l;
    long n = 0;
    while (std::getline(in, l)) {
        if (l.rfind(prefix, 0) != 0) continue;
        const long got = std::atol(l.c_str() + prefix.size());
        if (got != n + 1) return ::testing::AssertionFailure() << "after " << prefix << n << " came " << l;
        n = got;
    }
    *count = n;
    return ::testing::AssertionSuccess();
}

// podrun up with stdout into a pipe whose read end the test holds and reads only when
// asked; stderr into a file.
struct StuckUp {
    pid_t pid = -1;
    int out_rd = -1;
    std::string err_file;
    StuckUp(const std::string& manifest, const std::string& err) : err_file(err) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) < 0) return;
        const char* bin = podrun::test::podrun_bin().c_str();  // not computed in the child
        pid = ::fork();
        if (pid == 0) {
            int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(p[1], 1);
            ::dup2(e, 2);
            ::execl(bin, bin, "up", manifest.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(p[1]);
        out_rd = p[0];
    }
    std::string read_for(double seconds) {
        std::string got;
        ::fcntl(out_rd, F_SETFL, O_NONBLOCK);
        const double end = t::now_s() + seconds;
        char buf[65536];
        while (t::now_s() < end) {
            ssize_t n = ::read(out_rd, buf, sizeof buf);
            if (n > 0)
                got.append(buf, static_cast<size_t>(n));
            else
                ::usleep(10000);
        }
        return got;
    }
    // Waits up to timeout_s; -1 if it did not exit (then it is killed).
    int wait(double timeout_s) {
        const double end = t::now_s() + timeout_s;
        int st = 0;
        while (t::now_s() < end) {
            if (::waitpid(pid, &st, WNOHANG) == pid) {
                pid = -1;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            ::usleep(10000);
        }
        return -1;
    }
    ~StuckUp() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (out_rd >= 0) ::close(out_rd);
    }
};

}  // namespace

TEST_F(UpOutput, AStuckStdoutLosesNoLogLineAndSigtermStillEndsThePodInItsGrace) {
    t::TempDir dir;
    auto m = dir.file("pod.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-stuck"},
      "spec":{"terminationGracePeriodSeconds":3,"containers":[{"name":"c","command":["sh","-c",
      "trap 'exit 0' TERM; i=0; while :; do i=$((i+1)); echo line-$i; done"]}]}})");
    StuckUp up(m, dir / "err");
    ASSERT_GT(up.pid, 0);
    // Nobody reads: the pipe (64 KiB) fills at once; the container keeps printing.
    ASSERT_TRUE(t::eventually([] { return t::pause_pid("it-stuck") > 0; }, 30)) << t::read_file(dir / "err");
    // The log file has every line, none missing, far past what the pipe (64 KiB) and the
    // terminal's queue (256 KiB) hold.
    t::RunResult logs;
    long n = 0;
    const bool grew = t::eventually(
        [&] {
            logs = t::podrun({"logs", "it-stuck", "--tail", "1"});
            return std::atol(logs.out.c_str() + (logs.out.rfind("line-", 0) == 0 ? 5 : 0)) > 60000;
        },
        60);
    ASSERT_TRUE(grew) << "the log stopped growing while the terminal was stuck: " << logs.out << logs.err;
    logs = t::podrun({"logs", "it-stuck"});
    ASSERT_EQ(logs.exit_code, 0) << logs.err;
    EXPECT_TRUE(consecutive(logs.out, "line-", &n));
    EXPECT_GT(n, 60000);
    // The reader comes back a moment: it gets lines, and is told how many it missed.
    std::string got = up.read_for(1.0);
    EXPECT_NE(got.find("c | line-1\n"), std::string::npos);
    EXPECT_NE(got.find("line(s) not shown: the terminal did not read them"), std::string::npos)
        << got.substr(got.size() > 500 ? got.size() - 500 : 0);
    // Stuck again (the pipe refills at once), then SIGTERM: the pod ends within its grace
    // (3 s) plus teardown, not when the pipe is read.
    ::sleep(1);
    const double t0 = t::now_s();
    ::kill(up.pid, SIGTERM);
    const int code = up.wait(20);
    const double took = t::now_s() - t0;
    EXPECT_EQ(code, 0) << t::read_file(dir / "err");
    EXPECT_LT(took, 3.0) << "SIGTERM took " << took << " s with a stuck stdout\n" << t::read_file(dir / "err");
}

TEST_F(UpOutput, LogsRotateAtTenMebibytesAndLogsReadsAcrossTheRotations) {
    t::TempDir dir;
    // ~30 MiB of numbered lines (3 rotations, within the 5 files kept), after a pause that
    // lets `logs -f` start first.
    auto m = dir.file("pod.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-rotate"},
      "spec":{"terminationGracePeriodSeconds":1,"containers":[{"name":"c","command":["sh","-c",
      "sleep 2; awk 'BEGIN { p = sprintf(\"%200s\", \"\"); for (i = 1; i <= 120000; i++) printf \"line-%d %s\\n\", i, p }'; sleep 1000"]}]}})");
    auto up = t::podrun({"up", "-d", m}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    t::Background follow({"logs", "-f", "it-rotate"});
    const std::string log = "/run/podrun/it-rotate/logs/c.log";
    ASSERT_TRUE(t::eventually(
        [&] {
            return t::podrun({"logs", "it-rotate", "--tail", "1"}).out.rfind("line-120000 ", 0) == 0;
        },
        120));
    EXPECT_TRUE(::access((log + ".1").c_str(), F_OK) == 0);
    EXPECT_TRUE(::access((log + ".2").c_str(), F_OK) == 0);
    EXPECT_FALSE(::access((log + ".5").c_str(), F_OK) == 0);  // 5 files at most, the current one included
    for (const auto& f : {log, log + ".1", log + ".2"}) {
        EXPECT_LE(t::read_file(f).size(), 10u * 1024 * 1024 + 128 * 1024) << f;
    }
    auto all = t::podrun({"logs", "it-rotate"}, "", 60);
    long n = 0;
    EXPECT_TRUE(consecutive(all.out, "line-", &n));
    EXPECT_EQ(n, 120000);
    EXPECT_TRUE(follow.wait_for_out("line-120000 ", 60));
    n = 0;
    EXPECT_TRUE(consecutive(follow.out(), "line-", &n)) << "logs -f lost lines at a rotation";
    EXPECT_EQ(n, 120000);
    auto down = t::podrun({"down", "it-rotate", "--timeout", "1"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    follow.wait(20);
}

TEST_F(UpOutput, UpDetachedHonoursPidsMaxAndNoLimitsAsUpDoes) {
    auto mount = podrun::cgroup::find_cgroup2_mount();
    ASSERT_TRUE(mount);
    t::TempDir dir;
    auto m = dir.file("pod.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-dflags"},
      "spec":{"containers":[{"name":"c","command":["sleep","1000"]}]}})");
    if (!podrun::cgroup::available_controllers(*mount).count("pids")) {
        // Refused as `up` refuses it, nothing started.
        auto r = t::podrun({"up", "-d", "--pids-max", "20", m});
        EXPECT_EQ(r.exit_code, 125) << r.out << r.err;
        EXPECT_NE(r.err.find("pids"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("--no-limits"), std::string::npos) << r.err;
        EXPECT_EQ(t::pause_pid("it-dflags"), 0);
        // --no-limits: runs, and says the limit is not enforced.
        r = t::podrun({"up", "-d", "--no-limits", "--pids-max", "20", m});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("NOT enforced"), std::string::npos) << r.err;
        EXPECT_EQ(t::podrun({"down", "it-dflags", "--timeout", "1"}).exit_code, 0);
    } else {
        // pids is there: the limit is written to the pod's cgroup.
        auto r = t::podrun({"up", "-d", "--pids-max", "20", m});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(t::read_file(*mount + "/podrun/it-dflags/pids.max"), "20\n");
        EXPECT_EQ(t::podrun({"down", "it-dflags", "--timeout", "1"}).exit_code, 0);
    }
}

TEST_F(UpOutput, UpDetachedHonoursCgroupParentAndExplain) {
    auto mount = podrun::cgroup::find_cgroup2_mount();
    ASSERT_TRUE(mount);
    const std::string parent = *mount + "/podrun-it-dflags-parent";
    t::TempDir dir;
    auto m = dir.file("pod.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-dparent"},
      "spec":{"containers":[{"name":"c","command":["sleep","1000"]}]}})");
    auto r = t::podrun({"up", "-d", "--explain", "--cgroup-parent", parent, m});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(::access((parent + "/it-dparent/c").c_str(), F_OK), 0) << "no leaf under --cgroup-parent";
    // The narration of the detached supervisor goes where its stderr goes: its log.
    EXPECT_NE(t::read_file("/run/podrun/it-dparent/supervisor.log").find("explain | "), std::string::npos);
    EXPECT_EQ(t::podrun({"down", "it-dparent", "--timeout", "1"}).exit_code, 0);
    ::rmdir(parent.c_str());
}
