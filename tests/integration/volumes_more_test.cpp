// More volume and env sources in running pods: downwardAPI and projected volumes (the
// kubelet's ..data layout, modes, read-only, on the pod's tmpfs), resourceFieldRef in env
// (divisors, rounding, the node's allocatable for an unset limit), optional and missing
// sources.
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "harness.hpp"

namespace podrun::test {
namespace {

class VolumesMore : public PodrunTest {};

int64_t mem_total_bytes() {
    std::istringstream in(read_file("/proc/meminfo"));
    std::string key, unit;
    int64_t kib = 0;
    while (in >> key >> kib >> unit)
        if (key == "MemTotal:") return kib * 1024;
    return 0;
}

TEST_F(VolumesMore, DownwardApiVolume) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Pod
metadata:
  name: it-vol-downward
  namespace: team-a
  labels: {zone: us-est-coast, cluster: test-cluster1}
  annotations: {builder: john-doe}
spec:
  restartPolicy: Never
  volumes:
  - name: podinfo
    downwardAPI:
      defaultMode: 0444
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: ns, fieldRef: {fieldPath: metadata.namespace}}
      - {path: meta/uid, fieldRef: {fieldPath: metadata.uid}, mode: 0400}
      - {path: cpu_limit, resourceFieldRef: {containerName: show, resource: limits.cpu, divisor: 1m}}
      - {path: mem_request, resourceFieldRef: {containerName: show, resource: requests.memory, divisor: 1Mi}}
  containers:
  - name: show
    resources:
      limits: {cpu: 250m, memory: 64Mi}
      requests: {cpu: 125m, memory: 32Mi}
    env:
    - name: UID_ENV
      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
    command:
    - sh
    - -c
    - |
      echo "labels=$(tr '\n' ' ' < /podinfo/labels)"
      echo "annotations=$(cat /podinfo/annotations)"
      echo "name=$(cat /podinfo/name)"
      echo "ns=$(cat /podinfo/ns)"
      echo "uid_same=$([ "$(cat /podinfo/meta/uid)" = "$UID_ENV" ] && [ -n "$UID_ENV" ] && echo yes)"
      echo "cpu_limit=$(cat /podinfo/cpu_limit)"
      echo "mem_request=$(cat /podinfo/mem_request)"
      echo "mode=$(stat -L -c %a /podinfo/name)"
      echo "uidmode=$(stat -L -c %a /podinfo/meta/uid)"
      echo "link=$(readlink /podinfo/labels)"
      echo "data=$(readlink /podinfo/..data | cut -c1-3)"
      echo "fs=$(stat -f -c %T /podinfo/..data/name)"
      (echo x > /podinfo/new) 2>/dev/null; echo "write=$?"
    volumeMounts:
    - {name: podinfo, mountPath: /podinfo}
)Y");
    RunResult r = podrun({"up", "--no-limits", pod}, "", 60);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto v = [&](const std::string& k) { return container_value(r.out, "show", k); };
    EXPECT_EQ(v("labels"), "cluster=\"test-cluster1\" zone=\"us-est-coast\"") << r.out;
    EXPECT_EQ(v("annotations"), "builder=\"john-doe\"");
    EXPECT_EQ(v("name"), "it-vol-downward");
    EXPECT_EQ(v("ns"), "team-a");
    EXPECT_EQ(v("uid_same"), "yes");
    EXPECT_EQ(v("cpu_limit"), "250");
    EXPECT_EQ(v("mem_request"), "32");
    EXPECT_EQ(v("mode"), "444");
    EXPECT_EQ(v("uidmode"), "400");
    EXPECT_EQ(v("link"), "..data/labels");
    EXPECT_EQ(v("data"), "..2");
    EXPECT_EQ(v("fs"), "tmpfs");
    EXPECT_NE(v("write"), "0");
}

