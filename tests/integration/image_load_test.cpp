// podrun load: docker-archive and oci-archive tarballs made by skopeo, an OCI layout
// directory; a malicious layer that tries to write outside the store.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "registry_harness.hpp"

namespace podrun::test {
namespace {

class ImageLoad : public ::testing::Test {
  protected:
    void SetUp() override {
        PODRUN_REQUIRE_ROOT();
        images_ = &TestImages::get();
    }
    RunResult pi(std::vector<std::string> args) {
        args.insert(args.begin() + (args[0] == "image" ? 2 : 1), {"--root", store_.path()});
        return podrun(args, "", 120);
    }
    nlohmann::json images_json() {
        auto r = pi({"images", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out);
    }
    void skopeo_copy(const std::string& dest) {
        auto r =
            run({"/usr/bin/skopeo", "--insecure-policy", "copy", "--quiet", "oci:" + images_->layout + ":app", dest},
                "", 120);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const TestImages* images_ = nullptr;
    TempDir store_, work_;
};

TEST_F(ImageLoad, DockerArchive) {
    skopeo_copy("docker-archive:" + work_ / "d.tar" + ":localhost/app:docker");
    auto r = pi({"load", "-i", work_ / "d.tar"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Loaded image: localhost/app:docker"), std::string::npos) << r.out;
    auto imgs = images_json();
    ASSERT_EQ(imgs.size(), 1u);
    EXPECT_EQ(imgs[0]["layers"], 3);
    auto ins = pi({"image", "inspect", "localhost/app:docker"});
    ASSERT_EQ(ins.exit_code, 0) << ins.err;
    EXPECT_EQ(nlohmann::json::parse(ins.out)["config"]["Entrypoint"][0], "/bin/echo");
}

TEST_F(ImageLoad, OciArchiveAndLayoutGiveTheSameImage) {
    skopeo_copy("oci-archive:" + work_ / "o.tar" + ":localhost/app:oci");
    auto r = pi({"load", "-i", work_ / "o.tar"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Loaded image: localhost/app:oci"), std::string::npos) << r.out;
    skopeo_copy("oci:" + work_ / "layout" + ":localhost/app:layout");
    r = pi({"load", "-i", work_ / "layout"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto imgs = images_json();
    ASSERT_EQ(imgs.size(), 1u) << imgs.dump();  // one image (one config digest), two names
    EXPECT_EQ(imgs[0]["names"].size(), 2u);
    EXPECT_EQ(pi({"rmi", imgs[0]["id"].get<std::string>()}).exit_code, 0);
    EXPECT_TRUE(images_json().empty());
}

TEST_F(ImageLoad, NotAnArchive) {
    auto r = pi({"load", "-i", work_.file("x", "not a tar")});
    EXPECT_EQ(r.exit_code, 1);
    auto d = pi({"load", "-i", work_ / "missing"});
    EXPECT_EQ(d.exit_code, 1);
    EXPECT_NE(d.err.find("no such file"), std::string::npos) << d.err;
}

// Layers that try to leave their directory: each is refused, and nothing appears outside
// the store.
TEST_F(ImageLoad, MaliciousLayersLeaveNothingOutsideTheStore) {
    std::string outside = work_ / "outside";
    ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
    struct Case {
        const char* name;
        std::vector<std::pair<std::string, std::string>> entries;
        const char* why;
    };
    std::vector<Case> cases = {
        {"dotdot", {{"../../../../../../../.." + outside + "/dotdot", "x"}}, "\"..\""},
        {"absolute", {{outside + "/absolute", "x"}}, "absolute"},
        {"symlink", {{"evil -> " + outside, ""}, {"evil/through-link", "x"}}, "symlink"},
        {"nested", {{"a/", ""}, {"a/evil -> " + outside, ""}, {"a/evil/deeper/file", "x"}}, "symlink"},
        {"whiteout", {{"evil -> " + outside, ""}, {"evil/.wh.victim", ""}}, "symlink"},
    };
    write_file(outside + "/victim", "keep");
    for (const auto& c : cases) {
        std::string layout = work_ / (std::string("bad-") + c.name);
        ASSERT_EQ(run({"/bin/cp", "-a", images_->layout, layout}).exit_code, 0);
        std::string tar = work_ / (std::string(c.name) + ".tar");
        write_tar(tar, c.entries);
        auto add = run({"/usr/bin/umoci", "raw", "add-layer", "--image", layout + ":app", tar}, "", 120);
        ASSERT_EQ(add.exit_code, 0) << add.err;
        // skopeo makes a proper ref name for podrun's load.
        auto cp = run({"/usr/bin/skopeo", "--insecure-policy", "copy", "--quiet", "oci:" + layout + ":app",
                       "oci:" + layout + "-named:localhost/bad:" + c.name},
                      "", 120);
        ASSERT_EQ(cp.exit_code, 0) << cp.err;
        auto r = pi({"load", "-i", layout + "-named"});
        EXPECT_EQ(r.exit_code, 1) << c.name << ": " << r.out;
        EXPECT_NE(r.err.find(c.why), std::string::npos) << c.name << ": " << r.err;
        EXPECT_NE(r.err.find("refused"), std::string::npos) << c.name << ": " << r.err;
    }
    auto left = run({"/bin/ls", "-A", outside});
    EXPECT_EQ(left.out, "victim\n");
    EXPECT_EQ(read_file(outside + "/victim"), "keep");
    EXPECT_TRUE(images_json().empty());
    EXPECT_EQ(run({"/bin/ls", "-A", store_.path() + "/tmp"}).out, "");
}

}  // namespace
}  // namespace podrun::test
