// `podrun up` end to end: --explain narrates the kernel steps; a rootfs-directory image runs
// on an overlay whose writes vanish with the container.
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace podrun::test {
namespace {

namespace fs = std::filesystem;

class UpExplain : public PodrunTest {};
class UpImage : public PodrunTest {};

std::vector<std::string> explain_lines(const std::string& err, const std::string& needle) {
    std::vector<std::string> out;
    std::istringstream in(err);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("explain | ", 0) == 0 && line.find(needle) != std::string::npos) {
            out.push_back(line);
        }
    }
    return out;
}

TEST_F(UpExplain, NarratesNamespacesSetnsMountsAndPivotRoot) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = R"SH(apiVersion: v1
kind: Pod
metadata: {name: it-explain}
spec:
  restartPolicy: Never
  volumes:
  - {name: v, emptyDir: {}}
  containers:
  - {name: alpha, command: [sh, -c, "echo alpha-ran"], volumeMounts: [{name: v, mountPath: /v}]}
  - {name: beta, command: [sh, -c, "echo beta-ran"]}
)SH";
    RunResult r = podrun({"up", "--explain", dir.file("pod.yaml", pod)}, "", 30);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(container_lines(r.out, "alpha"), std::vector<std::string>{"alpha-ran"});

    // pause: one clone3 with all five namespace flags.
    auto clones = explain_lines(r.err, "clone3(");
    bool pause_clone = false;
    for (const auto& l : clones) {
        if (l.find("PID 1 of the pod") == std::string::npos) continue;
        pause_clone = true;
        for (const std::string f : {"CLONE_NEWPID", "CLONE_NEWNET", "CLONE_NEWIPC", "CLONE_NEWUTS", "CLONE_NEWNS"}) {
            EXPECT_NE(l.find(f), std::string::npos) << f << " missing in: " << l;
        }
    }
    EXPECT_TRUE(pause_clone) << r.err;

    // Each container: setns into pause's namespaces, mounts, pivot_root.
    for (const std::string c : {"alpha", "beta"}) {
        const std::string tag = "[" + c + "]";
        auto setns = explain_lines(r.err, tag + " fork -> joiner; setns(pause pidfd");
        ASSERT_EQ(setns.size(), 1u) << r.err;
        for (const std::string f : {"CLONE_NEWPID", "CLONE_NEWNET", "CLONE_NEWIPC", "CLONE_NEWUTS"}) {
            EXPECT_NE(setns[0].find(f), std::string::npos) << f << " missing in: " << setns[0];
        }
        // The pod's mount namespace is held by the supervisor (pause has its own).
        EXPECT_EQ(explain_lines(r.err, tag + " joiner: setns(the pod's mount namespace, CLONE_NEWNS)").size(), 1u)
            << r.err;
        EXPECT_FALSE(explain_lines(r.err, tag + " unshare(CLONE_NEWNS|CLONE_NEWCGROUP").empty()) << r.err;
        EXPECT_FALSE(explain_lines(r.err, tag + " fsopen(proc)").empty()) << r.err;
        EXPECT_FALSE(explain_lines(r.err, tag + " mount(tmpfs on ").empty()) << r.err;
        EXPECT_FALSE(
            explain_lines(r.err, tag + " open_tree(/run/podrun/it-explain/etc/hostname, OPEN_TREE_CLONE)").empty())
            << r.err;
        EXPECT_EQ(explain_lines(r.err, tag + " pivot_root(").size(), 1u) << r.err;
        EXPECT_EQ(explain_lines(r.err, tag + " execve(sh -c echo " + c + "-ran)").size(), 1u) << r.err;
    }
    EXPECT_FALSE(
        explain_lines(r.err, "[alpha] open_tree(/var/lib/podrun/it-explain/volumes/v, OPEN_TREE_CLONE|AT_RECURSIVE)")
            .empty())
        << r.err;
    EXPECT_FALSE(explain_lines(r.err, "sethostname(it-explain)").empty()) << r.err;
    // Confinement steps are narrated too: sessions, fds, masks, pause's own root.
    for (const std::string step :
         {"[alpha] setsid()", "[alpha] close_range(3, ~0, CLOSE_RANGE_CLOEXEC)", "[alpha] mask(<root>/proc/keys",
          "[alpha] open_tree(<root>/proc/sys", "[alpha] open(/run/podrun/it-explain/roots/alpha) -> slot 0",
          "pause, before exec: setsid()", "pause, before exec: unshare(CLONE_NEWNS)",
          "pause, before exec: execveat("}) {
        EXPECT_FALSE(explain_lines(r.err, step).empty()) << step << "\n" << r.err;
    }
    EXPECT_FALSE(explain_lines(r.err, "cgroup.kill").empty() && explain_lines(r.err, "rmdir ").empty()) << r.err;
}

