// Field tables of the Kubernetes core/v1 kinds a Pod manifest may contain (as of v1.33).
#include "fields.hpp"

#include <iterator>

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
    {"activeDeadlineSeconds", S},
    // The pod's /etc/resolv.conf and /etc/hosts (validate_dns.cpp, docs/network.md).
    {"dnsPolicy", S},
    {"dnsConfig", S},
    {"hostAliases", S},
    // os.name: linux; windows is refused with its reason (validate_pod.cpp).
    {"os", S},
    // Kubernetes 1.34 (HostnameOverride): in the v1 schema, not implemented by podrun.
    {"hostnameOverride", N},
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
    // Kubernetes 1.34 (ContainerRestartRules): restart by exit code (validate_container.cpp).
    {"restartPolicyRules", S},
};

constexpr Field env_var[] = {{"name", S}, {"value", S}, {"valueFrom", S}};

constexpr Field env_var_source[] = {
    {"fieldRef", S},     {"resourceFieldRef", S}, {"configMapKeyRef", S},
    {"secretKeyRef", S}, {"fileKeyRef", N},  // Kubernetes 1.34 (EnvFiles): in the v1 schema, not
                                             // implemented yet
};

constexpr Field pod_dns_config[] = {{"nameservers", S}, {"searches", S}, {"options", S}};
constexpr Field pod_dns_config_option[] = {{"name", S}, {"value", S}};
constexpr Field host_alias[] = {{"ip", S}, {"hostnames", S}};

constexpr Field key_selector[] = {{"name", S}, {"key", S}, {"optional", S}};
constexpr Field env_from_source[] = {{"configMapRef", S}, {"secretRef", S}, {"prefix", S}};
constexpr Field env_from_ref[] = {{"name", S}, {"optional", S}};
constexpr Field config_map_volume[] = {{"name", S}, {"items", S}, {"defaultMode", S}, {"optional", S}};
constexpr Field secret_volume[] = {{"secretName", S}, {"items", S}, {"defaultMode", S}, {"optional", S}};
constexpr Field key_to_path[] = {{"key", S}, {"path", S}, {"mode", S}};
constexpr Field pod_os[] = {{"name", S}};
constexpr Field resize_policy[] = {{"resourceName", S}, {"restartPolicy", S}};
constexpr Field restart_rule[] = {{"action", S}, {"exitCodes", S}};
constexpr Field restart_rule_exit_codes[] = {{"operator", S}, {"values", S}};
constexpr Field pvc_volume[] = {{"claimName", S}, {"readOnly", S}};
constexpr Field resource_field_selector[] = {{"containerName", S}, {"resource", S}, {"divisor", S}};
constexpr Field downward_api_volume[] = {{"items", S}, {"defaultMode", S}};
constexpr Field downward_api_file[] = {{"path", S}, {"fieldRef", S}, {"resourceFieldRef", S}, {"mode", S}};
constexpr Field projected_volume[] = {{"sources", S}, {"defaultMode", S}};
constexpr Field volume_projection[] = {
    {"configMap", S},           {"secret", S},         {"downwardAPI", S},
    {"serviceAccountToken", S},  // an empty token file and a warning (validate_projected.cpp)
    {"clusterTrustBundle", N},  {"podCertificate", N},
};
constexpr Field config_map_projection[] = {{"name", S}, {"items", S}, {"optional", S}};
constexpr Field secret_projection[] = {{"name", S}, {"items", S}, {"optional", S}};
constexpr Field downward_api_projection[] = {{"items", S}};
constexpr Field service_account_token_projection[] = {{"audience", S}, {"expirationSeconds", S}, {"path", S}};

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
    {"persistentVolumeClaim", S},
    {"projected", S},
    {"downwardAPI", S},
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

// mode: newer than v1.33 (the conformance corpus's schema has it); not implemented yet.
constexpr Field empty_dir[] = {{"medium", S}, {"sizeLimit", S}, {"mode", N}};
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

constexpr Field lifecycle[] = {{"postStart", S}, {"preStop", S}, {"stopSignal", S}};

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

struct KindInfo {
    Kind kind;
    std::string_view name;
    std::span<const Field> fields;
};

