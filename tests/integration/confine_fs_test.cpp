// Confinement, the filesystem and process half (issue 10): each escape attempted from
// inside a pod, and its failure asserted - pause's root, sessions and inherited fds, paths
// resolved in the root (CVE-2017-1002101, symlinked image dirs), read-only system
// directories that stay read-only, masked paths.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "harness.hpp"

namespace fs = std::filesystem;

namespace podrun::test {
namespace {

class ConfineFs : public PodrunTest {};

std::string pod_with(const std::string& name, const std::string& script, const std::string& extra = "") {
    std::string indented;
    size_t i = 0;
    while (i < script.size()) {
        size_t j = script.find('\n', i);
        if (j == std::string::npos) j = script.size();
        indented += "      " + script.substr(i, j - i) + "\n";
        i = j + 1;
    }
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
           "}\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 3\n" + extra +
           "  containers:\n  - name: c\n    command:\n    - sh\n    - -c\n    - |\n" + indented;
}

TEST_F(ConfineFs, PauseRootShowsNothingOfTheHost) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string mark = "podrun-it-pause-" + std::to_string(::getpid());
    const std::string script =
        "echo \"ls=$(ls -A /proc/1/root | tr '\\n' ' ')\"\n"
        "echo \"up=$(ls -A /proc/1/root/../.. | tr '\\n' ' ')\"\n"
        "touch /proc/1/root/tmp/" +
        mark +
        " 2>/tmp/e; echo \"tmp=$(cat /tmp/e)\"\n"
        "touch /proc/1/root/" +
        mark + " 2>/tmp/e; echo \"top=$(cat /tmp/e)\"\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod_with("it-conf-pause", script))});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // pause's root is an empty directory, and ".." does not leave it.
    EXPECT_EQ(container_value(r.out, "c", "ls"), "") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "up"), "") << r.out;
    EXPECT_NE(container_value(r.out, "c", "tmp").find("No such file or directory"), std::string::npos) << r.out;
    EXPECT_NE(container_value(r.out, "c", "top").find("Read-only file system"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists("/tmp/" + mark));
    EXPECT_FALSE(fs::exists("/" + mark));
}

// Another container's root, reached through /proc/PID/root (a shared pid namespace), is a
// root nothing is above: ".." does not climb out of it to the host (which a chroot left
// below the pivot, or a plain MS_MOVE + chroot, would allow).
TEST_F(ConfineFs, AnotherContainersRootDoesNotClimbToTheHost) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-conf-climb}\nspec:\n  restartPolicy: Never\n"
        "  terminationGracePeriodSeconds: 3\n  containers:\n"
        "  - {name: a, command: [sh, -c, 'exec sleep 3']}\n"
        "  - name: b\n    command:\n    - sh\n    - -c\n    - |\n"
        "      sleep 0.5\n"
        "      p=$(for d in /proc/[0-9]*; do [ \"$(cat $d/comm 2>/dev/null)\" = sleep ] && echo ${d#/proc/}; done | "
        "head -1)\n"
        "      echo \"found=${p:+yes}\"\n"
        "      echo \"up=$(ls -A /proc/$p/root/../.. | tr '\\n' ' ')\"\n"
        "      echo \"own=$(ls -A / | tr '\\n' ' ')\"\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "b", "found"), "yes") << r.out;
    const std::string up = container_value(r.out, "b", "up");
    EXPECT_FALSE(up.empty()) << r.out;
    // Both are image-less roots of the same shape; the host's "/" has a var, they do not.
    EXPECT_EQ(up, container_value(r.out, "b", "own")) << r.out;
    EXPECT_EQ(up.find("var"), std::string::npos) << r.out;
}

TEST_F(ConfineFs, CallerFdsDoNotCrossIntoTheContainer) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // An fd without CLOEXEC, as a careless caller of `podrun up` leaves one.
    int fd = ::open("/etc/hostname", O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::dup2(fd, 77), 77);
    ::close(fd);
    const std::string script =
        "if [ -e /proc/self/fd/77 ]; then echo fd77=open; else echo fd77=closed; fi\n"
        "echo \"fds=$(ls /proc/self/fd | tr '\\n' ' ')\"\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod_with("it-conf-fds", script))});
    ::close(77);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "fd77"), "closed") << r.out;
    // stdin, stdout, stderr, and the directory ls reads: nothing of podrun's.
    EXPECT_EQ(container_value(r.out, "c", "fds"), "0 1 2 3 ") << r.out;
}

