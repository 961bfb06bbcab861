// cgroup v2 resource limits, end to end: the real podrun binary runs pods inside the VM and
// the tests read the values back from cgroupfs (the VM's side: /sys/fs/cgroup/podrun/<pod>/...)
// or watch the kernel enforce them (throttling, OOM kills, refused forks). Containers without
// an image run the VM's busybox.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPodrun = "/usr/local/bin/podrun";
constexpr const char* kCgroup = "/sys/fs/cgroup";
const std::string kPodsParent = std::string(kCgroup) + "/podrun";
constexpr const char* kLibRoot = "/var/lib/podrun";  // emptyDir volumes on disk (the default)

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// A cgroupfs value without its trailing newline.
std::string value(const std::string& path) {
    std::string v = read_file(path);
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
    return v;
}

std::optional<long long> keyed_value(const std::string& text, const std::string& key) {
    std::istringstream in(text);
    std::string k;
    long long v = 0;
    while (in >> k >> v) {
        if (k == key) return v;
    }
    return std::nullopt;
}

bool write_file(const std::string& path, const std::string& v) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    bool ok = ::write(fd, v.data(), v.size()) == static_cast<ssize_t>(v.size());
    ::close(fd);
    return ok;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (pred()) return true;
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

size_t count_procs(const std::string& dir) {
    std::istringstream in(read_file(dir + "/cgroup.procs"));
    size_t n = 0;
    for (long pid; in >> pid;) n++;
    return n;
}

bool populated(const std::string& dir) {
    return read_file(dir + "/cgroup.events").find("populated 1") != std::string::npos;
}

// Subdirectories of a cgroup (its child cgroups).
std::vector<std::string> child_cgroups(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n == "." || n == "..") continue;
            if (e->d_type == DT_DIR) out.push_back(n);
        }
        ::closedir(d);
    }
    return out;
}

// Last resort after a failed test: kill and remove a cgroup subtree, leaves first.
void remove_cgroup_tree(const std::string& dir) {
    if (!exists(dir)) return;
    write_file(dir + "/cgroup.kill", "1");
    eventually([&] { return !populated(dir); }, 5s);
    for (const auto& c : child_cgroups(dir)) remove_cgroup_tree(dir + "/" + c);
    ::rmdir(dir.c_str());
}

// A process started by a test (podrun, mostly), its output in files under /tmp. Killed (by
// its PID) and reaped on destruction if the test did not wait for it.
class Proc {
  public:
    // `before_exec` runs in the child after fork, before execv (raw syscalls only); it returns
    // 0 or the exit code for the child to _exit with.
    Proc(const std::vector<std::string>& argv, const std::function<int()>& before_exec = {}) {
        static int seq = 0;
        std::string base = "/tmp/podrun-limits-" + std::to_string(::getpid()) + "-" + std::to_string(seq++);
        out_path_ = base + ".out";
        err_path_ = base + ".err";
        std::vector<char*> cargv;
        for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
        cargv.push_back(nullptr);
        int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        pid_ = ::fork();
        if (pid_ == 0) {
            int in = ::open("/dev/null", O_RDONLY);
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(err, 2);
            if (before_exec) {
                if (int code = before_exec()) ::_exit(code);
            }
            ::execv(cargv[0], cargv.data());
            ::_exit(127);
        }
        ::close(out);
        ::close(err);
    }
    Proc(const Proc&) = delete;
    Proc& operator=(const Proc&) = delete;
    ~Proc() {
        if (pid_ > 0) {
            // A pod still running after a failed assertion: SIGTERM lets podrun clean up.
            ::kill(pid_, SIGTERM);
            if (!wait(20s)) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
            }
        }
        ::unlink(out_path_.c_str());
        ::unlink(err_path_.c_str());
    }

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }
    // Exit code (128+signal when killed), or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        if (pid_ <= 0) return code_;
        auto deadline = Clock::now() + timeout;
        for (;;) {
            int status = 0;
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return code_;
            }
            if (r < 0 && errno != EINTR) return std::nullopt;
            if (Clock::now() > deadline) return std::nullopt;
            std::this_thread::sleep_for(20ms);
        }
    }
    // SIGTERM (podrun stops the pod and removes everything) and wait.
    std::optional<int> stop(std::chrono::milliseconds timeout = 30s) {
        if (pid_ > 0) ::kill(pid_, SIGTERM);
        return wait(timeout);
    }
    bool exited() { return wait(0ms).has_value(); }
    // "running (pid N)" or "exited with N", for failure messages.
    std::string describe() {
        auto c = wait(0ms);
        return c ? "exited with " + std::to_string(*c) : "running (pid " + std::to_string(pid_) + ")";
    }
    std::string out() const { return read_file(out_path_); }
    std::string err() const { return read_file(err_path_); }
    std::string output() const { return "--- stdout:\n" + out() + "--- stderr:\n" + err(); }

  private:
    pid_t pid_ = -1;
    std::optional<int> code_;
    std::string out_path_;
    std::string err_path_;
};

