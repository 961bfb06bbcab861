// securityContext: every rule of the pod and container levels, their merge, and the paths,
// values and fixes in the messages.
#include <gtest/gtest.h>

#include <algorithm>

#include "podrun/spec/load.hpp"

using namespace podrun::spec;

namespace {

// A pod with one host-program container; `pod_sc` and `c_sc` are YAML flow mappings (or "").
std::string pod_yaml(const std::string& pod_sc, const std::string& c_sc, const std::string& extra_spec = "") {
    std::string y = "apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec:\n";
    if (!pod_sc.empty()) y += "  securityContext: " + pod_sc + "\n";
    y += extra_spec;
    y += "  containers:\n  - name: c\n    command: [sleep, '1']\n";
    if (!c_sc.empty()) y += "    securityContext: " + c_sc + "\n";
    return y;
}

LoadResult load(const std::string& pod_sc, const std::string& c_sc, const std::string& extra_spec = "") {
    return load_pod_text(pod_yaml(pod_sc, c_sc, extra_spec), "test");
}

std::string all_errors(const LoadResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

std::string all_warnings(const LoadResult& r) {
    std::string s;
    for (const auto& w : r.warnings) s += w + "\n";
    return s;
}

// The error at `path`, or "" (then the test fails showing every error).
std::string error_at(const LoadResult& r, const std::string& path) {
    for (const auto& e : r.errors)
        if (e.path == path) return e.message;
    ADD_FAILURE() << "no error at " << path << "; errors:\n" << all_errors(r);
    return {};
}

void expect_error(const LoadResult& r, const std::string& path, std::initializer_list<std::string> parts) {
    const std::string m = error_at(r, path);
    for (const auto& part : parts) EXPECT_NE(m.find(part), std::string::npos) << path << ": " << m;
}

constexpr const char* kC = "spec.containers[0].securityContext";
const std::string kCs = kC;

TEST(SpecSecurity, EmptyContextGivesDefaults) {
    auto r = load("", "");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const SecurityContext& sc = r.pod->containers[0].security;
    EXPECT_FALSE(sc.run_as_user);
    EXPECT_FALSE(sc.run_as_group);
    EXPECT_FALSE(sc.allow_privilege_escalation);
    EXPECT_FALSE(sc.privileged);
    EXPECT_EQ(sc.seccomp.kind, SeccompKind::RuntimeDefault);  // podrun's default
    EXPECT_EQ(sc.proc_mount, ProcMount::Default);
    EXPECT_TRUE(sc.capabilities.add.empty());
    EXPECT_EQ(r.pod->security.fs_group_change_policy, FsGroupChangePolicy::Always);
}

TEST(SpecSecurity, ContainerWinsOverPod) {
    auto r = load(
        "{runAsUser: 1000, runAsGroup: 2000, runAsNonRoot: true, fsGroup: 3000, "
        "supplementalGroups: [4000, 4001], supplementalGroupsPolicy: Strict, "
        "seccompProfile: {type: Unconfined}}",
        "{runAsUser: 1001, seccompProfile: {type: Localhost, localhostProfile: "
        "profiles/deny-mkdir.json}}");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const SecurityContext& sc = r.pod->containers[0].security;
    EXPECT_EQ(sc.run_as_user, 1001);
    EXPECT_EQ(sc.run_as_group, 2000);
    EXPECT_EQ(sc.run_as_non_root, true);
    EXPECT_EQ(sc.fs_group, 3000);
    EXPECT_EQ(sc.supplemental_groups, (std::vector<int64_t>{4000, 4001}));
    EXPECT_EQ(sc.supplemental_groups_policy, SupplementalGroupsPolicy::Strict);
    EXPECT_EQ(sc.seccomp.kind, SeccompKind::Localhost);
    EXPECT_EQ(sc.seccomp.localhost_profile, "profiles/deny-mkdir.json");
    EXPECT_EQ(r.pod->security.fs_group, 3000);
}

TEST(SpecSecurity, PodLevelReachesInitContainersToo) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  securityContext: {runAsUser: 1000, seccompProfile: {type: Unconfined}}
  initContainers:
  - {name: i, command: [/bin/true]}
  containers:
  - {name: c, command: [/bin/true], securityContext: {runAsGroup: 5}}
)",
                           "test");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_EQ(r.pod->init_containers[0].security.run_as_user, 1000);
    EXPECT_EQ(r.pod->init_containers[0].security.seccomp.kind, SeccompKind::Unconfined);
    EXPECT_EQ(r.pod->containers[0].security.run_as_user, 1000);
    EXPECT_EQ(r.pod->containers[0].security.run_as_group, 5);
}

