// Probes, lifecycle hooks and sidecar init containers: every handler kind mapped to the model
// field by field, Kubernetes' defaults, named ports, and the messages of the refusals.
#include <gtest/gtest.h>

#include <algorithm>

#include "podrun/spec/load.hpp"

using namespace podrun::spec;

namespace {

std::string all_errors(const LoadResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

// The error at `path`, or "" when there is none.
std::string error_at(const LoadResult& r, const std::string& path) {
    for (const auto& e : r.errors)
        if (e.path == path) return e.message;
    return {};
}

TEST(SpecProbe, EveryProbeAndHookKindMapsToThePod) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: probes}
spec:
  terminationGracePeriodSeconds: 20
  initContainers:
  - name: setup
    command: ["true"]
  - name: proxy
    restartPolicy: Always
    command: [socat, "TCP-LISTEN:15000,fork", "TCP:127.0.0.1:8080"]
    ports: [{name: proxy, containerPort: 15000}]
    startupProbe:
      tcpSocket: {port: proxy, host: localhost}
      periodSeconds: 1
      failureThreshold: 30
    readinessProbe:
      exec: {command: [test, -e, /tmp/ready]}
    livenessProbe:
      httpGet: {port: 15000}
      terminationGracePeriodSeconds: 5
    lifecycle:
      preStop: {sleep: {seconds: 20}}
  containers:
  - name: web
    command: [busybox, httpd, -f, -p, "8080"]
    ports:
    - {name: http, containerPort: 8080}
    - {name: admin, containerPort: 9090, protocol: TCP}
    livenessProbe:
      httpGet:
        host: "::1"
        port: http
        path: healthz
        scheme: HTTP
        httpHeaders:
        - {name: X-Probe, value: liveness}
        - {name: Host, value: web.example}
      initialDelaySeconds: 5
      periodSeconds: 0
      timeoutSeconds: 2
      successThreshold: 1
      failureThreshold: 4
      terminationGracePeriodSeconds: 7
    readinessProbe:
      tcpSocket: {port: 9090}
      successThreshold: 2
    startupProbe:
      exec: {command: [sh, -c, "test -e /tmp/started"]}
      periodSeconds: 2
      failureThreshold: 15
    lifecycle:
      postStart:
        exec: {command: [touch, /tmp/started]}
      preStop:
        httpGet: {port: admin, path: "/drain?now=1", host: 127.0.0.1}
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_TRUE(r.warnings.empty());
    const Pod& p = *r.pod;
    ASSERT_EQ(p.init_containers.size(), 2u);

    // A regular init container: no restartPolicy, no probes, no hooks.
    const Container& setup = p.init_containers[0];
    EXPECT_FALSE(setup.is_sidecar());
    EXPECT_FALSE(setup.restart_policy.has_value());
    EXPECT_FALSE(setup.startup_probe || setup.liveness_probe || setup.readiness_probe);
    EXPECT_FALSE(setup.lifecycle.post_start || setup.lifecycle.pre_stop);

    // The sidecar.
    const Container& proxy = p.init_containers[1];
    EXPECT_TRUE(proxy.is_sidecar());
    EXPECT_EQ(proxy.restart_policy, RestartPolicy::Always);
    ASSERT_TRUE(proxy.startup_probe);
    const auto& sp = *proxy.startup_probe;
    const auto& tcp = std::get<TcpSocketAction>(sp.handler);
    EXPECT_EQ(tcp.port, 15000);        // named port resolved
    EXPECT_EQ(tcp.host, "127.0.0.1");  // localhost, without a resolver
    EXPECT_EQ(sp.period_seconds, 1);
    EXPECT_EQ(sp.failure_threshold, 30);
    EXPECT_EQ(sp.initial_delay_seconds, 0);
    EXPECT_EQ(sp.timeout_seconds, 1);
    EXPECT_EQ(sp.success_threshold, 1);
    EXPECT_FALSE(sp.termination_grace_period_seconds);
    ASSERT_TRUE(proxy.readiness_probe);
    EXPECT_EQ(std::get<ExecAction>(proxy.readiness_probe->handler).command,
              (std::vector<std::string>{"test", "-e", "/tmp/ready"}));
    ASSERT_TRUE(proxy.liveness_probe);
    const auto& sidecar_get = std::get<HttpGetAction>(proxy.liveness_probe->handler);
    EXPECT_EQ(sidecar_get.port, 15000);
    EXPECT_EQ(sidecar_get.path, "/");
    EXPECT_EQ(sidecar_get.host, "");
    EXPECT_EQ(proxy.liveness_probe->termination_grace_period_seconds, 5);
    ASSERT_TRUE(proxy.lifecycle.pre_stop);
    EXPECT_EQ(std::get<SleepAction>(*proxy.lifecycle.pre_stop).seconds, 20);  // == the pod's grace
    EXPECT_FALSE(proxy.lifecycle.post_start);

