// HTTPS and gRPC probes, end to end (as root): the servers are Python's own (http.server
// with ssl, and grpcio from Debian's python3-grpcio) run in the pod from the host's /usr,
// and the probes are podrun-image started by the supervisor in the pod's network namespace.
// The servers decide their answers from files the test writes in a hostPath directory.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "podrun/sys/fd.hpp"
#include "podrun/sys/spawn.hpp"

namespace t = podrun::test;
using nlohmann::json;
using t::eventually;
using t::PodrunTest;
using t::TempDir;
using t::with_dir;

namespace {

// The container's entry of containerStatuses, null if none.
json container_status(const std::string& pod, const std::string& name) {
    auto r = t::podrun({"inspect", pod});
    json j = json::parse(r.out, nullptr, false);
    if (!j.is_object() || !j.contains("status")) return nullptr;
    for (const auto& c : j["status"]["containerStatuses"]) {
        if (c["name"] == name) return c;
    }
    return nullptr;
}

bool ready(const std::string& pod, const std::string& name) {
    json c = container_status(pod, name);
    return c.is_object() && c["ready"] == true;
}

bool logged(const std::string& pod, const std::string& text) {
    return t::read_file("/run/podrun/" + pod + "/supervisor.log").find(text) != std::string::npos;
}

// 200 while /srv/ready exists, else 503; records the probe's User-Agent and X-Probe headers.
const char* kHttpsServer = R"(import http.server, os, ssl
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open('/srv/headers', 'w') as f:
            f.write(self.headers.get('User-Agent', '') + '\n' + self.headers.get('X-Probe', '') + '\n')
        self.send_response(200 if os.path.exists('/srv/ready') and self.path == '/healthz' else 503)
        self.end_headers()
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(('127.0.0.1', 8443), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain('/tmp/cert.pem', '/tmp/key.pem')
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
)";

// grpc.health.v1.Health/Check with raw bytes: SERVING (08 01) for "" and "podrun.test",
// NOT_SERVING (08 02) while /srv/down exists, NOT_FOUND for other services (as grpc-health).
const char* kGrpcServer = R"(import os, grpc
from concurrent import futures
def check(request, context):
    service = request[2:].decode() if len(request) > 2 else ''
    with open('/srv/asked', 'a') as f:
        f.write(repr(service) + '\n')
    if service not in ('', 'podrun.test'):
        context.abort(grpc.StatusCode.NOT_FOUND, 'unknown service')
    return b'\x08\x02' if os.path.exists('/srv/down') else b'\x08\x01'
handler = grpc.method_handlers_generic_handler(
    'grpc.health.v1.Health', {'Check': grpc.unary_unary_rpc_method_handler(check)})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port('127.0.0.1:50051')
server.start()
server.wait_for_termination()
)";

}  // namespace

