// `podrun up` end to end: TCP between containers over the pod's loopback, and files shared
// through volumes (emptyDir on disk and in memory with its sizeLimit, readOnly, subPath,
// hostPath with DirectoryOrCreate).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "harness.hpp"

namespace podrun::test {
namespace {

class UpNetwork : public PodrunTest {};
class UpVolumes : public PodrunTest {};

// connect(2) to 127.0.0.1:port in the test's (the host's) network namespace; errno or 0.
int host_connect_errno(int port) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    int e = rc < 0 ? errno : 0;
    ::close(s);
    return e;
}

TEST_F(UpNetwork, TcpBetweenContainersOverLoopback) {
    PODRUN_REQUIRE_ROOT();
    // A port nothing on the host listens on, so the host-side check below means something.
    const int port = 18089;
    ASSERT_EQ(host_connect_errno(port), ECONNREFUSED) << "something on the host uses " << port;
    TempDir dir;
    const std::string pod = R"SH(apiVersion: v1
kind: Pod
metadata: {name: it-tcp}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: server
    command:
    - sh
    - -c
    - |
      mkdir -p /tmp/www && echo "served-by-$(hostname)-over-tcp" > /tmp/www/index.html
      exec busybox httpd -f -p 127.0.0.1:18089 -h /tmp/www
  - name: client
    # (no wget -T: busybox 1.35's wget segfaults with it, on the host too)
    command:
    - sh
    - -c
    - |
      i=0
      while [ $i -lt 100 ]; do
        if out=$(busybox wget -q -O - http://127.0.0.1:18089/index.html 2>/dev/null); then
          echo "got=$out"; exit 0
        fi
        i=$((i+1)); sleep 0.1
      done
      echo "got=nothing"; exit 1
)SH";
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_err("container client exited", 30)) << up.out() << up.err();
    EXPECT_EQ(container_value(up.out(), "client", "got"), "served-by-it-tcp-over-tcp") << up.out();
    EXPECT_NE(up.err().find("container client exited with code 0"), std::string::npos) << up.err();
    // The server listens on the pod's loopback, not the host's.
    EXPECT_EQ(host_connect_errno(port), ECONNREFUSED);
    up.signal(SIGTERM);
    RunResult r = up.wait(20);
    EXPECT_FALSE(r.timed_out);
    // httpd dies of the SIGTERM: podrun passes on 128+15.
    EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
}

TEST_F(UpVolumes, EmptyDirReadOnlySubPathAndHostPath) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string host_dir = dir / "created/by/podrun";
    ASSERT_FALSE(std::filesystem::exists(host_dir));
    const std::string pod = R"SH(apiVersion: v1
kind: Pod
metadata: {name: it-vol}
spec:
  restartPolicy: Never
  volumes:
  - name: disk
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory, sizeLimit: 1Mi}
  - name: host
    hostPath: {path: HOST_DIR, type: DirectoryOrCreate}
  initContainers:
  - name: writer
    command:
    - sh
    - -c
    - |
      echo disk-from-init > /disk/shared
      mkdir /disk/sub1 && echo inner-file > /disk/sub1/inner
      echo outer-file > /disk/outer
      echo mem-from-init > /mem/shared
    volumeMounts:
    - {name: disk, mountPath: /disk}
    - {name: mem, mountPath: /mem}
  containers:
  - name: reader
    command:
    - sh
    - -c
    - |
      echo "disk=$(cat /disk/shared)"
      echo "mem=$(cat /mem/shared)"
      echo "memfs=$(awk '$5 == "/mem" { print $9 }' /proc/self/mountinfo)"
      dd if=/dev/zero of=/mem/big bs=4096 count=512 2>/tmp/dd.err
      echo "dd=$?"
      echo "enospc=$(grep -c 'No space left on device' /tmp/dd.err)"
      echo "bigsize=$(stat -c %s /mem/big)"
    volumeMounts:
    - {name: disk, mountPath: /disk}
    - {name: mem, mountPath: /mem}
  - name: ro
    command:
    - sh
    - -c
    - |
      echo "read=$(cat /ro/shared)"
      (echo x > /ro/new) 2>/tmp/w.err
      echo "write=$?"
      echo "erofs=$(grep -c 'Read-only file system' /tmp/w.err)"
      [ -e /ro/new ] && echo "created=yes" || echo "created=no"
    volumeMounts:
    - {name: disk, mountPath: /ro, readOnly: true}
  - name: sub
    command:
    - sh
    - -c
    - |
      echo "list=$(ls -A /only | tr '\n' ,)"
      echo "inner=$(cat /only/inner)"
    volumeMounts:
    - {name: disk, mountPath: /only, subPath: sub1}
  - name: hostc
    command: [sh, -c, "echo written-in-pod > /h/from-pod && echo done=1"]
    volumeMounts:
    - {name: host, mountPath: /h}
)SH";
    std::string text = pod;
    text.replace(text.find("HOST_DIR"), 8, host_dir);
    RunResult r = podrun({"up", dir.file("pod.yaml", text)}, "", 60);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

    // emptyDir on disk and in memory: what the init container wrote, the app reads.
    EXPECT_EQ(container_value(r.out, "reader", "disk"), "disk-from-init") << r.out;
    EXPECT_EQ(container_value(r.out, "reader", "mem"), "mem-from-init");
    EXPECT_EQ(container_value(r.out, "reader", "memfs"), "tmpfs");
    // sizeLimit: 1Mi. Writing 2 MiB fails with ENOSPC and stops at the limit.
    EXPECT_NE(container_value(r.out, "reader", "dd"), "0");
    EXPECT_EQ(container_value(r.out, "reader", "enospc"), "1");
    const std::string big = container_value(r.out, "reader", "bigsize");
    ASSERT_FALSE(big.empty());
    EXPECT_LE(std::stoll(big), 1024 * 1024);
    EXPECT_GT(std::stoll(big), 0);
    // readOnly: reads work, writes are refused with EROFS.
    EXPECT_EQ(container_value(r.out, "ro", "read"), "disk-from-init");
    EXPECT_NE(container_value(r.out, "ro", "write"), "0");
    EXPECT_EQ(container_value(r.out, "ro", "erofs"), "1");
    EXPECT_EQ(container_value(r.out, "ro", "created"), "no");
    // subPath: only the subdirectory is there.
    EXPECT_EQ(container_value(r.out, "sub", "list"), "inner,");
    EXPECT_EQ(container_value(r.out, "sub", "inner"), "inner-file");
    // hostPath, DirectoryOrCreate: created on the host with 0755, and the write landed there.
    EXPECT_EQ(container_value(r.out, "hostc", "done"), "1");
    ASSERT_TRUE(std::filesystem::is_directory(host_dir));
    EXPECT_EQ(std::filesystem::status(host_dir).permissions() & std::filesystem::perms::all,
              std::filesystem::perms(0755));
    EXPECT_EQ(read_file(host_dir + "/from-pod"), "written-in-pod\n");
    // TempDir removes the hostPath directory; podrun must not have removed it.
}

}  // namespace
}  // namespace podrun::test
