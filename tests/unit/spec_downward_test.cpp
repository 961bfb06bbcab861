// downwardAPI and projected volumes and resourceFieldRef: what the validator accepts and
// refuses (the API server's rules), and the values the kubelet would write.
#include <gtest/gtest.h>

#include "podrun/spec/bundle.hpp"
#include "podrun/spec/downward.hpp"
#include "podrun/spec/env.hpp"
#include "podrun/spec/resolve.hpp"

using namespace podrun::spec;

namespace {

std::string errors_of(const BundleResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

std::string warnings_of(const BundleResult& r) {
    std::string s;
    for (const auto& w : r.warnings) s += w + "\n";
    return s;
}

constexpr const char* kPod = R"Y(apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a: "1", b: "2"}
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: {zone: us-est-coast, rack: "22"}
  annotations: {build: "two\"quoted\"\nlines"}
spec:
  volumes:
  - name: info
    downwardAPI:
      defaultMode: 0444
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: uid, fieldRef: {fieldPath: metadata.uid}, mode: 0400}
      - {path: zone, fieldRef: {fieldPath: "metadata.labels['zone']"}}
      - path: cpu_limit
        resourceFieldRef: {containerName: c, resource: limits.cpu, divisor: 1m}
      - path: mem_request
        resourceFieldRef: {containerName: c, resource: requests.memory, divisor: 1Mi}
  - name: all
    projected:
      defaultMode: 0440
      sources:
      - configMap: {name: cm, items: [{key: a, path: cm/a}]}
      - downwardAPI:
          items: [{path: name, fieldRef: {fieldPath: metadata.name}}]
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
      - secret: {name: missing, optional: true}
  containers:
  - name: c
    command: [x]
    resources:
      limits: {cpu: 250m, memory: 64Mi}
      requests: {cpu: 125m, memory: 33Mi}
    env:
    - name: CPU_LIMIT
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
    - name: CPU_REQ_M
      valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}
    - name: MEM_LIMIT_MI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: OTHER_MEM
      valueFrom: {resourceFieldRef: {containerName: d, resource: limits.memory}}
    volumeMounts: [{name: info, mountPath: /info}, {name: all, mountPath: /all}]
  - name: d
    command: [x]
)Y";

const DataFile* file(const std::vector<DataFile>& files, const std::string& path) {
    for (const auto& f : files)
        if (f.path == path) return &f;
    return nullptr;
}

TEST(SpecDownward, FilesAndEnvAsTheKubeletWritesThem) {
    BundleResult r = load_bundle_text(kPod, "t.yaml");
    ASSERT_TRUE(r.ok()) << errors_of(r);
    EXPECT_NE(warnings_of(r).find("serviceAccountToken projections get an empty token file"), std::string::npos)
        << warnings_of(r);
    Pod pod = r.bundle->pods[0];
    ASSERT_TRUE(resolve_objects(pod, *r.bundle).empty());
    PodRuntimeInfo info{"uid-1", "127.0.0.1", "127.0.0.1", {2000, 8LL << 30, 100LL << 30}};
    resolve_downward(pod, info);

    const auto& dv = std::get<ProjectedVolume>(pod.volumes[0].source);
    ASSERT_EQ(dv.sources.size(), 1u);
    const auto& files = dv.sources[0].files;
    // FormatMap: sorted, key="value", Go-quoted, no newline at the end.
    EXPECT_EQ(file(files, "labels")->content, "rack=\"22\"\nzone=\"us-est-coast\"");
    EXPECT_EQ(file(files, "annotations")->content, "build=\"two\\\"quoted\\\"\\nlines\"");
    EXPECT_EQ(file(files, "uid")->content, "uid-1");
    EXPECT_EQ(file(files, "uid")->mode, 0400u);
    EXPECT_EQ(file(files, "labels")->mode, 0444u);
    EXPECT_EQ(file(files, "zone")->content, "us-est-coast");
    EXPECT_EQ(file(files, "cpu_limit")->content, "250");
    EXPECT_EQ(file(files, "mem_request")->content, "33");

    const auto& pv = std::get<ProjectedVolume>(pod.volumes[1].source);
    ASSERT_EQ(pv.sources.size(), 4u);
    const auto& cm = std::get<ObjectVolume>(pv.sources[0].source);
    ASSERT_EQ(cm.files.size(), 1u);
    EXPECT_EQ(cm.files[0].path, "cm/a");
    EXPECT_EQ(cm.files[0].mode, 0440u);  // the projected volume's defaultMode
    EXPECT_EQ(pv.sources[1].files.at(0).content, "p");
    EXPECT_EQ(pv.sources[2].files.at(0).path, "token");
    EXPECT_EQ(pv.sources[2].files.at(0).content, "");
    EXPECT_TRUE(std::get<ObjectVolume>(pv.sources[3].source).files.empty());  // optional, missing

    EnvList env = container_env(pod, pod.containers[0], info);
    // cpu rounds up to whole divisor units: 250m with divisor 1 is 1.
    EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"CPU_LIMIT", "1"}));
    EXPECT_EQ(env[1].second, "125");
    EXPECT_EQ(env[2].second, "64");
    // d sets no limit: the node's allocatable.
    EXPECT_EQ(env[3].second, std::to_string(8LL << 30));
}

