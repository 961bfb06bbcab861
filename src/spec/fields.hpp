// The field policy of DESIGN.md section 2 as data: one table per Kubernetes object kind.
// Moving a field from NotYet to Supported is a one-word change here plus its validation.
#pragma once

#include <span>
#include <string_view>

namespace podrun::spec::detail {

enum class Policy {
    Supported,  // follows Kubernetes semantics
    Ignored,    // a real field that means nothing on one node: accepted, named in a warning
    NotYet,     // a real field podrun does not implement yet: an error
    Refused,    // a real field podrun will not act on: an error giving the table's reason
};

struct Field {
    std::string_view name;
    Policy policy;
    std::string_view reason = {};  // Refused only: why, and what to use instead
};

enum class Kind {
    Pod,
    ObjectMeta,
    PodSpec,
    Container,
    EnvVar,
    EnvVarSource,
    ObjectFieldSelector,
    ContainerPort,
    ResourceRequirements,
    VolumeMount,
    Volume,
    EmptyDir,
    HostPath,
    Probe,
    ExecAction,
    HttpGetAction,
    HttpHeader,
    TcpSocketAction,
    GrpcAction,
    Lifecycle,
    LifecycleHandler,
    SleepAction,
    PodSecurityContext,
    SecurityContext,
    Capabilities,
    SeccompProfile,
    AppArmorProfile,
    SELinuxOptions,
    WindowsOptions,
    Sysctl,
    // Objects beside Pods in a bundle (bundle.hpp).
    List,
    ConfigMap,
    Secret,
    PersistentVolumeClaim,
    PvcSpec,
    VolumeResourceRequirements,
    Workload,
    PodTemplateSpec,
    KeySelector,  // ConfigMapKeySelector and SecretKeySelector (same fields)
    EnvFromSource,
    EnvFromRef,  // ConfigMapEnvSource and SecretEnvSource (same fields)
    ConfigMapVolume,
    SecretVolume,
    KeyToPath,
    PodDnsConfig,
    PodDnsConfigOption,
    HostAlias,
    ResourceFieldSelector,
    DownwardApiVolume,
    DownwardApiFile,
    ProjectedVolume,
    VolumeProjection,
    ConfigMapProjection,
    SecretProjection,
    DownwardApiProjection,
    ServiceAccountTokenProjection,
    PvcVolume,
    PodOs,
    ResizePolicy,
    RestartRule,
    RestartRuleExitCodes,
};

std::string_view kind_name(Kind k);
std::span<const Field> fields_of(Kind k);

// Volume source fields of core/v1 Volume (exactly one must be set).
bool is_volume_source(std::string_view field);

}  // namespace podrun::spec::detail
