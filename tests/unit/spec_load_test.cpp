// Loading manifests: JSON and YAML (block and flow), mapping to spec::Pod, warnings,
// suggestions, syntax errors and all problems reported at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "podrun/spec/load.hpp"

using namespace podrun::spec;

namespace {

bool has_error_at(const LoadResult& r, const std::string& path) {
    return std::any_of(r.errors.begin(), r.errors.end(), [&](const Problem& p) { return p.path == path; });
}

std::string all_errors(const LoadResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

TEST(SpecLoad, YamlBlockStyle) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  containers:
  - name: main
    command:
    - /bin/echo
    - "true"
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_EQ(r.pod->metadata.name, "hello");
    EXPECT_EQ(r.pod->metadata.namespace_, "default");
    ASSERT_EQ(r.pod->containers.size(), 1u);
    EXPECT_EQ(r.pod->containers[0].command, (std::vector<std::string>{"/bin/echo", "true"}));
    EXPECT_TRUE(r.warnings.empty());
}

TEST(SpecLoad, YamlFlowStyle) {
    auto r = load_pod_text(
        "{apiVersion: v1, kind: Pod, metadata: {name: flow, labels: {app: x}},\n"
        " spec: {restartPolicy: Never, containers: [{name: a, command: [sleep, '1']}]}}\n",
        "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_EQ(r.pod->metadata.labels.at("app"), "x");
    EXPECT_EQ(r.pod->restart_policy, RestartPolicy::Never);
    EXPECT_EQ(r.pod->containers[0].command, (std::vector<std::string>{"sleep", "1"}));
}

TEST(SpecLoad, Json) {
    auto r = load_pod_text(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},
        "spec":{"containers":[{"name":"c","command":["sleep","5"],
        "resources":{"limits":{"cpu":0.5,"memory":"64Mi"}}}]}})",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const auto& res = r.pod->containers[0].resources;
    EXPECT_EQ(res.cpu_limit_millis, 500);
    EXPECT_EQ(res.cpu_request_millis, 500);  // defaulted from the limit
    EXPECT_EQ(res.memory_limit_bytes, 64 * 1024 * 1024);
    EXPECT_EQ(res.memory_request_bytes, 64 * 1024 * 1024);
}

TEST(SpecLoad, YamlPlainScalarsAreTyped) {
    // Unquoted 80 is a number and "80" a string; both ways must be checked as Kubernetes does.
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: t}
spec:
  containers:
  - name: c
    command: [echo, yes, "yes", 1]
    env:
    - {name: A, value: 42}
)",
                           "test");
    EXPECT_TRUE(has_error_at(r, "spec.containers[0].command[1]")) << all_errors(r);
    EXPECT_FALSE(has_error_at(r, "spec.containers[0].command[2]"));
    EXPECT_TRUE(has_error_at(r, "spec.containers[0].command[3]"));
    EXPECT_TRUE(has_error_at(r, "spec.containers[0].env[0].value"));
    EXPECT_NE(all_errors(r).find("expected a string, got boolean true"), std::string::npos);
}

