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

// resourceFieldRef (env[].valueFrom and downwardAPI files): a container's limit or request,
// divided by `divisor` and rounded up, as the kubelet computes it (spec/downward.hpp).
struct ResourceFieldRef {
    std::string container_name;     // "" = the container itself (env only; files must name one)
    std::string resource;           // limits.cpu, requests.memory, limits.ephemeral-storage, ...
    int64_t divisor_millis = 1000;  // "1" unless given: 1m -> 1, 1Mi -> 1048576000
};

struct EnvVar {
    std::string name;
    std::string value;                                  // literal value (may hold $(VAR) references)
    std::optional<std::string> field_path;              // set when valueFrom.fieldRef is used
    std::optional<KeyRef> key_ref = {};                 // set when valueFrom.{configMap,secret}KeyRef is used
    std::optional<ResourceFieldRef> resource_ref = {};  // set when valueFrom.resourceFieldRef is used
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
    // lifecycle.stopSignal (Kubernetes 1.33), else the image's StopSignal, as Kubernetes'
    // name ("SIGQUIT"); "" = SIGTERM. Sent by the ordered stop instead of SIGTERM.
    std::string stop_signal;
};

// restartPolicyRules[] (Kubernetes 1.34): on an exit whose code matches, the container is
// restarted whatever its restartPolicy says; the first matching rule decides.
struct RestartRule {
    bool in = true;  // operator In (else NotIn)
    std::vector<int64_t> values;
    bool matches(int code) const {
        bool found = false;
        for (auto v : values) found = found || v == code;
        return found == in;
    }
};

struct Container {
    std::string name;
    std::optional<std::string> image;  // podrun extension: may be omitted (host programs)
    // Set by pod/images.cpp for an image of the store: its layer directories, top first
    // (overlay's lowerdir order), and its /etc/passwd and /etc/group as its overlay shows
    // them (nullopt: none). Empty for a rootfs directory (`image: /abs/path`).
    std::vector<std::string> image_layers;
    std::optional<std::string> image_passwd, image_group;
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
    // The container's own restartPolicy (Kubernetes 1.34 ContainerRestartRules), over the
    // pod's; on an init container "Always" makes it a sidecar (Kubernetes 1.29+).
    std::optional<RestartPolicy> restart_policy;
    std::vector<RestartRule> restart_rules;
    std::optional<Probe> startup_probe, liveness_probe, readiness_probe;
    Lifecycle lifecycle;
    // The effective securityContext (the pod's merged in; see security.hpp).
    SecurityContext security;

    // Meaningful for init containers only (a regular container with restartPolicy Always is
    // just restarted).
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

// One file of a downwardAPI volume or projection: a field of the pod or a container's resource.
struct DownwardFile {
    std::string path;        // relative to the volume
    std::string field_path;  // metadata.name, metadata.labels, metadata.labels['k'], ...; "" with resource
    std::optional<ResourceFieldRef> resource;
    std::optional<unsigned> mode;
};

struct DownwardSource {
    std::vector<DownwardFile> items;
};

// serviceAccountToken: there is no API server to issue a token, so the file is empty (and
// validate warns).
struct TokenSource {
    std::string path;
};

// projected.sources[i] (and the one source of a downwardAPI volume). A configMap or secret
// source is an ObjectVolume whose default_mode is the projected volume's.
struct Projection {
    std::variant<ObjectVolume, DownwardSource, TokenSource> source;
    std::vector<DataFile> files;  // downwardAPI and token files (spec::resolve_downward)
};

// A projected or downwardAPI volume: its sources' files in one directory, written and mounted
// as configMap volumes are (the kubelet's ..data layout, read-only, on the pod's tmpfs).
struct ProjectedVolume {
    bool downward_api = false;  // a downwardAPI volume (for messages), not projected
    std::vector<Projection> sources;
    unsigned default_mode = 0644;
};

// persistentVolumeClaim: a named directory that outlives the pod (pod/volumes.hpp), made on
// first use or from a PersistentVolumeClaim object.
struct ClaimVolume {
    std::string claim;       // claimName
    bool read_only = false;  // every mount of it read-only, as the kubelet mounts it
};

struct Volume {
    std::string name;
    std::variant<EmptyDirVolume, HostPathVolume, ObjectVolume, ProjectedVolume, ClaimVolume> source;
};

struct Metadata {
    std::string name;
    std::string namespace_ = "default";
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;
};

// spec.dnsPolicy: where the pod's /etc/resolv.conf comes from (docs/network.md).
enum class DnsPolicy { ClusterFirst, ClusterFirstWithHostNet, Default, None };

// spec.dnsConfig, merged over what dnsPolicy gives (Kubernetes' rules).
struct DnsOption {
    std::string name;
    std::optional<std::string> value;
};
struct DnsConfig {
    std::vector<std::string> nameservers;
    std::vector<std::string> searches;
    std::vector<DnsOption> options;
};

// spec.hostAliases[i]: lines added to the pod's /etc/hosts.
struct HostAlias {
    std::string ip;
    std::vector<std::string> hostnames;
};

// How the pod is networked: the --network flag or the podrun.io/network annotation.
enum class NetworkMode { Default, None, Pasta, Bridge };
struct NetworkChoice {
    NetworkMode mode = NetworkMode::Default;  // Default: pasta where usable, else none
    std::string bridge_network;               // bridge:NAME (empty = podrun's own podrun0)
};
// "none", "pasta", "bridge", "bridge:NAME"; nullopt (and *why) when it is none of them.
std::optional<NetworkChoice> parse_network(const std::string& text, std::string* why);
std::string to_string(const NetworkChoice& c);

struct Pod {
    Metadata metadata;
    std::vector<Container> init_containers;
    std::vector<Container> containers;
    std::vector<Volume> volumes;
    RestartPolicy restart_policy = RestartPolicy::Always;
    int64_t termination_grace_period_seconds = 30;
    // spec.activeDeadlineSeconds: the pod fails (DeadlineExceeded) once it has run this long.
    std::optional<int64_t> active_deadline_seconds;
    std::string hostname;  // spec.hostname; empty = metadata.name
    std::string os_name;   // spec.os.name: "" or "linux" (stopSignal requires it, as Kubernetes)
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
    // spec.dnsPolicy as written (nullopt: not written, Kubernetes' ClusterFirst, which on one
    // node means the host's resolvers without a warning).
    std::optional<DnsPolicy> dns_policy;
    std::optional<DnsConfig> dns_config;
    std::vector<HostAlias> host_aliases;
    // metadata.annotations["podrun.io/network"]; `up --network` wins over it.
    NetworkChoice network;

    std::string effective_hostname() const { return hostname.empty() ? metadata.name : hostname; }
};

std::string to_string(RestartPolicy p);

}  // namespace podrun::spec