// --- manifests ------------------------------------------------------------------------------

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// A container running `script` with busybox sh; `resources` is JSON ("" for none), `extra`
// more fields (e.g. volumeMounts).
std::string container(const std::string& name, const std::string& script, const std::string& resources = "",
                      const std::string& extra = "") {
    std::string c = "{\"name\": " + quoted(name) + ", \"command\": [\"sh\", \"-c\", " + quoted(script) + "]";
    if (!resources.empty()) c += ", \"resources\": " + resources;
    if (!extra.empty()) c += ", " + extra;
    return c + "}";
}

// Runs until SIGTERM and then exits 0, so that a stopped pod ends with 0 and at once (`wait`
// returns as soon as the trapped signal arrives; a PID 1 would ignore an untrapped SIGTERM).
const std::string kIdle = "trap 'exit 0' TERM; sleep 1000 & wait";

std::string pod(const std::string& name, const std::vector<std::string>& containers, const std::string& extra_spec = "",
                const std::string& annotations = "") {
    std::string list;
    for (const auto& c : containers) list += (list.empty() ? "" : ", ") + c;
    std::string meta = "{\"name\": " + quoted(name);
    if (!annotations.empty()) meta += ", \"annotations\": " + annotations;
    meta += "}";
    return "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": " + meta +
           ", \"spec\": {\"restartPolicy\": \"Never\", \"terminationGracePeriodSeconds\": 5" +
           (extra_spec.empty() ? "" : ", " + extra_spec) + ", \"containers\": [" + list + "]}}";
}

std::string write_manifest(const std::string& name, const std::string& json) {
    std::string path = "/tmp/podrun-limits-" + name + ".json";
    write_file(path, json);
    return path;
}

std::vector<std::string> up_args(const std::string& manifest, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{kPodrun, "up"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(manifest);
    return argv;
}

std::string pod_dir(const std::string& pod) {
    return kPodsParent + "/" + pod;
}
std::string leaf_dir(const std::string& pod, const std::string& c) {
    return pod_dir(pod) + "/" + c;
}

// --- fixture --------------------------------------------------------------------------------

bool in_vm() {
    const char* vm = std::getenv("PODRUN_VM");
    struct statfs fs {};
    return vm && std::string(vm) == "1" && ::statfs(kCgroup, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

class Limits : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!in_vm()) {
            GTEST_SKIP() << "runs only inside the VM (tests/vm/run-vm-tests), where " << kCgroup
                         << " is cgroup2 with cpu/memory/pids and PODRUN_VM=1";
        }
        ASSERT_TRUE(child_cgroups(kPodsParent).empty()) << "a previous test left pods in " << kPodsParent;
    }
    void TearDown() override {
        if (!in_vm()) return;
        for (const auto& m : manifests_) ::unlink(m.c_str());
        // Nothing of podrun's may be left once its pods have ended.
        auto left = child_cgroups(kPodsParent);
        std::string names;
        for (const auto& n : left) names += " " + n;
        EXPECT_TRUE(left.empty()) << "cgroups left in " << kPodsParent << ":" << names;
        if (!left.empty()) remove_cgroup_tree(kPodsParent);  // so that later tests start clean
    }
    std::string manifest(const std::string& name, const std::string& json) {
        manifests_.push_back(write_manifest(name, json));
        return manifests_.back();
    }
    // Waits until the container's leaf holds `procs` processes: 2 for kIdle (the shell has
    // set its trap and started its sleep), so that a SIGTERM from the test cannot overtake
    // the trap.
  public:
    static ::testing::AssertionResult started(Proc& p, const std::string& pod, const std::string& c, size_t procs = 2) {
        const std::string dir = leaf_dir(pod, c);
        if (eventually([&] { return count_procs(dir) >= procs || p.exited(); }, 60s) && !p.exited())
            return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure()
               << "container " << c << " of pod " << pod << " never ran (" << count_procs(dir)
               << " process(es) in its leaf, podrun " << p.describe() << ")\n"
               << p.output();
    }

  private:
    std::vector<std::string> manifests_;
};