TEST(SpecLoad, FullManifestMapsToPod) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata:
  name: shop
  namespace: team-a
  labels: {app: shop, tier: "1"}
  annotations: {example.com/note: "hello"}
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 5
  hostname: front
  shareProcessNamespace: false
  hostIPC: true
  resources:
    limits: {cpu: "2", memory: 1Gi}
  volumes:
  - name: cache
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  - name: host
    hostPath: {path: /srv/data, type: DirectoryOrCreate}
  initContainers:
  - name: proxy
    restartPolicy: Always
    command: [/usr/bin/socat]
  containers:
  - name: web
    image: /srv/rootfs/nginx
    command: [nginx]
    args: ["-g", "daemon off;"]
    workingDir: /srv
    env:
    - name: GREETING
      value: hi
    - name: POD
      valueFrom: {fieldRef: {fieldPath: metadata.name, apiVersion: v1}}
    ports:
    - {name: http, containerPort: 80, hostPort: 8080, protocol: TCP}
    - {containerPort: 53, protocol: UDP, hostIP: 127.0.0.1}
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi}
    volumeMounts:
    - {name: cache, mountPath: /cache}
    - {name: host, mountPath: /data, readOnly: true, subPath: web/logs}
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const Pod& p = *r.pod;
    EXPECT_EQ(p.metadata.namespace_, "team-a");
    EXPECT_EQ(p.metadata.labels.at("tier"), "1");
    EXPECT_EQ(p.metadata.annotations.at("example.com/note"), "hello");
    EXPECT_EQ(p.restart_policy, RestartPolicy::OnFailure);
    EXPECT_EQ(p.termination_grace_period_seconds, 5);
    EXPECT_EQ(p.effective_hostname(), "front");
    EXPECT_FALSE(p.share_process_namespace);
    EXPECT_TRUE(p.host_ipc);
    EXPECT_FALSE(p.host_network);
    EXPECT_EQ(p.pod_resources.cpu_limit_millis, 2000);
    EXPECT_EQ(p.pod_resources.memory_limit_bytes, int64_t{1} << 30);

    ASSERT_EQ(p.volumes.size(), 2u);
    const auto& ed = std::get<EmptyDirVolume>(p.volumes[0].source);
    EXPECT_TRUE(ed.memory);
    EXPECT_EQ(ed.size_limit_bytes, 64 * 1024 * 1024);
    const auto& hp = std::get<HostPathVolume>(p.volumes[1].source);
    EXPECT_EQ(hp.path, "/srv/data");
    EXPECT_EQ(hp.type, HostPathType::DirectoryOrCreate);

    ASSERT_EQ(p.init_containers.size(), 1u);
    EXPECT_EQ(p.init_containers[0].restart_policy, RestartPolicy::Always);
    EXPECT_TRUE(p.init_containers[0].is_sidecar());
    EXPECT_FALSE(p.init_containers[0].image.has_value());

    ASSERT_EQ(p.containers.size(), 1u);
    const Container& c = p.containers[0];
    EXPECT_EQ(c.image, "/srv/rootfs/nginx");
    EXPECT_EQ(c.args, (std::vector<std::string>{"-g", "daemon off;"}));
    EXPECT_EQ(c.working_dir, "/srv");
    ASSERT_EQ(c.env.size(), 2u);
    EXPECT_EQ(c.env[0].value, "hi");
    EXPECT_FALSE(c.env[0].field_path.has_value());
    EXPECT_EQ(c.env[1].field_path, "metadata.name");
    ASSERT_EQ(c.ports.size(), 2u);
    EXPECT_EQ(c.ports[0].name, "http");
    EXPECT_EQ(c.ports[0].container_port, 80);
    EXPECT_EQ(c.ports[0].host_port, 8080);
    EXPECT_EQ(c.ports[1].protocol, "UDP");
    EXPECT_EQ(c.ports[1].host_ip, "127.0.0.1");
    EXPECT_EQ(c.resources.cpu_request_millis, 250);
    EXPECT_EQ(c.resources.cpu_limit_millis, 500);
    EXPECT_EQ(c.resources.memory_request_bytes, 64 * 1024 * 1024);
    EXPECT_EQ(c.resources.memory_limit_bytes, 128 * 1024 * 1024);
    ASSERT_EQ(c.volume_mounts.size(), 2u);
    EXPECT_FALSE(c.volume_mounts[0].read_only);
    EXPECT_TRUE(c.volume_mounts[1].read_only);
    EXPECT_EQ(c.volume_mounts[1].sub_path, "web/logs");
    EXPECT_TRUE(r.warnings.empty());
}

TEST(SpecLoad, Defaults) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: d}
spec:
  containers: [{name: c, command: ["true"], ports: [{containerPort: 8080}]}]
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const Pod& p = *r.pod;
    EXPECT_EQ(p.restart_policy, RestartPolicy::Always);
    EXPECT_EQ(p.termination_grace_period_seconds, 30);
    EXPECT_TRUE(p.share_process_namespace);  // podrun's default
    EXPECT_EQ(p.effective_hostname(), "d");
    EXPECT_EQ(p.service_account_name, "default");
    EXPECT_EQ(p.containers[0].ports[0].protocol, "TCP");
    EXPECT_TRUE(p.containers[0].resources.empty());
}

TEST(SpecLoad, IgnoredFieldsGiveOneWarningAndNoError) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata:
  name: cluster
  uid: 1234
  creationTimestamp: "2024-01-01T00:00:00Z"
spec:
  nodeName: worker-3
  nodeSelector: {disk: ssd}
  tolerations: [{key: k, operator: Exists}]
  affinity: {}
  priorityClassName: high
  schedulerName: custom
  dnsPolicy: ClusterFirst
  serviceAccountName: robot
  imagePullSecrets: [{name: reg}]
  enableServiceLinks: false
  containers:
  - name: c
    command: ["true"]
    imagePullPolicy: IfNotPresent
    terminationMessagePolicy: File
status:
  phase: Running
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    ASSERT_EQ(r.warnings.size(), 1u);
    const std::string& w = r.warnings[0];
    for (const char* f :
         {"metadata.uid", "metadata.creationTimestamp", "spec.nodeName", "spec.nodeSelector", "spec.tolerations",
          "spec.affinity", "spec.priorityClassName", "spec.schedulerName", "spec.serviceAccountName",
          "spec.imagePullSecrets", "spec.enableServiceLinks", "spec.containers[0].terminationMessagePolicy", "status"})
        EXPECT_NE(w.find(f), std::string::npos) << f << " missing from: " << w;
    // fieldRefs can still read the values of ignored fields.
    EXPECT_EQ(r.pod->node_name, "worker-3");
    EXPECT_EQ(r.pod->service_account_name, "robot");
}

