// Smoke tests of the VM harness itself: the cgroup v2 controllers are real (limits bite) and
// pivot_root works. Raw syscalls and cgroupfs writes only; run inside the VM by run-vm-tests.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// One write(2) of the whole value: cgroupfs files take one value per write.
bool write_file(const std::string& path, const std::string& value, std::string* error = nullptr) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        if (error) *error = errno_text("open(" + path + ")");
        return false;
    }
    ssize_t n = ::write(fd, value.data(), value.size());
    int saved = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size())) {
        errno = saved;
        if (error) *error = errno_text("write(" + path + ", \"" + value + "\")");
        return false;
    }
    return true;
}

// The value of `key` in a flat-keyed file such as memory.events or cpu.stat.
std::optional<long long> keyed_value(const std::string& text, const std::string& key) {
    std::istringstream in(text);
    std::string k;
    long long v = 0;
    while (in >> k >> v) {
        if (k == key) return v;
    }
    return std::nullopt;
}

// Waits for `pid` up to `timeout`; returns the wait status, or nullopt on timeout.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) return std::nullopt;
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
}

// A forked child that is killed and reaped on scope exit unless already reaped.
struct Child {
    pid_t pid = -1;
    Child() = default;
    explicit Child(pid_t p) : pid(p) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        auto st = wait_for(pid, timeout);
        if (st) pid = -1;
        return st;
    }
    ~Child() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

