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
    {"securityContext", S},
    {"activeDeadlineSeconds", N},
    {"hostAliases", N},
    // Only os.name: linux means anything here (windows: refused in validate_pod.cpp).
    {"os", N},
    {"hostUsers", S},  // true only, for now (validate_pod.cpp)
    {"subdomain", N},
    {"setHostnameAsFQDN", N},
    {"ephemeralContainers", R,
     "ephemeral containers are added to a running pod through the API server; to debug a pod "
     "podrun runs, use `podrun exec POD -c CONTAINER -- sh`"},
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
    {"securityContext", S},
    {"stdin", N},
    {"stdinOnce", N},
    {"tty", N},
    {"envFrom", S},
    {"volumeDevices", N},
    {"resizePolicy", S},  // accepted and named in a warning (validate_container.cpp)
    // Kubernetes 1.34 (ContainerRestartRules): in the v1 schema, not implemented by podrun.
    {"restartPolicyRules", N},
};

constexpr Field env_var[] = {{"name", S}, {"value", S}, {"valueFrom", S}};

constexpr Field env_var_source[] = {
    {"fieldRef", S},     {"resourceFieldRef", N}, {"configMapKeyRef", S},
    {"secretKeyRef", S}, {"fileKeyRef", N},  // Kubernetes 1.34 (EnvFiles): in the v1 schema, not
                                             // implemented yet
};

constexpr Field key_selector[] = {{"name", S}, {"key", S}, {"optional", S}};
constexpr Field env_from_source[] = {{"configMapRef", S}, {"secretRef", S}, {"prefix", S}};
constexpr Field env_from_ref[] = {{"name", S}, {"optional", S}};
constexpr Field config_map_volume[] = {{"name", S}, {"items", S}, {"defaultMode", S}, {"optional", S}};
constexpr Field secret_volume[] = {{"secretName", S}, {"items", S}, {"defaultMode", S}, {"optional", S}};
constexpr Field key_to_path[] = {{"key", S}, {"path", S}, {"mode", S}};

constexpr Field object_field_selector[] = {{"apiVersion", S}, {"fieldPath", S}};

constexpr Field container_port[] = {
    {"name", S}, {"containerPort", S}, {"hostPort", S}, {"protocol", S}, {"hostIP", S},
};

constexpr Field resource_requirements[] = {{"limits", S}, {"requests", S}, {"claims", N}};

constexpr Field volume_mount[] = {
    {"name", S},        {"mountPath", S},         {"readOnly", S}, {"subPath", S}, {"mountPropagation", S},
    {"subPathExpr", S}, {"recursiveReadOnly", N},
};

// A volume plugin that needs a storage system, a cloud provider or a CSI driver.
constexpr std::string_view kClusterVolume =
    "a cluster volume plugin (it needs a storage system, cloud provider or CSI driver that "
    "podrun does not talk to); on one machine use hostPath, emptyDir or persistentVolumeClaim";

constexpr Field volume[] = {
    {"name", S},
    {"emptyDir", S},
    {"hostPath", S},
    {"configMap", S},
    {"secret", S},
    {"persistentVolumeClaim", N},
    {"projected", N},
    {"downwardAPI", N},
    {"ephemeral", N},
    {"csi", R, kClusterVolume},
    {"image", N},
    {"nfs", R, kClusterVolume},
    {"iscsi", R, kClusterVolume},
    {"gitRepo", R, kClusterVolume},
    {"gcePersistentDisk", R, kClusterVolume},
    {"awsElasticBlockStore", R, kClusterVolume},
    {"glusterfs", R, kClusterVolume},
    {"rbd", R, kClusterVolume},
    {"flexVolume", R, kClusterVolume},
    {"cinder", R, kClusterVolume},
    {"cephfs", R, kClusterVolume},
    {"flocker", R, kClusterVolume},
    {"fc", R, kClusterVolume},
    {"azureFile", R, kClusterVolume},
    {"azureDisk", R, kClusterVolume},
    {"vsphereVolume", R, kClusterVolume},
    {"quobyte", R, kClusterVolume},
    {"photonPersistentDisk", R, kClusterVolume},
    {"portworxVolume", R, kClusterVolume},
    {"scaleIO", R, kClusterVolume},
    {"storageos", R, kClusterVolume},
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
    {"grpc", S},
};

constexpr Field exec_action[] = {{"command", S}};
constexpr Field grpc_action[] = {{"port", S}, {"service", S}};

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

// seLinuxOptions, windowsOptions and appArmorProfile are "supported" here because their
// values are checked in validate_security.cpp: accepted (and named in a warning) only where
// they ask for what podrun does anyway, refused with the reason otherwise.
constexpr Field pod_security_context[] = {
    {"runAsUser", S},
    {"runAsGroup", S},
    {"runAsNonRoot", S},
    {"supplementalGroups", S},
    {"supplementalGroupsPolicy", S},
    {"fsGroup", S},
    {"fsGroupChangePolicy", S},
    {"sysctls", S},
    {"seccompProfile", S},
    {"appArmorProfile", S},
    {"seLinuxOptions", S},
    {"windowsOptions", S},
    // How SELinux labels reach volumes (Recursive or MountOption): podrun applies no labels.
    {"seLinuxChangePolicy", I},
};

constexpr Field security_context[] = {
    {"capabilities", S},
    {"privileged", S},
    {"runAsUser", S},
    {"runAsGroup", S},
    {"runAsNonRoot", S},
    {"readOnlyRootFilesystem", S},
    {"allowPrivilegeEscalation", S},
    {"procMount", S},
    {"seccompProfile", S},
    {"appArmorProfile", S},
    {"seLinuxOptions", S},
    {"windowsOptions", S},
    // In the v1 schema the conformance corpus was checked against (kubernetes-models 5.1.0).
    {"cgroupOptions", N},
};