// `podrun up` on a terminal of its own (a pty the test holds), Ctrl-C typed on it.
TEST_F(ConfineFs, CtrlCOnATerminalIsTheGraceProtocol) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string script =
        "trap 'echo got=INT; exit 3' INT\n"
        "trap 'echo got=TERM; exit 0' TERM\n"
        "echo ready=1\n"
        "while :; do sleep 0.1; done\n";
    const std::string file = dir.file("pod.yaml", pod_with("it-conf-tty", script));
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    const std::string slave = ::ptsname(master);
    const std::string bin = podrun::test::podrun_bin();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        int s = ::open(slave.c_str(), O_RDWR);
        if (s < 0 || ::ioctl(s, TIOCSCTTY, 0) < 0) _exit(120);
        ::dup2(s, 0);
        ::dup2(s, 1);
        ::dup2(s, 2);
        ::execl(bin.c_str(), bin.c_str(), "up", file.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    ASSERT_GT(pid, 0);
    std::string out;
    auto pump = [&](double timeout_s, const std::string& until) {
        double deadline = now_s() + timeout_s;
        char buf[4096];
        while (now_s() < deadline && (until.empty() || out.find(until) == std::string::npos)) {
            pollfd p{master, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) return;  // EIO: every slave fd closed, podrun is gone
            out.append(buf, static_cast<size_t>(n));
        }
    };
    pump(30, "ready=1");
    ASSERT_NE(out.find("ready=1"), std::string::npos) << out;
    const char ctrl_c = 0x03;  // VINTR: the line discipline signals the foreground group
    ASSERT_EQ(::write(master, &ctrl_c, 1), 1);
    pump(20, "");
    int status = 0;
    bool exited = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 20);
    if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    ::close(master);
    ASSERT_TRUE(exited) << out;
    // The container is in a session of its own: only podrun saw the SIGINT, and turned it
    // into the grace protocol's SIGTERM.
    EXPECT_NE(out.find("got=TERM"), std::string::npos) << out;
    EXPECT_EQ(out.find("got=INT"), std::string::npos) << out;
}

// CVE-2017-1002101: an init container plants `evil -> /` in an emptyDir; an app container
// mounting subPath evil must not get the host's root.
TEST_F(ConfineFs, SubPathSymlinkOutOfItsVolumeFailsTheContainer) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string mark = "podrun-it-cve-" + std::to_string(::getpid());
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-conf-cve}\nspec:\n"
        "  restartPolicy: Never\n  terminationGracePeriodSeconds: 3\n"
        "  volumes: [{name: data, emptyDir: {}}]\n"
        "  initContainers:\n  - name: evil\n    command: [sh, -c, 'ln -s / /data/evil']\n"
        "    volumeMounts: [{name: data, mountPath: /data}]\n"
        "  containers:\n  - name: app\n    command: [sh, -c, 'echo escaped > /mnt/" +
        mark +
        "; echo ran=1']\n"
        "    volumeMounts: [{name: data, mountPath: /mnt, subPath: evil}]\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)});
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "app", "ran"), "") << r.out;
    EXPECT_NE(r.err.find("subPath \"evil\" of volume \"data\" must resolve inside the volume"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(std::strerror(EXDEV)), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists("/" + mark));
}

// A rootfs whose etc and data are absolute symlinks to host directories: podrun creates
// its mount points and files inside the root, never in those directories.
TEST_F(ConfineFs, ImageSymlinksToHostDirsCreateNothingThere) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string rootfs = dir / "rootfs", host_etc = dir / "host-etc", host_data = dir / "host-data";
    fs::create_directories(rootfs + "/bin");
    fs::create_directories(host_etc);
    fs::create_directories(host_data);
    fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
    fs::create_symlink("busybox", rootfs + "/bin/sh");
    fs::create_symlink(host_etc, rootfs + "/etc");
    fs::create_symlink(host_data, rootfs + "/data");
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-conf-links}\nspec:\n"
        "  restartPolicy: Never\n  terminationGracePeriodSeconds: 3\n"
        "  volumes: [{name: v, emptyDir: {}}]\n"
        "  containers:\n  - name: c\n    image: " +
        rootfs +
        "\n    command: [sh, -c, 'echo ran=1']\n"
        "    volumeMounts: [{name: v, mountPath: /data/x}]\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)});
    // Inside the root the symlinks dangle (no such directory there): podrun either makes
    // them there or fails the start - and the host directories stay empty.
    EXPECT_TRUE(fs::is_empty(host_etc)) << r.out << r.err;
    EXPECT_TRUE(fs::is_empty(host_data)) << r.out << r.err;
    if (r.exit_code != 0) {
        EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
    }
}

