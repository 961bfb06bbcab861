// The Pod as plain data: what the validator produces and every other room reads.
// Units live in the names (bytes, millis, seconds); JSON and YAML stay in spec/parse.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "podrun/spec/security.hpp"

namespace podrun::spec {

enum class RestartPolicy { Always, OnFailure, Never };

// env[].valueFrom.fieldRef.fieldPath, kept as written (e.g. "metadata.labels['app']");
// resolved by spec/env.hpp once the pod's runtime facts (uid, IPs) are known.
// Which object a configMap/secret reference names (pods read only their own namespace).
enum class ObjectKind { ConfigMap, Secret };

// env[].valueFrom.configMapKeyRef / secretKeyRef.
struct KeyRef {
    ObjectKind kind = ObjectKind::ConfigMap;
    std::string name, key;
    bool optional = false;
};

struct EnvVar {
    std::string name;
    std::string value;                      // literal value (may hold $(VAR) references)
    std::optional<std::string> field_path;  // set when valueFrom.fieldRef is used
    std::optional<KeyRef> key_ref = {};     // set when valueFrom.{configMap,secret}KeyRef is used
    // The value came from an object (spec/resolve.hpp): used as is, never $(VAR)-expanded,
    // as the kubelet treats every valueFrom value.
    bool verbatim = false;
};

// envFrom[]: every key of a ConfigMap or Secret as a variable, `prefix` in front.
struct EnvFromSource {
    ObjectKind kind = ObjectKind::ConfigMap;
    std::string name, prefix;
    bool optional = false;
};

struct ContainerPort {
    std::string name;
    int container_port = 0;
    int host_port = 0;  // 0 = none
    std::string host_ip;
    std::string protocol = "TCP";
};

// resources.limits / resources.requests, as Kubernetes rounds them: cpu in millicores
// (rounded up), memory in bytes (rounded up). Unset means "not given".
struct Resources {
    std::optional<int64_t> cpu_limit_millis;
    std::optional<int64_t> cpu_request_millis;
    std::optional<int64_t> memory_limit_bytes;
    std::optional<int64_t> memory_request_bytes;
    bool empty() const {
        return !cpu_limit_millis && !cpu_request_millis && !memory_limit_bytes && !memory_request_bytes;
    }
};

struct VolumeMount {
    std::string name;
    std::string mount_path;
    std::string sub_path;  // empty = whole volume
    bool read_only = false;
    // subPathExpr: $(VAR) expanded against the container's env when it starts (then checked
    // as a subPath is); exclusive with sub_path.
    std::string sub_path_expr;
    // mountPropagation: HostToContainer (rslave: what the host mounts under the source later
    // appears here); false = None (private).
    bool host_to_container = false;
};

// Handlers shared by probes and lifecycle hooks (Kubernetes' ExecAction, HTTPGetAction,
// TCPSocketAction, SleepAction). Named ports are resolved to numbers by the validator.
struct ExecAction {
    std::vector<std::string> command;  // run inside the container, no shell
};

struct HttpHeader {
    std::string name, value;
};

struct HttpGetAction {
    std::string host;  // empty = the pod's IP, which is 127.0.0.1 in podrun's loopback-only pod
    int port = 0;
    std::string path = "/";
    std::vector<HttpHeader> headers;
    bool https = false;  // scheme: HTTPS (TLS, the certificate not verified, as the kubelet)
};

struct TcpSocketAction {
    std::string host;  // empty = the pod's IP (127.0.0.1)
    int port = 0;
};

// The gRPC health checking protocol (grpc.health.v1.Health/Check) over HTTP/2 cleartext.
struct GrpcAction {
    int port = 0;
    std::string service;  // "" = the server's overall health
};

struct SleepAction {
    int64_t seconds = 0;
};

using ProbeHandler = std::variant<ExecAction, HttpGetAction, TcpSocketAction, GrpcAction>;
using LifecycleHandler = std::variant<ExecAction, HttpGetAction, SleepAction>;

// A probe with Kubernetes' defaults.
struct Probe {
    ProbeHandler handler;
    int64_t initial_delay_seconds = 0;
    int64_t period_seconds = 10;
    int64_t timeout_seconds = 1;
    int64_t success_threshold = 1;  // must be 1 for liveness and startup probes
    int64_t failure_threshold = 3;
    // probe-level terminationGracePeriodSeconds (liveness/startup kills); unset = the pod's
    std::optional<int64_t> termination_grace_period_seconds;
};

struct Lifecycle {
    std::optional<LifecycleHandler> post_start;
    std::optional<LifecycleHandler> pre_stop;
};

struct Container {
    std::string name;
    std::optional<std::string> image;  // podrun extension: may be omitted (host programs)
    // Always | IfNotPresent | Never; "" = Kubernetes' default by tag (docs/images.md).
    std::string image_pull_policy;
    std::vector<std::string> command;     // Kubernetes "command" (entrypoint)
    std::vector<std::string> args;        // Kubernetes "args"
    std::vector<EnvFromSource> env_from;  // emptied by spec::resolve_objects, into env
    std::vector<EnvVar> env;
    std::string working_dir;
    std::vector<ContainerPort> ports;
    Resources resources;
    std::vector<VolumeMount> volume_mounts;
    // Only for init containers: "Always" makes it a sidecar (Kubernetes 1.29+).
    std::optional<RestartPolicy> restart_policy;
    std::optional<Probe> startup_probe, liveness_probe, readiness_probe;
    Lifecycle lifecycle;
    // The effective securityContext (the pod's merged in; see security.hpp).
    SecurityContext security;