    ASSERT_EQ(p.containers.size(), 1u);
    const Container& web = p.containers[0];
    EXPECT_FALSE(web.is_sidecar());

    ASSERT_TRUE(web.liveness_probe);
    const Probe& lp = *web.liveness_probe;
    const auto& get = std::get<HttpGetAction>(lp.handler);
    EXPECT_EQ(get.host, "::1");
    EXPECT_EQ(get.port, 8080);
    EXPECT_EQ(get.path, "/healthz");  // sent with a leading '/', as the kubelet does
    ASSERT_EQ(get.headers.size(), 2u);
    EXPECT_EQ(get.headers[0].name, "X-Probe");
    EXPECT_EQ(get.headers[0].value, "liveness");
    EXPECT_EQ(get.headers[1].name, "Host");
    EXPECT_EQ(get.headers[1].value, "web.example");
    EXPECT_EQ(lp.initial_delay_seconds, 5);
    EXPECT_EQ(lp.period_seconds, 10);  // 0 is Go's zero value: the default
    EXPECT_EQ(lp.timeout_seconds, 2);
    EXPECT_EQ(lp.success_threshold, 1);
    EXPECT_EQ(lp.failure_threshold, 4);
    EXPECT_EQ(lp.termination_grace_period_seconds, 7);

    ASSERT_TRUE(web.readiness_probe);
    const Probe& rp = *web.readiness_probe;
    const auto& rtcp = std::get<TcpSocketAction>(rp.handler);
    EXPECT_EQ(rtcp.port, 9090);
    EXPECT_EQ(rtcp.host, "");
    EXPECT_EQ(rp.success_threshold, 2);  // allowed for readiness only
    EXPECT_EQ(rp.period_seconds, 10);
    EXPECT_EQ(rp.failure_threshold, 3);

    ASSERT_TRUE(web.startup_probe);
    EXPECT_EQ(std::get<ExecAction>(web.startup_probe->handler).command,
              (std::vector<std::string>{"sh", "-c", "test -e /tmp/started"}));
    EXPECT_EQ(web.startup_probe->period_seconds, 2);
    EXPECT_EQ(web.startup_probe->failure_threshold, 15);

    ASSERT_TRUE(web.lifecycle.post_start);
    EXPECT_EQ(std::get<ExecAction>(*web.lifecycle.post_start).command,
              (std::vector<std::string>{"touch", "/tmp/started"}));
    ASSERT_TRUE(web.lifecycle.pre_stop);
    const auto& drain = std::get<HttpGetAction>(*web.lifecycle.pre_stop);
    EXPECT_EQ(drain.port, 9090);
    EXPECT_EQ(drain.path, "/drain?now=1");
    EXPECT_EQ(drain.host, "127.0.0.1");
    EXPECT_TRUE(drain.headers.empty());
}

TEST(SpecProbe, KubernetesDefaults) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: d}
spec:
  containers:
  - name: c
    command: [sleep, "100"]
    livenessProbe: {exec: {command: ["true"]}}
    readinessProbe: {httpGet: {port: 80, path: "", scheme: ""}}
    lifecycle: {}
  - name: bare
    command: [sleep, "100"]
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const Container& c = r.pod->containers[0];
    ASSERT_TRUE(c.liveness_probe);
    const Probe& p = *c.liveness_probe;
    EXPECT_EQ(p.initial_delay_seconds, 0);
    EXPECT_EQ(p.period_seconds, 10);
    EXPECT_EQ(p.timeout_seconds, 1);
    EXPECT_EQ(p.success_threshold, 1);
    EXPECT_EQ(p.failure_threshold, 3);
    EXPECT_FALSE(p.termination_grace_period_seconds.has_value());
    ASSERT_TRUE(c.readiness_probe);
    const auto& get = std::get<HttpGetAction>(c.readiness_probe->handler);
    EXPECT_EQ(get.path, "/");  // "" is defaulted as the API server does
    EXPECT_EQ(get.host, "");   // the pod's IP
    EXPECT_EQ(get.port, 80);
    EXPECT_FALSE(c.startup_probe);
    EXPECT_FALSE(c.lifecycle.post_start || c.lifecycle.pre_stop);

    const Container& bare = r.pod->containers[1];
    EXPECT_FALSE(bare.startup_probe || bare.liveness_probe || bare.readiness_probe);
    EXPECT_FALSE(bare.lifecycle.post_start || bare.lifecycle.pre_stop);
    EXPECT_FALSE(bare.restart_policy.has_value());
}

