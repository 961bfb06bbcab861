// configMap/secret volumes, envFrom and key references: what the validator accepts and
// refuses, and how spec::resolve_objects turns them into files and variables.
#include <gtest/gtest.h>

#include "podrun/spec/bundle.hpp"
#include "podrun/spec/env.hpp"
#include "podrun/spec/resolve.hpp"

using namespace podrun::spec;

namespace {

std::string errors_of(const BundleResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

constexpr const char* kObjects = R"Y(apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a: "1", b: "$(a)", bad-name: x}
binaryData: {bin: aGk=}
---
apiVersion: v1
kind: Secret
metadata: {name: sec}
stringData: {pw: hunter2}
---
)Y";

constexpr const char* kPod = R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - {name: all, configMap: {name: cm, defaultMode: 0400}}
  - name: some
    secret:
      secretName: sec
      items: [{key: pw, path: dir/pw, mode: 0600}]
  containers:
  - name: c
    command: [x]
    envFrom:
    - {configMapRef: {name: cm}, prefix: P_}
    env:
    - {name: P_a, value: overridden}
    - name: PW
      valueFrom: {secretKeyRef: {name: sec, key: pw}}
    - name: B
      valueFrom: {configMapKeyRef: {name: cm, key: b}}
    - name: GONE
      valueFrom: {configMapKeyRef: {name: cm, key: nope, optional: true}}
    volumeMounts: [{name: all, mountPath: /all}, {name: some, mountPath: /some}]
)Y";

TEST(SpecData, ResolvesVolumesAndEnvAsTheKubelet) {
    BundleResult r = load_bundle_text(std::string(kObjects) + kPod, "t.yaml");
    ASSERT_TRUE(r.ok()) << errors_of(r);
    Bundle b = *r.bundle;
    Pod pod = b.pods[0];
    EXPECT_TRUE(resolve_objects(pod, b).empty());
    const auto& all = std::get<ObjectVolume>(pod.volumes[0].source);
    ASSERT_EQ(all.files.size(), 4u);  // a, b, bad-name, and bin from binaryData
    EXPECT_EQ(all.files[0].path, "a");
    EXPECT_EQ(all.files[0].mode, 0400u);  // YAML 0400 is octal, as go-yaml reads it
    EXPECT_EQ(all.files[3].path, "bin");
    EXPECT_EQ(all.files[3].content, "hi");
    const auto& some = std::get<ObjectVolume>(pod.volumes[1].source);
    ASSERT_EQ(some.files.size(), 1u);
    EXPECT_EQ(some.files[0].path, "dir/pw");
    EXPECT_EQ(some.files[0].mode, 0600u);
    EXPECT_EQ(some.files[0].content, "hunter2");

    EnvList env = container_env(pod, pod.containers[0], {});
    EnvList want = {{"P_a", "overridden"}, {"P_b", "$(a)"}, {"PW", "hunter2"}, {"B", "$(a)"}};
    // binaryData is for volumes only. P_bad-name is a valid name for Kubernetes 1.30+ (any
    // printable but '='): kept.
    want.insert(want.begin() + 2, {"P_bad-name", "x"});
    EXPECT_EQ(env, want);
}

TEST(SpecData, MissingReferencesWordedAsTheKubelet) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns1}
spec:
  volumes:
  - {name: v, configMap: {name: nope}}
  - {name: w, secret: {secretName: nope, optional: true}}
  containers:
  - name: c
    command: [x]
    env:
    - name: X
      valueFrom: {secretKeyRef: {name: s, key: k}}
    envFrom:
    - configMapRef: {name: e}
)Y",
                                      "t.yaml");
    ASSERT_TRUE(r.ok()) << errors_of(r);
    Pod pod = r.bundle->pods[0];
    auto errs = resolve_objects(pod, *r.bundle);
    ASSERT_EQ(errs.size(), 3u);
    EXPECT_EQ(errs[0], "FailedMount: MountVolume.SetUp failed for volume \"v\": configmap \"nope\" not found");
    EXPECT_EQ(errs[1], "CreateContainerConfigError: container \"c\": configmap \"e\" not found");
    EXPECT_EQ(errs[2], "CreateContainerConfigError: container \"c\": secret \"s\" not found");
}

TEST(SpecData, RefusesBadReferences) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - name: v
    configMap:
      name: cm
      defaultMode: 01000
      items: [{key: "..x", path: /abs}, {key: k, path: ../up}, {key: k2, path: a}, {key: k3, path: a}]
  - {name: w, secret: {}}
  containers:
  - name: c
    envFrom:
    - {configMapRef: {name: a}, secretRef: {name: b}}
    - {prefix: "A=B", configMapRef: {name: a}}
    env:
    - name: X
      valueFrom: {configMapKeyRef: {name: cm}}
)Y",
                                      "t.yaml");
    std::string e = errors_of(r);
    for (const char* want : {
             "spec.volumes[0].configMap.defaultMode: 512 must be a file mode",
             "spec.volumes[0].configMap.items[0].key: \"..x\" must not start with '..'",
             "spec.volumes[0].configMap.items[0].path: \"/abs\" must be a relative path",
             "spec.volumes[0].configMap.items[1].path: \"../up\" must not contain '..'",
             "spec.volumes[0].configMap.items[3].path: \"a\" is already the path of another item",
             "spec.volumes[1].secret.secretName: required",
             "spec.containers[0].envFrom[0]: must give exactly one of configMapRef or secretRef",
             "spec.containers[0].envFrom[1].prefix: \"A=B\"",
             "spec.containers[0].env[0].valueFrom.configMapKeyRef.key: required",
         })
        EXPECT_NE(e.find(want), std::string::npos) << want << "\n" << e;
}

// Real Kubernetes fields are never "unknown": refused with the reason, or not yet, or warned.
TEST(SpecData, KubernetesFieldsAreNeverUnknown) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  ephemeralContainers: [{name: dbg}]
  volumes:
  - {name: n, nfs: {server: s, path: /x}}
  containers:
  - name: c
    command: [x]
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [42]}}]
    env:
    - name: F
      valueFrom: {fileKeyRef: {path: f, volumeName: v, key: k}}
)Y",
                                      "t.yaml");
    std::string e = errors_of(r);
    EXPECT_EQ(e.find("unknown field"), std::string::npos) << e;
    EXPECT_NE(e.find("spec.ephemeralContainers: ephemeral containers are added"), std::string::npos) << e;
    EXPECT_NE(e.find("podrun exec"), std::string::npos) << e;
    EXPECT_NE(e.find("spec.volumes[0].nfs: a cluster volume plugin"), std::string::npos) << e;
    // Supported since Kubernetes 1.34, with the container's own restartPolicy beside it.
    EXPECT_NE(e.find("spec.containers[0].restartPolicy: required when restartPolicyRules is set"), std::string::npos)
        << e;
    EXPECT_NE(e.find("spec.containers[0].env[0].valueFrom.fileKeyRef: not supported by podrun yet"), std::string::npos)
        << e;

    BundleResult ok = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: pause
    command: [x]
    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
)Y",
                                       "t.yaml");
    ASSERT_TRUE(ok.ok()) << errors_of(ok);  // a container may be named pause
    std::string w;
    for (const auto& x : ok.warnings) w += x + "\n";
    EXPECT_NE(w.find("resizePolicy (podrun does not resize a running container in place)"), std::string::npos) << w;
}

}  // namespace
