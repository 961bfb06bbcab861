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
        ::unsetenv("PODRUN_TEST_IMAGE_BACKOFF_MS");
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

// The image's StopSignal replaces SIGTERM; the container's lifecycle.stopSignal wins over it.
TEST_F(ImageUp, StopSignalFromTheImageAndTheContainerWins) {
    PODRUN_REQUIRE_ROOT();
    // A copy of the layout with a tag whose config says StopSignal SIGUSR1.
    TempDir copy;
    ASSERT_EQ(run({"/bin/cp", "-a", images_->layout, copy / "oci"}).exit_code, 0);
    RunResult cfg = run(
        {"/usr/bin/umoci", "config", "--image", copy / "oci:app", "--tag", "stop", "--config.stopsignal", "SIGUSR1"});
    ASSERT_EQ(cfg.exit_code, 0) << cfg.err;
    ASSERT_EQ(reg_->push("oci:" + copy / "oci:stop", "test/app:stop").exit_code, 0);
    const std::string trap =
        "[/bin/sh, -c, \"trap 'echo got-USR1; exit 0' USR1; trap 'echo got-QUIT; exit 0' QUIT; "
        "trap 'echo got-TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done\"]";
    std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-image-stop}\nspec:\n  os: {name: linux}\n"
        "  terminationGracePeriodSeconds: 20\n  containers:\n"
        "  - {name: image, image: \"" +
        reg_->host() + "/test/app:stop\", command: " + trap +
        "}\n"
        "  - {name: own, image: \"" +
        reg_->host() + "/test/app:stop\", command: " + trap +
        ", lifecycle: {stopSignal: SIGQUIT}}\n"
        "  - {name: plain, image: \"" +
        ref_ + "\", command: " + trap + "}\n";
    Background up({"up", dir_.file("stop.yaml", pod)});
    // Names are padded to the longest ("plain"): "own   | ready".
    for (const char* line : {"image | ready", "own   | ready", "plain | ready"})
        ASSERT_TRUE(up.wait_for_out(line, 120)) << up.out() << up.err();
    const double t0 = now_s();
    up.signal(SIGTERM);
    RunResult r = up.wait(30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LT(now_s() - t0, 10.0) << "each container must have exited on its own signal, not at the grace period";
    EXPECT_EQ(container_lines(r.out, "image").back(), "got-USR1") << r.out;
    EXPECT_EQ(container_lines(r.out, "own").back(), "got-QUIT") << r.out;
    EXPECT_EQ(container_lines(r.out, "plain").back(), "got-TERM") << r.out;
}

// up -d with a registry that is down: the pod is made and waits (ErrImagePull, then
// ImagePullBackOff, in inspect and ps), `down` ends the wait, and once the registry is back
// the pod starts by itself.
TEST_F(ImageUp, DetachedPodWaitsInImagePullBackOffUntilTheImageAppears) {
    PODRUN_REQUIRE_ROOT();
    ::setenv("PODRUN_TEST_IMAGE_BACKOFF_MS", "300", 1);
    reg_->stop();
    auto manifest = [&](const std::string& name) {
        return dir_.file(name + ".yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
                                             "}\nspec:\n  containers:\n  - {name: c, image: \"" + ref_ +
                                             "\", command: [/bin/busybox, sleep, \"60\"]}\n");
    };
    auto waiting_reason = [&](const std::string& pod) -> std::string {
        RunResult ins = podrun({"inspect", pod});
        auto j = nlohmann::json::parse(ins.out, nullptr, false);
        if (j.is_discarded()) return "";
        for (const auto& c : j["status"]["containerStatuses"]) {
            if (c["state"].contains("waiting")) return c["state"]["waiting"].value("reason", "");
            if (c["state"].contains("running")) return "running";
        }
        return "";
    };
    // Stopped while it waits: nothing of it is left (TearDown checks).
    RunResult up = podrun({"up", "-d", manifest("it-image-wait")}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_NE(up.err.find("ErrImagePull"), std::string::npos) << up.err;
    std::string reason = waiting_reason("it-image-wait");
    EXPECT_TRUE(reason == "ErrImagePull" || reason == "ImagePullBackOff") << reason;
    EXPECT_TRUE(eventually([&] { return waiting_reason("it-image-wait") == "ImagePullBackOff"; }, 10));
    RunResult ps = podrun({"ps"});
    EXPECT_NE(ps.out.find("ImagePullBackOff"), std::string::npos) << ps.out;
    auto j = nlohmann::json::parse(podrun({"inspect", "it-image-wait"}).out);
    EXPECT_EQ(j["status"]["phase"], "Pending");
    EXPECT_NE(j["status"]["containerStatuses"][0]["state"]["waiting"].value("message", "").find("test/app:v1"),
              std::string::npos)
        << j.dump();
    const double t0 = now_s();
    EXPECT_EQ(podrun({"down", "it-image-wait"}, "", 60).exit_code, 0);
    EXPECT_LT(now_s() - t0, 10.0);
    // The registry comes back: the pod pulls and starts without being asked again.
    up = podrun({"up", "-d", manifest("it-image-late")}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_TRUE(eventually([&] { return waiting_reason("it-image-late") == "ImagePullBackOff"; }, 10));
    reg_->start();
    EXPECT_TRUE(eventually([&] { return waiting_reason("it-image-late") == "running"; }, 60))
        << podrun({"inspect", "it-image-late"}).out;
    EXPECT_EQ(podrun({"down", "it-image-late"}, "", 60).exit_code, 0);
    ::unsetenv("PODRUN_TEST_IMAGE_BACKOFF_MS");
}

}  // namespace
}  // namespace podrun::test
