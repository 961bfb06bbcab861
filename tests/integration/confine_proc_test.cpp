// Confinement of a container's process, attacked from inside real pods: capability sets,
// no_new_privs and seccomp read back from /proc/self/status, mount and mknod attempts, the
// device filter on the container's leaf, the user switch, runAsNonRoot, a missing default
// profile, and the same confinement for `podrun exec` and exec hooks. Pods are it-conf-*.
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"
#include "podrun/cgroup/cgroup.hpp"
#include "podrun/sys/confine.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::test {
namespace {

class ConfineProc : public PodrunTest {};

// A one-container pod that runs `script` once (restartPolicy Never) with `security` as its
// securityContext (JSON, may be empty) and `pod_security` as the pod's.
std::string pod(const std::string& name, const std::string& script, const std::string& security = "",
                const std::string& pod_security = "") {
    nlohmann::json c = {{"name", "c"}, {"command", {"sh", "-c", script}}};
    if (!security.empty()) c["securityContext"] = nlohmann::json::parse(security);
    nlohmann::json spec = {{"restartPolicy", "Never"}, {"terminationGracePeriodSeconds", 1}, {"containers", {c}}};
    if (!pod_security.empty()) spec["securityContext"] = nlohmann::json::parse(pod_security);
    nlohmann::json p = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", name}}}, {"spec", spec}};
    return p.dump();
}

// Prints the lines of /proc/self/status that confinement sets, as key=value.
const std::string kStatus =
    "for k in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do "
    "echo \"$k=$(awk -v k=$k: '$1==k {print $2}' /proc/self/status)\"; done; ";

std::string v(const RunResult& r, const std::string& key) {
    return container_value(r.out, "c", key);
}

// Every capability podrun has (the test runs as podrun does): privileged gets no more.
std::string own_caps_hex() {
    std::ifstream f("/proc/self/status");
    std::string k, val;
    while (f >> k >> val) {
        if (k == "CapPrm:") return val;
    }
    return "";
}

// A block device of the host (its first disk, or loop0), as "major minor".
std::string host_block_device() {
    for (const std::string d : {"sda", "vda", "nvme0n1", "xvda", "loop0"}) {
        std::ifstream f("/sys/block/" + d + "/dev");
        std::string mm;
        if (f >> mm) {
            auto colon = mm.find(':');
            return mm.substr(0, colon) + " " + mm.substr(colon + 1);
        }
    }
    return "7 0";
}

TEST_F(ConfineProc, DefaultPodHasContainerdsCapsSeccompAndNoMount) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string script = kStatus +
                               "mount -t tmpfs none /tmp 2>/dev/null; echo mount=$?; "
                               "unshare -U mount -t tmpfs none /tmp 2>/dev/null; echo userns_mount=$?; "
                               "echo tmpfs_on_tmp=$(awk '$5==\"/tmp\"' /proc/self/mountinfo | wc -l); "
                               "echo x > /dev/null && echo devnull=ok";
    RunResult r = podrun({"up", dir.file("pod.json", pod("it-conf-default", script))});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // containerd 2.x / CRI-O: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
    // NET_BIND_SERVICE; inheritable empty (containerd >= 1.6.2, CVE-2022-24769).
    EXPECT_EQ(v(r, "CapBnd"), "00000000000005fb") << r.out;
    EXPECT_EQ(v(r, "CapEff"), "00000000000005fb");
    EXPECT_EQ(v(r, "CapPrm"), "00000000000005fb");
    EXPECT_EQ(v(r, "CapInh"), "0000000000000000");
    EXPECT_EQ(v(r, "CapAmb"), "0000000000000000");
    EXPECT_EQ(v(r, "NoNewPrivs"), "0");
    EXPECT_EQ(v(r, "Seccomp"), "2");  // RuntimeDefault by default
    EXPECT_NE(v(r, "mount"), "0");
    EXPECT_NE(v(r, "userns_mount"), "0");
    EXPECT_EQ(v(r, "tmpfs_on_tmp"), "0");
    EXPECT_EQ(v(r, "devnull"), "ok");
}