    bool is_sidecar() const { return restart_policy == RestartPolicy::Always; }
};

struct EmptyDirVolume {
    bool memory = false;  // medium: Memory -> tmpfs in the pod's mount namespace
    std::optional<int64_t> size_limit_bytes;
};

enum class HostPathType {
    Unset,  // "" : no check
    DirectoryOrCreate,
    Directory,
    FileOrCreate,
    File,
    Socket,
    CharDevice,
    BlockDevice,
};

struct HostPathVolume {
    std::string path;
    HostPathType type = HostPathType::Unset;
};

// configMap/secret items[]: one key written at `path` (relative), with its own mode.
struct KeyToPath {
    std::string key, path;
    std::optional<unsigned> mode;
};

// One file of a data volume once its object is known (spec::resolve_objects).
struct DataFile {
    std::string path;     // relative to the volume
    std::string content;  // bytes
    unsigned mode = 0644;
};

// A configMap or secret volume: the object's keys as files, read-only, on the pod's memory
// tmpfs, laid out as the kubelet's atomic writer does (see src/volumes/data_volume.cpp).
struct ObjectVolume {
    ObjectKind kind = ObjectKind::ConfigMap;
    std::string name;              // configMap.name / secret.secretName
    std::vector<KeyToPath> items;  // empty = every key at its own name
    unsigned default_mode = 0644;
    bool optional = false;
    std::vector<DataFile> files;  // filled by spec::resolve_objects
};

struct Volume {
    std::string name;
    std::variant<EmptyDirVolume, HostPathVolume, ObjectVolume> source;
};

struct Metadata {
    std::string name;
    std::string namespace_ = "default";
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;
};

struct Pod {
    Metadata metadata;
    std::vector<Container> init_containers;
    std::vector<Container> containers;
    std::vector<Volume> volumes;
    RestartPolicy restart_policy = RestartPolicy::Always;
    int64_t termination_grace_period_seconds = 30;
    std::string hostname;  // spec.hostname; empty = metadata.name
    // Kubernetes defaults this to false; podrun defaults to true because pause reaping
    // every orphan is the point of the design. Explicit false gives each container its own
    // pid namespace. See docs/manifest.md.
    bool share_process_namespace = true;
    bool host_network = false;
    bool host_ipc = false;
    bool host_pid = false;
    PodSecurity security;  // spec.securityContext: fsGroup, sysctls
    // Accepted single-node-meaningless fields whose values fieldRef can still read.
    std::string node_name;
    std::string service_account_name = "default";
    Resources pod_resources;  // spec.resources (pod-level); applied by the cgroup room
    // metadata.annotations["podrun.io/pids-max"]: the pod cgroup's pids.max.
    std::optional<int64_t> pids_max;

    std::string effective_hostname() const { return hostname.empty() ? metadata.name : hostname; }
};

std::string to_string(RestartPolicy p);

}  // namespace podrun::spec
