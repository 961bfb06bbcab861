// The pasta network mode end to end: an address and a default route in the pod, a file
// fetched from a server on the host's 127.0.0.1 through host.podrun.internal, hostPort in
// pasta mode, no pasta left after down, Ctrl-C or kill -9 + gc, an explicit pasta that
// cannot run refused; and the pod's /etc/hosts and /etc/resolv.conf (hostAliases,
// dnsPolicy, dnsConfig). Traffic: loopback only (pasta's gateway is the host's loopback).
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace podrun::test {
namespace {

bool pasta_usable() {
    return ::access("/dev/net/tun", F_OK) == 0 && ::access("/usr/bin/pasta", X_OK) == 0;
}

#define REQUIRE_PASTA()                                                                       \
    do {                                                                                      \
        if (!pasta_usable()) {                                                                \
            if (::podrun::test::must_run()) FAIL() << "needs pasta (passt) and /dev/net/tun"; \
            GTEST_SKIP() << "needs pasta (passt) and /dev/net/tun";                           \
        }                                                                                     \
    } while (0)

// Live pasta processes serving this pod (their --netns is the pod's file). A zombie has no
// command line, so only running ones count.
std::vector<pid_t> pasta_of(const std::string& pod) {
    std::vector<pid_t> out;
    const std::string netns = "/run/podrun/" + pod + "/netns";
    for (pid_t p : all_pids()) {
        std::string cmd = read_file("/proc/" + std::to_string(p) + "/cmdline");
        if (cmd.rfind("pasta", 0) != 0 && cmd.find("/pasta") == std::string::npos) continue;
        for (auto& ch : cmd) ch = ch == '\0' ? ' ' : ch;
        if (cmd.find(" " + netns + " ") != std::string::npos && proc_state(p) != 'Z') out.push_back(p);
    }
    return out;
}

nlohmann::json state_of(const std::string& pod) {
    return nlohmann::json::parse(read_file("/run/podrun/" + pod + "/state.json"));
}

// A one-file HTTP server on the host's 127.0.0.1, answering every request with `body`.
class HostServer {
  public:
    explicit HostServer(std::string body) : body_(std::move(body)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        ::listen(fd_, 16);
        thread_ = std::thread([this] {
            for (;;) {
                int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) return;
                char buf[4096];
                (void)::recv(c, buf, sizeof buf, 0);
                std::string r =
                    "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
                (void)::send(c, r.data(), r.size(), MSG_NOSIGNAL);
                ::close(c);
                hits_++;
            }
        });
    }
    ~HostServer() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    int port() const { return port_; }
    int hits() const { return hits_; }

  private:
    std::string body_;
    int fd_ = -1, port_ = 0;
    std::atomic<int> hits_{0};
    std::thread thread_;
};

// The test process is a subreaper, so the processes of a killed supervisor come back to it
// (and are reaped here while gc runs) instead of waiting as zombies for the host's init.
class NetPasta : public PodrunTest {
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
    // Reaps every exited child but `keep` (a Background's podrun, which waits for itself).
    static void reap_others(pid_t keep) {
        for (;;) {
            siginfo_t si{};
            if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) return;
            if (si.si_pid == keep) return;
            ::waitpid(si.si_pid, nullptr, 0);
        }
    }
};

TEST_F(NetPasta, PodHasAnAddressADefaultRouteAndReachesTheHostsLoopback) {
    PODRUN_REQUIRE_ROOT();
    REQUIRE_PASTA();
    HostServer server("file-from-the-host\n");
    TempDir dir;
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-pasta-addr}\nspec:\n  restartPolicy: Never\n"
        "  containers:\n  - name: c\n    env:\n    - name: IP\n      valueFrom: {fieldRef: {fieldPath: status.podIP}}\n"
        "    command: [sh, -c, 'echo addr=$(ip -4 -o addr show scope global | wc -l); "
        "echo route=$(ip route show default | cut -d\" \" -f1-2); echo podip=$IP; "
        "echo hostsline=$(grep -c host.podrun.internal /etc/hosts); "
        "echo fetched=$(curl -s -m 10 http://host.podrun.internal:" +
        std::to_string(server.port()) + "/f)']\n";
    RunResult r = podrun({"up", "--network=pasta", dir.file("pod.yaml", pod)}, "", 60);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "addr"), "1") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "route"), "default via") << r.out;
    EXPECT_NE(container_value(r.out, "c", "podip"), "127.0.0.1") << r.out;
    EXPECT_FALSE(container_value(r.out, "c", "podip").empty()) << r.out;
    EXPECT_EQ(container_value(r.out, "c", "hostsline"), "1") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "fetched"), "file-from-the-host") << r.out << r.err;
    EXPECT_GE(server.hits(), 1);
    EXPECT_TRUE(pasta_of("it-pasta-addr").empty());
}