// An x32 system call from a confined container (getpid with the x32 bit) fails as the kernel
// fails it (ENOSYS where it has no x32) and does not kill the caller: podrun leaves the x32
// section out of the filter on such kernels, with ENOSYS as the bad-arch action.
TEST_F(ConfineProc, X32CallFailsAsTheKernelFailsItAndKillsNothing) {
    PODRUN_REQUIRE_ROOT();
    if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 (scripts/setup installs it)";
    TempDir dir;
    const std::string script =
        "python3 -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); "
        "r = l.syscall(0x40000000 | 39); print(\"x32=%d errno=%d\" % (r, ctypes.get_errno()))'; echo after=$?";
    RunResult r = podrun({"up", "--explain", dir.file("pod.json", pod("it-conf-x32", script))});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(v(r, "after"), "0") << r.out;  // not killed by SIGSYS (exit 159)
    if (sys::kernel_runs_x32()) {
        EXPECT_NE(v(r, "x32").rfind("-1 ", 0), 0u) << r.out;
    } else {
        EXPECT_EQ(v(r, "x32"), "-1 errno=38") << r.out;
        EXPECT_NE(r.err.find("x32 left out: this kernel has no x32"), std::string::npos) << r.err;
    }
}

TEST_F(ConfineProc, HostBlockDeviceIsUselessEvenWithMknod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string dev = host_block_device();
    // Without CAP_MKNOD mknod itself fails; with it the node is made but cannot be opened.
    const std::string script = "mknod /dev/disk0 b " + dev + " 2>&1; echo mknod=$?; " +
                               "head -c1 /dev/disk0 > /dev/null 2>/tmp/e; echo open=$?; echo err=$(cat /tmp/e)";
    RunResult plain = podrun({"up", dir.file("a.json", pod("it-conf-mknod", script))});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_NE(v(plain, "mknod"), "0") << plain.out;
    RunResult r =
        podrun({"up", dir.file("b.json", pod("it-conf-mknod2", script, R"({"capabilities":{"add":["MKNOD"]}})"))});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(v(r, "mknod"), "0") << r.out;
    EXPECT_NE(v(r, "open"), "0") << r.out;
    EXPECT_NE(v(r, "err").find("Operation not permitted"), std::string::npos) << r.out;  // EPERM: the filter
}

// uid 4321, not 1000: a host user 1000 (common) would bring its /etc/group memberships in
// (supplementalGroupsPolicy Merge; an image-less container has the host's /etc).
TEST_F(ConfineProc, RunAsUserGroupsAndNoEffectiveCaps) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string script = kStatus + "echo uid=$(id -u); echo gid=$(id -g); echo groups=$(id -G)";
    RunResult r =
        podrun({"up", dir.file("pod.json", pod("it-conf-user", script, R"({"runAsUser":4321,"runAsGroup":3000})",
                                               R"({"supplementalGroups":[4000],"fsGroup":2000})"))});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(v(r, "uid"), "4321") << r.out;
    EXPECT_EQ(v(r, "gid"), "3000");
    EXPECT_EQ(v(r, "groups"), "3000 2000 4000");  // the kernel keeps them sorted (setgroups(2))
    EXPECT_EQ(v(r, "CapEff"), "0000000000000000");
    EXPECT_EQ(v(r, "CapPrm"), "0000000000000000");
    EXPECT_EQ(v(r, "CapBnd"), "00000000000005fb");
}

TEST_F(ConfineProc, DropAllAddNetAdmin) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult r = podrun({"up", dir.file("pod.json", pod("it-conf-netadmin", kStatus,
                                                         R"({"capabilities":{"drop":["ALL"],"add":["NET_ADMIN"]}})"))});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(v(r, "CapBnd"), "0000000000001000") << r.out;
    EXPECT_EQ(v(r, "CapEff"), "0000000000001000");
}

TEST_F(ConfineProc, PrivilegedHasEverythingAndNoFilters) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult r = podrun({"up", dir.file("pod.json", pod("it-conf-priv", kStatus, R"({"privileged":true})"))});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(v(r, "CapBnd"), own_caps_hex()) << r.out;
    EXPECT_EQ(v(r, "CapEff"), own_caps_hex());
    EXPECT_EQ(v(r, "Seccomp"), "0");
}