// A child cgroup of the root. Teardown follows DESIGN.md 4: cgroup.kill, wait until
// cgroup.events says unpopulated, reap, rmdir.
class TestCgroup {
  public:
    explicit TestCgroup(const std::string& name)
        : path_(std::string(kCgroupRoot) + "/podrun-vm-" + name + "-" + std::to_string(::getpid())) {
        if (::mkdir(path_.c_str(), 0755) != 0) error_ = errno_text("mkdir(" + path_ + ")");
        procs_ = path_ + "/cgroup.procs";
    }
    TestCgroup(const TestCgroup&) = delete;
    TestCgroup& operator=(const TestCgroup&) = delete;
    ~TestCgroup() {
        if (!error_.empty()) return;
        write_file(path_ + "/cgroup.kill", "1");
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (read_file(path_ + "/cgroup.events").find("populated 1") != std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
        }
        // Everything the test started is in this cgroup, now killed; grandchildren were
        // reparented to us (child subreaper, below). Reap until none is left.
        while (std::chrono::steady_clock::now() < deadline) {
            pid_t r = ::waitpid(-1, nullptr, WNOHANG);
            if (r < 0 && errno != EINTR) break;  // ECHILD: nothing left
            if (r == 0) std::this_thread::sleep_for(10ms);
        }
        for (int i = 0; i < 100 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        struct stat st {};
        EXPECT_NE(::stat(path_.c_str(), &st), 0) << "cgroup " << path_ << " left behind";
    }
    const std::string& error() const { return error_; }
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    std::string read(const std::string& name) const { return read_file(file(name)); }
    void set(const std::string& name, const std::string& value) const {
        std::string err;
        ASSERT_TRUE(write_file(file(name), value, &err)) << err;
    }
    // Child side, between fork and the test body: no allocation, just open/write.
    bool join_from_child() const {
        int fd = ::open(procs_.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return false;
        bool ok = ::write(fd, "0", 1) == 1;
        ::close(fd);
        return ok;
    }

  private:
    std::string path_;
    std::string procs_;
    std::string error_;
};

// Only inside the VM: on a hybrid v1/v2 host these writes would land in the wrong hierarchy.
class VmTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* vm = std::getenv("PODRUN_VM");
        struct statfs fs {};
        if (!vm || std::string(vm) != "1" || ::statfs(kCgroupRoot, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
            GTEST_SKIP() << "runs only inside the VM (tests/vm/run-vm-tests), where " << kCgroupRoot
                         << " is cgroup2 and PODRUN_VM=1";
        }
    }
};

TEST_F(VmTest, RootHasAllControllersEnabled) {
    std::istringstream controllers(read_file(std::string(kCgroupRoot) + "/cgroup.controllers"));
    std::istringstream enabled(read_file(std::string(kCgroupRoot) + "/cgroup.subtree_control"));
    std::string all, on, c;
    while (controllers >> c) all += " " + c + " ";
    while (enabled >> c) on += " " + c + " ";
    for (const char* want : {"cpu", "memory", "io", "pids"}) {
        EXPECT_NE(all.find(std::string(" ") + want + " "), std::string::npos)
            << want << " missing from cgroup.controllers:" << all;
        EXPECT_NE(on.find(std::string(" ") + want + " "), std::string::npos)
            << want << " not in the root's cgroup.subtree_control:" << on;
    }
}

TEST_F(VmTest, MemoryMaxOomKillsTheGroup) {
    TestCgroup cg("oom");
    ASSERT_EQ(cg.error(), "");
    cg.set("memory.max", "64M");
    cg.set("memory.swap.max", "0");
    cg.set("memory.oom.group", "1");

    constexpr size_t kSize = 256u << 20;
    Child child(::fork());
    ASSERT_GE(child.pid, 0) << errno_text("fork");
    if (child.pid == 0) {  // child, in the test's namespaces: join the cgroup, touch 256 MiB
        if (!cg.join_from_child()) ::_exit(100);
        void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) ::_exit(101);
        for (size_t off = 0; off < kSize; off += 4096) static_cast<volatile char*>(p)[off] = 1;
        ::_exit(0);  // the limit did not bite
    }
    auto status = child.wait(120s);
    ASSERT_TRUE(status) << "child still running after 120 s";
    ASSERT_TRUE(WIFSIGNALED(*status)) << "child exited with " << WEXITSTATUS(*status)
                                      << " (100: join failed, 101: mmap failed, 0: not killed)";
    EXPECT_EQ(WTERMSIG(*status), SIGKILL);
    // With memory.oom.group=1, Linux 6.1 counts the victim twice in oom_kill: once as the
    // chosen victim and once as a member of the group it then kills (__oom_kill_process runs
    // for both). So a single process shows "oom_kill 2"; OOMKilled means oom_kill > 0.
    std::string events = cg.read("memory.events");
    auto oom_kill = keyed_value(events, "oom_kill");
    ASSERT_TRUE(oom_kill) << "memory.events:\n" << events;
    EXPECT_GE(*oom_kill, 1) << "memory.events:\n" << events;
    EXPECT_EQ(keyed_value(events, "oom_group_kill"), 1) << "memory.events:\n" << events;
}

TEST_F(VmTest, PidsMaxRefusesForkPastTheLimit) {
    TestCgroup cg("pids");
    ASSERT_EQ(cg.error(), "");
    cg.set("pids.max", "20");

    int report[2];
    ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0) << errno_text("pipe2");
    Child child(::fork());
    ASSERT_GE(child.pid, 0) << errno_text("fork");
    if (child.pid == 0) {  // child: join, fork sleepers until fork fails, report count + errno
        ::close(report[0]);
        int result[2] = {0, 0};
        if (!cg.join_from_child()) ::_exit(100);
        for (int i = 0; i < 100; ++i) {
            pid_t p = ::fork();
            if (p == 0) {  // grandchild: sleep until cgroup.kill
                for (;;) ::pause();
            }
            if (p < 0) {
                result[1] = errno;
                break;
            }
            ++result[0];
        }
        if (::write(report[1], result, sizeof result) != sizeof result) ::_exit(102);
        for (;;) ::pause();
    }
    ::close(report[1]);
    int result[2] = {-1, -1};
    ssize_t n = ::read(report[0], result, sizeof result);
    ::close(report[0]);
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof result)) << "no report from the child";
    // The child itself is one of the 20.
    EXPECT_EQ(result[0], 19) << "forks that succeeded";
    EXPECT_EQ(result[1], EAGAIN) << "fork failed with " << std::strerror(result[1]);
    EXPECT_EQ(std::stoll(cg.read("pids.current")), 20);
    auto max_events = keyed_value(cg.read("pids.events"), "max");
    ASSERT_TRUE(max_events);
    EXPECT_GE(*max_events, 1);
}

