// Manifest, index and config parsing; platform choice; auth challenges and credentials.
#include <gtest/gtest.h>

#include "image/tool/auth.hpp"
#include "image/tool/digest.hpp"
#include "podrun/image/manifest.hpp"

using namespace podrun::image;

namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

std::string desc(const std::string& mt, const std::string& d, const std::string& extra = "") {
    return R"({"mediaType":")" + mt + R"(","digest":")" + d + R"(","size":12)" + extra + "}";
}

TEST(ImageManifest, ManifestAndConfig) {
    std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
                       desc(media::kOciConfig, kA) + R"(,"layers":[)" +
                       desc("application/vnd.oci.image.layer.v1.tar+zstd", kB) + "]}";
    Manifest m = parse_manifest(body);
    EXPECT_EQ(m.config.digest, kA);
    ASSERT_EQ(m.layers.size(), 1u);
    EXPECT_EQ(layer_compression(m.layers[0].media_type), Compression::Zstd);
    EXPECT_EQ(layer_compression("application/vnd.docker.image.rootfs.diff.tar.gzip"), Compression::Gzip);
    EXPECT_EQ(layer_compression(media::kOciLayerTar), Compression::None);
    EXPECT_THROW(layer_compression("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"), ManifestError);
    EXPECT_THROW(layer_compression("application/json"), ManifestError);
    EXPECT_EQ(declared_media_type(body), media::kOciManifest);

    ImageConfig c = parse_config(R"({"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
        "config":{"User":"app:staff","Env":["PATH=/bin","A=1"],"Entrypoint":["/bin/sh","-c"],"Cmd":null,
        "WorkingDir":"/srv","StopSignal":"SIGQUIT"},"rootfs":{"type":"layers","diff_ids":[")" +
                                 kB + R"("]}})");
    EXPECT_EQ(c.user, "app:staff");
    EXPECT_EQ(c.env.size(), 2u);
    ASSERT_TRUE(c.entrypoint);
    EXPECT_EQ((*c.entrypoint)[1], "-c");
    EXPECT_FALSE(c.cmd);
    EXPECT_EQ(c.working_dir, "/srv");
    EXPECT_EQ(c.stop_signal, "SIGQUIT");
    EXPECT_EQ(c.diff_ids, std::vector<std::string>{kB});
}

TEST(ImageManifest, BadDocumentsNameTheField) {
    auto msg = [](auto f) {
        try {
            f();
        } catch (const ManifestError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(msg([] { parse_manifest("[]"); }).find("not a JSON object"), std::string::npos);
    EXPECT_NE(msg([] { parse_manifest("{"); }).find("not JSON"), std::string::npos);
    EXPECT_NE(msg([] { parse_manifest(R"({"schemaVersion":1})"); }).find("schema 1"), std::string::npos);
    EXPECT_NE(msg([] {
                  parse_manifest(R"({"schemaVersion":2,"config":{"digest":"sha256:x","size":1},"layers":[]})");
              }).find("manifest.config.digest"),
              std::string::npos);
    EXPECT_NE(msg([&] {
                  parse_manifest(R"({"schemaVersion":2,"config":)" + desc("x", kA) + R"(,"layers":[{"digest":")" + kA +
                                 R"(","size":-1}]})");
              }).find("manifest.layers[0].size"),
              std::string::npos);
    EXPECT_NE(msg([] { parse_config(R"({"rootfs":{"type":"layers","diff_ids":["x"]}})"); }).find("diff_ids[0]"),
              std::string::npos);
    EXPECT_NE(
        msg([] { parse_config(R"({"config":{"Env":[1]},"rootfs":{"type":"layers"}})"); }).find("config.config.Env"),
        std::string::npos);
    EXPECT_NE(msg([] { parse_index(R"({"manifests":{}})"); }).find("index.manifests"), std::string::npos);
}

TEST(ImageManifest, PlatformFromAnIndexSkipsAttestations) {
    std::string att =
        R"(,"platform":{"os":"unknown","architecture":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest"})";
    std::string body =
        R"({"schemaVersion":2,"manifests":[)" + desc(media::kOciManifest, kA, att) + "," +
        desc(media::kOciManifest, kB, R"(,"platform":{"os":"linux","architecture":"arm64","variant":"v8"})") + "," +
        desc(media::kDockerManifest, "sha256:" + std::string(64, 'c'),
             R"(,"platform":{"os":"linux","architecture":"amd64"})") +
        "]}";
    Index idx = parse_index(body);
    EXPECT_EQ(declared_media_type(body), media::kOciIndex);
    auto amd = choose_platform(idx, parse_platform("linux/amd64"));
    ASSERT_TRUE(amd);
    EXPECT_EQ(amd->digest, "sha256:" + std::string(64, 'c'));
    auto arm = choose_platform(idx, parse_platform("linux/arm64/v8"));
    ASSERT_TRUE(arm);
    EXPECT_EQ(arm->digest, kB);
    EXPECT_FALSE(choose_platform(idx, parse_platform("linux/s390x")));
    EXPECT_FALSE(choose_platform(idx, parse_platform("unknown/unknown")));
    EXPECT_THROW(parse_platform("linux"), ManifestError);
    EXPECT_EQ(host_platform().os, "linux");
}

TEST(ImageAuth, BearerChallenge) {
    auto c = parse_challenge(
        R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull")");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->scheme, "bearer");
    EXPECT_EQ(c->params["realm"], "https://auth.example/token");
    EXPECT_EQ(c->params["service"], "registry.example");
    EXPECT_EQ(c->params["scope"], "repository:a/b:pull");
    auto b = parse_challenge(R"(Basic realm="Registry Realm")");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->scheme, "basic");
    EXPECT_FALSE(parse_challenge(""));
}

TEST(ImageAuth, CredentialsFromAuthFiles) {
    EXPECT_EQ(base64_encode("user:pa:ss"), "dXNlcjpwYTpzcw==");
    EXPECT_EQ(*base64_decode("dXNlcjpwYTpzcw=="), "user:pa:ss");
    EXPECT_FALSE(base64_decode("***"));
    auto cfg = nlohmann::json::parse(R"({"auths":{
        "localhost:5000":{"auth":")" +
                                     base64_encode("host:pw") + R"("},
        "localhost:5000/team":{"auth":")" +
                                     base64_encode("team:pw2") + R"("},
        "https://index.docker.io/v1/":{"auth":")" +
                                     base64_encode("hub:pw3") + R"("}}})");
    auto c = credentials_in(cfg, "localhost:5000", "team/app");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->user, "team");
    EXPECT_EQ(c->password, "pw2");
    EXPECT_EQ(credentials_in(cfg, "localhost:5000", "other/app")->user, "host");
    EXPECT_EQ(credentials_in(cfg, "docker.io", "library/nginx")->user, "hub");
    EXPECT_FALSE(credentials_in(cfg, "ghcr.io", "a/b"));
}

TEST(ImageDigest, ChainIds) {
    EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(chain_id("", kA), kA);
    EXPECT_EQ(chain_id(kA, kB), sha256_digest(kA + " " + kB));
}

}  // namespace