TEST_F(VolumesMore, ProjectedVolume) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Secret
metadata: {name: user}
stringData: {username: admin, password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {config: "debug=1"}
---
apiVersion: v1
kind: Pod
metadata:
  name: it-vol-projected
  labels: {app: proj}
spec:
  restartPolicy: Never
  volumes:
  - name: all-in-one
    projected:
      defaultMode: 0440
      sources:
      - secret:
          name: user
          items: [{key: username, path: my-group/my-username, mode: 0600}]
      - secret: {name: user-missing, optional: true}
      - configMap: {name: conf}
      - downwardAPI:
          items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
      - serviceAccountToken: {path: token, audience: api}
  containers:
  - name: show
    command:
    - sh
    - -c
    - |
      echo "user=$(cat /projected/my-group/my-username)"
      echo "usermode=$(stat -L -c %a /projected/my-group/my-username)"
      echo "pw=$([ -e /projected/password ] && echo present || echo absent)"
      echo "config=$(cat /projected/config)"
      echo "configmode=$(stat -L -c %a /projected/config)"
      echo "labels=$(cat /projected/labels)"
      echo "token=[$(cat /projected/token)]"
      echo "tokenfile=$([ -f /projected/token ] && echo yes)"
      echo "top=$(ls /projected | tr '\n' ' ')"
      echo "fs=$(stat -f -c %T /projected/..data/config)"
      (echo x > /projected/new) 2>/dev/null; echo "write=$?"
    volumeMounts:
    - {name: all-in-one, mountPath: /projected, readOnly: true}
)Y");
    RunResult r = podrun({"up", pod}, "", 60);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto v = [&](const std::string& k) { return container_value(r.out, "show", k); };
    EXPECT_EQ(v("user"), "admin") << r.out;
    EXPECT_EQ(v("usermode"), "600");
    EXPECT_EQ(v("pw"), "absent");  // items: only the keys named
    EXPECT_EQ(v("config"), "debug=1");
    EXPECT_EQ(v("configmode"), "440");  // the projected defaultMode
    EXPECT_EQ(v("labels"), "app=\"proj\"");
    EXPECT_EQ(v("token"), "[]");
    EXPECT_EQ(v("tokenfile"), "yes");
    EXPECT_EQ(v("top"), "config labels my-group token ");
    EXPECT_EQ(v("fs"), "tmpfs");
    EXPECT_NE(v("write"), "0");
    EXPECT_NE(r.err.find("serviceAccountToken projections get an empty token file"), std::string::npos) << r.err;
}

TEST_F(VolumesMore, ResourceFieldRefEnv) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-vol-resenv}
spec:
  restartPolicy: Never
  containers:
  - name: show
    command: [sh, -c, 'env | grep ^R_ | sort']
    resources:
      limits: {cpu: 1500m, memory: 100Mi}
      requests: {cpu: 1m, memory: 50Mi}
    env:
    - {name: R_CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: R_CPU_LIMIT_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: R_CPU_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
    - {name: R_MEM_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
    - {name: R_MEM_REQUEST_MI, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}}
    - {name: R_OTHER_CPU, valueFrom: {resourceFieldRef: {containerName: free, resource: limits.cpu, divisor: 1m}}}
    - {name: R_OTHER_MEM, valueFrom: {resourceFieldRef: {containerName: free, resource: limits.memory}}}
    - {name: R_OTHER_REQ, valueFrom: {resourceFieldRef: {containerName: free, resource: requests.memory}}}
  - name: free
    command: [sh, -c, 'echo "self=$R_SELF"']
    env:
    - {name: R_SELF, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
)Y");
    RunResult r = podrun({"up", "--no-limits", pod}, "", 60);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto v = [&](const std::string& k) { return container_value(r.out, "show", k); };
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    EXPECT_EQ(v("R_CPU_LIMIT"), "2") << r.out;  // 1.5 cores round up to 2
    EXPECT_EQ(v("R_CPU_LIMIT_M"), "1500");
    EXPECT_EQ(v("R_CPU_REQUEST"), "1");  // 1m rounds up to one core
    EXPECT_EQ(v("R_MEM_LIMIT"), std::to_string(100 * 1024 * 1024));
    EXPECT_EQ(v("R_MEM_REQUEST_MI"), "50");
    // "free" sets no limits: the node's allocatable (this machine's cores and MemTotal).
    EXPECT_EQ(v("R_OTHER_CPU"), std::to_string(cores * 1000));
    EXPECT_EQ(v("R_OTHER_MEM"), std::to_string(mem_total_bytes()));
    EXPECT_EQ(v("R_OTHER_REQ"), "0");
    EXPECT_EQ(container_value(r.out, "free", "self"), std::to_string(cores));
}

// A projected source that is not optional and finds nothing stops the pod, as a configMap
// volume does; nothing is created.
TEST_F(VolumesMore, MissingProjectedSourceStopsThePod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: ConfigMap
metadata: {name: have}
data: {a: "1"}
---
apiVersion: v1
kind: Pod
metadata: {name: it-vol-projmiss}
spec:
  volumes:
  - name: p
    projected:
      sources:
      - configMap: {name: have, items: [{key: b, path: b}]}
      - secret: {name: nowhere}
  containers:
  - name: app
    command: [sh, -c, 'echo started']
    volumeMounts: [{name: p, mountPath: /p}]
)Y");
    RunResult r = podrun({"up", pod}, "", 30);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out.find("started"), std::string::npos);
    for (const char* want : {
             "FailedMount: MountVolume.SetUp failed for volume \"p\": configmap references non-existent config key: b",
             "FailedMount: MountVolume.SetUp failed for volume \"p\": secret \"nowhere\" not found",
         })
        EXPECT_NE(r.err.find(want), std::string::npos) << want << "\n" << r.err;
}

