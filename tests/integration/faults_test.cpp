// Faults injected into `podrun up`: a full state directory, too few file descriptors, a
// missing or non-executable pause, pause SIGKILLed while the pod runs, a container's leaf
// removed from outside. Each ends with a clear error, the right exit code and nothing left
// (PodrunTest's TearDown checks the host). And a state directory that fills up while the
// pod runs: its log files lose lines, the pod does not.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace t = podrun::test;
using t::Background;
using t::PodrunTest;
using t::TempDir;

namespace {

const char* kSleepPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-fault"},
 "spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":2,
  "containers":[{"name":"c","command":["sleep","1000"]}]}})";

// A tmpfs of one page at a path of its own (outside /run/podrun), unmounted at the end.
class TinyTmpfs {
  public:
    explicit TinyTmpfs(const std::string& size = "4k") {
        ok_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, ("size=" + size + ",mode=0755").c_str()) == 0;
    }
    ~TinyTmpfs() {
        if (ok_) ::umount2(dir_.path().c_str(), MNT_DETACH);
    }
    bool ok() const { return ok_; }
    const std::string& path() const { return dir_.path(); }

  private:
    TempDir dir_;
    bool ok_ = false;
};

// What is left of this file's pod (other suites' pods may run meanwhile).
std::string fault_leftovers() {
    std::string out;
    for (const auto& l : t::podrun_leftovers())
        if (l.find("it-fault") != std::string::npos) out += l + "\n";
    return out;
}

bool empty_dir(const std::string& d) {
    auto r = t::run({"/bin/ls", "-A", d});
    return r.exit_code == 0 && r.out.empty();
}

}  // namespace

TEST_F(PodrunTest, FaultStateDirectoryFull) {
    PODRUN_REQUIRE_ROOT();
    TinyTmpfs fs;
    ASSERT_TRUE(fs.ok());
    t::write_file(fs.path() + "/filler", std::string(4096, 'x'));  // the one page, taken
    TempDir dir;
    const std::string file = dir.file("pod.json", kSleepPod);
    auto r = t::run({"/usr/bin/env", "PODRUN_RUN_ROOT=" + fs.path(), podrun::test::podrun_bin(), "up", file}, "", 60);
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    ::unlink((fs.path() + "/filler").c_str());
    EXPECT_TRUE(empty_dir(fs.path())) << "state left in the full directory";
}

TEST_F(PodrunTest, FaultTooFewFileDescriptors) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string file = dir.file("pod.json", kSleepPod);
    // Lowering a limit needs no privilege (raising a hard one would); each of these fails at
    // another step of `up`, before the container runs.
    for (const char* n : {"8", "12", "16", "20"}) {
        auto r =
            t::run({"/usr/bin/prlimit", std::string("--nofile=") + n + ":" + n, podrun::test::podrun_bin(), "up", file},
                   "", 60);
        EXPECT_EQ(r.exit_code, 125) << "nofile " << n << ": " << r.err;
        EXPECT_NE(r.err.find("Too many open files"), std::string::npos) << "nofile " << n << ": " << r.err;
        EXPECT_EQ(fault_leftovers(), "") << "nofile " << n;
    }
}

TEST_F(PodrunTest, FaultMissingOrNonExecutablePause) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string file = dir.file("pod.json", kSleepPod);
    auto missing = t::run(
        {"/usr/bin/env", "PODRUN_PAUSE=" + dir / "no-such-pause", podrun::test::podrun_bin(), "up", file}, "", 60);
    EXPECT_EQ(missing.exit_code, 125) << missing.err;
    EXPECT_NE(missing.err.find("no-such-pause): No such file or directory"), std::string::npos) << missing.err;
    EXPECT_EQ(fault_leftovers(), "");

    const std::string noexec = dir.file("pause", t::read_file(PODRUN_PAUSE_BIN));
    ASSERT_EQ(::chmod(noexec.c_str(), 0644), 0);
    auto denied = t::run({"/usr/bin/env", "PODRUN_PAUSE=" + noexec, podrun::test::podrun_bin(), "up", file}, "", 60);
    EXPECT_EQ(denied.exit_code, 125) << denied.err;
    EXPECT_NE(denied.err.find("Permission denied"), std::string::npos) << denied.err;
}

TEST_F(PodrunTest, FaultPauseKilledWhileThePodRuns) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    Background up({"up", dir.file("pod.json", kSleepPod)});
    ASSERT_TRUE(up.wait_for_err("started: pause pid", 30)) << up.err();
    pid_t pause = 0;
    ASSERT_TRUE(t::eventually([&] { return (pause = t::pause_pid("it-fault")) > 0; }, 10));
    // While the pod runs: once its container does (the pod's network, pasta by default,
    // starts between pause and the first container).
    ASSERT_TRUE(t::eventually([] { return t::container_pid("it-fault", "c") > 0; }, 30)) << up.err();
    ASSERT_EQ(::kill(pause, SIGKILL), 0);
    auto r = up.wait(30);
    EXPECT_FALSE(r.timed_out);
    // The kernel kills the pod's pid namespace with its PID 1: the container dies of SIGKILL.
    EXPECT_EQ(r.exit_code, 137) << r.err;
    EXPECT_NE(r.err.find("pause (PID 1 of the pod) died"), std::string::npos) << r.err;
}

