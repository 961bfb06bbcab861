// An image's user as runc and containerd make it: supplementary groups from the image's
// /etc/group, HOME from its /etc/passwd when the env has none; dangling symlinks of an image
// where podrun mounts or creates (/etc/hosts, a volume's mountPath, workingDir) followed
// inside the root and their targets made there, never on the host.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"
#include "registry_harness.hpp"

namespace podrun::test {
namespace {

class ImageUser : public PodrunTest {
  protected:
    void SetUp() override {
        PodrunTest::SetUp();
        if (::geteuid() != 0) return;
        images_ = &TestImages::get();
        reg_ = std::make_unique<TestRegistry>();
        ::setenv("PODRUN_STORAGE", store_.path().c_str(), 1);
        auto r = reg_->push("oci:" + images_->layout + ":app", "test/app:v1");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ref_ = reg_->host() + "/test/app:v1";
    }
    void TearDown() override {
        ::unsetenv("PODRUN_STORAGE");
        PodrunTest::TearDown();
    }
    const TestImages* images_ = nullptr;
    std::unique_ptr<TestRegistry> reg_;
    TempDir store_, dir_;
    std::string ref_;
};

TEST_F(ImageUser, SupplementaryGroupsAndHomeFromTheImage) {
    PODRUN_REQUIRE_ROOT();
    const std::string show =
        "[/bin/sh, -c, \"echo home=$HOME; echo ids=`/bin/busybox grep -E '^(Uid|Gid|Groups)' "
        "/proc/self/status | /bin/busybox tr -s '\\\\t ' ' ' | /bin/busybox tr '\\\\n' ';'`\"]";
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-image-user}\nspec:\n"
        "  restartPolicy: Never\n  containers:\n"
        "  - {name: image, image: \"" +
        ref_ + "\", command: " + show +
        "}\n"
        "  - {name: root, image: \"" +
        ref_ + "\", command: " + show +
        ", securityContext: {runAsUser: 0}}\n"
        "  - {name: own, image: \"" +
        ref_ + "\", command: " + show + ", env: [{name: HOME, value: /own}]}\n";
    RunResult r = podrun({"up", dir_.file("user.yaml", pod)}, "", 120);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    // app is 1234:2345 (staff) in the image's /etc/passwd; /etc/group lists it in extra (3456):
    // the groups that list the user, as podrun's rule is (docs/security.md; no primary gid).
    EXPECT_EQ(container_value(r.out, "image", "home"), "/srv") << r.out;
    EXPECT_EQ(container_value(r.out, "image", "ids"),
              "Uid: 1234 1234 1234 1234;Gid: 2345 2345 2345 2345;Groups: 3456 ;")
        << r.out;
    EXPECT_EQ(container_value(r.out, "root", "home"), "/root") << r.out;
    EXPECT_EQ(container_value(r.out, "own", "home"), "/own") << r.out;
}

TEST_F(ImageUser, DanglingSymlinksAreFollowedInsideTheRoot) {
    PODRUN_REQUIRE_ROOT();
    // A layer whose /etc/hosts, /data (a volume's mountPath) and /work (workingDir) point at
    // nothing; the absolute targets must be made inside the root, not on the host.
    TempDir copy;
    ASSERT_EQ(run({"/bin/cp", "-a", images_->layout, copy / "oci"}).exit_code, 0);
    const std::string tar = copy / "links.tar";
    write_tar(tar, {{"etc/", ""},
                    {"etc/hosts -> /podrun-it-nowhere/hosts", ""},
                    {"data -> /podrun-it-nowhere/data", ""},
                    {"work -> ../podrun-it-nowhere/work", ""}});
    RunResult add =
        run({"/usr/bin/umoci", "raw", "add-layer", "--image", copy / "oci:app", "--tag", "links", tar}, "", 60);
    ASSERT_EQ(add.exit_code, 0) << add.err;
    ASSERT_EQ(reg_->push("oci:" + copy / "oci:links", "test/app:links").exit_code, 0);
    ASSERT_FALSE(std::filesystem::exists("/podrun-it-nowhere"));
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-image-links}\nspec:\n"
        "  restartPolicy: Never\n  volumes: [{name: v, emptyDir: {}}]\n  containers:\n"
        "  - name: c\n    image: \"" +
        reg_->host() +
        "/test/app:links\"\n    workingDir: /work\n    securityContext: {runAsUser: 0}\n"
        "    volumeMounts: [{name: v, mountPath: /data}]\n"
        "    command: [/bin/sh, -c, \"echo cwd=`pwd -P`; echo hosts=`/bin/busybox grep -c it-image-links "
        "/podrun-it-nowhere/hosts`; "
        "echo x > /data/f && echo data=`cat /podrun-it-nowhere/data/f`\"]\n";
    RunResult r = podrun({"up", dir_.file("links.yaml", pod)}, "", 120);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(container_value(r.out, "c", "cwd"), "/podrun-it-nowhere/work") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "hosts"), "1") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "data"), "x") << r.out;
    EXPECT_FALSE(std::filesystem::exists("/podrun-it-nowhere")) << "made on the host";
}

}  // namespace
}  // namespace podrun::test
