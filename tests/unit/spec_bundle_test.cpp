// Bundles: several documents, Lists, workloads, ConfigMaps, Secrets and claims in one or
// several files, validated at once with each problem naming its document.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "podrun/spec/bundle.hpp"

using namespace podrun::spec;

namespace {

std::string all_errors(const BundleResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.origin.source + ": " + e.to_string() + "\n";
    return s;
}

std::string all_warnings(const BundleResult& r) {
    std::string s;
    for (const auto& w : r.warnings) s += w + "\n";
    return s;
}

// The message of the error at (document prefix, path), or "" with a failure.
std::string error_at(const BundleResult& r, const std::string& document, const std::string& path) {
    for (const auto& e : r.errors)
        if (e.origin.document == document && e.problem.path == path) return e.problem.message;
    ADD_FAILURE() << "no error at " << document << " " << path << "; errors:\n" << all_errors(r);
    return {};
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

constexpr const char* kPodA = R"(apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers: [{name: c, command: [sleep, '1']}]
)";

TEST(SpecBundle, SeveralKindsInOneYamlStream) {
    auto r = load_bundle_text(std::string(kPodA) + R"(---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {greeting: hello, app.conf: "x=1\n"}
binaryData: {blob: AAEC}
---
---
apiVersion: v1
kind: Secret
metadata: {name: pw}
data: {password: c2VjcmV0, user: YWRtaW4=}
stringData: {user: root}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  storageClassName: fast
)",
                              "all.yaml");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const Bundle& b = *r.bundle;
    ASSERT_EQ(b.pods.size(), 1u);
    EXPECT_EQ(b.pods[0].metadata.name, "a");
    EXPECT_EQ(b.pod_origins[0].document, "document 1 (Pod a)");
    ASSERT_EQ(b.config_maps.size(), 1u);
    EXPECT_EQ(b.config_maps[0].data.at("greeting"), "hello");
    EXPECT_EQ(b.config_maps[0].binary_data.at("blob"), std::string("\0\1\2", 3));
    ASSERT_EQ(b.secrets.size(), 1u);
    EXPECT_EQ(b.secrets[0].data.at("password"), "secret");
    EXPECT_EQ(b.secrets[0].data.at("user"), "root");  // stringData wins
    EXPECT_EQ(b.secrets[0].type, "Opaque");
    EXPECT_EQ(b.secrets[0].origin.document, "document 3 (Secret pw)");  // the empty one is skipped
    ASSERT_EQ(b.claims.size(), 1u);
    EXPECT_EQ(b.claims[0].storage_request_bytes, int64_t{1} << 30);
    EXPECT_EQ(b.claims[0].access_modes, (std::vector<std::string>{"ReadWriteOnce"}));
    EXPECT_TRUE(contains(all_warnings(r), "spec.storageClassName")) << all_warnings(r);
}

TEST(SpecBundle, JsonList) {
    auto r = load_bundle_text(R"({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
         "spec": {"containers": [{"name": "c", "command": ["true"]}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "y"},
         "spec": {"containers": [{"name": "c", "comand": ["true"]}]}}]})",
                              "list.json");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 2u) << all_errors(r);  // the typo, and command then missing
    EXPECT_TRUE(
        contains(error_at(r, "document 1, items[1] (Pod y)", "spec.containers[0].comand"), "did you mean \"command\""));
    EXPECT_EQ(r.errors[0].to_string().rfind("document 1, items[1] (Pod y): spec.containers[0]", 0), 0u)
        << r.errors[0].to_string();
}

TEST(SpecBundle, AllDocumentsValidatedAtOnce) {
    auto r = load_bundle_text(R"(apiVersion: v1
kind: Pod
metadata: {name: Bad_Name}
spec: {containers: [{name: c, command: [x]}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {"bad key": x}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {containers: [{name: c, command: [x], ports: [{containerPort: 0}]}]}
)",
                              "three.yaml");
    ASSERT_FALSE(r.ok());
    error_at(r, "document 1 (Pod Bad_Name)", "metadata.name");
    EXPECT_TRUE(contains(error_at(r, "document 2 (ConfigMap cfg)", "data[bad key]"), "letters"));
    error_at(r, "document 3 (Pod b)", "spec.containers[0].ports[0].containerPort");
    for (const auto& e : r.errors) {
        EXPECT_EQ(e.origin.source, "three.yaml");
        EXPECT_FALSE(contains(e.problem.message, "three.yaml"));  // the caller prints it once
    }
}

TEST(SpecBundle, NamesUniquePerKind) {
    auto r = load_bundle_text(std::string(kPodA) + "---\n" + kPodA + R"(---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
)",
                              "dup.yaml");
    ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);  // a ConfigMap may share a Pod's name
    EXPECT_TRUE(contains(error_at(r, "document 2 (Pod a)", "metadata.name"), "document 1"));
}

