// The bridge network mode end to end, inside a network namespace the test makes to play the
// host (`ip netns add`; podrun runs in it through `nsenter --net`, which, unlike `ip netns
// exec`, leaves the mount namespace alone: a fresh /sys would hide the cgroup2 mount; the real
// host's network is never touched): two pods get different pod IPs on podrun0, pod B fetches pod A's page by IP,
// inspect shows the IPs, and once both end no veth, no IPAM lease and no bridge is left.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace podrun::test {
namespace {

bool bridge_usable() {
    return ::access("/usr/lib/cni/bridge", X_OK) == 0 && ::access("/usr/lib/cni/host-local", X_OK) == 0 &&
           ::access("/usr/sbin/ip", X_OK) == 0 && ::access("/usr/sbin/iptables", X_OK) == 0;
}

// The CNI plugins and the tools the bridge tests drive; a skip is a failure under PODRUN_MUST_RUN.
#define PODRUN_REQUIRE_BRIDGE()                                                                   \
    do {                                                                                          \
        if (!bridge_usable()) {                                                                   \
            if (must_run()) FAIL() << "needs containernetworking-plugins, iproute2 and iptables"; \
            GTEST_SKIP() << "needs containernetworking-plugins, iproute2 and iptables";           \
        }                                                                                         \
    } while (0)

// A network namespace standing in for the host, with loopback up and forwarding on (its
// own sysctl: the real host's stays as it is). Removed with the object.
class FakeHost {
  public:
    FakeHost() : name_("podrun-it-" + std::to_string(::getpid())) {
        run({"/usr/sbin/ip", "netns", "add", name_});
        in({"/usr/sbin/ip", "link", "set", "lo", "up"});
        in({"/usr/sbin/sysctl", "-q", "-w", "net.ipv4.ip_forward=1"});
    }
    ~FakeHost() { run({"/usr/sbin/ip", "netns", "delete", name_}); }
    // podrun (or any program) inside this namespace.
    RunResult podrun(const std::vector<std::string>& args, double timeout_s = 60) const {
        std::vector<std::string> argv{"/usr/bin/nsenter", "--net=/run/netns/" + name_, podrun::test::podrun_bin()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv, "", timeout_s);
    }
    RunResult in(const std::vector<std::string>& args) const {
        std::vector<std::string> argv{"/usr/bin/nsenter", "--net=/run/netns/" + name_};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    }

    const std::string& name() const { return name_; }

  private:
    std::string name_;
};

// This process inside a namespace's network for a scope (so a foreground `podrun up` it
// starts, and the curl it runs, are in it), and back in its own at the end.
class InNetns {
  public:
    explicit InNetns(const std::string& name) : home_(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) {
        int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
        ok_ = home_ >= 0 && fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
        if (fd >= 0) ::close(fd);
    }
    ~InNetns() {
        if (ok_) (void)::setns(home_, CLONE_NEWNET);
        if (home_ >= 0) ::close(home_);
    }
    bool ok() const { return ok_; }

  private:
    int home_;
    bool ok_ = false;
};

// Files of host-local's lease directory that are leases (addresses), not its own.
std::vector<std::string> leases() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/var/lib/cni/networks/podrun0", ec)) {
        const std::string f = e.path().filename();
        if (f != "lock" && f.rfind("last_reserved_ip", 0) != 0) out.push_back(f);
    }
    return out;
}

// A subreaper, as NetPasta: a killed supervisor's pod comes back to the test, reaped here.
class NetBridge : public PodrunTest {
  protected:
    void SetUp() override {
        PodrunTest::SetUp();
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    void TearDown() override {
        eventually(
            [] {
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
                return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
            },
            10);
        ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        PodrunTest::TearDown();
    }
};

TEST_F(NetBridge, TwoPodsGetTheirOwnIpsReachEachOtherAndLeaveNothing) {
    PODRUN_REQUIRE_ROOT();
    PODRUN_REQUIRE_BRIDGE();
    ASSERT_TRUE(leases().empty()) << "another podrun0 pod runs on this machine";
    FakeHost host;
    TempDir dir;
    const std::string a =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-br-a}\nspec:\n  terminationGracePeriodSeconds: 2\n"
        "  containers:\n  - name: web\n    command: [sh, -c, 'mkdir -p /tmp/www && echo page of it-br-a > "
        "/tmp/www/index.html && exec busybox httpd -f -p 80 -h /tmp/www']\n";
    RunResult up = host.podrun({"up", "-d", "--network=bridge", dir.file("a.yaml", a)});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
    auto ja = nlohmann::json::parse(host.podrun({"inspect", "it-br-a"}).out);
    const std::string ip_a = ja["status"]["podIP"];
    EXPECT_EQ(ip_a.rfind("10.89.0.", 0), 0u) << ja.dump();
    EXPECT_EQ(ja["status"]["network"], "bridge");
    EXPECT_EQ(leases().size(), 1u);