TEST_F(ConfineProc, AllowPrivilegeEscalationFalseSetsNoNewPrivs) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult r =
        podrun({"up", dir.file("pod.json", pod("it-conf-nnp", kStatus, R"({"allowPrivilegeEscalation":false})"))});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(v(r, "NoNewPrivs"), "1") << r.out;
    EXPECT_EQ(v(r, "Seccomp"), "2");
}

TEST_F(ConfineProc, SeccompUnconfinedAndLocalhost) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult u = podrun(
        {"up", dir.file("u.json", pod("it-conf-unconf", kStatus, R"({"seccompProfile":{"type":"Unconfined"}})"))});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    EXPECT_EQ(v(u, "Seccomp"), "0") << u.out;
    // A profile that refuses mkdir with EDQUOT (122), an errno nothing else would give.
    sys::mkdir_p(dir / "profiles/test", 0755);
    dir.file(
        "profiles/test/no-mkdir.json",
        R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":122}]})");
    ::setenv("PODRUN_SECCOMP_DIR", (dir / "profiles").c_str(), 1);
    RunResult l = podrun(
        {"up", dir.file("l.json",
                        pod("it-conf-local", kStatus + "mkdir /tmp/d 2>&1; echo mkdir=$?",
                            R"({"seccompProfile":{"type":"Localhost","localhostProfile":"test/no-mkdir.json"}})"))});
    ::unsetenv("PODRUN_SECCOMP_DIR");
    ASSERT_EQ(l.exit_code, 0) << l.err;
    EXPECT_EQ(v(l, "Seccomp"), "2") << l.out;
    EXPECT_NE(l.out.find("Disk quota exceeded"), std::string::npos) << l.out;
    EXPECT_EQ(v(l, "mkdir"), "1");
}

TEST_F(ConfineProc, MissingDefaultProfileFailsWithTheFixAndCreatesNothing) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    ::setenv("PODRUN_SECCOMP_DEFAULT", (dir / "absent.json").c_str(), 1);
    RunResult r = podrun({"up", dir.file("pod.json", pod("it-conf-noprof", "true"))});
    ::unsetenv("PODRUN_SECCOMP_DEFAULT");
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find("golang-github-containers-common"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Unconfined"), std::string::npos) << r.err;
    EXPECT_FALSE(sys::exists("/run/podrun/it-conf-noprof"));
}

TEST_F(ConfineProc, RunAsNonRootRefusesRootWithTheFieldPath) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult r = podrun({"up", dir.file("pod.json", pod("it-conf-nonroot", "true", R"({"runAsNonRoot":true})"))});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("spec.containers[0].securityContext.runAsNonRoot"), std::string::npos) << r.err;
    EXPECT_FALSE(sys::exists("/run/podrun/it-conf-nonroot"));
    RunResult ok = podrun(
        {"up", dir.file("ok.json", pod("it-conf-nonroot2", "id -u", R"({"runAsNonRoot":true,"runAsUser":1234})"))});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// The device filter is on the container's leaf: bpf(BPF_PROG_QUERY) from the host.
uint32_t device_programs(const std::string& leaf) {
    sys::UniqueFd fd = sys::open_file(leaf, O_RDONLY | O_DIRECTORY);
    bpf_attr attr{};
    attr.query.target_fd = static_cast<uint32_t>(fd.get());
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr) < 0) return 1000 + static_cast<uint32_t>(errno);
    return attr.query.prog_cnt;
}

std::string leaf_of(const std::string& pod, const std::string& container) {
    auto st = nlohmann::json::parse(read_file("/run/podrun/" + pod + "/state.json"));
    return cgroup::PodTree(st["cgroupParent"].get<std::string>(), pod).leaf_dir(container);
}