TEST(SpecLoad, UnknownFieldsSuggestClosestName) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: typo, lables: {a: b}}
spec:
  restartpolicy: Never
  containers:
  - name: c
    comand: [sleep]
    Image: /rootfs
    volumeMount: []
    xyzzy: 1
)",
                           "test");
    const std::string e = all_errors(r);
    EXPECT_NE(e.find("metadata.lables: unknown field; did you mean \"labels\"?"), std::string::npos) << e;
    EXPECT_NE(e.find("spec.restartpolicy: unknown field; did you mean \"restartPolicy\"?"), std::string::npos) << e;
    EXPECT_NE(e.find("spec.containers[0].comand: unknown field; did you mean \"command\"?"), std::string::npos) << e;
    EXPECT_NE(e.find("spec.containers[0].Image: unknown field; did you mean \"image\"?"), std::string::npos) << e;
    EXPECT_NE(e.find("spec.containers[0].volumeMount: unknown field; did you mean \"volumeMounts\"?"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("spec.containers[0].xyzzy: unknown field (not a field of Container)"), std::string::npos) << e;
}

TEST(SpecLoad, AllProblemsReportedAtOnce) {
    auto r = load_pod_text(R"(
apiVersion: v2
kind: Pod
metadata: {name: Bad_Name}
spec:
  securityContext: {runAsUser: -1}
  containers:
  - name: web
    image: Nginx:1.25
    ports: [{containerPort: "80"}]
    resources: {limits: {memory: 12Q}}
  - name: web
    command: [sleep]
    livenessProbe: {}
)",
                           "test");
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.pod.has_value());
    for (const char* p : {"apiVersion", "metadata.name", "spec.securityContext.runAsUser", "spec.containers[0].image",
                          "spec.containers[0].ports[0].containerPort", "spec.containers[0].resources.limits.memory",
                          "spec.containers[1].name", "spec.containers[1].livenessProbe"})
        EXPECT_TRUE(has_error_at(r, p)) << p << "\n" << all_errors(r);
    EXPECT_GE(r.errors.size(), 8u);
    const std::string e = all_errors(r);
    EXPECT_NE(e.find("spec.containers[0].ports[0].containerPort: expected an integer, got string \"80\""),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("spec.containers[0].resources.limits.memory: \"12Q\" is not a quantity"), std::string::npos) << e;
    EXPECT_NE(e.find("image \"Nginx:1.25\": invalid reference format: repository name \"Nginx\" must be lowercase"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("spec.securityContext.runAsUser: -1 must be between 0 and 2147483647"), std::string::npos) << e;
}

TEST(SpecLoad, SyntaxErrorsNameLineAndColumn) {
    auto y = load_pod_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n", "pod.yaml");
    ASSERT_EQ(y.errors.size(), 1u);
    EXPECT_NE(y.errors[0].message.find("pod.yaml: line "), std::string::npos) << y.errors[0].message;
    EXPECT_NE(y.errors[0].message.find("column"), std::string::npos);

    auto j = load_pod_text("{\n  \"apiVersion\": \"v1\",\n  \"kind\": Pod\n}", "pod.json");
    ASSERT_EQ(j.errors.size(), 1u);
    EXPECT_NE(j.errors[0].message.find("line 3, column"), std::string::npos) << j.errors[0].message;
}

TEST(SpecLoad, DuplicateKeysAndDocumentsAreErrors) {
    auto y = load_pod_text("apiVersion: v1\nkind: Pod\nkind: Pod\n", "t");
    ASSERT_EQ(y.errors.size(), 1u);
    EXPECT_NE(y.errors[0].message.find("line 3, column 1: duplicate key \"kind\""), std::string::npos)
        << y.errors[0].message;
    auto j = load_pod_text(R"({"metadata": {"name": "a", "name": "b"}})", "t");
    ASSERT_EQ(j.errors.size(), 1u);
    EXPECT_NE(j.errors[0].message.find("duplicate key \"name\""), std::string::npos);
    auto m = load_pod_text("apiVersion: v1\n---\napiVersion: v1\n", "t");
    ASSERT_EQ(m.errors.size(), 1u);
    EXPECT_NE(m.errors[0].message.find("2 YAML documents"), std::string::npos);
    auto e = load_pod_text("  \n# only a comment\n", "t");
    ASSERT_EQ(e.errors.size(), 1u);
    EXPECT_NE(e.errors[0].message.find("empty"), std::string::npos);
}

TEST(SpecLoad, EveryExampleValidates) {
    // Unit tests run in the source tree (WORKING_DIRECTORY in tests/CMakeLists.txt).
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("examples")) {
        const std::string ext = e.path().extension().string();
        if (ext != ".json" && ext != ".yaml") continue;
        auto r = load_pod_file(e.path().string());
        EXPECT_TRUE(r.ok()) << e.path() << "\n" << all_errors(r);
        ++n;
    }
    EXPECT_GE(n, 5u);
}

TEST(SpecLoad, MissingFileIsOneError) {
    auto r = load_pod_file("/nonexistent/pod.yaml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].message.find("/nonexistent/pod.yaml"), std::string::npos);
    EXPECT_NE(r.errors[0].message.find("No such file"), std::string::npos);
}

}  // namespace
