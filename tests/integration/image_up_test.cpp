// `podrun up` with registry images: pulled by imagePullPolicy before anything is created,
// the container's root an overlay of the layer directories, Kubernetes' rules for
// command/args, env and workingDir, imageID in the status, rmi refused while running.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "registry_harness.hpp"

namespace podrun::test {
namespace {

class ImageUp : public PodrunTest {
  protected:
    void SetUp() override {
        PodrunTest::SetUp();
        if (::geteuid() != 0) return;
        images_ = &TestImages::get();
        reg_ = std::make_unique<TestRegistry>();
        ::setenv("PODRUN_STORAGE", store_.path().c_str(), 1);
        auto r = reg_->push("oci:" + images_->layout + ":app", "test/app:v1", {"--format", "v2s2"});
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

TEST_F(ImageUp, CommandArgsEnvWorkingDirAndLayersAsKubernetes) {
    PODRUN_REQUIRE_ROOT();
    const std::string pod = R"(apiVersion: v1
kind: Pod
metadata: {name: it-image-up}
spec:
  restartPolicy: Never
  containers:
  - {name: neither, image: REF}
  - {name: command, image: REF, command: [/bin/echo, own-command]}
  - {name: args, image: REF, args: [only-args]}
  - name: both
    image: REF
    command: [/bin/sh, -c]
    args: ["echo env=$IMAGE_ENV,$SHARED cwd=`pwd`; echo root=`ls /`; echo opaque=`ls /opaque-dir`; cat /etc/hardlink"]
    env: [{name: SHARED, value: container}]
)";
    std::string text = pod;
    for (size_t p; (p = text.find("REF")) != std::string::npos;) text.replace(p, 3, ref_);
    RunResult r = podrun({"up", dir_.file("pod.yaml", text)}, "", 120);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(container_lines(r.out, "neither"), std::vector<std::string>{"from-cmd"});
    EXPECT_EQ(container_lines(r.out, "command"), std::vector<std::string>{"own-command"});
    EXPECT_EQ(container_lines(r.out, "args"), std::vector<std::string>{"only-args"});
    auto both = container_lines(r.out, "both");
    ASSERT_EQ(both.size(), 4u) << r.out << r.err;
    EXPECT_EQ(both[0], "env=from-image,container cwd=/srv");
    // Whiteouts applied: gone-file and gone-dir are not there; opaque-dir shows layer 3 only.
    EXPECT_EQ(both[1].find("gone"), std::string::npos) << both[1];
    EXPECT_NE(both[1].find("opaque-dir"), std::string::npos) << both[1];
    EXPECT_EQ(both[2], "opaque=new");
    EXPECT_EQ(both[3], "hello");
}

TEST_F(ImageUp, PullPoliciesAndTheirErrors) {
    PODRUN_REQUIRE_ROOT();
    auto pod = [&](const std::string& image, const std::string& policy) {
        return dir_.file("p.yaml",
                         "apiVersion: v1\nkind: Pod\nmetadata: {name: it-image-policy}\nspec:\n  restartPolicy: Never\n"
                         "  containers:\n  - {name: c, image: \"" +
                             image + "\", imagePullPolicy: " + policy + "}\n");
    };
    RunResult never = podrun({"up", pod(ref_, "Never")}, "", 60);
    EXPECT_EQ(never.exit_code, 125);
    EXPECT_NE(never.err.find("ErrImageNeverPull"), std::string::npos) << never.err;
    RunResult missing = podrun({"up", pod(reg_->host() + "/test/app:nope", "IfNotPresent")}, "", 60);
    EXPECT_EQ(missing.exit_code, 125);
    EXPECT_NE(missing.err.find("ErrImagePull"), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("test/app:nope"), std::string::npos) << missing.err;
    RunResult pulled = podrun({"up", pod(ref_, "IfNotPresent")}, "", 120);
    EXPECT_EQ(pulled.exit_code, 0) << pulled.err;
    EXPECT_EQ(container_lines(pulled.out, "c"), std::vector<std::string>{"from-cmd"});
    // Present now: Never runs it without the registry.
    reg_.reset();
    RunResult offline = podrun({"up", pod(ref_, "Never")}, "", 60);
    EXPECT_EQ(offline.exit_code, 0) << offline.err;
}

TEST_F(ImageUp, ImageIdInStatusAndRmiRefusedWhileRunning) {
    PODRUN_REQUIRE_ROOT();
    std::string file = dir_.file("d.yaml",
                                 "apiVersion: v1\nkind: Pod\nmetadata: {name: it-image-rmi}\nspec:\n  containers:\n"
                                 "  - {name: c, image: \"" +
                                     ref_ + "\", command: [/bin/busybox, sleep, \"60\"]}\n");
    RunResult up = podrun({"up", "-d", file}, "", 120);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    RunResult ins = podrun({"inspect", "it-image-rmi"});
    ASSERT_EQ(ins.exit_code, 0) << ins.err;
    auto j = nlohmann::json::parse(ins.out);
    auto digest =
        run({"/usr/bin/skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + ref_});
    std::string id = reg_->host() + "/test/app@" + digest.out.substr(0, digest.out.find('\n'));
    bool found = false;
    for (const auto& c : j["status"]["containerStatuses"]) {
        if (c["name"] == "c") {
            found = true;
            EXPECT_EQ(c["imageID"], id) << c.dump();
            EXPECT_EQ(c["image"], ref_);
        }
    }
    EXPECT_TRUE(found) << ins.out;
    RunResult rmi = podrun({"rmi", ref_});
    EXPECT_EQ(rmi.exit_code, 1);
    EXPECT_NE(rmi.err.find("it-image-rmi"), std::string::npos) << rmi.err;
    EXPECT_EQ(podrun({"down", "it-image-rmi"}, "", 60).exit_code, 0);
    rmi = podrun({"rmi", ref_});
    EXPECT_EQ(rmi.exit_code, 0) << rmi.err;
}

}  // namespace
}  // namespace podrun::test
