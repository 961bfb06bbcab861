// Field tables of the Kubernetes core/v1 kinds a Pod manifest may contain (as of v1.33).
#include "fields.hpp"

namespace podrun::spec::detail {
namespace {

constexpr auto S = Policy::Supported;
constexpr auto I = Policy::Ignored;
constexpr auto N = Policy::NotYet;
constexpr auto R = Policy::Refused;

constexpr Field pod[] = {
    {"apiVersion", S}, {"kind", S},   {"metadata", S},
    {"spec", S},       {"status", I},  // written by the system, never by users: harmless, ignored
};

constexpr Field object_meta[] = {
    {"name", S},
    {"namespace", S},
    {"labels", S},
    {"annotations", S},
    // Set by an API server, or used only by one (generateName); podrun requires a name.
    {"generateName", I},
    {"uid", I},
    {"resourceVersion", I},
    {"generation", I},
    {"creationTimestamp", I},
    {"deletionTimestamp", I},
    {"deletionGracePeriodSeconds", I},
    {"ownerReferences", I},
    {"finalizers", I},
    {"managedFields", I},
    {"selfLink", I},
};

constexpr Field pod_spec[] = {
    {"containers", S},
    {"initContainers", S},
    {"volumes", S},
    {"restartPolicy", S},
    {"terminationGracePeriodSeconds", S},
    {"hostname", S},
    {"shareProcessNamespace", S},
    {"hostNetwork", S},
    {"hostIPC", S},
    {"hostPID", S},
    {"resources", S},
    // Scheduling, cluster DNS, service accounts and image pulling: nothing to do on one node.
    {"nodeName", I},
    {"nodeSelector", I},
    {"affinity", I},
    {"tolerations", I},
    {"priorityClassName", I},
    {"priority", I},
    {"schedulerName", I},
    {"dnsPolicy", I},
    {"dnsConfig", I},
    {"serviceAccountName", I},
    {"serviceAccount", I},
    {"automountServiceAccountToken", I},
    {"imagePullSecrets", I},
    {"enableServiceLinks", I},
    {"preemptionPolicy", I},
    {"topologySpreadConstraints", I},
    {"runtimeClassName", I},
    {"overhead", I},
    {"readinessGates", I},
    {"schedulingGates", I},
    {"securityContext", N},
    {"activeDeadlineSeconds", N},
    {"hostAliases", N},
    {"os", N},
    {"hostUsers", N},
    {"subdomain", N},
    {"setHostnameAsFQDN", N},
    {"ephemeralContainers", N},
    {"resourceClaims", N},
};

constexpr Field container[] = {
    {"name", S},
    {"image", S},
    {"command", S},
    {"args", S},
    {"env", S},
    {"workingDir", S},
    {"ports", S},
    {"resources", S},
    {"volumeMounts", S},
    {"restartPolicy", S},
    {"livenessProbe", S},
    {"readinessProbe", S},
    {"startupProbe", S},
    {"lifecycle", S},
    {"imagePullPolicy", S},
    {"terminationMessagePath", I},
    {"terminationMessagePolicy", I},
    {"securityContext", N},
    {"stdin", N},
    {"stdinOnce", N},
    {"tty", N},
    {"envFrom", N},
    {"volumeDevices", N},
    {"resizePolicy", N},
};

constexpr Field env_var[] = {{"name", S}, {"value", S}, {"valueFrom", S}};

constexpr Field env_var_source[] = {
    {"fieldRef", S},
    {"resourceFieldRef", N},
    {"configMapKeyRef", N},
    {"secretKeyRef", N},
};

constexpr Field object_field_selector[] = {{"apiVersion", S}, {"fieldPath", S}};

constexpr Field container_port[] = {
    {"name", S}, {"containerPort", S}, {"hostPort", S}, {"protocol", S}, {"hostIP", S},
};

constexpr Field resource_requirements[] = {{"limits", S}, {"requests", S}, {"claims", N}};

constexpr Field volume_mount[] = {
    {"name", S},
    {"mountPath", S},
    {"readOnly", S},
    {"subPath", S},
    {"mountPropagation", N},
    {"subPathExpr", N},
    {"recursiveReadOnly", N},
};

constexpr Field volume[] = {
    {"name", S},
    {"emptyDir", S},
    {"hostPath", S},
    {"configMap", N},
    {"secret", N},
    {"persistentVolumeClaim", N},
    {"projected", N},
    {"downwardAPI", N},
    {"ephemeral", N},
    {"csi", N},
    {"image", N},
    {"nfs", N},
    {"iscsi", N},
    {"gitRepo", N},
    {"gcePersistentDisk", N},
    {"awsElasticBlockStore", N},
    {"glusterfs", N},
    {"rbd", N},
    {"flexVolume", N},
    {"cinder", N},
    {"cephfs", N},
    {"flocker", N},
    {"fc", N},
    {"azureFile", N},
    {"azureDisk", N},
    {"vsphereVolume", N},
    {"quobyte", N},
    {"photonPersistentDisk", N},
    {"portworxVolume", N},
    {"scaleIO", N},
    {"storageos", N},
};

constexpr Field empty_dir[] = {{"medium", S}, {"sizeLimit", S}};
constexpr Field host_path[] = {{"path", S}, {"type", S}};

constexpr Field probe[] = {
    {"exec", S},
    {"httpGet", S},
    {"tcpSocket", S},
    {"initialDelaySeconds", S},
    {"periodSeconds", S},
    {"timeoutSeconds", S},
    {"successThreshold", S},
    {"failureThreshold", S},
    {"terminationGracePeriodSeconds", S},
    {"grpc", N},
};

constexpr Field exec_action[] = {{"command", S}};

constexpr Field http_get_action[] = {
    {"host", S}, {"port", S}, {"path", S}, {"scheme", S}, {"httpHeaders", S},
};

constexpr Field http_header[] = {{"name", S}, {"value", S}};

constexpr Field tcp_socket_action[] = {{"host", S}, {"port", S}};

constexpr Field lifecycle[] = {{"postStart", S}, {"preStop", S}, {"stopSignal", N}};

constexpr Field lifecycle_handler[] = {
    {"exec", S},
    {"httpGet", S},
    {"sleep", S},
    // Deprecated in the API and not validated there; the kubelet does not run it and the
    // hook fails at runtime instead.
    {"tcpSocket", R,
     "Kubernetes keeps tcpSocket in lifecycle hooks only for backward compatibility and "
     "does not run it (the hook fails when it is due); use exec, httpGet or sleep"},
};

constexpr Field sleep_action[] = {{"seconds", S}};

}  // namespace

std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::Pod:
            return "Pod";
        case Kind::ObjectMeta:
            return "ObjectMeta";
        case Kind::PodSpec:
            return "PodSpec";
        case Kind::Container:
            return "Container";
        case Kind::EnvVar:
            return "EnvVar";
        case Kind::EnvVarSource:
            return "EnvVarSource";
        case Kind::ObjectFieldSelector:
            return "ObjectFieldSelector";
        case Kind::ContainerPort:
            return "ContainerPort";
        case Kind::ResourceRequirements:
            return "ResourceRequirements";
        case Kind::VolumeMount:
            return "VolumeMount";
        case Kind::Volume:
            return "Volume";
        case Kind::EmptyDir:
            return "EmptyDirVolumeSource";
        case Kind::HostPath:
            return "HostPathVolumeSource";
        case Kind::Probe:
            return "Probe";
        case Kind::ExecAction:
            return "ExecAction";
        case Kind::HttpGetAction:
            return "HTTPGetAction";
        case Kind::HttpHeader:
            return "HTTPHeader";
        case Kind::TcpSocketAction:
            return "TCPSocketAction";
        case Kind::Lifecycle:
            return "Lifecycle";
        case Kind::LifecycleHandler:
            return "LifecycleHandler";
        case Kind::SleepAction:
            return "SleepAction";
    }
    return "?";
}

