// podrun pull / images / rmi / image prune / image inspect against a real registry
// (Debian's docker-registry with token auth, tests/integration/registry_harness.hpp).
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "registry_harness.hpp"

namespace podrun::test {
namespace {

class ImagePull : public ::testing::Test {
  protected:
    void SetUp() override {
        PODRUN_REQUIRE_ROOT();
        for (const char* tool : {"/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/umoci"}) {
            if (::access(tool, X_OK) != 0) FAIL() << tool << " is missing: scripts/setup installs it";
        }
        images_ = &TestImages::get();
        reg_ = std::make_unique<TestRegistry>();
    }
    RunResult pi(std::vector<std::string> args, double timeout = 120) {
        args.insert(args.begin() + (args[0] == "image" ? 2 : 1), {"--root", store_.path()});
        return podrun(args, "", timeout);
    }
    std::string push(const std::string& name, const std::vector<std::string>& extra = {"--format", "v2s2"}) {
        auto r = reg_->push("oci:" + images_->layout + ":app", name, extra);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return reg_->host() + "/" + name;
    }
    nlohmann::json images_json() {
        auto r = pi({"images", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out);
    }
    std::string layer_root() { return store_.path() + "/layers"; }

    const TestImages* images_ = nullptr;
    std::unique_ptr<TestRegistry> reg_;
    TempDir store_;
};

std::vector<std::string> list(const std::string& dir) {
    auto r = run({"/bin/ls", "-A", dir});
    std::vector<std::string> out;
    size_t s = 0;
    for (size_t e; (e = r.out.find('\n', s)) != std::string::npos; s = e + 1) out.push_back(r.out.substr(s, e - s));
    return out;
}

TEST_F(ImagePull, DockerSchema2GzipThroughTheBearerChallenge) {
    std::string ref = push("test/app:v1");
    auto r = pi({"pull", ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string digest = r.out.substr(0, r.out.find('\n'));
    auto want = run({"/usr/bin/skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + ref});
    EXPECT_EQ(digest + "\n", want.out);
    // The registry challenged; podrun asked the token server for this repository's pull scope.
    bool asked = false;
    for (const auto& q : reg_->tokens().queries()) {
        asked = asked || (q.find("scope=repository%3Atest%2Fapp%3Apull") != std::string::npos &&
                          q.find("service=podrun-test-registry") != std::string::npos);
    }
    EXPECT_TRUE(asked) << "no token request with the repository's scope";
    auto imgs = images_json();
    ASSERT_EQ(imgs.size(), 1u);
    EXPECT_EQ(imgs[0]["names"][0], ref);
    EXPECT_EQ(imgs[0]["repoDigests"][0], reg_->host() + "/test/app@" + digest);
    EXPECT_EQ(imgs[0]["layers"], 3);

    // The layers as overlay lower dirs: whiteouts are 0:0 character devices, the opaque
    // directory carries trusted.overlay.opaque=y; links, modes and xattrs are kept.
    auto layers = list(layer_root());
    ASSERT_EQ(layers.size(), 3u);
    bool saw_whiteouts = false, saw_opaque = false, saw_links = false;
    for (const auto& l : layers) {
        std::string d = layer_root() + "/" + l;
        struct stat st;
        if (::lstat((d + "/etc/hardlink").c_str(), &st) == 0) {  // layer 2
            ASSERT_EQ(::lstat((d + "/gone-file").c_str(), &st), 0);
            EXPECT_TRUE(S_ISCHR(st.st_mode));
            EXPECT_EQ(st.st_rdev, makedev(0, 0));
            ASSERT_EQ(::lstat((d + "/gone-dir").c_str(), &st), 0);
            EXPECT_TRUE(S_ISCHR(st.st_mode));
            EXPECT_NE(::lstat((d + "/.wh.gone-file").c_str(), &st), 0);
            saw_whiteouts = true;
            struct stat a, b;
            ASSERT_EQ(::lstat((d + "/etc/greeting").c_str(), &a), 0);
            ASSERT_EQ(::lstat((d + "/etc/hardlink").c_str(), &b), 0);
            EXPECT_EQ(a.st_ino, b.st_ino);
            char target[256] = {};
            ASSERT_GT(::readlink((d + "/abs-link").c_str(), target, sizeof target - 1), 0);
            EXPECT_STREQ(target, "/etc/greeting");
            ASSERT_EQ(::lstat((d + "/suid").c_str(), &st), 0);
            EXPECT_EQ(st.st_mode & 07777, 04755u);
            char v[8] = {};
            EXPECT_EQ(::lgetxattr((d + "/xattr-file").c_str(), "user.podrun", v, sizeof v), 3);
            EXPECT_STREQ(v, "yes");
            saw_links = true;
        }
        char v[4] = {};
        if (::lgetxattr((d + "/opaque-dir").c_str(), "trusted.overlay.opaque", v, sizeof v) == 1) {
            EXPECT_EQ(v[0], 'y');
            EXPECT_NE(::lstat((d + "/opaque-dir/.wh..wh..opq").c_str(), &st), 0);
            EXPECT_EQ(::lstat((d + "/opaque-dir/new").c_str(), &st), 0);
            saw_opaque = true;
        }
    }
    EXPECT_TRUE(saw_whiteouts);
    EXPECT_TRUE(saw_opaque);
    EXPECT_TRUE(saw_links);
    // Nothing left in tmp/.
    EXPECT_TRUE(list(store_.path() + "/tmp").empty());

    // inspect prints the OCI config.
    auto ins = pi({"image", "inspect", ref});
    ASSERT_EQ(ins.exit_code, 0) << ins.err;
    auto cfg = nlohmann::json::parse(ins.out);
    EXPECT_EQ(cfg["config"]["User"], "app");
    EXPECT_EQ(cfg["config"]["WorkingDir"], "/srv");

    // A second pull of the same image downloads no layer again.
    auto again = pi({"pull", ref});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.out, r.out);
    EXPECT_NE(again.err.find("already present"), std::string::npos) << again.err;
}

TEST_F(ImagePull, OciManifestWithZstdLayers) {
    std::string ref = push("test/zstd:v1", {"--format", "oci", "--dest-compress-format", "zstd"});
    auto r = pi({"pull", "--quiet", ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    auto imgs = images_json();
    ASSERT_EQ(imgs.size(), 1u);
    EXPECT_EQ(list(layer_root()).size(), 3u);
}

TEST_F(ImagePull, MissingTagIsNamed) {
    push("test/app:v1");
    auto r = pi({"pull", reg_->host() + "/test/app:nope"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("test/app:nope"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
    EXPECT_TRUE(images_json().empty());
}

TEST_F(ImagePull, TamperedBlobIsRefusedAndNothingStored) {
    std::string ref = push("test/app:v1");
    // The biggest blob is busybox's layer: flip a byte of it in the registry's storage.
    auto m = run({"/usr/bin/skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref});
    auto mf = nlohmann::json::parse(m.out);
    std::string digest;
    int64_t size = 0;
    for (const auto& l : mf["layers"]) {
        if (l["size"].get<int64_t>() > size) size = l["size"], digest = l["digest"];
    }
    std::string data = read_file(reg_->blob_data(digest));
    data[data.size() / 2] ^= 0x55;
    write_file(reg_->blob_data(digest), data);
    auto r = pi({"pull", ref});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("digest"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(digest), std::string::npos) << r.err;
    struct stat st;
    EXPECT_NE(::stat((store_.path() + "/blobs/sha256/" + digest.substr(7)).c_str(), &st), 0);
    EXPECT_TRUE(images_json().empty());
    EXPECT_TRUE(list(store_.path() + "/tmp").empty());
}

TEST_F(ImagePull, RmiAndPrune) {
    std::string a = push("test/app:v1");
    std::string b = push("test/app:v2");
    ASSERT_EQ(pi({"pull", "-q", a}).exit_code, 0);
    ASSERT_EQ(pi({"pull", "-q", b}).exit_code, 0);
    auto imgs = images_json();
    ASSERT_EQ(imgs.size(), 1u);  // one image, two names
    EXPECT_EQ(imgs[0]["names"].size(), 2u);
    auto r = pi({"rmi", a});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Untagged"), std::string::npos) << r.out;
    EXPECT_EQ(list(layer_root()).size(), 3u);
    r = pi({"rmi", b});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Deleted"), std::string::npos) << r.out;
    EXPECT_TRUE(images_json().empty());
    EXPECT_TRUE(list(layer_root()).empty());
    EXPECT_TRUE(list(store_.path() + "/blobs/sha256").empty());
    r = pi({"rmi", b});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no image"), std::string::npos);
    r = pi({"image", "prune"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ImagePull, TwoPullsAtOnceDownloadOnce) {
    std::string ref = push("test/app:v1");
    Background one({"pull", "--root", store_.path(), ref});
    Background two({"pull", "--root", store_.path(), ref});
    auto r1 = one.wait(120), r2 = two.wait(120);
    EXPECT_EQ(r1.exit_code, 0) << r1.err;
    EXPECT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_EQ(r1.out, r2.out);
    EXPECT_EQ(list(layer_root()).size(), 3u);
    EXPECT_EQ(images_json().size(), 1u);
}

TEST_F(ImagePull, KilledPullLeavesNothingAndTheNextOneWorks) {
    // A layer big enough to be mid-download when the kill comes.
    TempDir work;
    std::string layout = work / "oci";
    ASSERT_EQ(run({"/bin/cp", "-a", images_->layout, layout}).exit_code, 0);
    ASSERT_EQ(run({"/bin/dd", "if=/dev/urandom", "of=" + work / "big", "bs=1M", "count=48", "status=none"}).exit_code,
              0);
    std::string big = read_file(work / "big");
    write_tar(work / "big.tar", {{"big", big}});
    ASSERT_EQ(
        run({"/usr/bin/umoci", "raw", "add-layer", "--image", layout + ":app", work / "big.tar"}, "", 120).exit_code,
        0);
    auto pushed = reg_->push("oci:" + layout + ":app", "test/big:v1", {"--format", "v2s2"});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
    std::string ref = reg_->host() + "/test/big:v1";
    {
        Background p({"pull", "--root", store_.path(), ref});
        ASSERT_TRUE(eventually([&] { return !list(store_.path() + "/tmp").empty(); }, 30)) << p.err();
        p.signal(SIGKILL);
        p.wait(10);
    }
    EXPECT_TRUE(images_json().empty());
    auto r = pi({"pull", "-q", ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(images_json().size(), 1u);
    EXPECT_TRUE(list(store_.path() + "/tmp").empty());
}

// Credentials from $REGISTRY_AUTH_FILE go to the token endpoint as Basic auth.
TEST_F(ImagePull, CredentialsFromTheAuthFile) {
    std::string ref = push("team/private:v1");
    reg_->tokens().require_basic("alice:s3cret");
    auto anon = pi({"pull", "-q", ref});
    EXPECT_EQ(anon.exit_code, 1);
    EXPECT_NE(anon.err.find("HTTP 401"), std::string::npos) << anon.err;
    EXPECT_NE(anon.err.find("anonymous"), std::string::npos) << anon.err;
    TempDir auth;
    // "YWxpY2U6czNjcmV0" is base64("alice:s3cret").
    std::string file = auth.file("auth.json", R"({"auths":{")" + reg_->host() + R"(":{"auth":"YWxpY2U6czNjcmV0"}}})");
    ::setenv("REGISTRY_AUTH_FILE", file.c_str(), 1);
    auto r = pi({"pull", "-q", ref});
    ::unsetenv("REGISTRY_AUTH_FILE");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(images_json().size(), 1u);
}

TEST_F(ImagePull, BadReferenceIsAUsageError) {
    auto r = pi({"pull", "Bad/Name"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("must be lowercase"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace podrun::test