TEST(SpecProbe, SleepMustFitTheGracePeriod) {
    auto with = [](const std::string& grace, int seconds) {
        return load_pod_text("apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec:\n" + grace +
                                 "  containers:\n  - name: c\n    command: [sleep, \"9\"]\n"
                                 "    lifecycle: {postStart: {sleep: {seconds: " +
                                 std::to_string(seconds) + "}}, preStop: {sleep: {seconds: 0}}}\n",
                             "test");
    };
    EXPECT_TRUE(with("", 30).ok());  // the default grace period is 30
    EXPECT_TRUE(with("  terminationGracePeriodSeconds: 60\n", 45).ok());
    EXPECT_TRUE(with("  terminationGracePeriodSeconds: 0\n", 0).ok());
    auto r = with("", 31);
    EXPECT_NE(error_at(r, "spec.containers[0].lifecycle.postStart.sleep.seconds")
                  .find("must not exceed the pod's terminationGracePeriodSeconds (30)"),
              std::string::npos)
        << all_errors(r);
    // An invalid grace period has its own error; the sleep is not measured against it.
    auto bad = with("  terminationGracePeriodSeconds: -1\n", 5);
    EXPECT_FALSE(error_at(bad, "spec.terminationGracePeriodSeconds").empty());
    EXPECT_EQ(bad.errors.size(), 1u) << all_errors(bad);
}

TEST(SpecProbe, MessagesNameTheChoice) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: m}
spec:
  initContainers:
  - name: init
    command: ["true"]
    readinessProbe: {exec: {command: ["true"]}}
  containers:
  - name: c
    command: [sleep, "100"]
    ports: [{name: http, containerPort: 80}, {name: metrics, containerPort: 9100}]
    livenessProbe:
      httpGet: {port: htp, scheme: HTTPS, host: web.local}
      periodSecond: 5
    readinessProbe:
      grpc: {port: 9000}
    startupProbe:
      exec: {command: ["true"]}
      tcpSocket: {port: 80}
    lifecycle:
      postStart: {tcpSocket: {port: 80}}
      preStop: {}
  - name: noports
    command: [sleep, "100"]
    livenessProbe: {tcpSocket: {port: http}}
)",
                           "test");
    ASSERT_FALSE(r.ok());
    const std::string e = all_errors(r);
    const std::string c = "spec.containers[0].";
    EXPECT_NE(error_at(r, c + "livenessProbe.httpGet.port")
                  .find("\"htp\" is not the name of one of this container's ports (its port "
                        "names: \"http\", \"metrics\")"),
              std::string::npos)
        << e;
    EXPECT_NE(error_at(r, "spec.containers[1].livenessProbe.tcpSocket.port").find("no named ports"), std::string::npos)
        << e;
    EXPECT_EQ(error_at(r, c + "livenessProbe.httpGet.scheme"), "") << e;  // HTTPS is supported
    EXPECT_NE(error_at(r, c + "livenessProbe.httpGet.host").find("podrun resolves no host names"), std::string::npos)
        << e;
    EXPECT_EQ(error_at(r, c + "livenessProbe.periodSecond"), "unknown field; did you mean \"periodSeconds\"?") << e;
    EXPECT_EQ(error_at(r, c + "readinessProbe.grpc"), "") << e;  // supported
    EXPECT_EQ(error_at(r, c + "readinessProbe"), "") << e;
    EXPECT_EQ(error_at(r, c + "startupProbe"),
              "must specify exactly one of exec, httpGet, tcpSocket, grpc; got exec and tcpSocket")
        << e;
    EXPECT_NE(
        error_at(r, c + "lifecycle.postStart.tcpSocket").find("only for backward compatibility and does not run it"),
        std::string::npos)
        << e;
    EXPECT_EQ(error_at(r, c + "lifecycle.preStop"), "must specify exactly one of exec, httpGet, sleep") << e;
    EXPECT_NE(error_at(r, "spec.initContainers[0].readinessProbe").find("restartPolicy: Always"), std::string::npos)
        << e;
}

// scheme: HTTPS and grpc map to the model: the port (grpc takes numbers only) and the service.
TEST(SpecProbe, HttpsAndGrpcHandlersMapToThePod) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: tls}
spec:
  containers:
  - name: c
    command: [server]
    ports: [{name: https, containerPort: 8443}]
    livenessProbe:
      httpGet: {port: https, scheme: HTTPS, path: /healthz}
    readinessProbe:
      grpc: {port: 50051, service: my.Service}
    startupProbe:
      grpc: {port: 50051}
    lifecycle:
      preStop: {httpGet: {port: 8443, scheme: HTTPS}}
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const Container& c = r.pod->containers[0];
    const auto& live = std::get<HttpGetAction>(c.liveness_probe->handler);
    EXPECT_TRUE(live.https);
    EXPECT_EQ(live.port, 8443);
    EXPECT_EQ(live.path, "/healthz");
    const auto& ready = std::get<GrpcAction>(c.readiness_probe->handler);
    EXPECT_EQ(ready.port, 50051);
    EXPECT_EQ(ready.service, "my.Service");
    EXPECT_EQ(std::get<GrpcAction>(c.startup_probe->handler).service, "");
    EXPECT_TRUE(std::get<HttpGetAction>(*c.lifecycle.pre_stop).https);
}

}  // namespace