// A tiny root filesystem: a static busybox and its applets as symlinks.
void make_rootfs(const std::string& root) {
    fs::create_directories(root + "/bin");
    fs::copy_file("/bin/busybox", root + "/bin/busybox");
    for (const std::string a :
         {"sh", "cat", "echo", "ls", "touch", "mkdir", "rm", "readlink", "hostname", "test", "["}) {
        fs::create_symlink("busybox", root + "/bin/" + a);
    }
    write_file(root + "/bin/image-file", "from the image\n");
}

// path -> type, size, mode, mtime: any change a container could make shows.
std::map<std::string, std::string> snapshot(const std::string& root) {
    std::map<std::string, std::string> m;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        m[e.path().string()] = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    }
    struct stat st {};
    ::lstat(root.c_str(), &st);
    m[root] = std::to_string(st.st_mode) + " " + std::to_string(st.st_mtim.tv_nsec);
    return m;
}

TEST_F(UpImage, RootfsDirectoryRunsAndWritesVanish) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string rootfs = dir / "rootfs";
    make_rootfs(rootfs);
    const auto before = snapshot(rootfs);
    std::string pod = R"SH(apiVersion: v1
kind: Pod
metadata: {name: it-image}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: ROOTFS
    command:
    - sh
    - -c
    - |
      [ -e /written ] && echo "seen=yes" || echo "seen=no"
      echo "image=$(cat /bin/image-file)"
      [ -e /usr/bin ] && echo "usr=yes" || echo "usr=no"
      echo "host=$(cat /etc/hostname)"
      echo data > /written
      echo changed > /bin/image-file
      rm /bin/ls
      touch /bin/added
      [ -e /bin/ls ] && echo "ls=yes" || echo "ls=no"
      echo "after=$(cat /written)"
)SH";
    pod.replace(pod.find("ROOTFS"), 6, rootfs);
    const std::string manifest = dir.file("pod.yaml", pod);

    RunResult r = podrun({"up", manifest}, "", 30);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "seen"), "no") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "image"), "from the image");
    EXPECT_EQ(container_value(r.out, "c", "usr"), "no") << "host /usr is visible in an image";
    EXPECT_EQ(container_value(r.out, "c", "host"), "it-image");
    EXPECT_EQ(container_value(r.out, "c", "ls"), "no");
    EXPECT_EQ(container_value(r.out, "c", "after"), "data");

    // The rootfs directory has not changed at all.
    EXPECT_EQ(snapshot(rootfs), before);
    EXPECT_FALSE(fs::exists(rootfs + "/written"));
    EXPECT_EQ(read_file(rootfs + "/bin/image-file"), "from the image\n");

    // A second run starts from the image again.
    RunResult r2 = podrun({"up", manifest}, "", 30);
    ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
    EXPECT_EQ(container_value(r2.out, "c", "seen"), "no") << r2.out;
    EXPECT_EQ(container_value(r2.out, "c", "image"), "from the image");
    EXPECT_EQ(snapshot(rootfs), before);
}

}  // namespace
}  // namespace podrun::test