TEST(SpecSecurity, IdRanges) {
    auto r = load(
        "{runAsUser: -1, runAsGroup: 2147483648, fsGroup: -5, "
        "supplementalGroups: [1, -2, x]}",
        "{runAsUser: 4294967296}");
    expect_error(r, "spec.securityContext.runAsUser", {"-1", "between 0 and 2147483647"});
    expect_error(r, "spec.securityContext.runAsGroup", {"2147483648", "gid"});
    expect_error(r, "spec.securityContext.fsGroup", {"-5"});
    expect_error(r, "spec.securityContext.supplementalGroups[1]", {"-2"});
    expect_error(r, "spec.securityContext.supplementalGroups[2]", {"integer"});
    expect_error(r, kCs + ".runAsUser", {"4294967296"});
    auto ok = load("{runAsUser: 0, runAsGroup: 2147483647}", "");
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
}

TEST(SpecSecurity, RunAsNonRootWithUidZero) {
    // Pod says non-root, container says uid 0: the error names both paths.
    auto r = load("{runAsNonRoot: true}", "{runAsUser: 0}");
    expect_error(r, kCs + ".runAsUser", {"0 (root)", "spec.securityContext.runAsNonRoot", "non-zero uid"});
    // The container overriding runAsNonRoot to false makes uid 0 fine.
    auto ok = load("{runAsNonRoot: true, runAsUser: 0}", "{runAsNonRoot: false}");
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
    // Both at the pod level.
    auto pod = load("{runAsNonRoot: true, runAsUser: 0}", "");
    expect_error(pod, "spec.securityContext.runAsUser", {"runAsNonRoot"});
}

TEST(SpecSecurity, RunAsNonRootWithoutUserForHostPrograms) {
    // Without an image, podrun runs host programs as uid 0: knowable now.
    auto r = load("", "{runAsNonRoot: true}");
    expect_error(r, kCs + ".runAsNonRoot", {"would run as root", "runAsUser"});
    auto ok = load("", "{runAsNonRoot: true, runAsUser: 1000}");
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
    // A rootfs directory has no image config naming a user either.
    auto dir = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: c, image: /srv/rootfs, command: [/bin/sh]}
)",
                             "test");
    expect_error(dir, "spec.securityContext.runAsNonRoot", {"\"c\"", "rootfs-directory image"});
}

TEST(SpecSecurity, EnumsAreChecked) {
    auto r = load("{supplementalGroupsPolicy: merge, fsGroupChangePolicy: Sometimes}", "{procMount: Masked}");
    expect_error(r, "spec.securityContext.supplementalGroupsPolicy", {"\"merge\"", "Merge or Strict"});
    expect_error(r, "spec.securityContext.fsGroupChangePolicy", {"\"Sometimes\"", "Always or OnRootMismatch"});
    expect_error(r, kCs + ".procMount", {"\"Masked\"", "Default or Unmasked"});
    auto ok = load("{fsGroup: 1, fsGroupChangePolicy: OnRootMismatch}", "{procMount: Default}");
    ASSERT_TRUE(ok.ok()) << all_errors(ok);
    EXPECT_EQ(ok.pod->security.fs_group_change_policy, FsGroupChangePolicy::OnRootMismatch);
}

TEST(SpecSecurity, ProcMountUnmaskedNeedsHostUsersFalse) {
    auto r = load("", "{procMount: Unmasked}");
    expect_error(r, kCs + ".procMount", {"Unmasked", "hostUsers: false", "Default"});
}

TEST(SpecSecurity, HostUsersTrueOnly) {
    auto ok = load("", "", "  hostUsers: true\n");
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
    auto r = load("", "", "  hostUsers: false\n");
    expect_error(r, "spec.hostUsers", {"user namespace", "not support yet"});
}