// In the order of enum Kind (checked below).
constexpr KindInfo kinds[] = {
    {Kind::Pod, "Pod", pod},
    {Kind::ObjectMeta, "ObjectMeta", object_meta},
    {Kind::PodSpec, "PodSpec", pod_spec},
    {Kind::Container, "Container", container},
    {Kind::EnvVar, "EnvVar", env_var},
    {Kind::EnvVarSource, "EnvVarSource", env_var_source},
    {Kind::ObjectFieldSelector, "ObjectFieldSelector", object_field_selector},
    {Kind::ContainerPort, "ContainerPort", container_port},
    {Kind::ResourceRequirements, "ResourceRequirements", resource_requirements},
    {Kind::VolumeMount, "VolumeMount", volume_mount},
    {Kind::Volume, "Volume", volume},
    {Kind::EmptyDir, "EmptyDirVolumeSource", empty_dir},
    {Kind::HostPath, "HostPathVolumeSource", host_path},
    {Kind::Probe, "Probe", probe},
    {Kind::ExecAction, "ExecAction", exec_action},
    {Kind::HttpGetAction, "HTTPGetAction", http_get_action},
    {Kind::HttpHeader, "HTTPHeader", http_header},
    {Kind::TcpSocketAction, "TCPSocketAction", tcp_socket_action},
    {Kind::GrpcAction, "GRPCAction", grpc_action},
    {Kind::Lifecycle, "Lifecycle", lifecycle},
    {Kind::LifecycleHandler, "LifecycleHandler", lifecycle_handler},
    {Kind::SleepAction, "SleepAction", sleep_action},
    {Kind::PodSecurityContext, "PodSecurityContext", pod_security_context},
    {Kind::SecurityContext, "SecurityContext", security_context},
    {Kind::Capabilities, "Capabilities", capabilities},
    {Kind::SeccompProfile, "SeccompProfile", seccomp_profile},
    {Kind::AppArmorProfile, "AppArmorProfile", app_armor_profile},
    {Kind::SELinuxOptions, "SELinuxOptions", se_linux_options},
    {Kind::WindowsOptions, "WindowsSecurityContextOptions", windows_options},
    {Kind::Sysctl, "Sysctl", sysctl},
    {Kind::List, "List", list},
    {Kind::ConfigMap, "ConfigMap", config_map},
    {Kind::Secret, "Secret", secret},
    {Kind::PersistentVolumeClaim, "PersistentVolumeClaim", persistent_volume_claim},
    {Kind::PvcSpec, "PersistentVolumeClaimSpec", pvc_spec},
    {Kind::VolumeResourceRequirements, "VolumeResourceRequirements", volume_resource_requirements},
    {Kind::Workload, "a workload (Deployment, Job, ...)", workload},
    {Kind::PodTemplateSpec, "PodTemplateSpec", pod_template_spec},
    {Kind::KeySelector, "ConfigMapKeySelector", key_selector},
    {Kind::EnvFromSource, "EnvFromSource", env_from_source},
    {Kind::EnvFromRef, "ConfigMapEnvSource", env_from_ref},
    {Kind::ConfigMapVolume, "ConfigMapVolumeSource", config_map_volume},
    {Kind::SecretVolume, "SecretVolumeSource", secret_volume},
    {Kind::KeyToPath, "KeyToPath", key_to_path},
    {Kind::PodDnsConfig, "PodDNSConfig", pod_dns_config},
    {Kind::PodDnsConfigOption, "PodDNSConfigOption", pod_dns_config_option},
    {Kind::HostAlias, "HostAlias", host_alias},
    {Kind::ResourceFieldSelector, "ResourceFieldSelector", resource_field_selector},
    {Kind::DownwardApiVolume, "DownwardAPIVolumeSource", downward_api_volume},
    {Kind::DownwardApiFile, "DownwardAPIVolumeFile", downward_api_file},
    {Kind::ProjectedVolume, "ProjectedVolumeSource", projected_volume},
    {Kind::VolumeProjection, "VolumeProjection", volume_projection},
    {Kind::ConfigMapProjection, "ConfigMapProjection", config_map_projection},
    {Kind::SecretProjection, "SecretProjection", secret_projection},
    {Kind::DownwardApiProjection, "DownwardAPIProjection", downward_api_projection},
    {Kind::ServiceAccountTokenProjection, "ServiceAccountTokenProjection", service_account_token_projection},
    {Kind::PvcVolume, "PersistentVolumeClaimVolumeSource", pvc_volume},
    {Kind::PodOs, "PodOS", pod_os},
    {Kind::ResizePolicy, "ContainerResizePolicy", resize_policy},
    {Kind::RestartRule, "ContainerRestartRule", restart_rule},
    {Kind::RestartRuleExitCodes, "ContainerRestartRuleOnExitCodes", restart_rule_exit_codes},
};

constexpr bool in_enum_order() {
    for (size_t i = 0; i < std::size(kinds); ++i)
        if (static_cast<size_t>(kinds[i].kind) != i) return false;
    return true;
}
static_assert(in_enum_order(), "kinds[] must list every Kind in enum order");

}  // namespace

std::string_view kind_name(Kind k) {
    return kinds[static_cast<size_t>(k)].name;
}

std::span<const Field> fields_of(Kind k) {
    return kinds[static_cast<size_t>(k)].fields;
}

bool is_volume_source(std::string_view field) {
    return field != "name";
}

}  // namespace podrun::spec::detail
