// hostPort through podrun's forwarder, end to end: a page and a 100 MB file fetched from the
// host, 200 connections at once, a datagram echo, a port in use refused with nothing left,
// and the port free after down, Ctrl-C and kill -9 of the supervisor. Traffic: loopback only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
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

// The test process is a subreaper: the pod of a killed detached supervisor is re-parented to
// it (and reaped here) rather than to the host's init, which reaps only now and then.
class NetHostPort : public PodrunTest {
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

// High ports, unlikely to be taken on a build machine; each test its own.
constexpr int kPage = 28471, kBig = 28472, kMany = 28473, kConflict = 28474, kKill = 28475, kUdp = 28476,
              kTaken = 28477;

// A pod serving /tmp/www (index.html = "hello from NAME") with busybox httpd on port 80.
std::string web_pod(const std::string& name, int host_port, const std::string& extra_setup = "") {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
           "}\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: web\n"
           "    command: [sh, -c, 'mkdir -p /tmp/www && echo hello from " +
           name + " > /tmp/www/index.html && " + extra_setup +
           " echo serving && exec busybox httpd -f -p 127.0.0.1:80 -h /tmp/www']\n"
           "    ports:\n    - {containerPort: 80, hostPort: " +
           std::to_string(host_port) + "}\n";
}

// Connects to 127.0.0.1:port, sends `request`, reads to EOF. "" on any failure.
std::string tcp_exchange(int port, const std::string& request, double timeout_s = 20) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "";
    timeval tv{static_cast<time_t>(timeout_s), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        char buf[4096];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

std::string http_get(int port, const std::string& path) {
    return tcp_exchange(port, "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n");
}

// Whether this process can take the port itself (as a new server would: SO_REUSEADDR).
bool port_free(int port, bool udp = false) {
    int fd = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && (udp || ::listen(fd, 1) == 0);
    ::close(fd);
    return ok;
}

nlohmann::json state_of(const std::string& pod) {
    return nlohmann::json::parse(read_file("/run/podrun/" + pod + "/state.json"));
}

TEST_F(NetHostPort, TcpPageFromTheHostShownInPsAndInspectFreedByDown) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult up = podrun({"up", "-d", dir.file("pod.yaml", web_pod("it-net-page", kPage))}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    std::string page;
    EXPECT_TRUE(eventually(
        [&] { return (page = http_get(kPage, "/index.html")).find("hello from it-net-page") != std::string::npos; },
        10))
        << page;
    // The way a user tries it: busybox wget from the host.
    RunResult w = run({"/bin/busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:" + std::to_string(kPage) + "/"});
    EXPECT_EQ(w.exit_code, 0) << w.err;
    EXPECT_NE(w.out.find("hello from it-net-page"), std::string::npos) << w.out;
    RunResult ps = podrun({"ps"});
    EXPECT_NE(ps.out.find("0.0.0.0:" + std::to_string(kPage) + "->80/tcp"), std::string::npos) << ps.out;
    auto j = nlohmann::json::parse(podrun({"inspect", "it-net-page"}).out);
    ASSERT_FALSE(j["status"]["publishedPorts"].empty()) << j.dump();
    EXPECT_EQ(j["status"]["publishedPorts"][0]["hostPort"], kPage);
    EXPECT_EQ(j["status"]["publishedPorts"][0]["containerPort"], 80);
    EXPECT_FALSE(port_free(kPage));
    RunResult down = podrun({"down", "it-net-page"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    EXPECT_TRUE(port_free(kPage));
}

TEST_F(NetHostPort, HundredMegabytesArriveIntactAndCtrlCFreesThePort) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string setup =
        "dd if=/dev/urandom of=/tmp/www/big bs=1M count=100 2>/dev/null && "
        "echo sum=$$(sha256sum /tmp/www/big | cut -c1-64) &&";
    Background up({"up", dir.file("pod.yaml", web_pod("it-net-big", kBig, setup))});
    ASSERT_TRUE(up.wait_for_out("web | serving", 60)) << up.out() << up.err();
    const std::string want = container_value(up.out(), "web", "sum");
    ASSERT_EQ(want.size(), 64u) << up.out();
    const std::string got_file = dir / "big";
    RunResult c;
    EXPECT_TRUE(eventually(
        [&] {
            c = run({"/usr/bin/curl", "-sf", "-o", got_file, "http://127.0.0.1:" + std::to_string(kBig) + "/big"}, "",
                    60);
            return c.exit_code == 0;
        },
        10))
        << c.err;
    EXPECT_EQ(std::filesystem::file_size(got_file), 100u << 20);
    RunResult sum = run({"/usr/bin/sha256sum", got_file});
    EXPECT_EQ(sum.out.substr(0, 64), want);
    up.signal(SIGINT);
    RunResult r = up.wait(30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(port_free(kBig));
}

TEST_F(NetHostPort, TwoHundredConcurrentConnectionsAreAllAnswered) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // A server whose own backlog takes 200 at once (busybox httpd listens with 9), so that
    // what is measured is the forwarder.
    const std::string server =
        "import socket\n"
        "s = socket.socket()\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('127.0.0.1', 80))\n"
        "s.listen(1024)\n"
        "print('serving', flush=True)\n"
        "while True:\n"
        "    c, _ = s.accept()\n"
        "    c.recv(4096)\n"
        "    c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\nhello from it-net-many\\n')\n"
        "    c.close()\n";
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-net-many}\nspec:\n"
        "  terminationGracePeriodSeconds: 1\n  containers:\n  - name: web\n"
        "    command: [python3, -c, " +
        nlohmann::json(server).dump() +
        "]\n"
        "    ports:\n    - {containerPort: 80, hostPort: " +
        std::to_string(kMany) + "}\n";
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("web | serving", 30)) << up.out() << up.err();
    ASSERT_TRUE(eventually([&] { return http_get(kMany, "/").find("hello") != std::string::npos; }, 10));
    constexpr int kClients = 200;
    std::atomic<int> answered{0}, ready{0};
    std::vector<std::thread> clients;
    const double t0 = now_s();
    for (int i = 0; i < kClients; i++) {
        clients.emplace_back([&] {
            ready++;
            while (ready.load() < kClients) std::this_thread::yield();  // all at once
            if (http_get(kMany, "/index.html").find("hello from it-net-many") != std::string::npos) answered++;
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(answered.load(), kClients) << up.err();
    EXPECT_LT(now_s() - t0, 30.0);
    up.signal(SIGINT);
    EXPECT_FALSE(up.wait(30).timed_out);
}

TEST_F(NetHostPort, APortInUseFailsTheSecondPodNamingThePortAndItsHolder) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult a = podrun({"up", "-d", dir.file("a.yaml", web_pod("it-net-a", kConflict))}, "", 60);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    RunResult b = podrun({"up", dir.file("b.yaml", web_pod("it-net-b", kConflict))}, "", 60);
    EXPECT_EQ(b.exit_code, 125) << b.err;
    EXPECT_NE(b.err.find("hostPort " + std::to_string(kConflict) + "/TCP"), std::string::npos) << b.err;
    EXPECT_NE(b.err.find("pod \"it-net-a\""), std::string::npos) << b.err;
    EXPECT_EQ(b.out.find("serving"), std::string::npos) << "no container of the refused pod ran: " << b.out;
    EXPECT_FALSE(std::filesystem::exists("/run/podrun/it-net-b"));
    EXPECT_FALSE(std::filesystem::exists("/var/lib/podrun/it-net-b"));
    // The first pod is untouched.
    EXPECT_TRUE(
        eventually([&] { return http_get(kConflict, "/").find("hello from it-net-a") != std::string::npos; }, 10));
    EXPECT_EQ(podrun({"down", "it-net-a"}, "", 60).exit_code, 0);
}

TEST_F(NetHostPort, APortHeldByAnotherProcessFailsThePod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kTaken);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    RunResult b = podrun({"up", dir.file("b.yaml", web_pod("it-net-taken", kTaken))}, "", 60);
    ::close(fd);
    EXPECT_EQ(b.exit_code, 125) << b.err;
    EXPECT_NE(b.err.find("already in use by another process"), std::string::npos) << b.err;
    EXPECT_FALSE(std::filesystem::exists("/run/podrun/it-net-taken"));
}

TEST_F(NetHostPort, KillMinusNineOfTheSupervisorFreesThePort) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult up = podrun({"up", "-d", dir.file("pod.yaml", web_pod("it-net-kill", kKill))}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_TRUE(eventually([&] { return http_get(kKill, "/").find("hello") != std::string::npos; }, 10));
    const pid_t sup = state_of("it-net-kill")["supervisor"]["pid"].get<pid_t>();
    ASSERT_GT(sup, 0);
    ASSERT_EQ(::kill(sup, SIGKILL), 0);
    // The listeners were the supervisor's alone: the port is free once it is gone, before
    // any cleanup, and the pod's leftovers go with down.
    EXPECT_TRUE(eventually([&] { return port_free(kKill); }, 10));
    EXPECT_EQ(podrun({"down", "it-net-kill", "--timeout", "2"}, "", 60).exit_code, 0);
}

TEST_F(NetHostPort, UdpDatagramsAreEchoedThroughTheForwarder) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string echo =
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.bind(('127.0.0.1', 5353))\n"
        "print('serving', flush=True)\n"
        "while True:\n"
        "    d, a = s.recvfrom(65535)\n"
        "    s.sendto(b'echo:' + d, a)\n";
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-net-udp}\nspec:\n"
        "  terminationGracePeriodSeconds: 1\n  containers:\n  - name: echo\n"
        "    command: [python3, -c, " +
        nlohmann::json(echo).dump() +
        "]\n"
        "    ports:\n    - {containerPort: 5353, hostPort: " +
        std::to_string(kUdp) + ", protocol: UDP}\n";
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("echo | serving", 30)) << up.out() << up.err();
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    timeval tv{0, 300000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kUdp);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string got;
    for (int i = 0; i < 20 && got.empty(); i++) {
        ::send(fd, "ping", 4, 0);
        char buf[64];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) got.assign(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    EXPECT_EQ(got, "echo:ping");
    up.signal(SIGINT);
    EXPECT_FALSE(up.wait(30).timed_out);
    EXPECT_TRUE(port_free(kUdp, true));
}

TEST_F(NetHostPort, SctpAndAHostNetworkPortMismatchAreRefusedBeforeAnything) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string sctp =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-net-sctp}\nspec:\n  containers:\n"
        "  - name: c\n    command: ['true']\n"
        "    ports:\n    - {containerPort: 80, hostPort: 28478, protocol: SCTP}\n";
    RunResult r = podrun({"up", dir.file("sctp.yaml", sctp)});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("spec.containers[0].ports[0].protocol"), std::string::npos) << r.err;
    const std::string hn =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-net-hn}\nspec:\n  hostNetwork: true\n"
        "  containers:\n  - name: c\n    command: ['true']\n"
        "    ports:\n    - {containerPort: 80, hostPort: 28479}\n";
    r = podrun({"up", dir.file("hn.yaml", hn)});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("must equal containerPort"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists("/run/podrun/it-net-sctp"));
    EXPECT_FALSE(std::filesystem::exists("/run/podrun/it-net-hn"));
}

}  // namespace
}  // namespace podrun::test