TEST(SpecSecurity, AllowPrivilegeEscalationFalseConflicts) {
    auto r = load("", "{allowPrivilegeEscalation: false, privileged: true}");
    expect_error(r, kCs + ".allowPrivilegeEscalation", {"privileged: true", "remove one"});
    // Any spelling of SYS_ADMIN is CAP_SYS_ADMIN once normalised.
    auto caps = load("", "{allowPrivilegeEscalation: false, capabilities: {add: [sys_admin]}}");
    expect_error(caps, kCs + ".allowPrivilegeEscalation", {"CAP_SYS_ADMIN"});
    auto ok = load("", "{allowPrivilegeEscalation: false, capabilities: {add: [NET_ADMIN]}}");
    ASSERT_TRUE(ok.ok()) << all_errors(ok);
    EXPECT_EQ(ok.pod->containers[0].security.allow_privilege_escalation, false);
    auto unset = load("", "{privileged: true}");
    ASSERT_TRUE(unset.ok()) << all_errors(unset);
    EXPECT_FALSE(unset.pod->containers[0].security.allow_privilege_escalation);
}

TEST(SpecSecurity, CapabilitiesNormalised) {
    auto r = load("",
                  "{capabilities: {add: [NET_ADMIN, cap_sys_time, Cap_Net_Raw, all], "
                  "drop: [ALL, CAP_CHOWN, checkpoint_restore]}}");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const auto& c = r.pod->containers[0].security.capabilities;
    EXPECT_EQ(c.add, (std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_NET_RAW", "ALL"}));
    EXPECT_EQ(c.drop, (std::vector<std::string>{"ALL", "CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"}));
}

TEST(SpecSecurity, UnknownCapabilityHasSuggestion) {
    auto r = load("", "{capabilities: {add: [NET_ADMN, 7], drop: [CAP_ALL, frobnicate_everything]}}");
    expect_error(r, kCs + ".capabilities.add[0]",
                 {"\"NET_ADMN\"", "not a Linux capability", "did you mean \"NET_ADMIN\""});
    expect_error(r, kCs + ".capabilities.add[1]", {"capability name"});
    expect_error(r, kCs + ".capabilities.drop[0]", {"did you mean \"ALL\""});
    expect_error(r, kCs + ".capabilities.drop[1]", {"capabilities(7)"});
}

TEST(SpecSecurity, CapabilityTable) {
    EXPECT_EQ(capability_names().size(), 41u);
    EXPECT_EQ(capability_number("CAP_CHOWN"), 0);
    EXPECT_EQ(capability_number("CAP_NET_ADMIN"), 12);
    EXPECT_EQ(capability_number("CAP_SYS_ADMIN"), 21);
    EXPECT_EQ(capability_number("CAP_CHECKPOINT_RESTORE"), 40);
    EXPECT_EQ(capability_number("NET_ADMIN"), -1);  // only normalised names
}

TEST(SpecSecurity, PrivilegedIsUnconfinedSeccomp) {
    auto r = load("{seccompProfile: {type: RuntimeDefault}}", "{privileged: true, readOnlyRootFilesystem: true}");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const auto& sc = r.pod->containers[0].security;
    EXPECT_TRUE(sc.privileged);
    EXPECT_TRUE(sc.read_only_root_filesystem);
    EXPECT_EQ(sc.seccomp.kind, SeccompKind::Unconfined);
}

TEST(SpecSecurity, SeccompConsistency) {
    auto r = load("{seccompProfile: {localhostProfile: a.json}}", "{seccompProfile: {type: Localhost}}");
    expect_error(r, "spec.securityContext.seccompProfile.type", {"required", "RuntimeDefault"});
    expect_error(r, kCs + ".seccompProfile.localhostProfile", {"required when type is Localhost"});
    auto r2 = load("{seccompProfile: {type: RuntimeDefault, localhostProfile: a.json}}",
                   "{seccompProfile: {type: runtime/default}}");
    expect_error(r2, "spec.securityContext.seccompProfile.localhostProfile", {"only be set when type is Localhost"});
    expect_error(r2, kCs + ".seccompProfile.type", {"\"runtime/default\"", "RuntimeDefault"});
    for (const char* bad : {"/etc/x.json", "../x.json", "a/../../x.json", ".."}) {
        auto r3 = load("", std::string("{seccompProfile: {type: Localhost, localhostProfile: '") + bad + "'}}");
        expect_error(r3, kCs + ".seccompProfile.localhostProfile", {bad, "relative path without '..'"});
    }
    auto ok = load("", "{seccompProfile: {type: Localhost, localhostProfile: 'x..y/z.json'}}");
    EXPECT_TRUE(ok.ok()) << all_errors(ok);  // ".." only as a whole element
}

TEST(SpecSecurity, SysctlsNamespacedOnly) {
    auto r = load(
        "{sysctls: [{name: kernel.shm_rmid_forced, value: '1'}, "
        "{name: net.ipv4.ip_unprivileged_port_start, value: '0'}, "
        "{name: kernel.sem, value: '250 32000 32 128'}, "
        "{name: fs.mqueue.msg_max, value: '20'}, "
        "{name: kernel.msgmax, value: '8192'}, "
        "{name: net/ipv4/conf/eth0.100/rp_filter, value: '1'}]}",
        "");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const auto& s = r.pod->security.sysctls;
    ASSERT_EQ(s.size(), 6u);
    EXPECT_EQ(s[0].name, "kernel.shm_rmid_forced");
    EXPECT_EQ(s[2].value, "250 32000 32 128");
    EXPECT_EQ(s[5].name, "net.ipv4.conf.eth0/100.rp_filter");  // the kubelet's normal form
    EXPECT_EQ(sysctl_proc_path(s[5].name), "net/ipv4/conf/eth0.100/rp_filter");
    EXPECT_EQ(sysctl_namespace(s[0].name), SysctlNamespace::Ipc);
    EXPECT_EQ(sysctl_namespace(s[1].name), SysctlNamespace::Net);
    EXPECT_EQ(sysctl_namespace("kernel.semx"), SysctlNamespace::None);
}

TEST(SpecSecurity, SysctlsRefused) {
    auto r = load(
        "{sysctls: [{name: vm.swappiness, value: '1'}, {name: Net.ipv4.x, value: '1'}, "
        "{name: kernel.sem, value: '1'}, {name: kernel.sem, value: '2'}, "
        "{name: net.core.somaxconn}, {value: '1'}, {name: kernel.hostname, value: x}]}",
        "");
    const std::string p = "spec.securityContext.sysctls";
    expect_error(r, p + "[0].name", {"\"vm.swappiness\"", "not a namespaced sysctl", "net.*"});
    expect_error(r, p + "[1].name", {"\"Net.ipv4.x\"", "lowercase"});
    expect_error(r, p + "[3].name", {"given twice"});
    expect_error(r, p + "[4].value", {"required"});
    expect_error(r, p + "[5].name", {"required"});
    expect_error(r, p + "[6].name", {"not a namespaced sysctl"});
}

TEST(SpecSecurity, SysctlsWithHostNamespaces) {
    auto r = load(
        "{sysctls: [{name: net.ipv4.tcp_syncookies, value: '1'}, "
        "{name: kernel.shmmax, value: '1'}, {name: fs.mqueue.queues_max, value: '1'}]}",
        "", "  hostNetwork: true\n  hostIPC: true\n");
    const std::string p = "spec.securityContext.sysctls";
    expect_error(r, p + "[0].name", {"hostNetwork"});
    expect_error(r, p + "[1].name", {"hostIPC"});
    expect_error(r, p + "[2].name", {"hostIPC"});
}

TEST(SpecSecurity, DefaultOnlyOptionsWarned) {
    auto r = load(
        "{seLinuxOptions: {}, seLinuxChangePolicy: Recursive, "
        "windowsOptions: {hostProcess: false}, appArmorProfile: {type: RuntimeDefault}}",
        "{seLinuxOptions: {level: ''}, appArmorProfile: {type: Unconfined}}");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    const std::string w = all_warnings(r);
    EXPECT_NE(w.find("no AppArmor profile"), std::string::npos) << w;
    EXPECT_NE(w.find("spec.securityContext.appArmorProfile, " + kCs + ".appArmorProfile"), std::string::npos) << w;
    EXPECT_NE(w.find("SELinux options that set no label"), std::string::npos) << w;
    EXPECT_NE(w.find("spec.securityContext.windowsOptions"), std::string::npos) << w;
    EXPECT_NE(w.find("spec.securityContext.seLinuxChangePolicy"), std::string::npos) << w;
}

TEST(SpecSecurity, NonDefaultOptionsRefused) {
    auto r = load(
        "{seLinuxOptions: {level: 's0:c123,c456'}, windowsOptions: {runAsUserName: "
        "ContainerUser}}",
        "{appArmorProfile: {type: Localhost, localhostProfile: k8s-deny-write}, "
        "windowsOptions: {hostProcess: true}}");
    expect_error(r, "spec.securityContext.seLinuxOptions.level",
                 {"s0:c123,c456", "no SELinux labels", "remove seLinuxOptions"});
    expect_error(r, "spec.securityContext.windowsOptions.runAsUserName", {"Windows-only"});
    expect_error(r, kCs + ".windowsOptions.hostProcess", {"Windows-only"});
    expect_error(r, kCs + ".appArmorProfile", {"no AppArmor profiles", "seccompProfile"});
}

TEST(SpecSecurity, Annotations) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata:
  name: s
  annotations:
    container.apparmor.security.beta.kubernetes.io/c: runtime/default
    container.apparmor.security.beta.kubernetes.io/d: unconfined
    seccomp.security.alpha.kubernetes.io/pod: runtime/default
spec:
  containers:
  - {name: c, command: [/bin/true]}
)",
                           "test");
    expect_error(r, "metadata.annotations[container.apparmor.security.beta.kubernetes.io/d]",
                 {"\"d\"", "does not have"});
    const std::string w = all_warnings(r);
    EXPECT_NE(w.find("seccomp annotations have had no effect"), std::string::npos) << w;
    auto r2 = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata:
  name: s
  annotations:
    container.apparmor.security.beta.kubernetes.io/c: localhost/k8s-deny
    container.apparmor.security.beta.kubernetes.io/i: bogus