TEST_F(VmTest, CpuMaxThrottlesABusyLoop) {
    TestCgroup cg("cpu");
    ASSERT_EQ(cg.error(), "");
    cg.set("cpu.max", "20000 100000");  // 20 % of one CPU

    Child child(::fork());
    ASSERT_GE(child.pid, 0) << errno_text("fork");
    if (child.pid == 0) {  // child: join, spin for 2 s of wall time
        if (!cg.join_from_child()) ::_exit(100);
        auto end = std::chrono::steady_clock::now() + 2s;
        volatile unsigned long spins = 0;
        while (std::chrono::steady_clock::now() < end) spins = spins + 1;
        ::_exit(0);
    }
    auto status = child.wait(60s);
    ASSERT_TRUE(status) << "busy loop still running after 60 s";
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "status " << *status;
    std::string stat = cg.read("cpu.stat");
    auto throttled = keyed_value(stat, "nr_throttled");
    auto usage = keyed_value(stat, "usage_usec");
    ASSERT_TRUE(throttled && usage) << "cpu.stat:\n" << stat;
    EXPECT_GT(*throttled, 0) << "cpu.stat:\n" << stat;
    // 20 % of 2 s is 0.4 s; allow slack for period boundaries, far below the 2 s unthrottled.
    EXPECT_LT(*usage, 1'000'000) << "cpu.stat:\n" << stat;
}

// pivot_root(2) fails with EINVAL on the initramfs rootfs; the harness switch_root's into a
// tmpfs so that containers can pivot. Done in a child in its own mount namespace.
TEST_F(VmTest, PivotRootWorksInANewMountNamespace) {
    char dir[] = "/tmp/pivot.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr) << errno_text("mkdtemp");
    Child child(::fork());
    ASSERT_GE(child.pid, 0) << errno_text("fork");
    if (child.pid == 0) {  // child, in a new mount namespace: tmpfs root, pivot, check
        if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
        if (::mount("tmpfs", dir, "tmpfs", 0, "mode=0755") != 0) ::_exit(12);
        if (::chdir(dir) != 0 || ::mkdir("old", 0700) != 0 || ::mkdir("marker", 0700) != 0) ::_exit(13);
        if (::syscall(SYS_pivot_root, ".", "old") != 0) ::_exit(errno == EINVAL ? 14 : 15);
        if (::chdir("/") != 0) ::_exit(16);
        if (::umount2("/old", MNT_DETACH) != 0) ::_exit(17);
        struct stat st {};
        if (::stat("/marker", &st) != 0 || ::stat("/init", &st) == 0) ::_exit(18);
        ::_exit(0);
    }
    auto status = child.wait(30s);
    ::rmdir(dir);
    ASSERT_TRUE(status);
    ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
    EXPECT_EQ(WEXITSTATUS(*status), 0) << "step failed (14: pivot_root EINVAL, the root is still the initramfs rootfs)";
}

TEST_F(VmTest, PodrunBinariesAreInstalled) {
    EXPECT_EQ(::access("/usr/local/bin/podrun", X_OK), 0) << errno_text("access podrun");
    if (::access("/usr/local/bin/podrun-pause", F_OK) != 0) {
        std::cout << "podrun-pause not in the VM (not built yet)\n";
    } else {
        EXPECT_EQ(::access("/usr/local/bin/podrun-pause", X_OK), 0);
    }
}

// Grandchildren of the tests (pids test) are reparented to this process when their parent
// dies, so that the tests can reap everything they started. Set before gtest_main runs.
[[maybe_unused]] const bool kSubreaper = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

}  // namespace