// --- 1. cpu limits ----------------------------------------------------------------------------

TEST_F(Limits, CpuLimitBecomesCpuMaxInTheLeaf) {
    auto m = manifest("cpumax", pod("cpumax", {container("c", kIdle, R"({"limits": {"cpu": "500m"}})")}));
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "cpumax", "c"));
    EXPECT_EQ(value(leaf_dir("cpumax", "c") + "/cpu.max"), "50000 100000");
    // A limit without a request: Kubernetes defaults the request to the limit (512 shares).
    EXPECT_EQ(value(leaf_dir("cpumax", "c") + "/cpu.weight"), "59");
    EXPECT_EQ(p.stop(), 0) << p.output();
}

TEST_F(Limits, CpuLimitThrottlesABusyLoopToItsShare) {
    auto m = manifest("cpubusy", pod("cpubusy", {container("spin", "trap 'exit 0' TERM; while :; do :; done",
                                                           R"({"limits": {"cpu": "200m"}})")}));
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "cpubusy", "spin", 1));
    const std::string stat = leaf_dir("cpubusy", "spin") + "/cpu.stat";
    std::this_thread::sleep_for(300ms);  // past the start-up
    auto t0 = Clock::now();
    auto u0 = keyed_value(read_file(stat), "usage_usec");
    std::this_thread::sleep_for(3s);
    auto u1 = keyed_value(read_file(stat), "usage_usec");
    auto t1 = Clock::now();
    std::string text = read_file(stat);
    ASSERT_TRUE(u0 && u1) << text;
    double wall_us = std::chrono::duration<double, std::micro>(t1 - t0).count();
    double share = static_cast<double>(*u1 - *u0) / wall_us;
    EXPECT_NEAR(share, 0.20, 0.05) << "used " << (*u1 - *u0) << " us of CPU in " << wall_us << " us\n" << text;
    auto throttled = keyed_value(text, "nr_throttled");
    ASSERT_TRUE(throttled) << text;
    EXPECT_GT(*throttled, 0) << text;
    EXPECT_EQ(p.stop(), 0) << p.output();
}

// --- 2. cpu requests -> cpu.weight --------------------------------------------------------------

void expect_weights(Proc& p, const std::string& pod, const std::string& one, const std::string& quarter) {
    ASSERT_TRUE(Limits::started(p, pod, "one"));
    ASSERT_TRUE(Limits::started(p, pod, "quarter"));
    EXPECT_EQ(value(leaf_dir(pod, "one") + "/cpu.weight"), one) << "requests.cpu 1 (1024 shares)";
    EXPECT_EQ(value(leaf_dir(pod, "quarter") + "/cpu.weight"), quarter) << "requests.cpu 250m (256 shares)";
    // No limits: unlimited quota.
    EXPECT_EQ(value(leaf_dir(pod, "one") + "/cpu.max"), "max 100000");
    EXPECT_EQ(p.stop(), 0) << p.output();
}

std::string weights_pod(const std::string& name) {
    return pod(name, {container("one", kIdle, R"({"requests": {"cpu": "1"}})"),
                      container("quarter", kIdle, R"({"requests": {"cpu": "250m"}})")});
}

TEST_F(Limits, CpuRequestsBecomeWeightsQuadraticByDefault) {
    Proc p(up_args(manifest("weightq", weights_pod("weightq"))));
    expect_weights(p, "weightq", "100", "35");
}

TEST_F(Limits, CpuRequestsBecomeWeightsLinearOnRequest) {
    Proc p(up_args(manifest("weightl", weights_pod("weightl")), {"--cpu-weight-formula", "linear"}));
    expect_weights(p, "weightl", "39", "10");
}

// --- 3. memory ------------------------------------------------------------------------------

