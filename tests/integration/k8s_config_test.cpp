// Kubernetes config data in running pods: configMap and secret volumes (the kubelet's
// ..data layout, modes, items, read-only, secrets in memory), envFrom with a prefix,
// configMapKeyRef/secretKeyRef, optional references, a ConfigMap changed between two `up`s,
// and a missing object or key stopping the pod before anything is created.
#include <string>

#include "harness.hpp"

namespace podrun::test {
namespace {

class K8sConfig : public PodrunTest {};

const char* kObjects = R"Y(apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  greeting: hello-from-configmap
  mode.conf: "level=debug"
  NOT-A-VAR: skipped
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData:
  password: s3cr3t
)Y";

const char* kPod = R"Y(---
apiVersion: v1
kind: Pod
metadata: {name: it-k8s-config}
spec:
  restartPolicy: Never
  volumes:
  - name: cfg
    configMap: {name: app-config}
  - name: picked
    configMap:
      name: app-config
      defaultMode: 0600
      items:
      - {key: greeting, path: nested/hello.txt, mode: 0640}
  - name: sec
    secret: {secretName: app-secret}
  - name: maybe
    configMap: {name: not-there, optional: true}
  containers:
  - name: show
    command:
    - sh
    - -c
    - |
      echo "greeting=$(cat /cfg/greeting)"
      echo "sub=$(cat /one.txt)"
      echo "link=$(readlink /cfg/greeting)"
      echo "data=$(readlink /cfg/..data | cut -c1-3)"
      echo "nested=$(cat /picked/nested/hello.txt)"
      echo "nestedmode=$(stat -L -c %a /picked/nested/hello.txt)"
      echo "picked=$(ls /picked | tr '\n' ' ')"
      echo "password=$(cat /sec/password)"
      echo "secfs=$(stat -f -c %T /sec/..data/password)"
      echo "maybe=$(ls -A /maybe | grep -v '^\.\.' | wc -l)"
      (echo x > /cfg/new) 2>/tmp/w.err; echo "write=$?"
      echo "erofs=$(grep -c 'Read-only file system' /tmp/w.err)"
      echo "env_greeting=$CFG_greeting"
      echo "env_pw=$PW"
      echo "env_literal=$LIT"
      echo "env_opt=${OPT-unset}"
      echo "env_verbatim=$VERB"
    envFrom:
    - {configMapRef: {name: app-config}, prefix: CFG_}
    - configMapRef: {name: absent-but-optional, optional: true}
    env:
    - name: PW
      valueFrom: {secretKeyRef: {name: app-secret, key: password}}
    - {name: LIT, value: "lit-$(PW)"}
    - name: OPT
      valueFrom: {configMapKeyRef: {name: app-config, key: no-such-key, optional: true}}
    - name: VERB
      valueFrom: {configMapKeyRef: {name: app-config, key: mode.conf}}
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
    - {name: cfg, mountPath: /one.txt, subPath: greeting}
    - {name: picked, mountPath: /picked}
    - {name: sec, mountPath: /sec}
    - {name: maybe, mountPath: /maybe}
)Y";

TEST_F(K8sConfig, ConfigMapAndSecretVolumesAndEnv) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult r = podrun({"up", dir.file("pod.yaml", std::string(kObjects) + kPod)}, "", 60);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto v = [&](const std::string& k) { return container_value(r.out, "show", k); };
    EXPECT_EQ(v("greeting"), "hello-from-configmap") << r.out;
    EXPECT_EQ(v("sub"), "hello-from-configmap");  // a subPath binds the one file
    EXPECT_EQ(v("link"), "..data/greeting");
    EXPECT_EQ(v("data"), "..2");  // ..data -> ..2026_..., the kubelet's timestamped directory
    EXPECT_EQ(v("nested"), "hello-from-configmap");
    EXPECT_EQ(v("nestedmode"), "640");
    EXPECT_EQ(v("picked"), "nested ");  // items: only the keys named
    EXPECT_EQ(v("password"), "s3cr3t");
    EXPECT_EQ(v("secfs"), "tmpfs");  // secrets never touch the disk
    EXPECT_EQ(v("maybe"), "0");      // an optional missing ConfigMap: an empty volume
    EXPECT_NE(v("write"), "0");
    EXPECT_EQ(v("erofs"), "1");
    EXPECT_EQ(v("env_greeting"), "hello-from-configmap");
    EXPECT_EQ(v("env_pw"), "s3cr3t");
    EXPECT_EQ(v("env_literal"), "lit-s3cr3t");
    EXPECT_EQ(v("env_opt"), "unset");
    EXPECT_EQ(v("env_verbatim"), "level=debug");
}

// The objects may come from their own files (podman kube play's --configmap/--secret), and a
// changed ConfigMap is what the next `up` sees.
TEST_F(K8sConfig, ConfigMapFlagAndUpdateBetweenUps) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-k8s-cmflag}
spec:
  restartPolicy: Never
  volumes:
  - {name: cfg, configMap: {name: live}}
  containers:
  - name: show
    command: [sh, -c, 'echo "file=$(cat /cfg/value)"; echo "env=$VALUE"; echo "token=$TOKEN"']
    env:
    - name: VALUE
      valueFrom: {configMapKeyRef: {name: live, key: value}}
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: tok, key: t}}
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
)Y");
    const std::string secret =
        dir.file("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: tok}\ndata: {t: dG9rZW4=}\n");
    for (const std::string value : {"first", "second"}) {
        const std::string cm = dir.file(
            "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: live}\ndata: {value: " + value + "}\n");
        RunResult r = podrun({"up", pod, "--configmap", cm, "--secret", secret}, "", 60);
        ASSERT_FALSE(r.timed_out);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(container_value(r.out, "show", "file"), value) << r.out;
        EXPECT_EQ(container_value(r.out, "show", "env"), value);
        EXPECT_EQ(container_value(r.out, "show", "token"), "token");
    }
}

// A reference that is not optional and finds nothing: the kubelet's words, nothing created.
TEST_F(K8sConfig, MissingObjectOrKeyStopsThePod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string file = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: ConfigMap
metadata: {name: have}
data: {a: "1"}
---
apiVersion: v1
kind: Pod
metadata: {name: it-k8s-missing}
spec:
  volumes:
  - {name: gone, secret: {secretName: no-secret}}
  - name: badkey
    configMap:
      name: have
      items: [{key: b, path: b}]
  containers:
  - name: app
    command: [sh, -c, 'echo started']
    env:
    - name: B
      valueFrom: {configMapKeyRef: {name: have, key: b}}
    - name: C
      valueFrom: {configMapKeyRef: {name: no-cm, key: c}}
    envFrom:
    - secretRef: {name: no-secret}
)Y");
    RunResult r = podrun({"up", file}, "", 30);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out.find("started"), std::string::npos);
    for (const char* want : {
             "FailedMount: MountVolume.SetUp failed for volume \"gone\": secret \"no-secret\" not "
             "found",
             "FailedMount: MountVolume.SetUp failed for volume \"badkey\": configmap references "
             "non-existent config key: b",
             "CreateContainerConfigError: container \"app\": couldn't find key b in ConfigMap "
             "default/have",
             "CreateContainerConfigError: container \"app\": configmap \"no-cm\" not found",
             "CreateContainerConfigError: container \"app\": secret \"no-secret\" not found",
         })
        EXPECT_NE(r.err.find(want), std::string::npos) << want << "\n" << r.err;
    EXPECT_EQ(podrun({"inspect", "it-k8s-missing"}).exit_code == 0, false);
}

}  // namespace
}  // namespace podrun::test