    const std::string b =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-br-b}\nspec:\n  restartPolicy: Never\n"
        "  containers:\n  - name: c\n    env:\n    - name: IP\n      valueFrom: {fieldRef: {fieldPath: status.podIP}}\n"
        "    command: [sh, -c, 'echo ip=$IP; echo hosts=$(grep -c \"$IP\" /etc/hosts); "
        "for i in 1 2 3 4 5; do p=$(busybox wget -q -O - http://" +
        ip_a + "/) && break; sleep 0.5; done; echo page=$p']\n";
    RunResult rb = host.podrun({"up", "--network=bridge", dir.file("b.yaml", b)});
    EXPECT_EQ(rb.exit_code, 0) << rb.out << rb.err;
    const std::string ip_b = container_value(rb.out, "c", "ip");
    EXPECT_EQ(ip_b.rfind("10.89.0.", 0), 0u) << rb.out;
    EXPECT_NE(ip_b, ip_a);
    EXPECT_EQ(container_value(rb.out, "c", "hosts"), "1") << rb.out;
    EXPECT_EQ(container_value(rb.out, "c", "page"), "page of it-br-a") << rb.out << rb.err;
    EXPECT_EQ(leases().size(), 1u) << "pod B's lease stayed";

    RunResult down = host.podrun({"down", "it-br-a", "--timeout", "2"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
    EXPECT_TRUE(leases().empty());
    RunResult links = host.in({"/usr/sbin/ip", "-o", "link"});
    EXPECT_EQ(links.out.find("veth"), std::string::npos) << links.out;
    EXPECT_EQ(links.out.find("podrun0"), std::string::npos) << links.out;
    RunResult nat = host.in({"/usr/sbin/iptables", "-t", "nat", "-S", "POSTROUTING"});
    EXPECT_EQ(nat.out.find("CNI-"), std::string::npos) << nat.out;
}

TEST_F(NetBridge, KillMinusNineOfTheSupervisorThenGcRunsDel) {
    PODRUN_REQUIRE_ROOT();
    PODRUN_REQUIRE_BRIDGE();
    ASSERT_TRUE(leases().empty()) << "another podrun0 pod runs on this machine";
    FakeHost host;
    TempDir dir;
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-br-kill}\nspec:\n  containers:\n"
        "  - name: c\n    command: [sleep, '300']\n";
    RunResult up = host.podrun({"up", "-d", "--network=bridge", dir.file("k.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_EQ(leases().size(), 1u);
    auto st = nlohmann::json::parse(read_file("/run/podrun/it-br-kill/state.json"));
    const pid_t sup = st["supervisor"]["pid"].get<pid_t>();
    ASSERT_EQ(::kill(sup, SIGKILL), 0);
    EXPECT_TRUE(eventually([&] { return proc_state(sup) == 0 || proc_state(sup) == 'Z'; }, 10));
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
    RunResult gc = host.podrun({"gc"});
    EXPECT_EQ(gc.exit_code, 0) << gc.err;
    EXPECT_TRUE(leases().empty());
    RunResult links = host.in({"/usr/sbin/ip", "-o", "link"});
    EXPECT_EQ(links.out.find("veth"), std::string::npos) << links.out;
    EXPECT_EQ(links.out.find("podrun0"), std::string::npos) << links.out;
}

// hostPort in bridge mode (the forwarder in the host's netns, its upstream socket made in the
// pod's), then Ctrl-C of the foreground `up`: DEL runs, no lease, veth or podrun0 is left.
TEST_F(NetBridge, HostPortServesInBridgeModeAndCtrlCLeavesNothing) {
    PODRUN_REQUIRE_ROOT();
    PODRUN_REQUIRE_BRIDGE();
    ASSERT_TRUE(leases().empty()) << "another podrun0 pod runs on this machine";
    FakeHost host;
    TempDir dir;
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-br-port}\nspec:\n  terminationGracePeriodSeconds: 2\n"
        "  containers:\n  - name: web\n    ports: [{containerPort: 80, hostPort: 18089}]\n"
        "    command: [sh, -c, 'mkdir -p /tmp/www && echo page of it-br-port > /tmp/www/index.html && "
        "echo serving && exec busybox httpd -f -p 80 -h /tmp/www']\n";
    const std::string file = dir.file("p.yaml", pod);
    {
        InNetns in(host.name());
        ASSERT_TRUE(in.ok()) << std::strerror(errno);
        Background up({"up", "--network=bridge", file});
        ASSERT_TRUE(up.wait_for_out("web | serving", 60)) << up.out() << up.err();
        RunResult c;
        EXPECT_TRUE(eventually(
            [&] {
                c = run({"/usr/bin/curl", "-sf", "http://127.0.0.1:18089/"}, "", 10);
                return c.exit_code == 0;
            },
            10))
            << c.err;
        EXPECT_EQ(c.out, "page of it-br-port\n");
        EXPECT_EQ(leases().size(), 1u);
        up.signal(SIGINT);
        RunResult r = up.wait(30);
        EXPECT_FALSE(r.timed_out);
    }
    EXPECT_TRUE(leases().empty());
    RunResult links = host.in({"/usr/sbin/ip", "-o", "link"});
    EXPECT_EQ(links.out.find("veth"), std::string::npos) << links.out;
    EXPECT_EQ(links.out.find("podrun0"), std::string::npos) << links.out;
}

TEST_F(NetBridge, MissingNetworkOrForwardingIsRefusedWithTheFix) {
    PODRUN_REQUIRE_ROOT();
    PODRUN_REQUIRE_BRIDGE();
    FakeHost host;
    TempDir dir;
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-br-bad}\nspec:\n  restartPolicy: Never\n"
        "  containers:\n  - name: c\n    command: ['true']\n";
    const std::string file = dir.file("p.yaml", pod);
    RunResult r = host.podrun({"up", "--network=bridge:nosuchnet", file});
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find("no CNI network \"nosuchnet\""), std::string::npos) << r.err;
    host.in({"/usr/sbin/sysctl", "-q", "-w", "net.ipv4.ip_forward=0"});
    r = host.podrun({"up", "--network=bridge", file});
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find("ip_forward"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists("/run/podrun/it-br-bad"));
}

}  // namespace
}  // namespace podrun::test