TEST_F(Limits, MemoryLimitWritesMaxNoSwapAndOomGroup) {
    auto m = manifest("memfiles", pod("memfiles", {container("c", kIdle, R"({"limits": {"memory": "64Mi"}})")}));
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "memfiles", "c"));
    const std::string leaf = leaf_dir("memfiles", "c");
    EXPECT_EQ(value(leaf + "/memory.max"), "67108864");
    EXPECT_EQ(value(leaf + "/memory.swap.max"), "0");
    EXPECT_EQ(value(leaf + "/memory.oom.group"), "1");
    // The only container has a limit, so the pod has one too (a sum of one).
    EXPECT_EQ(value(pod_dir("memfiles") + "/memory.max"), "67108864");
    EXPECT_EQ(p.stop(), 0) << p.output();
}

TEST_F(Limits, ContainerOverItsMemoryLimitIsOomKilledAndItsSiblingRunsOn) {
    // hog: busybox dd allocates its 256 MiB block and read() from /dev/zero fills (touches)
    // it, all in one process. beat: writes a heartbeat into the emptyDir until told to stop.
    const std::string beat_script =
        "i=0; while [ ! -e /shared/stop ]; do i=$((i+1)); echo $i > /shared/beat; sleep 0.2; done; "
        "echo stopped after $i beats";
    auto m = manifest(
        "oom",
        pod("oom",
            {container("hog", "exec dd if=/dev/zero of=/dev/null bs=256M count=1", R"({"limits": {"memory": "64Mi"}})"),
             container("beat", beat_script, "", R"("volumeMounts": [{"name": "shared", "mountPath": "/shared"}])")},
            R"("volumes": [{"name": "shared", "emptyDir": {}}])"));
    const std::string shared = std::string(kLibRoot) + "/oom/volumes/shared";
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "oom", "beat", 1));
    // The kernel's word: the hog's leaf counted an OOM kill.
    const std::string hog = leaf_dir("oom", "hog");
    ASSERT_TRUE(
        eventually([&] { return keyed_value(read_file(hog + "/memory.events"), "oom_kill").value_or(0) > 0; }, 60s))
        << read_file(hog + "/memory.events") << p.output();
    ASSERT_TRUE(eventually([&] { return p.err().find("OOMKilled") != std::string::npos; }, 10s)) << p.output();
    EXPECT_NE(p.err().find("container hog exited with code 137 (signal 9): OOMKilled"), std::string::npos)
        << p.output();
    EXPECT_FALSE(populated(hog));
    // The sibling lives on after the OOM kill: its leaf is populated and its heartbeat moves.
    EXPECT_TRUE(populated(leaf_dir("oom", "beat")));
    long b0 = std::atol(read_file(shared + "/beat").c_str());
    EXPECT_TRUE(eventually([&] { return std::atol(read_file(shared + "/beat").c_str()) > b0 + 2; }, 20s))
        << "heartbeat stuck at " << b0 << "\n"
        << p.output();
    ASSERT_TRUE(write_file(shared + "/stop", "")) << std::strerror(errno);
    // restartPolicy Never: the pod ends when beat ends, with the hog's code.
    auto code = p.wait(30s);
    ASSERT_TRUE(code) << "podrun still running\n" << p.output();
    EXPECT_EQ(*code, 137) << p.output();
    EXPECT_NE(p.out().find("stopped after"), std::string::npos) << p.output();
}

// --- 4. pids --------------------------------------------------------------------------------

// Forks sleepers in a subshell until fork fails, counting them in /work/started, records the
// subshell's exit code in /work/rc and stays up. Runs in a pod whose pids.max is 20.
void expect_pids_limit(Proc& p, const std::string& name) {
    const std::string work = std::string(kLibRoot) + "/" + name + "/volumes/work";
    ASSERT_TRUE(eventually([&] { return exists(work + "/rc"); }, 60s)) << p.output();
    const std::string pd = pod_dir(name);
    EXPECT_EQ(value(pd + "/pids.max"), "20");
    EXPECT_EQ(value(leaf_dir(name, "forker") + "/pids.max"), "max") << "the limit is the pod's";
    // Linux 6.1 counts a refused fork in pids.events of the cgroup the forking task is in
    // (the container's leaf), not of the ancestor whose pids.max refused it (pids.events
    // became hierarchical, with pids.events.local, only in later kernels).
    const std::string events = read_file(leaf_dir(name, "forker") + "/pids.events");
    auto max_events = keyed_value(events, "max");
    ASSERT_TRUE(max_events) << events;
    EXPECT_GE(*max_events, 1) << events;
    EXPECT_NE(value(work + "/rc"), "0") << "the subshell never failed to fork";
    // 20 = pause + the container's shell + the subshell + the sleepers it started.
    EXPECT_EQ(value(work + "/started"), "17");
    EXPECT_EQ(p.stop(), 0) << p.output();
}

