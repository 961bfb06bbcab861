// `podrun validate` and `podrun up` end to end on malformed manifests: exit code 2, the
// offending field path in stderr, nothing created. (The validator's own table is a unit test.)
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace podrun::test {
namespace {

class UpMalformed : public PodrunTest {};

struct Case {
    std::string name;  // metadata.name of the pod (when the case keeps one): must not appear
    std::string spec;  // YAML under "spec:", two-space indent
    std::string path;  // expected in stderr as "<path>:"
};

// A pod named `name` whose spec is `spec`.
std::string manifest(const std::string& name, const std::string& spec) {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n" + spec;
}

const char* kOk = "  containers:\n  - name: app\n    command: [sh, -c, \"exit 0\"]\n";
std::string ctr(const std::string& extra) {
    return std::string(kOk) + extra;
}

const std::vector<Case> kCases = {
    {"bad-nocontainers", "  containers: []\n", "spec.containers"},
    {"bad-noname", "  containers:\n  - command: [x]\n", "spec.containers[0].name"},
    {"bad-ctrname", "  containers:\n  - name: App_1\n    command: [x]\n", "spec.containers[0].name"},
    {"bad-dupname", "  containers:\n  - {name: a, command: [x]}\n  - {name: a, command: [x]}\n",
     "spec.containers[1].name"},
    {"bad-nocommand", "  containers:\n  - name: a\n", "spec.containers[0].command"},
    {"bad-imageref", ctr("    image: \"nginx:1.25@sha256:short\"\n"), "spec.containers[0].image"},
    {"bad-cmdstring", "  containers:\n  - {name: a, command: sleep 1}\n", "spec.containers[0].command"},
    {"bad-argsint", ctr("    args: [1]\n"), "spec.containers[0].args[0]"},
    {"bad-envname", ctr("    env: [{name: A=B, value: x}]\n"), "spec.containers[0].env[0].name"},
    {"bad-fieldpath", ctr("    env: [{name: A, valueFrom: {fieldRef: {fieldPath: spec.nodeNmae}}}]\n"),
     "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath"},
    {"bad-secret", ctr("    env: [{name: A, valueFrom: {secretKeyRef: {name: s}}}]\n"),
     "spec.containers[0].env[0].valueFrom.secretKeyRef.key"},
    {"bad-workdir", ctr("    workingDir: relative\n"), "spec.containers[0].workingDir"},
    {"bad-port", ctr("    ports: [{containerPort: 70000}]\n"), "spec.containers[0].ports[0].containerPort"},
    {"bad-proto", ctr("    ports: [{containerPort: 80, protocol: HTTP}]\n"), "spec.containers[0].ports[0].protocol"},
    {"bad-memory", ctr("    resources: {limits: {memory: 12Q}}\n"), "spec.containers[0].resources.limits.memory"},
    {"bad-cpu", ctr("    resources: {limits: {cpu: -1}}\n"), "spec.containers[0].resources.limits.cpu"},
    {"bad-request", ctr("    resources: {limits: {cpu: 500m}, requests: {cpu: 1}}\n"),
     "spec.containers[0].resources.requests.cpu"},
    {"bad-mountname", ctr("    volumeMounts: [{name: nope, mountPath: /x}]\n"),
     "spec.containers[0].volumeMounts[0].name"},
    {"bad-mountpath", "  volumes: [{name: d, emptyDir: {}}]\n" + ctr("    volumeMounts: [{name: d, mountPath: x}]\n"),
     "spec.containers[0].volumeMounts[0].mountPath"},
    {"bad-subpath",
     "  volumes: [{name: d, emptyDir: {}}]\n" +
         ctr("    volumeMounts: [{name: d, mountPath: /x, subPath: a/../../etc}]\n"),
     "spec.containers[0].volumeMounts[0].subPath"},
    {"bad-probe", ctr("    livenessProbe: {grpc: {port: grpc}}\n"), "spec.containers[0].livenessProbe.grpc.port"},
    {"bad-typo", ctr("    comand: [x]\n"), "spec.containers[0].comand"},
    {"bad-novolsource", "  volumes: [{name: v}]\n" + std::string(kOk), "spec.volumes[0]"},
    {"bad-configmap", "  volumes: [{name: v, configMap: {name: cm, defaultMode: 1000}}]\n" + std::string(kOk),
     "spec.volumes[0].configMap.defaultMode"},
    {"bad-medium", "  volumes: [{name: v, emptyDir: {medium: HugePages}}]\n" + std::string(kOk),
     "spec.volumes[0].emptyDir.medium"},
    {"bad-sizelimit", "  volumes: [{name: v, emptyDir: {sizeLimit: lots}}]\n" + std::string(kOk),
     "spec.volumes[0].emptyDir.sizeLimit"},
    {"bad-hostpathrel", "  volumes: [{name: v, hostPath: {path: srv}}]\n" + std::string(kOk),
     "spec.volumes[0].hostPath.path"},
    {"bad-hostpathtype", "  volumes: [{name: v, hostPath: {path: /srv, type: Dir}}]\n" + std::string(kOk),
     "spec.volumes[0].hostPath.type"},
    {"bad-restart", "  restartPolicy: Sometimes\n" + std::string(kOk), "spec.restartPolicy"},
    {"bad-grace", "  terminationGracePeriodSeconds: -1\n" + std::string(kOk), "spec.terminationGracePeriodSeconds"},
    {"bad-hostname", "  hostname: Bad_Host\n" + std::string(kOk), "spec.hostname"},
    {"bad-hostnet", "  hostNetwork: \"true\"\n" + std::string(kOk), "spec.hostNetwork"},
    {"bad-pidshare", "  hostPID: true\n  shareProcessNamespace: true\n" + std::string(kOk),
     "spec.shareProcessNamespace"},
    {"bad-ephemeral", "  ephemeralContainers: [{name: dbg}]\n" + std::string(kOk), "spec.ephemeralContainers"},
    {"bad-specname", "  contaners: []\n" + std::string(kOk), "spec.contaners"},
    // Never and OnFailure are valid since Kubernetes 1.34 (ContainerRestartRules).
    {"bad-initpolicy", "  initContainers: [{name: i, command: [x], restartPolicy: Sometimes}]\n" + std::string(kOk),
     "spec.initContainers[0].restartPolicy"},
};

void expect_rejected(const std::string& label, const RunResult& r, const std::string& path, const std::string& pod) {
    EXPECT_FALSE(r.timed_out) << label;
    EXPECT_EQ(r.exit_code, 2) << label << "\n" << r.err;
    EXPECT_NE(r.err.find(path + ":"), std::string::npos) << label << ": want \"" << path << ":\" in stderr, got:\n"
                                                         << r.err;
    EXPECT_FALSE(std::filesystem::exists("/run/podrun/" + pod)) << label;
    EXPECT_FALSE(std::filesystem::exists("/var/lib/podrun/" + pod)) << label;
}

TEST_F(UpMalformed, ValidateAndUpRejectEachWithTheFieldPath) {
    PODRUN_REQUIRE_ROOT();
    ASSERT_GE(kCases.size(), 25u);
    std::set<std::string> names, manifests;
    TempDir dir;
    for (const auto& c : kCases) {
        EXPECT_TRUE(names.insert(c.name).second) << "duplicate case " << c.name;
        const std::string text = manifest(c.name, c.spec);
        EXPECT_TRUE(manifests.insert(text).second) << "duplicate manifest " << c.name;
        const std::string file = dir.file(c.name + ".yaml", text);
        expect_rejected("validate " + c.name, podrun({"validate", file}, "", 10), c.path, c.name);
        expect_rejected("up " + c.name, podrun({"up", file}, "", 10), c.path, c.name);
        expect_rejected("up - " + c.name, podrun({"up", "-"}, text, 10), c.path, c.name);
    }
}

TEST_F(UpMalformed, ManifestLevelErrors) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"apiVersion: v2\nkind: Pod\nmetadata: {name: bad-api}\nspec: {containers: [{name: c, "
         "command: [x]}]}\n",
         "apiVersion"},
        {"apiVersion: v1\nkind: Deployment\nmetadata: {name: bad-kind}\nspec: {containers: [{name: "
         "c, command: [x]}]}\n",
         "kind"},
        {"apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, "
         "command: [x]}]}\n",
         "metadata.name"},
        {"apiVersion: v1\nkind: Pod\nmetadata: {name: bad-label, labels: {app: 5}}\nspec: "
         "{containers: [{name: c, command: [x]}]}\n",
         "metadata.labels[app]"},
        {"apiVersion: v1\nkind: Pod\nmetadata: {name: bad-spec}\nspec: [x]\n", "spec"},
    };
    int i = 0;
    for (const auto& [text, path] : cases) {
        const std::string file = dir.file("m" + std::to_string(i++) + ".yaml", text);
        for (const std::string cmd : {"validate", "up"}) {
            RunResult r = podrun({cmd, file}, "", 10);
            EXPECT_EQ(r.exit_code, 2) << cmd << " " << text << r.err;
            EXPECT_NE(r.err.find(": " + path + ":"), std::string::npos) << cmd << " " << text << r.err;
        }
    }
    for (const std::string pod : {"bad-api", "bad-kind", "bad-label", "bad-spec"}) {
        EXPECT_FALSE(std::filesystem::exists("/run/podrun/" + pod)) << pod;
    }
}