TEST_F(PodrunTest, FaultContainerLeafRemovedFromOutside) {
    PODRUN_REQUIRE_ROOT();
    auto cg2 = t::cgroup2_mount();
    ASSERT_TRUE(cg2);
    TempDir dir;
    Background up({"up", dir.file("pod.json", kSleepPod)});
    ASSERT_TRUE(t::eventually([] { return t::container_pid("it-fault", "c") > 0; }, 30)) << up.err();
    const std::string leaf = *cg2 + "/podrun/it-fault/c";
    t::write_file(leaf + "/cgroup.kill", "1");
    ASSERT_TRUE(t::eventually([&] { return ::rmdir(leaf.c_str()) == 0; }, 10)) << leaf;
    auto r = up.wait(30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 137) << r.err;
    EXPECT_NE(r.err.find("container c exited with code 137"), std::string::npos) << r.err;
}

namespace {

const char* kChattyPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-fault"},
 "spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":2,
  "containers":[{"name":"c","command":["sh","-c","i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.02; done"]}]}})";

// The number of the last "c | line-N" on up's stdout, 0 before the first.
long last_line(const std::string& out) {
    auto lines = t::container_lines(out, "c");
    for (auto it = lines.rbegin(); it != lines.rend(); ++it)
        if (it->rfind("line-", 0) == 0) return std::stol(it->substr(5));
    return 0;
}

// Fills the filesystem of `dir` with `path` until at most `leave` bytes are free.
void fill_up(const std::string& dir, const std::string& path, uint64_t leave) {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    const std::string chunk(4096, 'x');
    for (;;) {
        struct statvfs st {};
        if (::statvfs(dir.c_str(), &st) < 0 || uint64_t{st.f_bavail} * st.f_frsize <= leave) return;
        if (!f.write(chunk.data(), static_cast<std::streamsize>(chunk.size())).flush()) return;  // ENOSPC
    }
}

nlohmann::json container_status(const std::string& run_root) {
    auto r = t::run({"/usr/bin/env", "PODRUN_RUN_ROOT=" + run_root, podrun::test::podrun_bin(), "inspect", "it-fault"},
                    "", 30);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.contains("status")) return nlohmann::json::object();
    return j["status"]["containerStatuses"][0];
}

}  // namespace

// The state directory (a tmpfs of 1 MiB) fills up while a container prints: first to below
// the space podrun keeps for state.json, then to the last page. The log file loses lines;
// the container keeps running, the terminal keeps showing every line, `inspect` says why
// and how many, and the log is written again once there is room.
TEST_F(PodrunTest, FaultLogFileCannotBeWrittenThePodAndTheTerminalGoOn) {
    PODRUN_REQUIRE_ROOT();
    TinyTmpfs fs("1m");
    ASSERT_TRUE(fs.ok());
    TempDir dir;
    ::setenv("PODRUN_RUN_ROOT", fs.path().c_str(), 1);
    Background up({"up", dir.file("pod.json", kChattyPod)});
    ::unsetenv("PODRUN_RUN_ROOT");
    ASSERT_TRUE(up.wait_for_out("c | line-5\n", 30)) << up.err();
    const std::string filler = fs.path() + "/filler";

    fill_up(fs.path(), filler, 16 * 1024);
    long at = last_line(up.out());
    EXPECT_TRUE(up.wait_for_out("c | line-" + std::to_string(at + 30) + "\n", 30)) << up.err();
    nlohmann::json cs;
    EXPECT_TRUE(t::eventually(
        [&] {
            cs = container_status(fs.path());
            return cs.contains("logError");
        },
        10))
        << cs.dump();
    EXPECT_NE(cs.value("logError", "").find("No space left on device"), std::string::npos) << cs.dump();
    EXPECT_GT(cs.value("logLinesLost", 0), 0) << cs.dump();
    EXPECT_TRUE(cs["state"].contains("running")) << cs.dump();
    EXPECT_NE(up.err().find("lines are lost for the log file"), std::string::npos) << up.err();

    fill_up(fs.path(), filler, 0);  // the last page: now state.json cannot be saved either
    at = last_line(up.out());
    EXPECT_TRUE(up.wait_for_out("c | line-" + std::to_string(at + 30) + "\n", 30)) << up.err();
    auto st = nlohmann::json::parse(t::read_file(fs.path() + "/it-fault/state.json"), nullptr, false);
    ASSERT_FALSE(st.is_discarded());
    const pid_t c = st["containers"][0]["process"].value("pid", 0);
    ASSERT_GT(c, 0);
    EXPECT_NE(t::proc_state(c), 0);
    EXPECT_NE(t::proc_state(c), 'Z');

    ASSERT_EQ(::unlink(filler.c_str()), 0);
    at = last_line(up.out());
    ASSERT_TRUE(up.wait_for_out("c | line-" + std::to_string(at + 30) + "\n", 30)) << up.err();
    auto logs = t::run({"/usr/bin/env", "PODRUN_RUN_ROOT=" + fs.path(), podrun::test::podrun_bin(), "logs", "it-fault"},
                       "", 30);
    EXPECT_NE(logs.out.find("line-1\n"), std::string::npos);                                // before
    EXPECT_NE(logs.out.find("line-" + std::to_string(at + 10) + "\n"), std::string::npos);  // after
    const long lost = container_status(fs.path()).value("logLinesLost", 0);
    EXPECT_GT(lost, 0);
    EXPECT_NE(up.err().find("written again"), std::string::npos) << up.err();

    up.signal(SIGTERM);
    auto r = up.wait(30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(empty_dir(fs.path())) << "state left in the state directory";
}