TEST(SpecBundle, DeploymentRunsItsTemplateAsOnePod) {
    auto r = load_bundle_text(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  strategy: {type: RollingUpdate}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers: [{name: nginx, command: [sleep, '1'], terminationMessagePath: /dev/log}]
)",
                              "deploy.yaml");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    ASSERT_EQ(r.bundle->pods.size(), 1u);
    const Pod& p = r.bundle->pods[0];
    EXPECT_EQ(p.metadata.name, "web");
    EXPECT_EQ(p.metadata.namespace_, "shop");
    EXPECT_EQ(p.metadata.labels.at("tier"), "front");
    const std::string w = all_warnings(r);
    EXPECT_TRUE(contains(w, "document 1 (Deployment web): spec.replicas is 3")) << w;
    EXPECT_TRUE(contains(w, "spec.strategy")) << w;
    EXPECT_TRUE(contains(w, "spec.template.spec.containers[0].terminationMessagePath")) << w;
}

TEST(SpecBundle, WorkloadRules) {
    auto r = load_bundle_text(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: Bad, command: [x]}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec: {containers: [{name: c, command: [x]}]}
---
apiVersion: extensions/v1beta1
kind: DaemonSet
metadata: {name: old}
spec: {selector: {}, template: {spec: {containers: [{name: c, command: [x]}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {selector: {matchLabels: {a: b}}}
)",
                              "w.yaml");
    EXPECT_TRUE(contains(error_at(r, "document 1 (Deployment web)", "spec.template.metadata.labels"),
                         "selector does not match"));
    error_at(r, "document 1 (Deployment web)", "spec.template.spec.containers[0].name");
    EXPECT_TRUE(
        contains(error_at(r, "document 2 (Job once)", "spec.template.spec.restartPolicy"), "Never or OnFailure"));
    EXPECT_TRUE(contains(error_at(r, "document 3 (DaemonSet old)", "kind"),
                         "not a kind of apiVersion \"extensions/v1beta1\"; use apiVersion: apps/v1"));
    error_at(r, "document 4 (StatefulSet db)", "spec.template");
}

TEST(SpecBundle, OtherKindsSkippedWithOneWarning) {
    auto r = load_bundle_text(std::string(kPodA) + R"(---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: in}
)",
                              "s.yaml");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_EQ(r.bundle->pods.size(), 1u);
    const std::string w = all_warnings(r);
    EXPECT_TRUE(contains(w,
                         "skipping objects podrun does not run: Service web (s.yaml, document "
                         "2), Ingress in (s.yaml, document 3)"))
        << w;
}

TEST(SpecBundle, ObjectRules) {
    auto r = load_bundle_text(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {k: v, ..x: "y"}
binaryData: {k: AAE=, b: "not base64!"}
---
apiVersion: v1
kind: Secret
metadata: {name: t}
type: kubernetes.io/tls
stringData: {tls.crt: x}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: p}
spec: {accessModes: [ReadWriteOncePod, ReadOnlyMany, Sometimes], volumeMode: Block, resources: {}}
---
apiVersion: v2
kind: Secret
metadata: {name: u}
data: {x: "@@"}
---
kind: Pod
)",
                              "o.yaml");
    const std::string cm = "document 1 (ConfigMap c)";
    EXPECT_TRUE(contains(error_at(r, cm, "data[..x]"), "must not start with '..'")) << all_errors(r);
    EXPECT_TRUE(contains(error_at(r, cm, "binaryData[k]"), "also in data"));
    EXPECT_TRUE(contains(error_at(r, cm, "binaryData[b]"), "not base64"));
    EXPECT_TRUE(contains(error_at(r, "document 2 (Secret t)", "data"), "tls.key"));
    const std::string pvc = "document 3 (PersistentVolumeClaim p)";
    error_at(r, pvc, "spec.accessModes[0]");
    error_at(r, pvc, "spec.accessModes[2]");
    EXPECT_TRUE(contains(error_at(r, pvc, "spec.volumeMode"), "directories"));
    EXPECT_TRUE(contains(error_at(r, pvc, "spec.resources.requests.storage"), "required"));
    error_at(r, "document 4 (Secret u)", "apiVersion");
    EXPECT_TRUE(contains(error_at(r, "document 4 (Secret u)", "data[x]"), "stringData"));
    error_at(r, "document 5 (Pod)", "metadata.name");
}