// Problems only the host can show (`up` checks them before creating anything; `validate`
// checks the manifest alone and accepts these, but for a missing rootfs-directory image).
TEST_F(UpMalformed, HostChecksOfUpNameTheField) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string missing = dir / "missing";
    const std::vector<Case> cases = {
        {"bad-hostdir",
         "  volumes: [{name: v, hostPath: {path: " + missing + ", type: Directory}}]\n" + std::string(kOk),
         "spec.volumes[0].hostPath.path"},
        {"bad-hostunset", "  volumes: [{name: v, hostPath: {path: " + missing + "}}]\n" + std::string(kOk),
         "spec.volumes[0].hostPath.path"},
        {"bad-image", "  containers:\n  - {name: a, image: " + missing + ", command: [sh]}\n",
         "spec.containers[0].image"},
    };
    for (const auto& c : cases) {
        const std::string file = dir.file(c.name + ".yaml", manifest(c.name, c.spec));
        RunResult v = podrun({"validate", file}, "", 10);
        if (c.name == "bad-image") {
            EXPECT_EQ(v.exit_code, 2) << c.name << v.err;
            EXPECT_NE(v.err.find(c.path + ": \"" + missing + "\" is not a directory"), std::string::npos) << v.err;
        } else {
            EXPECT_EQ(v.exit_code, 0) << c.name << v.err;
        }
        expect_rejected("up " + c.name, podrun({"up", file}, "", 10), c.path, c.name);
        EXPECT_FALSE(std::filesystem::exists(missing)) << c.name;
    }
}

}  // namespace
}  // namespace podrun::test