TEST_F(ConfineFs, SystemDirsAndProcSysStayReadOnly) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string mark = "podrun-it-ro-" + std::to_string(::getpid());
    const std::string panic_before = read_file("/proc/sys/kernel/panic");
    const std::string script =
        "mount -o remount,bind,rw /usr 2>/dev/null; echo \"remount=$?\"\n"
        "if touch /usr/" +
        mark +
        " 2>/tmp/e; then echo usr=written; else echo \"usr=$(cat /tmp/e)\"; fi\n"
        "if { echo 7 > /proc/sys/kernel/panic; } 2>/tmp/e; then echo panic=written; else echo \"panic=$(cat /tmp/e)\"; "
        "fi\n"
        "if { echo h > /proc/sysrq-trigger; } 2>/tmp/e; then echo sysrq=written; else echo \"sysrq=$(cat /tmp/e)\"; "
        "fi\n"
        "if mkdir /sys/fs/cgroup/" +
        mark +
        " 2>/tmp/e; then echo cg=made; else echo \"cg=$(cat /tmp/e)\"; fi\n"
        "if touch /sys/kernel/" +
        mark + " 2>/tmp/e; then echo sys=written; else echo \"sys=$(cat /tmp/e)\"; fi\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod_with("it-conf-ro", script))});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // Whether or not the remount is allowed (capabilities are another layer's), the write
    // fails: the host's /usr is below an overlay without an upper layer.
    EXPECT_NE(container_value(r.out, "c", "usr").find("Read-only file system"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists("/usr/" + mark));
    for (const std::string k : {"panic", "sysrq", "cg", "sys"}) {
        if (k == "sysrq" && !fs::exists("/proc/sysrq-trigger")) continue;  // a kernel without it
        EXPECT_NE(container_value(r.out, "c", k).find("Read-only file system"), std::string::npos) << k << "\n"
                                                                                                   << r.out;
    }
    EXPECT_EQ(read_file("/proc/sys/kernel/panic"), panic_before);
}

TEST_F(ConfineFs, MaskedPathsAndVolumeFlagsKept) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // A hostPath on a nosuid,nodev,noexec tmpfs: readOnly must add "ro" and keep all three
    // (a MS_REMOUNT|MS_BIND|MS_RDONLY would have dropped them).
    const std::string host = dir / "nosuid";
    fs::create_directories(host);
    ASSERT_EQ(::mount("tmpfs", host.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m"), 0) << errno;
    struct Unmount {
        std::string p;
        ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } unmount{host};
    const std::string script =
        "echo \"keys=$(wc -c < /proc/keys)\"\n"
        "echo \"keys_type=$(stat -c %F /proc/keys)\"\n"
        "echo \"acpi=$(ls -A /proc/acpi | wc -l)\"\n"
        "echo \"firmware=$(ls -A /sys/firmware | wc -l)\"\n"
        "echo \"shadow=$(wc -c < /etc/shadow)\"\n"
        "echo \"sysopts=$(awk '$5 == \"/sys\" {print $6}' /proc/self/mountinfo)\"\n"
        "echo \"roopts=$(awk '$5 == \"/ro\" {print $6}' /proc/self/mountinfo)\"\n"
        "echo \"edopts=$(awk '$5 == \"/ed\" {print $6}' /proc/self/mountinfo)\"\n"
        "echo \"rootopts=$(awk '$5 == \"/\" {print $6}' /proc/self/mountinfo)\"\n"
        "if touch /ro/x 2>/tmp/e; then echo rovol=written; else echo \"rovol=$(cat /tmp/e)\"; fi\n"
        "[ -e /dev/tty ] && echo \"tty=$(stat -c %t:%T /dev/tty)\"\n";
    const std::string extra =
        "  volumes:\n  - {name: h, hostPath: {path: " + host + "}}\n  - {name: ed, emptyDir: {}}\n";
    std::string pod = pod_with("it-conf-mask", script, extra);
    pod += "    volumeMounts:\n    - {name: h, mountPath: /ro, readOnly: true}\n    - {name: ed, mountPath: /ed}\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // (Masks of paths this kernel has: /proc/kcore, /proc/sched_debug... are absent on
    // some; the op list is checked for every one of them in runtime_plan_test.)
    if (fs::exists("/proc/keys")) {
        EXPECT_EQ(container_value(r.out, "c", "keys"), "0") << r.out;
        EXPECT_EQ(container_value(r.out, "c", "keys_type"), "character special file") << r.out;  // /dev/null
    }
    if (fs::exists("/proc/acpi")) {
        EXPECT_EQ(container_value(r.out, "c", "acpi"), "0") << r.out;
    }
    EXPECT_EQ(container_value(r.out, "c", "firmware"), "0") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "shadow"), "0") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "sysopts").rfind("ro,", 0), 0u) << r.out;
    const std::string ro = container_value(r.out, "c", "roopts");
    EXPECT_EQ(ro.rfind("ro,", 0), 0u) << r.out;
    EXPECT_NE(ro.find("nosuid"), std::string::npos) << r.out;
    EXPECT_NE(ro.find("nodev"), std::string::npos) << r.out;
    EXPECT_NE(ro.find("noexec"), std::string::npos) << r.out;
    EXPECT_NE(container_value(r.out, "c", "edopts").find("nodev"), std::string::npos) << r.out;
    EXPECT_NE(container_value(r.out, "c", "rootopts").find("nodev"), std::string::npos) << r.out;
    EXPECT_NE(container_value(r.out, "c", "rovol").find("Read-only file system"), std::string::npos) << r.out;
    EXPECT_EQ(container_value(r.out, "c", "tty"), "5:0") << r.out;
}

}  // namespace
}  // namespace podrun::test