spec:
  initContainers:
  - {name: i, command: [/bin/true]}
  containers:
  - {name: c, command: [/bin/true]}
)",
                            "test");
    expect_error(r2, "metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]",
                 {"no AppArmor profiles"});
    expect_error(r2, "metadata.annotations[container.apparmor.security.beta.kubernetes.io/i]",
                 {"\"bogus\"", "runtime/default"});
}

TEST(SpecSecurity, UnknownFieldsSuggest) {
    auto r = load("{runAsUsr: 1}", "{readOnlyRootFileSystem: true, capabilities: {ad: [X]}}");
    expect_error(r, "spec.securityContext.runAsUsr", {"did you mean \"runAsUser\""});
    expect_error(r, kCs + ".readOnlyRootFileSystem", {"did you mean \"readOnlyRootFilesystem\""});
    expect_error(r, kCs + ".capabilities.ad", {"did you mean \"add\""});
}

TEST(SpecSecurity, NewerFieldsNotYet) {
    auto r = load("", "{cgroupOptions: {mountMode: ReadWrite}}");
    expect_error(r, kCs + ".cgroupOptions", {"not supported by podrun yet"});
}

TEST(SpecSecurity, FieldsAtTheWrongLevelSayWhereTheyBelong) {
    auto r = load("{capabilities: {drop: [ALL]}, privileged: true}", "{fsGroup: 2000, sysctls: []}");
    expect_error(r, "spec.securityContext.capabilities", {"unknown field here", "spec.containers[*].securityContext"});
    expect_error(r, "spec.securityContext.privileged", {"each container's securityContext"});
    expect_error(r, kCs + ".fsGroup", {"unknown field here", "spec.securityContext"});
    expect_error(r, kCs + ".sysctls", {"the pod's securityContext"});
}

