// volumeMounts beyond subPath, end to end (as root): subPathExpr expanded against the
// container's env (and held to a subPath's rules once expanded, symlinks included), and
// mountPropagation None versus HostToContainer with a shared mount the test makes itself.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "harness.hpp"

namespace t = podrun::test;
namespace fs = std::filesystem;
using t::PodrunTest;
using t::RunResult;
using t::TempDir;
using t::with_dir;

// $(POD_NAME) from the downward API and a literal variable: the container writes into
// <hostPath>/<pod name>/logs, made as a directory as a subPath is.
TEST_F(PodrunTest, SubPathExprExpandsTheContainersEnvironment) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-subpathexpr}
spec:
  restartPolicy: Never
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: c
    command: [sh, -c, "echo hi > /out/f"]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: KIND, value: logs}
    volumeMounts: [{name: out, mountPath: /out, subPathExpr: "$(POD_NAME)/$(KIND)"
}]
)Y",
                               dir.path());
    RunResult r = t::podrun({"up", dir.file("pod.yaml", pod)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(t::read_file(dir / "it-subpathexpr/logs/f"), "hi\n");
}

// An expansion that is absolute or climbs out is refused when the container starts, with
// CreateContainerConfigError and the expanded value; nothing of the pod is left.
TEST_F(PodrunTest, SubPathExprThatExpandsOutOfItsVolumeIsRefused) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    for (const std::string value : {"/etc", "../.."}) {
        std::string pod = with_dir(R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-subpathexpr-bad}
spec:
  restartPolicy: Never
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: c
    command: [sh, -c, "echo escaped > /out/escaped"]
    env: [{name: WHERE, value: "VALUE"}]
    volumeMounts: [{name: out, mountPath: /out, subPathExpr: "$(WHERE)"
    }]
)Y",
                                   dir.path());
        pod.replace(pod.find("VALUE"), 5, value);
        RunResult r = t::podrun({"up", dir.file("pod.yaml", pod)});
        EXPECT_EQ(r.exit_code, 125) << value << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("CreateContainerConfigError"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("expands to \"" + value + "\""), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists("/etc/escaped"));
        EXPECT_FALSE(fs::exists(fs::path(dir.path()).parent_path().parent_path() / "escaped"));
    }
}

// CVE-2017-1002101 through subPathExpr: the expanded path is opened beneath its volume, so
// the init container's `evil -> /` fails the start with EXDEV as a subPath does.
TEST_F(PodrunTest, SubPathExprThroughASymlinkOutOfItsVolumeFails) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string mark = "podrun-it-spe-" + std::to_string(::getpid());
    std::string pod = R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-subpathexpr-cve}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  volumes: [{name: data, emptyDir: {}}]
  initContainers:
  - name: evil
    command: [sh, -c, "ln -s / /data/evil"]
    volumeMounts: [{name: data, mountPath: /data}]
  containers:
  - name: app
    command: [sh, -c, "echo escaped > /mnt/MARK"]
    env: [{name: WHICH, value: evil}]
    volumeMounts: [{name: data, mountPath: /mnt, subPathExpr: "$(WHICH)"
}]
)Y";
    pod.replace(pod.find("MARK"), 4, mark);
    RunResult r = t::podrun({"up", dir.file("pod.yaml", pod)});
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("subPath \"evil\" of volume \"data\" must resolve inside the volume"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(std::strerror(EXDEV)), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists("/" + mark));
}

// The host mounts a tmpfs under a shared mount after the pod started: the container whose
// volume is HostToContainer sees it, the one with the default (None) does not, and nothing
// the containers mount reaches the host.
TEST_F(PodrunTest, MountPropagationHostToContainerSeesLaterHostMounts) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string shared = dir / "shared";
    fs::create_directory(shared);
    ASSERT_EQ(::mount("it-shared", shared.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount_shared{shared};
    ASSERT_EQ(::mount(nullptr, shared.c_str(), nullptr, MS_SHARED, nullptr), 0) << std::strerror(errno);
    fs::create_directory(shared + "/late");
    fs::create_directory(shared + "/back");
    std::string pod = with_dir(R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-propagation}
spec:
  terminationGracePeriodSeconds: 1
  volumes: [{name: h, hostPath: {path: DIR/shared, type: Directory}}]
  containers:
  - name: slave
    command: [sleep, "3600"]
    volumeMounts: [{name: h, mountPath: /h, mountPropagation: HostToContainer}]
  - name: none
    command: [sleep, "3600"]
    volumeMounts: [{name: h, mountPath: /h}]
  - name: priv
    command: [sleep, "3600"]
    securityContext: {privileged: true}
    volumeMounts: [{name: h, mountPath: /h, mountPropagation: HostToContainer}]
)Y",
                               dir.path());
    RunResult up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    {
        const std::string late = shared + "/late";
        ASSERT_EQ(::mount("it-late", late.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
        Unmount unmount_late{late};
        t::write_file(late + "/flag", "from the host\n");
        RunResult seen = t::podrun({"exec", "it-propagation", "-c", "slave", "--", "cat", "/h/late/flag"});
        EXPECT_EQ(seen.exit_code, 0) << seen.err;
        EXPECT_EQ(seen.out, "from the host\n");
        RunResult unseen = t::podrun({"exec", "it-propagation", "-c", "none", "--", "cat", "/h/late/flag"});
        EXPECT_NE(unseen.exit_code, 0) << unseen.out;
    }
    // The way back is closed: what a privileged container mounts under its HostToContainer
    // volume stays in the container (the host's mount table does not get it).
    RunResult inner = t::podrun(
        {"exec", "it-propagation", "-c", "priv", "--", "sh", "-c", "mount -t tmpfs it-back /h/back && echo mounted"});
    EXPECT_EQ(inner.out, "mounted\n") << inner.err;
    EXPECT_EQ(t::read_file("/proc/self/mountinfo").find("it-back"), std::string::npos);
    RunResult down = t::podrun({"down", "it-propagation"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
}