// A claim's data outlives its pod: written by one pod, still there after `down` for the next
// `up`; `volume rm` is refused while a pod uses it (naming the pod) and removes it after.
TEST_F(VolumesMore, PersistentVolumeClaimOutlivesThePod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    podrun({"volume", "rm", "it-claim-data"});  // a previous failed run's
    const std::string writer = dir.file("writer.yaml", R"Y(apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: it-claim-data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: it-vol-pvc-writer}
spec:
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: it-claim-data}}
  containers:
  - name: w
    command: [sh, -c, 'echo kept-across-pods > /data/file; echo written; sleep 300']
    volumeMounts: [{name: data, mountPath: /data}]
)Y");
    RunResult up = podrun({"up", "-d", writer}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    ASSERT_TRUE(
        eventually([] { return read_file("/var/lib/podrun/volumes/it-claim-data/file") == "kept-across-pods\n"; }, 10));
    RunResult ls = podrun({"volume", "ls"});
    EXPECT_EQ(ls.exit_code, 0) << ls.err;
    EXPECT_NE(ls.out.find("it-claim-data"), std::string::npos) << ls.out;
    EXPECT_NE(ls.out.find("ReadWriteOnce"), std::string::npos) << ls.out;
    EXPECT_NE(ls.out.find("it-vol-pvc-writer"), std::string::npos) << ls.out;
    RunResult in = podrun({"volume", "inspect", "it-claim-data"});
    EXPECT_EQ(in.exit_code, 0) << in.err;
    EXPECT_NE(in.out.find("\"storageRequestBytes\": 1073741824"), std::string::npos) << in.out;
    EXPECT_NE(in.out.find("PersistentVolumeClaim in " + writer), std::string::npos) << in.out;
    RunResult busy = podrun({"volume", "rm", "it-claim-data"});
    EXPECT_EQ(busy.exit_code, 1);
    EXPECT_NE(busy.err.find("volume \"it-claim-data\" is used by pod \"it-vol-pvc-writer\""), std::string::npos)
        << busy.err;
    ASSERT_EQ(podrun({"down", "it-vol-pvc-writer", "--timeout", "0"}).exit_code, 0);

    // A new pod (without the claim object: the claim exists) reads it; readOnly is honoured.
    const std::string reader = dir.file("reader.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-vol-pvc-reader}
spec:
  restartPolicy: Never
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: it-claim-data, readOnly: true}}
  containers:
  - name: r
    command: [sh, -c, 'echo "got=$(cat /data/file)"; (echo x > /data/other) 2>/dev/null; echo "write=$?"']
    volumeMounts: [{name: data, mountPath: /data}]
)Y");
    RunResult r = podrun({"up", reader}, "", 60);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "r", "got"), "kept-across-pods") << r.out;
    EXPECT_NE(container_value(r.out, "r", "write"), "0");

    RunResult rm = podrun({"volume", "rm", "it-claim-data"});
    EXPECT_EQ(rm.exit_code, 0) << rm.err;
    EXPECT_FALSE(std::filesystem::exists("/var/lib/podrun/volumes/it-claim-data"));
    EXPECT_EQ(podrun({"volume", "inspect", "it-claim-data"}).exit_code, 1);
}

// A claim no object declares is made on first use (ReadWriteOnce), and a failed `up` removes
// the claim it made.
TEST_F(VolumesMore, PersistentVolumeClaimMadeOnFirstUse) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    podrun({"volume", "rm", "it-claim-first", "it-claim-failed"});
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-vol-pvc-first}
spec:
  restartPolicy: Never
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: it-claim-first}}
  containers:
  - name: c
    command: [sh, -c, 'touch /d/made; echo "mode=$(stat -c %a /d)"']
    volumeMounts: [{name: d, mountPath: /d}]
)Y");
    RunResult r = podrun({"up", pod}, "", 60);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "mode"), "777");
    RunResult in = podrun({"volume", "inspect", "it-claim-first"});
    EXPECT_NE(in.out.find("\"ReadWriteOnce\""), std::string::npos) << in.out;
    EXPECT_NE(in.out.find("first use by pod it-vol-pvc-first"), std::string::npos) << in.out;
    EXPECT_NE(in.out.find("\"usedBy\": []"), std::string::npos) << in.out;
    EXPECT_TRUE(std::filesystem::exists("/var/lib/podrun/volumes/it-claim-first/made"));
    EXPECT_EQ(podrun({"volume", "rm", "it-claim-first"}).exit_code, 0);

    // An `up` that fails after making its claims (here: no pause binary to start) takes
    // them back: nothing ran, so there is no data to keep.
    const std::string failing = dir.file("failing.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-vol-pvc-failed}
spec:
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: it-claim-failed}}
  containers:
  - name: c
    command: [sh, -c, 'exit 0']
    volumeMounts: [{name: d, mountPath: /d}]
)Y");
    RunResult bad = run(
        {"/usr/bin/env", "PODRUN_PAUSE=" + dir / "no-such-pause", podrun::test::podrun_bin(), "up", failing}, "", 30);
    EXPECT_NE(bad.exit_code, 0) << bad.err;
    EXPECT_FALSE(std::filesystem::exists("/var/lib/podrun/volumes/it-claim-failed"));
}

}  // namespace
}  // namespace podrun::test