std::string pids_pod(const std::string& name, const std::string& annotations = "") {
    const std::string script =
        "trap 'exit 0' TERM; "
        "(n=0; while [ $n -lt 100 ]; do sleep 1000 & n=$((n+1)); echo $n > /work/started; done); "
        "echo $? > /work/rc; sleep 1000 & wait";
    return pod(name, {container("forker", script, "", R"("volumeMounts": [{"name": "work", "mountPath": "/work"}])")},
               R"("volumes": [{"name": "work", "emptyDir": {}}])", annotations);
}

TEST_F(Limits, PidsMaxFlagLimitsThePod) {
    Proc p(up_args(manifest("pidsflag", pids_pod("pidsflag")), {"--pids-max", "20"}));
    expect_pids_limit(p, "pidsflag");
}

TEST_F(Limits, PidsMaxAnnotationLimitsThePod) {
    Proc p(up_args(manifest("pidsann", pids_pod("pidsann", R"({"podrun.io/pids-max": "20"})"))));
    expect_pids_limit(p, "pidsann");
}

// --- 5. pod-level values ----------------------------------------------------------------------

TEST_F(Limits, PodCgroupHoldsTheSumsOfItsContainers) {
    auto m = manifest("sums", pod("sums", {container("a", kIdle, R"({"limits": {"cpu": "500m", "memory": "64Mi"}})"),
                                           container("b", kIdle, R"({"limits": {"cpu": "250m", "memory": "32Mi"}})")}));
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "sums", "a"));
    ASSERT_TRUE(started(p, "sums", "b"));
    const std::string pd = pod_dir("sums");
    EXPECT_EQ(value(pd + "/cpu.max"), "75000 100000");
    EXPECT_EQ(value(pd + "/memory.max"), std::to_string(96LL << 20));
    EXPECT_EQ(value(pd + "/cpu.weight"), "80") << "requests 750m (768 shares)";
    EXPECT_EQ(value(leaf_dir("sums", "a") + "/cpu.max"), "50000 100000");
    EXPECT_EQ(value(leaf_dir("sums", "b") + "/cpu.max"), "25000 100000");
    EXPECT_EQ(value(leaf_dir("sums", "b") + "/memory.max"), std::to_string(32LL << 20));
    EXPECT_EQ(p.stop(), 0) << p.output();
}

TEST_F(Limits, PodHasNoLimitWhenAContainerHasNone) {
    auto m =
        manifest("partial", pod("partial", {container("a", kIdle, R"({"limits": {"cpu": "500m", "memory": "64Mi"}})"),
                                            container("b", kIdle)}));
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "partial", "a"));
    ASSERT_TRUE(started(p, "partial", "b"));
    EXPECT_EQ(value(pod_dir("partial") + "/cpu.max"), "max 100000");
    EXPECT_EQ(value(pod_dir("partial") + "/memory.max"), "max");
    EXPECT_EQ(value(leaf_dir("partial", "a") + "/memory.max"), "67108864");
    EXPECT_EQ(value(leaf_dir("partial", "b") + "/memory.max"), "max");
    EXPECT_EQ(p.stop(), 0) << p.output();
}

TEST_F(Limits, PodLevelResourcesOverrideTheSums) {
    auto m = manifest("podlevel", pod("podlevel",
                                      {container("a", kIdle, R"({"limits": {"cpu": "500m", "memory": "64Mi"}})"),
                                       container("b", kIdle, R"({"limits": {"cpu": "250m", "memory": "32Mi"}})")},
                                      R"("resources": {"limits": {"cpu": "1", "memory": "128Mi"}})"));
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "podlevel", "a"));
    ASSERT_TRUE(started(p, "podlevel", "b"));
    EXPECT_EQ(value(pod_dir("podlevel") + "/cpu.max"), "100000 100000");
    EXPECT_EQ(value(pod_dir("podlevel") + "/memory.max"), std::to_string(128LL << 20));
    EXPECT_EQ(value(pod_dir("podlevel") + "/cpu.weight"), "100") << "requests default to the limits: 1 CPU";
    EXPECT_EQ(value(leaf_dir("podlevel", "a") + "/cpu.max"), "50000 100000");
    EXPECT_EQ(value(leaf_dir("podlevel", "a") + "/memory.max"), std::to_string(64LL << 20));
    EXPECT_EQ(p.stop(), 0) << p.output();
}