TEST(SpecDownward, RoundingAndDefaults) {
    Pod pod;
    Container c;
    c.name = "c";
    c.resources.cpu_request_millis = 1;
    c.resources.memory_limit_bytes = 1000001;
    pod.containers.push_back(c);
    const NodeAllocatable node{3000, 1 << 20, 5000};
    auto v = [&](const std::string& res, int64_t div) {
        return resource_value(pod, pod.containers[0], ResourceFieldRef{"", res, div}, node);
    };
    EXPECT_EQ(v("requests.cpu", 1000), "1");  // 1m rounds up to one core
    EXPECT_EQ(v("requests.cpu", 1), "1");
    EXPECT_EQ(v("limits.cpu", 1000), "3");  // unset: the node's cores
    EXPECT_EQ(v("limits.cpu", 1), "3000");
    EXPECT_EQ(v("limits.memory", 1000 * 1000000), "2");  // 1000001 bytes in 1M units, up
    EXPECT_EQ(v("requests.memory", 1000), "0");          // unset request: 0
    EXPECT_EQ(v("limits.ephemeral-storage", 1000), "5000");
    EXPECT_EQ(v("requests.ephemeral-storage", 1000), "0");
}

TEST(SpecDownward, RefusedAsTheApiServerRefuses) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - name: a
    downwardAPI:
      defaultMode: 01000
      items:
      - {path: /abs, fieldRef: {fieldPath: metadata.name}}
      - {path: x, fieldRef: {fieldPath: spec.nodeName}}
      - {path: y}
      - {path: z, fieldRef: {fieldPath: metadata.name}, resourceFieldRef: {containerName: c, resource: limits.cpu}}
      - {path: w, resourceFieldRef: {resource: limits.cpu}}
      - {path: v, resourceFieldRef: {containerName: nope, resource: limits.memory}}
      - {path: u, resourceFieldRef: {containerName: c, resource: limits.memory, divisor: "1024"}}
      - {path: "..t", fieldRef: {fieldPath: metadata.uid}}
  - name: b
    projected:
      sources:
      - configMap: {name: cm, items: [{key: k, path: same}]}
        secret: {name: s}
      - secret: {items: [{key: k, path: same}]}
      - downwardAPI: {items: [{path: same, fieldRef: {fieldPath: metadata.name}}]}
      - serviceAccountToken: {path: t, expirationSeconds: 60}
      - serviceAccountToken: {expirationSeconds: 9999999999}
  containers:
  - name: c
    command: [x]
    env:
    - name: A
      valueFrom: {resourceFieldRef: {resource: limits.cpus}}
    - name: B
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1k}}
    - name: C
      valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}
    - name: D
      valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: "0.001"}}
    - name: E
      valueFrom: {resourceFieldRef: {resource: limits.hugepages-2Mi}}
)Y",
                                      "t.yaml");
    std::string e = errors_of(r);
    const std::string d = "spec.volumes[0].downwardAPI.";
    const std::string p = "spec.volumes[1].projected.sources";
    for (const std::string& want : std::vector<std::string>{
             d + "defaultMode: 512 must be a file mode",
             d + "items[0].path: \"/abs\" must be a relative path",
             d + "items[1].fieldRef.fieldPath: \"spec.nodeName\" is not a field a downwardAPI file can hold",
             d + "items[2]: one of fieldRef and resourceFieldRef is required",
             d + "items[3]: fieldRef and resourceFieldRef can not be specified simultaneously",
             d + "items[4].resourceFieldRef.containerName: required",
             d + "items[5].resourceFieldRef.containerName: \"nope\" is not the name of a container",
             d + "items[6].resourceFieldRef.divisor: \"1024\": only divisor's values 1, 1k",
             d + "items[7].path: \"..t\" must not contain '..' nor start with '..'",
             p + "[0]: may not specify more than 1 volume type per source",
             p + "[1].secret.name: required",
             p + "[2].downwardAPI.items[0].path: \"same\" is already the path of another item",
             p + "[3].serviceAccountToken.expirationSeconds: 60: may not specify a duration less than 10 minutes",
             p + "[4].serviceAccountToken.expirationSeconds: 9999999999: may not specify a duration larger",
             p + "[4].serviceAccountToken.path: required",
             "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: \"limits.cpus\" is not a container "
             "resource",
             "did you mean \"limits.cpu\"?",
             "spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: \"1k\": only divisor's values 1m and 1",
             "spec.containers[0].env[4].valueFrom.resourceFieldRef.resource: \"limits.hugepages-2Mi\": resource "
             "\"hugepages-2Mi\" is not supported by podrun yet (only cpu and memory are)",
         })
        EXPECT_NE(e.find(want), std::string::npos) << want << "\n" << e;
    // 1Mi for memory and 0.001 (= 1m) for cpu are valid divisors.
    EXPECT_EQ(e.find("env[2]"), std::string::npos) << e;
    EXPECT_EQ(e.find("env[3]"), std::string::npos) << e;
    EXPECT_EQ(e.find("unknown field"), std::string::npos) << e;
}

TEST(SpecDownward, MissingProjectedObjectIsAFailedMount) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - name: b
    projected:
      sources:
      - configMap: {name: absent}
      - secret: {name: absent-too, optional: true}
  containers:
  - {name: c, command: [x], volumeMounts: [{name: b, mountPath: /b}]}
)Y",
                                      "t.yaml");
    ASSERT_TRUE(r.ok()) << errors_of(r);
    Pod pod = r.bundle->pods[0];
    auto missing = resolve_objects(pod, *r.bundle);
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0], "FailedMount: MountVolume.SetUp failed for volume \"b\": configmap \"absent\" not found");
}

}  // namespace