std::span<const Field> fields_of(Kind k) {
    switch (k) {
        case Kind::Pod:
            return pod;
        case Kind::ObjectMeta:
            return object_meta;
        case Kind::PodSpec:
            return pod_spec;
        case Kind::Container:
            return container;
        case Kind::EnvVar:
            return env_var;
        case Kind::EnvVarSource:
            return env_var_source;
        case Kind::ObjectFieldSelector:
            return object_field_selector;
        case Kind::ContainerPort:
            return container_port;
        case Kind::ResourceRequirements:
            return resource_requirements;
        case Kind::VolumeMount:
            return volume_mount;
        case Kind::Volume:
            return volume;
        case Kind::EmptyDir:
            return empty_dir;
        case Kind::HostPath:
            return host_path;
        case Kind::Probe:
            return probe;
        case Kind::ExecAction:
            return exec_action;
        case Kind::HttpGetAction:
            return http_get_action;
        case Kind::HttpHeader:
            return http_header;
        case Kind::TcpSocketAction:
            return tcp_socket_action;
        case Kind::Lifecycle:
            return lifecycle;
        case Kind::LifecycleHandler:
            return lifecycle_handler;
        case Kind::SleepAction:
            return sleep_action;
    }
    return {};
}

bool is_volume_source(std::string_view field) {
    return field != "name";
}

}  // namespace podrun::spec::detail