TEST(SpecSecurity, TypeErrors) {
    auto r = load("{runAsNonRoot: 'yes', sysctls: {}}", "{privileged: 1, capabilities: []}");
    expect_error(r, "spec.securityContext.runAsNonRoot", {"boolean"});
    expect_error(r, "spec.securityContext.sysctls", {"array"});
    expect_error(r, kCs + ".privileged", {"boolean"});
    expect_error(r, kCs + ".capabilities", {"object"});
}

TEST(SpecPaths, DotDotRefusedInMountPathSubPathWorkingDir) {
    auto r = load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  volumes: [{name: v, emptyDir: {}}]
  containers:
  - name: c
    command: [/bin/true]
    workingDir: /data/../etc
    volumeMounts:
    - {name: v, mountPath: /a/../b}
    - {name: v, mountPath: relative}
    - {name: v, mountPath: /c, subPath: ../x}
    - {name: v, mountPath: /d, subPath: /abs}
    - {name: v, mountPath: /e..f/g, subPath: 'a..b'}
)",
                           "test");
    const std::string p = "spec.containers[0]";
    expect_error(r, p + ".workingDir", {"/data/../etc", "'..'"});
    expect_error(r, p + ".volumeMounts[0].mountPath", {"/a/../b", "'..'"});
    expect_error(r, p + ".volumeMounts[1].mountPath", {"absolute"});
    expect_error(r, p + ".volumeMounts[2].subPath", {"../x", "relative"});
    expect_error(r, p + ".volumeMounts[3].subPath", {"/abs", "relative"});
    EXPECT_EQ(r.errors.size(), 5u) << all_errors(r);  // mount 4 is fine
}

}  // namespace
