// A table of malformed manifests: each must fail with an error at the exact field path.
#include <gtest/gtest.h>

#include <algorithm>

#include "podrun/spec/load.hpp"

using namespace podrun::spec;

namespace {

// A valid pod with one extra spec-level block (two-space indent) and one extra container
// block (four-space indent); each case breaks it in one place.
std::string pod(const std::string& spec_extra, const std::string& container_extra = "") {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: demo\nspec:\n"
           "  volumes:\n  - name: data\n    emptyDir: {}\n" +
           spec_extra + "  containers:\n  - name: app\n    command: [sleep, \"1\"]\n" + container_extra;
}
std::string ctr(const std::string& extra) {
    return pod("", extra);
}

struct Case {
    std::string manifest;
    std::string path;
};

const Case kCases[] = {
    {"apiVersion: v2\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, command: "
     "[x]}]}\n",
     "apiVersion"},
    {"apiVersion: v1\nkind: Deployment\nmetadata: {name: a}\nspec: {containers: [{name: c, "
     "command: [x]}]}\n",
     "kind"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\nspec: {containers: [{name: c, "
     "command: [x]}]}\n",
     "metadata.name"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1}\nspec: {containers: [{name: c, command: "
     "[x]}]}\n",
     "metadata.name"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: web.example}\nspec: {containers: [{name: c, "
     "command: [x]}]}\n",
     "metadata.name"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: Team_A}\nspec: {containers: "
     "[{name: c, command: [x]}]}\n",
     "metadata.namespace"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: 5}}\nspec: {containers: [{name: "
     "c, command: [x]}]}\n",
     "metadata.labels[app]"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {-bad: x}}\nspec: {containers: "
     "[{name: c, command: [x]}]}\n",
     "metadata.labels[-bad]"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n", "spec.containers"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{command: [x]}]}\n",
     "spec.containers[0].name"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: App, command: "
     "[x]}]}\n",
     "spec.containers[0].name"},
    {pod("  initContainers: [{name: app, command: [x]}]\n"), "spec.containers[0].name"},
    // "_pause" is pause's own cgroup leaf: no container can take it (it is no DNS-1123 label).
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: _pause, command: "
     "[x]}]}\n",
     "spec.containers[0].name"},
    {pod("  initContainers: [{name: _pause, command: [x]}]\n"), "spec.initContainers[0].name"},
    {ctr("    image: \"Nginx:1.25\"\n"), "spec.containers[0].image"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n", "spec.containers[0].command"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: "
     "/srv/rootfs}]}\n",
     "spec.containers[0].command"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, command: sleep "
     "1}]}\n",
     "spec.containers[0].command"},
    {ctr("    args: [1]\n"), "spec.containers[0].args[0]"},
    {ctr("    env: [{value: x}]\n"), "spec.containers[0].env[0].name"},
    {ctr("    env: [{name: A=B, value: x}]\n"), "spec.containers[0].env[0].name"},
    {ctr("    env: [{name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n"),
     "spec.containers[0].env[0].valueFrom"},
    {ctr("    env: [{name: A, valueFrom: {fieldRef: {fieldPath: spec.nodeNmae}}}]\n"),
     "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath"},
    {ctr("    env: [{name: A, valueFrom: {fieldRef: {fieldPath: metadata.labels}}}]\n"),
     "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath"},
    {ctr("    env: [{name: A, valueFrom: {fieldRef: {apiVersion: v2, fieldPath: "
         "metadata.name}}}]\n"),
     "spec.containers[0].env[0].valueFrom.fieldRef.apiVersion"},
    {ctr("    env: [{name: A, valueFrom: {secretKeyRef: {name: s}}}]\n"),
     "spec.containers[0].env[0].valueFrom.secretKeyRef.key"},
    {ctr("    envFrom: [{configMapRef: {name: c}, secretRef: {name: s}}]\n"), "spec.containers[0].envFrom[0]"},
    {ctr("    workingDir: srv\n"), "spec.containers[0].workingDir"},
    {ctr("    ports: [{containerPort: \"80\"}]\n"), "spec.containers[0].ports[0].containerPort"},
    {ctr("    ports: [{containerPort: 70000}]\n"), "spec.containers[0].ports[0].containerPort"},
    {ctr("    ports: [{hostPort: 80}]\n"), "spec.containers[0].ports[0].containerPort"},
    {ctr("    ports: [{containerPort: 80, hostPort: -1}]\n"), "spec.containers[0].ports[0].hostPort"},
    {ctr("    ports: [{containerPort: 80, protocol: HTTP}]\n"), "spec.containers[0].ports[0].protocol"},
    {ctr("    ports: [{containerPort: 80}, {containerPort: 80, protocol: TCP}]\n"), "spec.containers[0].ports[1]"},
    {ctr("    ports: [{containerPort: 80, name: HTTP}]\n"), "spec.containers[0].ports[0].name"},
    {ctr("    ports: [{containerPort: 80, hostIP: localhost}]\n"), "spec.containers[0].ports[0].hostIP"},
    {ctr("    resources: {limits: {memory: 12Q}}\n"), "spec.containers[0].resources.limits.memory"},
    {ctr("    resources: {limits: {cpu: -1}}\n"), "spec.containers[0].resources.limits.cpu"},
    {ctr("    resources: {limits: {cpu: 500m}, requests: {cpu: 1}}\n"), "spec.containers[0].resources.requests.cpu"},
    {ctr("    resources: {limits: {ephemeral-storage: 1Gi}}\n"),
     "spec.containers[0].resources.limits.ephemeral-storage"},
    {ctr("    resources: {limits: {hugepages-2Mi: 1Gi}}\n"), "spec.containers[0].resources.limits.hugepages-2Mi"},
    {ctr("    resources: {requests: {cpus: 1}}\n"), "spec.containers[0].resources.requests.cpus"},
    {ctr("    resources: {limits: [cpu]}\n"), "spec.containers[0].resources.limits"},
    {ctr("    volumeMounts: [{name: nope, mountPath: /x}]\n"), "spec.containers[0].volumeMounts[0].name"},
    {ctr("    volumeMounts: [{name: data, mountPath: x}]\n"), "spec.containers[0].volumeMounts[0].mountPath"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x}, {name: data, mountPath: /x}]\n"),
     "spec.containers[0].volumeMounts[1].mountPath"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x, subPath: a/../../etc}]\n"),
     "spec.containers[0].volumeMounts[0].subPath"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x, subPath: /etc}]\n"),
     "spec.containers[0].volumeMounts[0].subPath"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x, mountPropagation: Bidirectional}]\n"),
     "spec.containers[0].volumeMounts[0].mountPropagation"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x, readOnly: \"true\"}]\n"),
     "spec.containers[0].volumeMounts[0].readOnly"},
    {ctr("    restartPolicy: Sometimes\n"), "spec.containers[0].restartPolicy"},
    {ctr("    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [1]}}]\n"),
     "spec.containers[0].restartPolicy"},
    // volumeMounts: subPathExpr rules, mountPropagation values.
    {ctr("    volumeMounts: [{name: data, mountPath: /x, subPath: a, subPathExpr: \"$(B)\"}]\n"),
     "spec.containers[0].volumeMounts[0].subPathExpr"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x, subPathExpr: /abs}]\n"),
     "spec.containers[0].volumeMounts[0].subPathExpr"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x, subPathExpr: \"$(A)/../b\"}]\n"),
     "spec.containers[0].volumeMounts[0].subPathExpr"},
    {ctr("    volumeMounts: [{name: data, mountPath: /x, mountPropagation: rslave}]\n"),
     "spec.containers[0].volumeMounts[0].mountPropagation"},
    {pod("  initContainers: [{name: init, command: [x], restartPolicy: Sometimes}]\n"),
     "spec.initContainers[0].restartPolicy"},
    // Probes: one handler, Kubernetes' ranges, ports, host, scheme, path, headers.
    {ctr("    livenessProbe: {}\n"), "spec.containers[0].livenessProbe"},
    {ctr("    livenessProbe: {exec: {command: [x]}, httpGet: {port: 80}}\n"), "spec.containers[0].livenessProbe"},
    {ctr("    livenessProbe: {grpc: {}}\n"), "spec.containers[0].livenessProbe.grpc.port"},
    {ctr("    livenessProbe: {grpc: {port: grpc}}\n"), "spec.containers[0].livenessProbe.grpc.port"},
    {ctr("    livenessProbe: {grpc: {port: 65536}}\n"), "spec.containers[0].livenessProbe.grpc.port"},
    {ctr("    livenessProbe: {grpc: {port: 9000, servce: x}}\n"), "spec.containers[0].livenessProbe.grpc.servce"},
    {ctr("    livenessProbe: {exec: {}}\n"), "spec.containers[0].livenessProbe.exec.command"},
    {ctr("    livenessProbe: {exec: {command: []}}\n"), "spec.containers[0].livenessProbe.exec.command"},
    {ctr("    livenessProbe: {exec: {comand: [x]}}\n"), "spec.containers[0].livenessProbe.exec.comand"},
    {ctr("    livenessProbe: {exec: {command: x}}\n"), "spec.containers[0].livenessProbe.exec.command"},
    {ctr("    livenessProbe: {exec: {command: [x]}, periodSecond: 5}\n"),
     "spec.containers[0].livenessProbe.periodSecond"},
    {ctr("    livenessProbe: {exec: {command: [x]}, initialDelaySeconds: -1}\n"),
     "spec.containers[0].livenessProbe.initialDelaySeconds"},
    {ctr("    livenessProbe: {exec: {command: [x]}, periodSeconds: -10}\n"),
     "spec.containers[0].livenessProbe.periodSeconds"},
    {ctr("    livenessProbe: {exec: {command: [x]}, periodSeconds: \"10\"}\n"),
     "spec.containers[0].livenessProbe.periodSeconds"},
    {ctr("    readinessProbe: {exec: {command: [x]}, timeoutSeconds: -1}\n"),
     "spec.containers[0].readinessProbe.timeoutSeconds"},
    {ctr("    readinessProbe: {exec: {command: [x]}, timeoutSeconds: 3000000000}\n"),
     "spec.containers[0].readinessProbe.timeoutSeconds"},
    {ctr("    readinessProbe: {exec: {command: [x]}, successThreshold: -1}\n"),
     "spec.containers[0].readinessProbe.successThreshold"},
    {ctr("    readinessProbe: {exec: {command: [x]}, failureThreshold: -3}\n"),
     "spec.containers[0].readinessProbe.failureThreshold"},
    {ctr("    livenessProbe: {exec: {command: [x]}, successThreshold: 2}\n"),
     "spec.containers[0].livenessProbe.successThreshold"},
    {ctr("    startupProbe: {exec: {command: [x]}, successThreshold: 3}\n"),
     "spec.containers[0].startupProbe.successThreshold"},
    {ctr("    readinessProbe: {exec: {command: [x]}, terminationGracePeriodSeconds: 5}\n"),
     "spec.containers[0].readinessProbe.terminationGracePeriodSeconds"},
    {ctr("    livenessProbe: {exec: {command: [x]}, terminationGracePeriodSeconds: 0}\n"),
     "spec.containers[0].livenessProbe.terminationGracePeriodSeconds"},
    {ctr("    livenessProbe: {httpGet: {path: /}}\n"), "spec.containers[0].livenessProbe.httpGet.port"},
    {ctr("    livenessProbe: {httpGet: {port: 0}}\n"), "spec.containers[0].livenessProbe.httpGet.port"},
    {ctr("    livenessProbe: {tcpSocket: {port: 70000}}\n"), "spec.containers[0].livenessProbe.tcpSocket.port"},
    {ctr("    livenessProbe: {tcpSocket: {port: \"8080\"}}\n"), "spec.containers[0].livenessProbe.tcpSocket.port"},
    {ctr("    livenessProbe: {tcpSocket: {port: Web_1}}\n"), "spec.containers[0].livenessProbe.tcpSocket.port"},
    {ctr("    livenessProbe: {tcpSocket: {port: true}}\n"), "spec.containers[0].livenessProbe.tcpSocket.port"},
    {ctr("    ports: [{name: web, containerPort: 80}]\n"
         "    livenessProbe: {httpGet: {port: http}}\n"),
     "spec.containers[0].livenessProbe.httpGet.port"},
    {ctr("    livenessProbe: {tcpSocket: {port: 80, host: db.local}}\n"),
     "spec.containers[0].livenessProbe.tcpSocket.host"},
    {ctr("    livenessProbe: {httpGet: {port: 80, host: example.com}}\n"),
     "spec.containers[0].livenessProbe.httpGet.host"},
    {ctr("    livenessProbe: {httpGet: {port: 80, scheme: http}}\n"),
     "spec.containers[0].livenessProbe.httpGet.scheme"},
    {ctr("    livenessProbe: {httpGet: {port: 80, path: \"/a b\"}}\n"),
     "spec.containers[0].livenessProbe.httpGet.path"},
    {ctr("    livenessProbe: {httpGet: {port: 80, path: \"/100%\"}}\n"),
     "spec.containers[0].livenessProbe.httpGet.path"},
    {ctr("    livenessProbe: {httpGet: {port: 80, httpHeaders: [{name: X Bad, value: v}]}}\n"),
     "spec.containers[0].livenessProbe.httpGet.httpHeaders[0].name"},
    {ctr("    livenessProbe: {httpGet: {port: 80, httpHeaders: [{value: v}]}}\n"),
     "spec.containers[0].livenessProbe.httpGet.httpHeaders[0].name"},
    {ctr("    livenessProbe: {httpGet: {port: 80, httpHeaders: [{name: X-A, value: "
         "\"a\\nb\"}]}}\n"),
     "spec.containers[0].livenessProbe.httpGet.httpHeaders[0].value"},
    {ctr("    livenessProbe: {httpGet: {port: 80, httpHeaders: [{name: X-A, valu: v}]}}\n"),
     "spec.containers[0].livenessProbe.httpGet.httpHeaders[0].valu"},
    {ctr("    livenessProbe: {httpGet: {port: 80, hots: 127.0.0.1}}\n"),
     "spec.containers[0].livenessProbe.httpGet.hots"},
    {ctr("    livenessProbe: {tcpSocket: {port: 80, path: /}}\n"), "spec.containers[0].livenessProbe.tcpSocket.path"},
    // Lifecycle hooks.
    {ctr("    lifecycle: {postStart: {}}\n"), "spec.containers[0].lifecycle.postStart"},
    {ctr("    lifecycle: {preStop: {exec: {command: [x]}, sleep: {seconds: 1}}}\n"),
     "spec.containers[0].lifecycle.preStop"},
    {ctr("    lifecycle: {preStop: {tcpSocket: {port: 80}}}\n"), "spec.containers[0].lifecycle.preStop.tcpSocket"},
    {ctr("    lifecycle: {preStop: {exec: {command: []}}}\n"), "spec.containers[0].lifecycle.preStop.exec.command"},
    {ctr("    lifecycle: {postStart: {httpGet: {port: 80, host: localhost.localdomain}}}\n"),
     "spec.containers[0].lifecycle.postStart.httpGet.host"},
    {ctr("    lifecycle: {preStop: {sleep: {seconds: -1}}}\n"), "spec.containers[0].lifecycle.preStop.sleep.seconds"},
    {ctr("    lifecycle: {preStop: {sleep: {seconds: 31}}}\n"), "spec.containers[0].lifecycle.preStop.sleep.seconds"},
    {pod("  terminationGracePeriodSeconds: 10\n", "    lifecycle: {preStop: {sleep: {seconds: 11}}}\n"),
     "spec.containers[0].lifecycle.preStop.sleep.seconds"},
    {ctr("    lifecycle: {preStop: {sleep: {}}}\n"), "spec.containers[0].lifecycle.preStop.sleep.seconds"},
    {ctr("    lifecycle: {stopSignal: SIGUSR1}\n"), "spec.containers[0].lifecycle.stopSignal"},
    {pod("  os: {name: linux}\n", "    lifecycle: {stopSignal: USR1}\n"), "spec.containers[0].lifecycle.stopSignal"},
    {pod("  os: {name: linux}\n", "    lifecycle: {stopSignal: \"10\"}\n"), "spec.containers[0].lifecycle.stopSignal"},
    {pod("  os: {name: linux}\n", "    lifecycle: {stopSignal: SIGRTMIN+16}\n"),
     "spec.containers[0].lifecycle.stopSignal"},
    {pod("  os: {name: windows}\n"), "spec.os.name"},
    {pod("  os: {}\n"), "spec.os.name"},
    {pod("  os: {name: linux, arch: x}\n"), "spec.os.arch"},
    {ctr("    lifecycle: {postStrat: {exec: {command: [x]}}}\n"), "spec.containers[0].lifecycle.postStrat"},
    {ctr("    lifecycle: [postStart]\n"), "spec.containers[0].lifecycle"},
    // Only sidecars among init containers may have probes and hooks.
    {pod("  initContainers: [{name: init, command: [x], livenessProbe: {exec: {command: [x]}}}]\n"),
     "spec.initContainers[0].livenessProbe"},
    {pod("  initContainers: [{name: init, command: [x], readinessProbe: {exec: {command: "
         "[x]}}}]\n"),
     "spec.initContainers[0].readinessProbe"},
    {pod("  initContainers: [{name: init, command: [x], startupProbe: {exec: {command: [x]}}}]\n"),
     "spec.initContainers[0].startupProbe"},
    {pod("  initContainers: [{name: init, command: [x], lifecycle: {preStop: {sleep: {seconds: "
         "1}}}}]\n"),
     "spec.initContainers[0].lifecycle"},
    {pod("  initContainers: [{name: side, command: [x], restartPolicy: Always, startupProbe: "
         "{}}]\n"),
     "spec.initContainers[0].startupProbe"},
    {ctr("    securityContext: {runAsUser: -1}\n"), "spec.containers[0].securityContext.runAsUser"},
    {ctr("    tty: true\n"), "spec.containers[0].tty"},
    {pod("  volumes:\n  - name: more\n"), "spec.volumes"},  // duplicate key "volumes": syntax-level
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v}]\n  containers: "
     "[{name: c, command: [x]}]\n",
     "spec.volumes[0]"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v, emptyDir: {}, "
     "hostPath: {path: /x}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[0]"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v, configMap: "
     "{name: cm, defaultMode: 1000}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[0].configMap.defaultMode"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v, emptyDir: "
     "{medium: HugePages}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[0].emptyDir.medium"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v, emptyDir: "
     "{sizeLimit: lots}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[0].emptyDir.sizeLimit"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v, hostPath: "
     "{path: srv}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[0].hostPath.path"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v, hostPath: "
     "{path: /srv, type: Dir}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[0].hostPath.type"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: v, emptyDir: {}}, "
     "{name: v, emptyDir: {}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[1].name"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: V_1, emptyDir: "
     "{}}]\n  containers: [{name: c, command: [x]}]\n",
     "spec.volumes[0].name"},
    {pod("  restartPolicy: Sometimes\n"), "spec.restartPolicy"},
    {pod("  terminationGracePeriodSeconds: -1\n"), "spec.terminationGracePeriodSeconds"},
    {pod("  terminationGracePeriodSeconds: 1.5\n"), "spec.terminationGracePeriodSeconds"},
    {pod("  hostname: Bad_Host\n"), "spec.hostname"},
    {pod("  hostNetwork: \"true\"\n"), "spec.hostNetwork"},
    {pod("  hostPID: true\n  shareProcessNamespace: true\n"), "spec.shareProcessNamespace"},
    {pod("  securityContext: {runAsUser: 0, runAsNonRoot: true}\n"), "spec.securityContext.runAsUser"},
    {pod("  ephemeralContainers: [{name: dbg}]\n"), "spec.ephemeralContainers"},
    {pod("  hostAliases: [{ip: not-an-ip, hostnames: [x]}]\n"), "spec.hostAliases[0].ip"},
    {pod("  hostAliases: [{ip: 10.0.0.1, hostnames: [Bad_Name]}]\n"), "spec.hostAliases[0].hostnames[0]"},
    {pod("  dnsPolicy: Sometimes\n"), "spec.dnsPolicy"},
    {pod("  dnsPolicy: None\n"), "spec.dnsConfig.nameservers"},
    {pod("  dnsConfig: {nameservers: [1.1.1.1, 2.2.2.2, 3.3.3.3, 4.4.4.4]}\n"), "spec.dnsConfig.nameservers"},
    {pod("  dnsConfig: {nameservers: [dns.example]}\n"), "spec.dnsConfig.nameservers[0]"},
    {pod("  dnsConfig: {options: [{value: \"1\"}]}\n"), "spec.dnsConfig.options[0].name"},
    {pod("  contaners: []\n"), "spec.contaners"},
    {pod("  resources: {limits: {memory: 1Qi}}\n"), "spec.resources.limits.memory"},
    {"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: [x]\n", "spec"},
};

TEST(SpecMalformed, EachCaseFailsAtItsPath) {
    ASSERT_GE(std::size(kCases), 30u);
    for (const Case& c : kCases) {
        auto r = load_pod_text(c.manifest, "case");
        EXPECT_FALSE(r.ok()) << c.manifest;
        // Syntax-level problems have no path; they must name the key instead.
        const bool found = std::any_of(r.errors.begin(), r.errors.end(), [&](const Problem& p) {
            return p.path == c.path ||
                   (p.path.empty() && p.message.find("duplicate key") != std::string::npos && c.path == "spec.volumes");
        });
        std::string got;
        for (const auto& e : r.errors) got += "  " + e.to_string() + "\n";
        EXPECT_TRUE(found) << "want an error at " << c.path << " for:\n" << c.manifest << "got:\n" << got;
    }
}

}  // namespace