// A web pod on hostPort `port` (busybox httpd on the pod's 127.0.0.1:80).
std::string web_pod(const std::string& name, int port) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
           "}\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: web\n"
           "    command: [sh, -c, 'mkdir -p /tmp/www && echo hello from " +
           name +
           " > /tmp/www/index.html && echo serving && exec busybox httpd -f -p 127.0.0.1:80 -h /tmp/www']\n"
           "    ports:\n    - {containerPort: 80, hostPort: " +
           std::to_string(port) + "}\n";
}

std::string http_get(int port) {
    RunResult w =
        run({"/bin/busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:" + std::to_string(port) + "/"}, "", 15);
    return w.out;
}

TEST_F(NetPasta, HostPortWorksInPastaModeAndCtrlCLeavesNoPasta) {
    PODRUN_REQUIRE_ROOT();
    REQUIRE_PASTA();
    TempDir dir;
    Background up({"up", "--network=pasta", dir.file("pod.yaml", web_pod("it-pasta-port", 28491))});
    ASSERT_TRUE(up.wait_for_out("web | serving", 30)) << up.out() << up.err();
    EXPECT_EQ(pasta_of("it-pasta-port").size(), 1u);
    std::string page;
    EXPECT_TRUE(
        eventually([&] { return (page = http_get(28491)).find("hello from it-pasta-port") != std::string::npos; }, 10))
        << page;
    EXPECT_EQ(state_of("it-pasta-port")["network"]["mode"], "pasta");
    up.signal(SIGINT);
    RunResult r = up.wait(30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(pasta_of("it-pasta-port").empty());
}

TEST_F(NetPasta, DownAndKillMinusNinePlusGcLeaveNoPasta) {
    PODRUN_REQUIRE_ROOT();
    REQUIRE_PASTA();
    TempDir dir;
    // down, through a living detached supervisor.
    RunResult up = podrun({"up", "-d", "--network=pasta", dir.file("a.yaml", web_pod("it-pasta-down", 28492))}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    const auto recorded = state_of("it-pasta-down")["network"]["pasta"]["pid"].get<pid_t>();
    EXPECT_EQ(pasta_of("it-pasta-down"), std::vector<pid_t>{recorded});
    EXPECT_EQ(podrun({"down", "it-pasta-down", "--timeout", "2"}, "", 60).exit_code, 0);
    EXPECT_TRUE(pasta_of("it-pasta-down").empty());

    // kill -9 of the supervisor, then gc: pasta found by its record (pid + start time).
    up = podrun({"up", "-d", "--network=pasta", dir.file("b.yaml", web_pod("it-pasta-kill", 28493))}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    ASSERT_EQ(pasta_of("it-pasta-kill").size(), 1u);
    const pid_t sup = state_of("it-pasta-kill")["supervisor"]["pid"].get<pid_t>();
    ASSERT_EQ(::kill(sup, SIGKILL), 0);
    EXPECT_TRUE(eventually([&] { return proc_state(sup) == 0 || proc_state(sup) == 'Z'; }, 10));
    reap_others(-1);
    Background gc({"gc"});
    const bool done = eventually(
        [&] {
            reap_others(gc.pid());  // pause and the containers, killed by gc, come back to us
            return !std::filesystem::exists("/run/podrun/it-pasta-kill");
        },
        30);
    EXPECT_TRUE(done);
    RunResult g = gc.wait(30);
    EXPECT_EQ(g.exit_code, 0) << g.err;
    EXPECT_TRUE(pasta_of("it-pasta-kill").empty());
}

TEST_F(NetPasta, PastaThatCannotRunFailsWhenAskedForAndFallsBackOtherwise) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-pasta-absent}\nspec:\n  restartPolicy: Never\n"
        "  containers:\n  - name: c\n    command: [sh, -c, 'echo links=$(ip -o link | wc -l)']\n";
    const std::string file = dir.file("pod.yaml", pod);
    RunResult r = run(
        {"/usr/bin/env", "PODRUN_PASTA=/nonexistent/pasta", podrun::test::podrun_bin(), "up", "--network=pasta", file});
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find("--network=pasta"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("apt-get install passt"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists("/run/podrun/it-pasta-absent"));
    // The annotation asks as explicitly as the flag.
    const std::string annotated =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: it-pasta-absent\n  annotations: {podrun.io/network: pasta}\n"
        "spec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    command: ['true']\n";
    r = run({"/usr/bin/env", "PODRUN_PASTA=/nonexistent/pasta", podrun::test::podrun_bin(), "up",
             dir.file("a.yaml", annotated)});
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find("podrun.io/network"), std::string::npos) << r.err;
    // Not asked for: none, with one warning, and the pod runs (loopback only).
    r = run({"/usr/bin/env", "PODRUN_PASTA=/nonexistent/pasta", podrun::test::podrun_bin(), "up", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("network: none (loopback only): pasta cannot run here"), std::string::npos) << r.err;
    EXPECT_EQ(container_value(r.out, "c", "links"), "1") << r.out;
}

TEST_F(NetPasta, HostAliasesAndDnsConfigLandInThePodsFiles) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = R"(apiVersion: v1
kind: Pod
metadata: {name: it-net-dns}
spec:
  restartPolicy: Never
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53, 2001:db8::53]
    searches: [svc.example.test, example.test]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  hostAliases:
  - {ip: 10.1.2.3, hostnames: [foo.test, bar.test]}
  containers:
  - name: c
    command: [sh, -c, 'sed "s/^/resolv: /" /etc/resolv.conf; sed "s/^/hosts: /" /etc/hosts']
)";
    RunResult r = podrun({"up", "--network=none", dir.file("pod.yaml", pod)}, "", 60);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto lines = container_lines(r.out, "c");
    auto has = [&](const std::string& l) {
        for (const auto& x : lines)
            if (x == l) return true;
        return false;
    };
    EXPECT_TRUE(has("resolv: nameserver 192.0.2.53")) << r.out;
    EXPECT_TRUE(has("resolv: nameserver 2001:db8::53")) << r.out;
    EXPECT_TRUE(has("resolv: search svc.example.test example.test")) << r.out;
    EXPECT_TRUE(has("resolv: options ndots:2 edns0")) << r.out;
    EXPECT_TRUE(has("hosts: 10.1.2.3\tfoo.test\tbar.test")) << r.out;
    EXPECT_TRUE(has("hosts: 127.0.0.1\tit-net-dns")) << r.out;
    // dnsPolicy Default: the host's resolvers.
    const std::string host_resolv = read_file("/etc/resolv.conf");
    const std::string def =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-net-dns}\nspec:\n  restartPolicy: Never\n"
        "  dnsPolicy: ClusterFirst\n  containers:\n  - name: c\n    command: [sh, -c, 'grep ^nameserver "
        "/etc/resolv.conf "
        "| head -1 | sed \"s/^/first=/\"']\n";
    r = podrun({"up", "--network=none", dir.file("def.yaml", def)}, "", 60);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("ClusterFirst needs a cluster DNS"), std::string::npos) << r.err;
    const auto at = host_resolv.find("nameserver ");
    if (at != std::string::npos) {
        std::string first = host_resolv.substr(at + 11);
        first = first.substr(0, first.find_first_of(" \t\n"));
        EXPECT_EQ(container_value(r.out, "c", "first"), "nameserver " + first) << r.out;
    }
}

}  // namespace
}  // namespace podrun::test