constexpr Field capabilities[] = {{"add", S}, {"drop", S}};
constexpr Field seccomp_profile[] = {{"type", S}, {"localhostProfile", S}};
constexpr Field app_armor_profile[] = {{"type", S}, {"localhostProfile", S}};
constexpr Field se_linux_options[] = {{"user", S}, {"role", S}, {"type", S}, {"level", S}};
constexpr Field windows_options[] = {
    {"gmsaCredentialSpecName", S},
    {"gmsaCredentialSpec", S},
    {"runAsUserName", S},
    {"hostProcess", S},
};
constexpr Field sysctl[] = {{"name", S}, {"value", S}};

constexpr Field list[] = {{"apiVersion", S}, {"kind", S}, {"metadata", I}, {"items", S}};

constexpr Field config_map[] = {
    {"apiVersion", S}, {"kind", S}, {"metadata", S}, {"data", S}, {"binaryData", S}, {"immutable", S},
};

constexpr Field secret[] = {
    {"apiVersion", S}, {"kind", S}, {"metadata", S}, {"data", S}, {"stringData", S}, {"type", S}, {"immutable", S},
};

constexpr Field persistent_volume_claim[] = {
    {"apiVersion", S}, {"kind", S}, {"metadata", S}, {"spec", S}, {"status", I},
};

constexpr Field pvc_spec[] = {
    {"accessModes", S},
    {"resources", S},
    {"volumeMode", S},
    // Which provisioner or existing volume backs the claim: on one node, a directory does.
    {"storageClassName", I},
    {"selector", I},
    {"volumeName", I},
    {"volumeAttributesClassName", I},
    {"dataSource", N},
    {"dataSourceRef", N},
};

constexpr Field volume_resource_requirements[] = {{"requests", S}, {"limits", S}};

// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController: only the pod
// template is run; the other fields of spec are named in a warning (see bundle_objects.cpp).
constexpr Field workload[] = {
    {"apiVersion", S}, {"kind", S}, {"metadata", S}, {"spec", S}, {"status", I},
};

constexpr Field pod_template_spec[] = {{"metadata", S}, {"spec", S}};

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
        case Kind::GrpcAction:
            return "GRPCAction";
        case Kind::Lifecycle:
            return "Lifecycle";
        case Kind::LifecycleHandler:
            return "LifecycleHandler";
        case Kind::SleepAction:
            return "SleepAction";
        case Kind::PodSecurityContext:
            return "PodSecurityContext";
        case Kind::SecurityContext:
            return "SecurityContext";
        case Kind::Capabilities:
            return "Capabilities";
        case Kind::SeccompProfile:
            return "SeccompProfile";
        case Kind::AppArmorProfile:
            return "AppArmorProfile";
        case Kind::SELinuxOptions:
            return "SELinuxOptions";
        case Kind::WindowsOptions:
            return "WindowsSecurityContextOptions";
        case Kind::Sysctl:
            return "Sysctl";
        case Kind::List:
            return "List";
        case Kind::ConfigMap:
            return "ConfigMap";
        case Kind::Secret:
            return "Secret";
        case Kind::PersistentVolumeClaim:
            return "PersistentVolumeClaim";
        case Kind::PvcSpec:
            return "PersistentVolumeClaimSpec";
        case Kind::VolumeResourceRequirements:
            return "VolumeResourceRequirements";
        case Kind::Workload:
            return "a workload (Deployment, Job, ...)";
        case Kind::PodTemplateSpec:
            return "PodTemplateSpec";
        case Kind::KeySelector:
            return "ConfigMapKeySelector";
        case Kind::EnvFromSource:
            return "EnvFromSource";
        case Kind::EnvFromRef:
            return "ConfigMapEnvSource";
        case Kind::ConfigMapVolume:
            return "ConfigMapVolumeSource";
        case Kind::SecretVolume:
            return "SecretVolumeSource";
        case Kind::KeyToPath:
            return "KeyToPath";
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
        case Kind::GrpcAction:
            return grpc_action;
        case Kind::Lifecycle:
            return lifecycle;
        case Kind::LifecycleHandler:
            return lifecycle_handler;
        case Kind::SleepAction:
            return sleep_action;
        case Kind::PodSecurityContext:
            return pod_security_context;
        case Kind::SecurityContext:
            return security_context;
        case Kind::Capabilities:
            return capabilities;
        case Kind::SeccompProfile:
            return seccomp_profile;
        case Kind::AppArmorProfile:
            return app_armor_profile;
        case Kind::SELinuxOptions:
            return se_linux_options;
        case Kind::WindowsOptions:
            return windows_options;
        case Kind::Sysctl:
            return sysctl;
        case Kind::List:
            return list;
        case Kind::ConfigMap:
            return config_map;
        case Kind::Secret:
            return secret;
        case Kind::PersistentVolumeClaim:
            return persistent_volume_claim;
        case Kind::PvcSpec:
            return pvc_spec;
        case Kind::VolumeResourceRequirements:
            return volume_resource_requirements;
        case Kind::Workload:
            return workload;
        case Kind::PodTemplateSpec:
            return pod_template_spec;
        case Kind::KeySelector:
            return key_selector;
        case Kind::EnvFromSource:
            return env_from_source;
        case Kind::EnvFromRef:
            return env_from_ref;
        case Kind::ConfigMapVolume:
            return config_map_volume;
        case Kind::SecretVolume:
            return secret_volume;
        case Kind::KeyToPath:
            return key_to_path;
    }
    return {};
}

bool is_volume_source(std::string_view field) {
    return field != "name";
}

}  // namespace podrun::spec::detail