// The kubelet overrides the containers' sums per resource (component-helpers PodRequests /
// PodLimits: applyPodLevelResources): a pod-level memory limit alone leaves the pod's cpu
// values to the containers.
TEST_F(Limits, PodLevelMemoryLimitKeepsTheContainersCpuSums) {
    auto m = manifest("podmem", pod("podmem",
                                    {container("a", kIdle, R"({"limits": {"cpu": "500m", "memory": "64Mi"}})"),
                                     container("b", kIdle, R"({"limits": {"cpu": "250m", "memory": "32Mi"}})")},
                                    R"("resources": {"limits": {"memory": "128Mi"}})"));
    Proc p(up_args(m));
    ASSERT_TRUE(started(p, "podmem", "a"));
    ASSERT_TRUE(started(p, "podmem", "b"));
    EXPECT_EQ(value(pod_dir("podmem") + "/memory.max"), std::to_string(128LL << 20));
    EXPECT_EQ(value(pod_dir("podmem") + "/cpu.max"), "75000 100000");
    EXPECT_EQ(value(pod_dir("podmem") + "/cpu.weight"), "80") << "requests 750m (768 shares)";
    EXPECT_EQ(p.stop(), 0) << p.output();
}

// cgroup2 inside the container is rooted at its leaf (its own cgroup namespace), so a program
// can read its own limits where it expects them.
TEST_F(Limits, ContainerSeesItsOwnLimitsAtSysFsCgroup) {
    auto m = manifest("inside", pod("inside", {container("c", "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max",
                                                         R"({"limits": {"cpu": "500m", "memory": "64Mi"}})")}));
    Proc p(up_args(m));
    auto code = p.wait(60s);
    ASSERT_TRUE(code) << p.output();
    EXPECT_EQ(*code, 0) << p.output();
    EXPECT_NE(p.out().find("c | 67108864\n"), std::string::npos) << p.output();
    EXPECT_NE(p.out().find("c | 50000 100000\n"), std::string::npos) << p.output();
}

// --- 6. a cgroup namespace whose root holds processes (docker run --privileged) -----------------

