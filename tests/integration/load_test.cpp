// Load: 200 pods of 2 started at once with `up -d` (all Running, `down --all` leaves
// nothing; time and memory said), and 200 cycles of a foreground `up` SIGKILLed at a random
// moment of its life followed by `gc` (nothing left). Both run in a state root of their own
// (PODRUN_RUN_ROOT, PODRUN_LIB_ROOT), so `down --all` and `gc` see only these pods while other
// worktrees run theirs on the same machine; cgroups, mounts and processes are checked on the
// host (PodrunTest's TearDown, and per cycle below).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace t = podrun::test;
using nlohmann::json;
using t::PodrunTest;
using t::TempDir;

namespace {

constexpr int kPods = 200;
constexpr int kCycles = 200;

std::string pod_of_two(const std::string& name, const std::string& command) {
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
           R"("},"spec":{"terminationGracePeriodSeconds":2,"containers":[)" + R"({"name":"a","command":)" + command +
           R"(},{"name":"b","command":)" + command + "}]}}";
}

// The entries of a directory ("" when it has none or is missing).
std::string entries(const std::string& dir) {
    std::string out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out += e.path().filename().string() + " ";
    return out;
}

// Proportional set size (KiB) of a process: shared pages split between their users, so the
// sum over many processes is the memory they take together. 0 when it is gone.
long pss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string key;
    long v = 0;
    while (f >> key) {
        if (key == "Pss:") {
            f >> v;
            return v;
        }
        f.ignore(1 << 20, '\n');
    }
    return 0;
}

std::vector<pid_t> cgroup_procs(const std::string& dir) {
    std::vector<pid_t> pids;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_directory()) continue;
        std::istringstream in(t::read_file(it->path().string() + "/cgroup.procs"));
        pid_t p;
        while (in >> p) pids.push_back(p);
    }
    std::istringstream in(t::read_file(dir + "/cgroup.procs"));
    pid_t p;
    while (in >> p) pids.push_back(p);
    return pids;
}

// A state root of its own for the test's podrun processes (inherited through the
// environment), and the test as their subreaper: a killed supervisor's pause and
// containers are re-parented to us and reaped here rather than by a host init that reaps
// only now and then.
class Load : public PodrunTest {
  protected:
    void SetUp() override {
        PodrunTest::SetUp();
        ::setenv("PODRUN_RUN_ROOT", (run_ / "run").c_str(), 1);
        ::setenv("PODRUN_LIB_ROOT", (run_ / "lib").c_str(), 1);
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    void TearDown() override {
        t::eventually(
            [] {
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
                return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
            },
            10);
        ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        ::unsetenv("PODRUN_RUN_ROOT");
        ::unsetenv("PODRUN_LIB_ROOT");
        PodrunTest::TearDown();
    }
    TempDir run_;
};

}  // namespace

TEST_F(Load, TwoHundredPodsOfTwoStartedAtOnceAllRunAndDownAllLeavesNothing) {
    PODRUN_REQUIRE_ROOT();
    auto cg2 = t::cgroup2_mount();
    ASSERT_TRUE(cg2);
    TempDir dir;
    std::vector<std::string> files;
    for (int i = 0; i < kPods; i++) {
        const std::string name = "it-load-" + std::to_string(i);
        files.push_back(dir.file(name + ".json", pod_of_two(name, R"(["sleep","1000"])")));
    }
    const double t0 = t::now_s();
    std::vector<t::RunResult> ups(kPods);
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < kPods; i++)
            threads.emplace_back([&, i] { ups[i] = t::podrun({"up", "-d", files[i]}, "", 300); });
        for (auto& th : threads) th.join();
    }
    const double started_s = t::now_s() - t0;
    int failed = 0;
    std::string first;
    for (int i = 0; i < kPods; i++) {
        if (ups[i].exit_code == 0) continue;
        if (failed++ == 0)
            first = "it-load-" + std::to_string(i) + ": exit " + std::to_string(ups[i].exit_code) + ": " + ups[i].err;
    }
    EXPECT_EQ(failed, 0) << "of " << kPods << " up -d; the first: " << first;

    auto ps = t::podrun({"ps", "--json"}, "", 120);
    ASSERT_EQ(ps.exit_code, 0) << ps.err;
    int running = 0;
    for (const auto& r : json::parse(ps.out)) running += r["phase"] == "Running";
    EXPECT_EQ(running, kPods) << ps.out.substr(0, 2000);

    // Memory of it all: every supervisor, pause and container.
    long supervisors_kib = 0, pods_kib = 0;
    for (int i = 0; i < kPods; i++) {
        const std::string name = "it-load-" + std::to_string(i);
        auto st = json::parse(t::read_file(run_ / ("run/" + name + "/state.json")), nullptr, false);
        if (!st.is_discarded() && st.contains("supervisor"))
            supervisors_kib += pss_kib(st["supervisor"].value("pid", 0));
        for (pid_t p : cgroup_procs(*cg2 + "/podrun/" + name)) pods_kib += pss_kib(p);
    }
    std::printf(
        "load: %d pods of 2 (up -d in parallel) running after %.1f s; memory (PSS): supervisors %ld KiB, "
        "pause + containers %ld KiB, total %.1f MiB\n",
        kPods, started_s, supervisors_kib, pods_kib, (supervisors_kib + pods_kib) / 1024.0);

    const double t1 = t::now_s();
    auto down = t::podrun({"down", "--all"}, "", 600);
    const double down_s = t::now_s() - t1;
    EXPECT_EQ(down.exit_code, 0) << down.err;
    std::printf("load: down --all of %d pods took %.1f s\n", kPods, down_s);
    EXPECT_EQ(entries(run_ / "run"), "");
    EXPECT_EQ(entries(run_ / "lib"), "");
}

TEST_F(Load, TwoHundredCyclesOfUpKilledAtARandomMomentThenGcLeaveNothing) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string file = dir.file("pod.json", pod_of_two("it-load-kill", R"(["sleep","1000"])"));
    // A fixed seed: a failure is repeated by running the test again.
    std::mt19937 rng(14);
    // From at once to well after both containers run (a start takes ~10-100 ms here).
    std::uniform_int_distribution<int> delay_us(0, 300000);
    const double t0 = t::now_s();
    int removed = 0;
    for (int i = 0; i < kCycles; i++) {
        const int us = delay_us(rng);
        {
            t::Background up({"up", file});
            ::usleep(static_cast<useconds_t>(us));
            up.signal(SIGKILL);
            up.wait(30);
        }
        // Its pause and containers die with it (parent-death signal, the pid namespace's
        // init); reaped here, as they were re-parented to us.
        t::eventually(
            [] {
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
                return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
            },
            10);
        auto gc = t::podrun({"gc"}, "", 60);
        ASSERT_EQ(gc.exit_code, 0) << "cycle " << i << " (kill after " << us << " us): " << gc.err;
        removed += gc.out.find("removed it-load-kill") != std::string::npos;
        std::string left = entries(run_ / "run") + entries(run_ / "lib");
        for (const auto& l : t::podrun_leftovers())
            if (l.find("it-load-kill") != std::string::npos) left += l + "\n";
        ASSERT_EQ(left, "") << "cycle " << i << " (kill after " << us << " us)";
    }
    std::printf("load: %d cycles of up / kill -9 / gc in %.1f s (gc removed a pod in %d)\n", kCycles, t::now_s() - t0,
                removed);
    EXPECT_GT(removed, kCycles / 2);  // most kills land on a pod that exists
}
