// Races between podrun processes: a lock probe (ps, logs -f) while an `up` starts, a
// container's own sub-cgroups at teardown, and the shared parent cgroup while pods come and go.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "harness.hpp"
#include "podrun/cgroup/cgroup.hpp"
#include "podrun/pod/status.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/locks.hpp"

namespace t = podrun::test;
using t::PodrunTest;
using t::TempDir;

namespace {

const char* kQuickPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-race-probe"},
 "spec":{"restartPolicy":"Never","containers":[{"name":"c","command":["true"]}]}})";

const char* kSleepPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-race-subcg"},
 "spec":{"terminationGracePeriodSeconds":1,"containers":[{"name":"app","command":["sleep","1000"]}]}})";

}  // namespace

// `ps` and `logs -f` ask whether a pod's supervisor holds its lock. Asked by taking the
// lock for a moment, a probe landing between an `up`'s creating the lock file and locking
// it made that `up` fail with "is being started by another podrun".
TEST_F(PodrunTest, RaceLockProbeNeverFailsAStartingUp) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string file = dir.file("pod.json", kQuickPod);
    const auto paths = podrun::state::PodPaths::for_pod("it-race-probe");
    std::atomic<bool> stop{false};
    std::atomic<long> probes{0};
    std::thread prober([&] {
        while (!stop) {
            (void)podrun::pod::supervisor_alive(paths);  // what ps and logs -f call
            ++probes;
        }
    });
    int failed = 0;
    std::string first_failure;
    for (int i = 0; i < 40; ++i) {
        auto r = t::podrun({"up", file}, "", 60);
        if (r.exit_code != 0) {
            if (failed++ == 0) first_failure = "exit " + std::to_string(r.exit_code) + ": " + r.err;
        }
    }
    stop = true;
    prober.join();
    EXPECT_EQ(failed, 0) << "of 40 ups, while " << probes << " probes ran; the first: " << first_failure;
    EXPECT_GT(probes, 1000);
}

// The same race without pods, many times: `up` takes a fresh pod's lock with lock_file
// (non-blocking: held means running); a probe running meanwhile must never make it fail.
TEST_F(PodrunTest, RaceLockProbeNeverFailsALockTaker) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    podrun::state::PodPaths paths{"it-race-lock", dir.path(), dir.path()};
    ASSERT_EQ(::mkdir(paths.dir().c_str(), 0700), 0);
    std::atomic<bool> stop{false};
    std::thread prober([&] {
        while (!stop) (void)podrun::pod::supervisor_alive(paths);
    });
    int taken = 0, refused = 0;
    const double end = t::now_s() + 3;
    while (t::now_s() < end) {
        {
            podrun::sys::UniqueFd lock = podrun::sys::lock_file(paths.lock_file(), true);
            (lock ? taken : refused)++;
        }
        ::unlink(paths.lock_file().c_str());  // as a teardown does; the next `up` makes it anew
    }
    stop = true;
    prober.join();
    EXPECT_EQ(refused, 0) << "of " << taken + refused << " lock_file calls";
    EXPECT_GT(taken, 1000);
}

// A container may make cgroups below its own leaf (in its cgroup namespace it is the root),
// as systemd or a nested runtime does, and move processes into them. Teardown must remove
// them deepest first: a cgroup with children cannot be removed.
TEST_F(PodrunTest, RaceTeardownRemovesAContainersOwnSubCgroups) {
    PODRUN_REQUIRE_ROOT();
    auto cg2 = t::cgroup2_mount();
    ASSERT_TRUE(cg2);
    TempDir dir;
    auto up = t::podrun({"up", "-d", dir.file("pod.json", kSleepPod)}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    const pid_t pid = t::container_pid("it-race-subcg", "app");
    ASSERT_GT(pid, 0);
    const std::string leaf = *cg2 + "/podrun/it-race-subcg/app";
    ASSERT_EQ(::mkdir((leaf + "/sub").c_str(), 0755), 0) << leaf;
    ASSERT_EQ(::mkdir((leaf + "/sub/deeper").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((leaf + "/other").c_str(), 0755), 0);
    {
        std::ofstream procs(leaf + "/sub/deeper/cgroup.procs");
        procs << pid << "\n";
    }
    EXPECT_NE(t::read_file("/proc/" + std::to_string(pid) + "/cgroup").find("/app/sub/deeper"), std::string::npos);
    auto down = t::podrun({"down", "it-race-subcg"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    EXPECT_EQ(down.err.find("rmdir"), std::string::npos) << down.err;
    struct stat st;
    EXPECT_NE(::stat((*cg2 + "/podrun/it-race-subcg").c_str(), &st), 0) << "the pod cgroup is still there";
}

// The parent of every pod cgroup (<cgroup2>/podrun, or --cgroup-parent) goes when the last
// pod leaves. Removed while another pod was between making the parent and making its own
// cgroup in it, that pod failed with ENOENT. Two pods come and go 2000 times each here, on
// a parent of this test's own.
TEST_F(PodrunTest, RaceSharedParentIsNeverRemovedUnderAStartingPod) {
    PODRUN_REQUIRE_ROOT();
    auto cg2 = t::cgroup2_mount();
    ASSERT_TRUE(cg2);
    const std::string parent = *cg2 + "/it-race-parent";
    std::atomic<int> failures{0};
    std::string first;
    std::mutex first_mu;
    auto cycle = [&](const std::string& pod) {
        podrun::cgroup::PodTree tree(parent, pod);
        for (int i = 0; i < 2000; ++i) {
            try {
                tree.create();
                struct stat st;
                if (::stat(tree.pod_dir().c_str(), &st) != 0)
                    throw std::runtime_error(tree.pod_dir() + " missing after create");
            } catch (const std::exception& e) {
                if (failures++ == 0) {
                    std::lock_guard<std::mutex> g(first_mu);
                    first = e.what();
                }
            }
            for (const auto& p : tree.destroy()) {
                if (failures++ == 0) {
                    std::lock_guard<std::mutex> g(first_mu);
                    first = p;
                }
            }
        }
    };
    std::thread a(cycle, "it-race-a");
    std::thread b(cycle, "it-race-b");
    a.join();
    b.join();
    EXPECT_EQ(failures, 0) << "first: " << first;
    // The last one out removed it.
    struct stat st;
    EXPECT_NE(::stat(parent.c_str(), &st), 0) << parent << " is left";
    ::rmdir((parent + "/it-race-a").c_str());
    ::rmdir((parent + "/it-race-b").c_str());
    ::rmdir(parent.c_str());
}
