// The one validator: JSON model -> spec::Pod plus every problem found (DESIGN.md section 2).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "check.hpp"
#include "podrun/spec/pod.hpp"

namespace podrun::spec::detail {

// Fills `pod` from `doc`; problems and ignored fields go to `ck`. `pod` is meaningful only
// when ck.errors is empty.
void validate_pod(Checker& ck, const Json& doc, Pod& pod);

// spec.securityContext's contribution to every container's context, and where its
// runAsUser/runAsNonRoot were written (for messages about the merged values).
struct PodSecurityDefaults {
    SecurityContext base;
    std::string run_as_user_path, run_as_non_root_path;
};

// spec.securityContext (read before the containers); fills pod.security (fsGroup, sysctls,
// which hostNetwork/hostIPC restrict).
PodSecurityDefaults validate_pod_security(Checker& ck, const Json& spec, bool host_network, bool host_ipc, Pod& pod);

// containers[i].securityContext merged over the pod's into c.security (c.name is set).
void validate_container_security(Checker& ck, const Json& v, const std::string& path, const PodSecurityDefaults& pod,
                                 Container& c);

// The older seccomp and AppArmor annotations, checked once the containers are known.
void validate_security_annotations(Checker& ck, const Pod& pod);

// doc.metadata into `m`: name required (a DNS-1123 subdomain; for a pod also a label, see
// docs/manifest.md), namespace, labels, annotations.
void validate_metadata(Checker& ck, const Json& doc, Metadata& m, bool pod);

// One container at `path`; `volume_names` are the names in spec.volumes;
// `pod_grace_seconds` is spec.terminationGracePeriodSeconds (unset when it is invalid).
Container validate_container(Checker& ck, const Json& v, const std::string& path, bool init,
                             const std::set<std::string>& volume_names, std::optional<int64_t> pod_grace_seconds,
                             const PodSecurityDefaults& security);

// resizePolicy of the container at `path`, once the pod's restartPolicy is known.
void validate_resize_policy(Checker& ck, const Json& v, const std::string& path, bool init, bool sidecar,
                            RestartPolicy pod_policy);

// livenessProbe, readinessProbe, startupProbe and lifecycle of the container at `path`,
// whose ports `c` already holds (named ports resolve against them).
void validate_probes_and_hooks(Checker& ck, const Json& v, const std::string& path,
                               std::optional<int64_t> pod_grace_seconds, Container& c);

// limits/requests at `path` (container or pod level), with Kubernetes' defaulting of a
// missing request to its limit.
Resources validate_resources(Checker& ck, const Json& v, const std::string& path);

// env[i].valueFrom.configMapKeyRef / secretKeyRef at `value_from` (validate_data.cpp).
std::optional<KeyRef> validate_key_ref(Checker& ck, const Json& from, const std::string& value_from);

// The container's envFrom[] into c.env_from.
void validate_env_from(Checker& ck, const Json& v, const std::string& path, Container& c);

// volumes[i].configMap or .secret (`table` ConfigMapVolume or SecretVolume), or a projected
// source (ConfigMapProjection, SecretProjection), at `path`, the source's own path; `paths`
// collects the items' paths (unique across a projected volume's sources).
ObjectVolume validate_object_volume(Checker& ck, const Json& src, const std::string& path, ObjectKind kind, Kind table,
                                    std::set<std::string>& paths);

// defaultMode / mode: 0 to 0777.
std::optional<unsigned> validate_mode(Checker& ck, const Json& o, std::string_view key, const std::string& path);

// o.path (at path.path): a file's path inside its volume, unique in `seen`; into *out.
void validate_local_path(Checker& ck, const Json& o, const std::string& path, std::set<std::string>& seen,
                         std::string* out);

// The resourceFieldRef object `v` at `path` (validate_projected.cpp); `file`: of a
// downwardAPI file, which must name its container.
std::optional<ResourceFieldRef> validate_resource_field_ref(Checker& ck, const Json& v, const std::string& path,
                                                            bool file);

// volumes[i].downwardAPI / volumes[i].projected at `path`.
ProjectedVolume validate_downward_volume(Checker& ck, const Json& src, const std::string& path);
ProjectedVolume validate_projected_volume(Checker& ck, const Json& src, const std::string& path);

// Every resourceFieldRef.containerName of the pod's env and downwardAPI files names one of
// its containers (the kubelet would fail the container otherwise).
void validate_resource_container_names(Checker& ck, const Pod& pod);

// spec.dnsPolicy, spec.dnsConfig and spec.hostAliases into `pod` (validate_dns.cpp).
void validate_dns(Checker& ck, const Json& spec, Pod& pod);
// metadata.annotations["podrun.io/network"] into pod.network.
void validate_network_annotation(Checker& ck, Pod& pod);

}  // namespace podrun::spec::detail