TEST(SpecBundle, SyntaxErrorsAndEmptyInput) {
    auto r = load_bundle_text("apiVersion: v1\nkind: [\n", "bad.yaml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_TRUE(contains(r.errors[0].to_string(), "YAML syntax error")) << r.errors[0].to_string();
    EXPECT_EQ(r.errors[0].origin.source, "bad.yaml");
    auto e = load_bundle_text("---\n---\n", "empty.yaml");
    ASSERT_EQ(e.errors.size(), 1u);
    EXPECT_TRUE(contains(e.errors[0].to_string(), "no Kubernetes object"));
    auto k = load_bundle_text("apiVersion: v1\nmetadata: {name: x}\n", "k.yaml");
    error_at(k, "document 1", "kind");
}

TEST(SpecBundle, DocumentsSplitAsKubectlSplitsThem) {
    // "--- # comment" separates; comment-only parts are dropped; a block scalar's indented
    // "---" is content.
    auto r = load_bundle_text(std::string("# leading comment\n--- # first\n") + kPodA + R"(--- 
# only a comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: m}
data:
  doc: |
    ---
    not a separator
)",
                              "k.yaml");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_EQ(r.bundle->pods.size(), 1u);
    ASSERT_EQ(r.bundle->config_maps.size(), 1u);
    EXPECT_EQ(r.bundle->config_maps[0].data.at("doc"), "---\nnot a separator\n");
    EXPECT_EQ(r.bundle->config_maps[0].origin.document, "document 2 (ConfigMap m)");
}

TEST(SpecBundle, SyntaxErrorLinesCountInTheWholeFile) {
    auto r = load_bundle_text(std::string(kPodA) + "---\napiVersion: v1\nkind: [\n", "l.yaml");
    ASSERT_EQ(r.errors.size(), 1u);
    // kPodA has 5 lines, the separator is line 6, "kind: [" line 8; the error is at its end.
    EXPECT_EQ(r.errors[0].problem.message.rfind("line 9, column 1: YAML syntax error", 0), 0u)
        << r.errors[0].problem.message;
    auto sep = load_bundle_text(std::string(kPodA) + "--- apiVersion: v1\n", "s.yaml");
    ASSERT_EQ(sep.errors.size(), 1u);
    EXPECT_TRUE(contains(sep.errors[0].problem.message, "line 6: a document separator"))
        << sep.errors[0].problem.message;
}

TEST(SpecBundle, SizeIsCapped) {
    std::string big(std::string(kPodA) + "---\n# " + std::string(3 * 1024 * 1024, 'x') + "\n");
    auto r = load_bundle_text(big, "big.yaml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_TRUE(contains(r.errors[0].problem.message, "larger than")) << r.errors[0].to_string();
}

class SpecBundleFiles : public ::testing::Test {
  protected:
    std::filesystem::path dir;
    void SetUp() override {
        dir = std::filesystem::temp_directory_path() / ("podrun-bundle-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir / "more");
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    void write(const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; }
};

TEST_F(SpecBundleFiles, DirectoriesAndSeveralFiles) {
    write("more/b.yaml", std::string(kPodA).replace(std::string(kPodA).find("name: a"), 7, "name: b"));
    write("more/a.json", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m"}})");
    write("more/notes.txt", "not a manifest");
    write("one.yml", kPodA);
    auto r = load_bundle_files({(dir / "one.yml").string(), (dir / "more").string()});
    ASSERT_TRUE(r.ok()) << all_errors(r);
    ASSERT_EQ(r.bundle->pods.size(), 2u);
    EXPECT_EQ(r.bundle->pods[1].metadata.name, "b");
    EXPECT_EQ(r.bundle->pod_origins[1].source, (dir / "more" / "b.yaml").string());
    EXPECT_EQ(r.bundle->config_maps.size(), 1u);
    // Names are unique across files.
    auto dup = load_bundle_files({(dir / "one.yml").string(), (dir / "one.yml").string()});
    ASSERT_EQ(dup.errors.size(), 1u) << all_errors(dup);
    EXPECT_TRUE(contains(dup.errors[0].problem.message, (dir / "one.yml").string()));
}

TEST_F(SpecBundleFiles, UnreadableAndEmptyDirectory) {
    std::filesystem::create_directories(dir / "empty");
    auto r = load_bundle_files({(dir / "missing.yaml").string(), (dir / "empty").string()});
    ASSERT_EQ(r.errors.size(), 2u) << all_errors(r);
    EXPECT_TRUE(contains(r.errors[0].problem.message, "No such file"));
    EXPECT_TRUE(contains(r.errors[1].problem.message, "no *.yaml"));
}

}  // namespace
