// Images of many layers: 60 layers (umoci raw add-layer) are past the one-page limit of an
// overlay "lowerdir=" string; podrun gives them to the kernel one by one (fsconfig
// "lowerdir+") and, forced with PODRUN_TEST_OVERLAY_LINKS=1, as short links.
#include <cstdlib>
#include <string>
#include <vector>

#include "harness.hpp"
#include "podrun/sys/mount.hpp"
#include "registry_harness.hpp"

namespace podrun::test {
namespace {

constexpr int kLayers = 60;

class ImageLayers : public PodrunTest {
  protected:
    void TearDown() override {
        ::unsetenv("PODRUN_STORAGE");
        ::unsetenv("PODRUN_TEST_OVERLAY_LINKS");
        PodrunTest::TearDown();
    }
    TempDir store_, dir_, copy_;
};

bool explained(const std::string& err, const std::string& needle) {
    for (size_t p = err.find(needle); p != std::string::npos; p = err.find(needle, p + 1)) {
        size_t bol = err.rfind('\n', p);
        bol = bol == std::string::npos ? 0 : bol + 1;
        if (err.compare(bol, 10, "explain | ") == 0) return true;
    }
    return false;
}

TEST_F(ImageLayers, SixtyLayersOneByOneAndAsShortLinks) {
    PODRUN_REQUIRE_ROOT();
    const TestImages& images = TestImages::get();
    TestRegistry reg;
    ::setenv("PODRUN_STORAGE", store_.path().c_str(), 1);
    // The test image (3 layers) and 60 more: each adds /layers/N and overwrites /top.
    ASSERT_EQ(run({"/bin/cp", "-a", images.layout, copy_ / "oci"}).exit_code, 0);
    std::string tag = "app";
    for (int i = 1; i <= kLayers; ++i) {
        const std::string n = std::to_string(i);
        const std::string tar = copy_ / ("l" + n + ".tar");
        write_tar(tar, {{"layers/", ""}, {"layers/" + n, n + "\n"}, {"top", n + "\n"}});
        RunResult a = run(
            {"/usr/bin/umoci", "raw", "add-layer", "--image", copy_ / ("oci:" + tag), "--tag", "many", tar}, "", 60);
        ASSERT_EQ(a.exit_code, 0) << a.err;
        tag = "many";
    }
    RunResult push = reg.push("oci:" + copy_ / "oci:many", "test/many:v1");
    ASSERT_EQ(push.exit_code, 0) << push.err;
    const std::string pod =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: it-image-layers}\nspec:\n"
        "  restartPolicy: Never\n  containers:\n  - {name: c, image: \"" +
        reg.host() +
        "/test/many:v1\", command: [/bin/sh, -c, \"echo top=`cat /top`; echo count=`ls /layers "
        "| /bin/busybox wc -l`; echo base=`cat /etc/greeting`\"]}\n";
    const std::string file = dir_.file("many.yaml", pod);
    for (bool links : {false, true}) {
        SCOPED_TRACE(links ? "short links" : "lowerdir+");
        if (links) ::setenv("PODRUN_TEST_OVERLAY_LINKS", "1", 1);
        RunResult r = podrun({"up", "--explain", file}, "", 180);
        ASSERT_FALSE(r.timed_out);
        ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
        EXPECT_EQ(container_value(r.out, "c", "top"), std::to_string(kLayers)) << r.out;
        EXPECT_EQ(container_value(r.out, "c", "count"), std::to_string(kLayers)) << r.out;
        EXPECT_EQ(container_value(r.out, "c", "base"), "hello") << r.out;
        EXPECT_TRUE(explained(r.err, std::to_string(kLayers + 3) + " layers) read-only below")) << r.err;
        if (!links) {
            // The first run pulls: --explain narrates each request and each digest check.
            EXPECT_TRUE(explained(r.err, "GET http://" + reg.host() + "/v2/test/many/manifests/v1")) << r.err;
            EXPECT_TRUE(explained(r.err, "bytes, digest verified")) << r.err;
        }
        if (links || !sys::overlay_takes_lowerdir_plus()) {
            EXPECT_TRUE(explained(r.err, ":l/62,upperdir=upper,workdir=work")) << r.err;
            EXPECT_FALSE(explained(r.err, "lowerdir+=")) << r.err;
        } else {
            EXPECT_TRUE(explained(r.err, "lowerdir+=")) << r.err;
            EXPECT_FALSE(explained(r.err, "lowerdir=l/0")) << r.err;
        }
    }
}

}  // namespace
}  // namespace podrun::test