// scheme: HTTPS: TLS with a self-signed certificate (not verified, as the kubelet), the
// kubelet's headers and the manifest's, 503 = not ready and 200 = ready.
TEST_F(PodrunTest, HttpsReadinessProbeSpeaksTlsAndFollowsTheStatus) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    t::write_file(dir / "https.py", kHttpsServer);
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-probe-https}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: srv, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: web
    command: [sh, -c, "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=pod -days 1 -keyout /tmp/key.pem -out /tmp/cert.pem 2>/dev/null && exec /usr/bin/python3 /srv/https.py"]
    volumeMounts: [{name: srv, mountPath: /srv}]
    readinessProbe:
      httpGet: {scheme: HTTPS, path: /healthz, port: 8443, httpHeaders: [{name: X-Probe, value: podrun}]}
      periodSeconds: 1
      failureThreshold: 1
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    // The server answers 503 until /srv/ready exists: probed over TLS, not ready.
    ASSERT_TRUE(eventually([&] { return t::read_file(dir / "headers").size() > 0; }, 30))
        << t::read_file("/run/podrun/it-probe-https/supervisor.log");
    EXPECT_TRUE(eventually([] { return logged("it-probe-https", "HTTP status 503"); }, 10))
        << t::read_file("/run/podrun/it-probe-https/supervisor.log");
    EXPECT_FALSE(ready("it-probe-https", "web"));
    EXPECT_EQ(t::read_file(dir / "headers"), "kube-probe/podrun\npodrun\n");

    t::write_file(dir / "ready", "");
    EXPECT_TRUE(eventually([] { return ready("it-probe-https", "web"); }, 15))
        << t::read_file("/run/podrun/it-probe-https/supervisor.log");
    std::remove((dir / "ready").c_str());
    EXPECT_TRUE(eventually([] { return !ready("it-probe-https", "web"); }, 15));
    auto down = t::podrun({"down", "it-probe-https"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
}

// grpc: the health protocol over HTTP/2 cleartext, with its service name; NOT_SERVING
// makes the container unready with the kubelet's wording, an unknown service fails with its
// grpc-status, and a port nothing listens on fails to connect.
TEST_F(PodrunTest, GrpcProbesAskTheHealthServiceAndReadItsStatus) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    t::write_file(dir / "health.py", kGrpcServer);
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-probe-grpc}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: srv, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: server
    command: [/usr/bin/python3, /srv/health.py]
    volumeMounts: [{name: srv, mountPath: /srv}]
    readinessProbe:
      grpc: {port: 50051, service: podrun.test}
      periodSeconds: 1
      failureThreshold: 1
  - name: unknown
    command: [sleep, "3600"]
    readinessProbe:
      grpc: {port: 50051, service: nosuch}
      periodSeconds: 1
      failureThreshold: 1
  - name: closed
    command: [sleep, "3600"]
    readinessProbe:
      grpc: {port: 50099}
      periodSeconds: 1
      failureThreshold: 1
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    ASSERT_TRUE(eventually([] { return ready("it-probe-grpc", "server"); }, 30))
        << t::read_file("/run/podrun/it-probe-grpc/supervisor.log");
    EXPECT_NE(t::read_file(dir / "asked").find("'podrun.test'"), std::string::npos) << t::read_file(dir / "asked");

    t::write_file(dir / "down", "");
    EXPECT_TRUE(eventually([] { return !ready("it-probe-grpc", "server"); }, 15));
    EXPECT_TRUE(logged("it-probe-grpc", "service unhealthy (responded with \"NOT_SERVING\")"))
        << t::read_file("/run/podrun/it-probe-grpc/supervisor.log");
    std::remove((dir / "down").c_str());
    EXPECT_TRUE(eventually([] { return ready("it-probe-grpc", "server"); }, 15));

    // grpc-status 5 (NOT_FOUND) for the unknown service; a refused connection for the other.
    EXPECT_TRUE(eventually([] { return logged("it-probe-grpc", "grpc-status 5"); }, 15))
        << t::read_file("/run/podrun/it-probe-grpc/supervisor.log");
    EXPECT_TRUE(eventually([] { return logged("it-probe-grpc", "failed to connect service"); }, 15))
        << t::read_file("/run/podrun/it-probe-grpc/supervisor.log");
    EXPECT_FALSE(ready("it-probe-grpc", "unknown"));
    EXPECT_FALSE(ready("it-probe-grpc", "closed"));
    auto down = t::podrun({"down", "it-probe-grpc"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
}

// The helper that runs HTTPS and gRPC probes joins the pod's network namespace and nothing
// else, as nobody with no capabilities and no_new_privs, with only stdin/stdout/stderr: a
// container that answers a probe with hostile bytes talks to an unprivileged process.
TEST_F(PodrunTest, TheProbeHelperRunsInThePodsNetnsAsNobodyWithNothingOfOurs) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: it-probe-helper}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, command: [sleep, "3600"]}]
)")});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    const pid_t pause = t::pause_pid("it-probe-helper");
    ASSERT_GT(pause, 0);
    podrun::sys::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pause, 0)));
    ASSERT_TRUE(pidfd) << std::strerror(errno);
    podrun::sys::UniqueFd stray(::open("/dev/null", O_RDONLY));  // not CLOEXEC: must not cross
    ASSERT_TRUE(stray);
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    podrun::sys::UniqueFd rd(p[0]), wr(p[1]);
    podrun::sys::SpawnOptions opts;
    opts.out = opts.err = wr.get();
    opts.net_pidfd = pidfd.get();
    opts.as_nobody = true;
    const std::string script =
        "grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|NoNewPrivs):' /proc/self/status; "
        "readlink /proc/self/ns/net /proc/self/ns/mnt; ls /proc/self/fd | wc -l";
    auto child = podrun::sys::spawn(podrun::sys::ExecPlan({"/bin/sh", "-c", script}, {}, ""), opts).child;
    wr.reset();
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    auto st = child.wait();
    EXPECT_EQ(st.shell_code(), 0) << out;
    EXPECT_NE(out.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos) << out;
    EXPECT_NE(out.find("Gid:\t65534\t65534\t65534\t65534"), std::string::npos) << out;
    {  // no supplementary group: the line holds no number ("Groups:\t \n" on 6.x)
        auto g = out.find("Groups:");
        ASSERT_NE(g, std::string::npos) << out;
        std::string line = out.substr(g + 7, out.find('\n', g) - g - 7);
        EXPECT_EQ(line.find_first_of("0123456789"), std::string::npos) << out;
    }
    EXPECT_NE(out.find("CapEff:\t0000000000000000"), std::string::npos) << out;
    EXPECT_NE(out.find("CapPrm:\t0000000000000000"), std::string::npos) << out;
    EXPECT_NE(out.find("NoNewPrivs:\t1"), std::string::npos) << out;
    // The pod's network namespace; the host's mount namespace (nothing else joined).
    EXPECT_NE(out.find(t::ns_link(pause, "net")), std::string::npos) << out;
    EXPECT_NE(out.find(t::ns_link(::getpid(), "mnt")), std::string::npos) << out;
    // 0, 1, 2 and the fd `ls` opens to list them: 4; the stray fd did not cross.
    EXPECT_NE(out.find("\n4\n"), std::string::npos) << out;
    auto down = t::podrun({"down", "it-probe-helper"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
}