TEST_F(ConfineProc, ExecAndHooksAreConfinedAsTheContainer) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    nlohmann::json c = {{"name", "c"},
                        {"command",
                         {"sh", "-c",
                          "while [ ! -s /tmp/hook ]; do sleep 0.05; done; echo hook=$(cat "
                          "/tmp/hook); echo ready; exec sleep 100"}},
                        {"lifecycle",
                         {{"postStart",
                           {{"exec",
                             {{"command",
                               {"sh", "-c",
                                "awk '$1==\"Seccomp:\" {s=$2} $1==\"CapEff:\" {e=$2} END {print s "
                                "\"/\" e}' /proc/self/status > /tmp/hook"}}}}}}}}};
    nlohmann::json p = {{"apiVersion", "v1"},
                        {"kind", "Pod"},
                        {"metadata", {{"name", "it-conf-exec"}}},
                        {"spec", {{"terminationGracePeriodSeconds", 1}, {"containers", {c}}}}};
    Background up({"up", dir.file("pod.json", p.dump())});
    ASSERT_TRUE(up.wait_for_out("c | ready", 20)) << up.out() << up.err();
    EXPECT_EQ(container_value(up.out(), "c", "hook"), "2/00000000000005fb") << up.out();
    // The container is Running once its postStart hook has succeeded (and the state saved).
    RunResult e;
    EXPECT_TRUE(eventually(
        [&] {
            e = podrun({"exec", "it-conf-exec", "--", "sh", "-c", kStatus});
            return e.exit_code == 0;
        },
        10))
        << e.err;
    EXPECT_NE(e.out.find("Seccomp=2"), std::string::npos) << e.out;
    EXPECT_NE(e.out.find("CapBnd=00000000000005fb"), std::string::npos) << e.out;
    EXPECT_NE(e.out.find("CapInh=0000000000000000"), std::string::npos) << e.out;
    EXPECT_NE(e.out.find("NoNewPrivs=0"), std::string::npos) << e.out;
    EXPECT_EQ(device_programs(leaf_of("it-conf-exec", "c")), 1u);
    up.signal(SIGTERM);
    EXPECT_FALSE(up.wait(20).timed_out);
}

TEST_F(ConfineProc, ExplainNarratesAndCompilesOncePerPod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    nlohmann::json cs = nlohmann::json::array();
    for (const char* n : {"a", "b", "c"}) cs.push_back({{"name", n}, {"command", {"true"}}});
    nlohmann::json p = {{"apiVersion", "v1"},
                        {"kind", "Pod"},
                        {"metadata", {{"name", "it-conf-explain"}}},
                        {"spec", {{"restartPolicy", "Never"}, {"containers", cs}}}};
    // A cache of its own: the first pod compiles, the second finds the program there.
    ::setenv("PODRUN_SECCOMP_CACHE", (dir / "cache").c_str(), 1);
    RunResult r = podrun({"up", "--explain", dir.file("pod.json", p.dump())});
    RunResult again = podrun({"up", "--explain", dir / "pod.json"});
    ::unsetenv("PODRUN_SECCOMP_CACHE");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto count = [](const std::string& text, const std::string& what) {
        size_t n = 0;
        for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
        return n;
    };
    EXPECT_EQ(count(r.err, "compiled with libseccomp"), 1u) << r.err;
    EXPECT_EQ(count(r.err, "from the cache"), 0u) << r.err;
    EXPECT_EQ(count(again.err, "compiled with libseccomp"), 0u) << again.err;
    EXPECT_EQ(count(again.err, "from the cache"), 1u) << again.err;
    for (const std::string want :
         {"seccomp RuntimeDefault: read /usr/share/containers/seccomp.json, kept", "shared by a, b, c",
          "BPF_PROG_TYPE_CGROUP_DEVICE", "[b] bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE",
          "[a] capset(effective = permitted = CAP_CHOWN, CAP_DAC_OVERRIDE", "setresuid(0)",
          "[c] seccomp(SECCOMP_SET_MODE_FILTER", "PR_CAP_AMBIENT_CLEAR_ALL"}) {
        EXPECT_NE(r.err.find(want), std::string::npos) << want << "\n" << r.err;
    }
}

}  // namespace
}  // namespace podrun::test