TEST_F(Limits, NamespaceRootWithProcessesIsHandledWithoutManualSteps) {
    const std::string fake = std::string(kCgroup) + "/fakectr";
    const std::string fake_procs = fake + "/cgroup.procs";
    ASSERT_EQ(::mkdir(fake.c_str(), 0755), 0) << std::strerror(errno);
    // Removes what this test created even when an assertion fails halfway.
    struct Cleanup {
        std::string fake;
        pid_t sleeper = -1;
        ~Cleanup() {
            if (sleeper > 0) {
                ::kill(sleeper, SIGKILL);
                ::waitpid(sleeper, nullptr, 0);
            }
            remove_cgroup_tree(fake);
            EXPECT_FALSE(exists(fake)) << fake << " left behind";
        }
    } cleanup{fake};

    auto join_fake = [fake_procs]() -> int {
        int fd = ::open(fake_procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return 100;
        bool ok = ::write(fd, "0", 1) == 1;
        ::close(fd);
        return ok ? 0 : 101;
    };
    // Another process in the "container's" cgroup, as a container's own init would be.
    {
        std::vector<char*> a{const_cast<char*>("/bin/sleep"), const_cast<char*>("1000"), nullptr};
        pid_t s = ::fork();
        if (s == 0) {
            if (int c = join_fake()) ::_exit(c);
            ::execv(a[0], a.data());
            ::_exit(127);
        }
        ASSERT_GT(s, 0);
        cleanup.sleeper = s;
    }
    ASSERT_TRUE(eventually(
        [&] { return read_file(fake_procs).find(std::to_string(cleanup.sleeper)) != std::string::npos; }, 5s))
        << "sleep " << cleanup.sleeper << " never joined " << fake;

    auto m = manifest("nsroot", pod("nsroot", {container("c", kIdle, R"({"limits": {"memory": "64Mi"}})")}));
    // podrun as a privileged container sees it: cgroup namespace rooted at fakectr, its own
    // mount namespace with a fresh cgroup2 mount on /sys/fs/cgroup.
    Proc p(up_args(m), [join_fake]() -> int {
        // Failures go to the test's stderr file (fd 2 here) with errno.
        auto fail = [](int code, const char* step) {
            ::dprintf(2, "before exec: %s: %s\n", step, std::strerror(errno));
            return code;
        };
        if (int c = join_fake()) return fail(c, "join fakectr");
        if (::unshare(CLONE_NEWCGROUP | CLONE_NEWNS) != 0) return fail(102, "unshare");
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return fail(103, "make / private");
        // The VM's own cgroup2 mount goes first: the kernel refuses the same superblock on
        // the same mount point twice (EBUSY), and a container manager's mount namespace
        // never had it anyway.
        if (::umount2("/sys/fs/cgroup", MNT_DETACH) != 0) return fail(104, "umount the VM's /sys/fs/cgroup");
        if (::mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, nullptr) != 0) return fail(105, "mount cgroup2");
        return 0;
    });
    const std::string leaf = fake + "/podrun/nsroot/c";
    ASSERT_TRUE(eventually([&] { return count_procs(leaf) >= 2 || p.exited(); }, 60s) && !p.exited())
        << "podrun " << p.describe() << " (100-105: a step before exec failed)\n"
        << p.output();
    EXPECT_EQ(value(leaf + "/memory.max"), "67108864");
    EXPECT_EQ(value(fake + "/podrun/nsroot/memory.max"), "67108864");
    // Both processes that sat in the namespace root now sit in <root>/init.
    std::string init_procs = read_file(fake + "/init/cgroup.procs");
    EXPECT_NE(init_procs.find(std::to_string(cleanup.sleeper)), std::string::npos) << init_procs;
    EXPECT_NE(init_procs.find(std::to_string(p.pid())), std::string::npos) << init_procs;
    EXPECT_EQ(value(fake_procs), "");
    EXPECT_EQ(p.stop(), 0) << p.output();
    EXPECT_NE(p.err().find("moved 2 process(es) out of the cgroup namespace root into /sys/fs/cgroup/init"),
              std::string::npos)
        << p.output();
    EXPECT_FALSE(exists(fake + "/podrun")) << "podrun left its cgroups in the namespace";
    // Cleanup: the sleeper by its PID, then init and fakectr (the destructor).
    ::kill(cleanup.sleeper, SIGKILL);
    ::waitpid(cleanup.sleeper, nullptr, 0);
    cleanup.sleeper = -1;
    EXPECT_TRUE(eventually([&] { return !populated(fake); }, 5s));
    EXPECT_EQ(::rmdir((fake + "/init").c_str()), 0) << std::strerror(errno);
    EXPECT_EQ(::rmdir(fake.c_str()), 0) << std::strerror(errno);
}

// --- 8. --explain -------------------------------------------------------------------------------

TEST_F(Limits, ExplainNarratesEachCgroupWriteWithItsRule) {
    auto m = manifest("explain",
                      pod("explain", {container("c", "true", R"({"limits": {"cpu": "500m", "memory": "64Mi"}})")}));
    Proc p(up_args(m, {"--explain"}));
    auto code = p.wait(60s);
    ASSERT_TRUE(code) << p.output();
    EXPECT_EQ(*code, 0) << p.output();
    std::string err = p.err();
    auto line_with = [&](const std::string& a, const std::string& b) {
        std::istringstream in(err);
        std::string line;
        while (std::getline(in, line)) {
            if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) return true;
        }
        return false;
    };
    EXPECT_TRUE(line_with("/c/cpu.max = \"50000 100000\"", "limits.cpu")) << err;
    EXPECT_TRUE(line_with("/explain/cpu.max = \"50000 100000\"", "limits.cpu")) << err;  // the pod's sum
    EXPECT_TRUE(line_with("/c/memory.max = \"67108864\"", "limits.memory")) << err;
    EXPECT_TRUE(line_with("/c/memory.swap.max = \"0\"", "swap")) << err;
    EXPECT_TRUE(line_with("/c/memory.oom.group = \"1\"", "OOM")) << err;
    EXPECT_TRUE(line_with("/c/cpu.weight = \"59\"", "requests.cpu 500m")) << err;
    EXPECT_TRUE(line_with("cgroup.subtree_control", "+cpu +memory")) << err;
}

}  // namespace
