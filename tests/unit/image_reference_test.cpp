// Reference normalisation as Docker and containerd do it (distribution's reference grammar).
#include <gtest/gtest.h>

#include "podrun/image/reference.hpp"

using podrun::image::is_loopback_domain;
using podrun::image::parse_reference;
using podrun::image::reference_problem;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ImageReference, HubShortNamesGetLibraryAndLatest) {
    auto r = parse_reference("nginx");
    EXPECT_EQ(r.domain, "docker.io");
    EXPECT_EQ(r.path, "library/nginx");
    EXPECT_EQ(r.tag, "latest");
    EXPECT_EQ(r.str(), "docker.io/library/nginx:latest");
    EXPECT_EQ(r.registry_host(), "registry-1.docker.io");
    EXPECT_EQ(parse_reference("nginx:1.25").str(), "docker.io/library/nginx:1.25");
    EXPECT_EQ(parse_reference("bitnami/redis").str(), "docker.io/bitnami/redis:latest");
    EXPECT_EQ(parse_reference("index.docker.io/library/nginx").str(), "docker.io/library/nginx:latest");
    EXPECT_EQ(parse_reference("docker.io/nginx").str(), "docker.io/library/nginx:latest");
}

TEST(ImageReference, DomainsAndPorts) {
    auto r = parse_reference("localhost:5000/team/app:v1");
    EXPECT_EQ(r.domain, "localhost:5000");
    EXPECT_EQ(r.path, "team/app");
    EXPECT_EQ(r.tag, "v1");
    EXPECT_EQ(parse_reference("localhost/app").domain, "localhost");
    EXPECT_EQ(parse_reference("ghcr.io/o/r").str(), "ghcr.io/o/r:latest");
    EXPECT_EQ(parse_reference("127.0.0.1:5000/a").domain, "127.0.0.1:5000");
    EXPECT_EQ(parse_reference("[::1]:5000/a:b").domain, "[::1]:5000");
    // No slash: "localhost:5000" is the Hub repository "localhost" with tag 5000, as in Docker.
    EXPECT_EQ(parse_reference("localhost:5000").str(), "docker.io/library/localhost:5000");
    // An uppercase first component is a host.
    EXPECT_EQ(parse_reference("Registry/app").domain, "Registry");
}

TEST(ImageReference, Digests) {
    auto r = parse_reference("nginx@" + kDigest);
    EXPECT_EQ(r.tag, "");
    EXPECT_EQ(r.digest, kDigest);
    EXPECT_EQ(r.manifest_reference(), kDigest);
    EXPECT_EQ(r.str(), "docker.io/library/nginx@" + kDigest);
    auto both = parse_reference("localhost:5000/a:v1@" + kDigest);
    EXPECT_EQ(both.tag, "v1");
    EXPECT_EQ(both.manifest_reference(), kDigest);
    EXPECT_EQ(both.str(), "localhost:5000/a:v1@" + kDigest);
}

TEST(ImageReference, ProblemsAreNamed) {
    auto has = [](const std::string& ref, const std::string& what) {
        auto p = reference_problem(ref);
        EXPECT_TRUE(p.has_value()) << ref;
        if (p) {
            EXPECT_NE(p->find(what), std::string::npos) << ref << ": " << *p;
        }
    };
    has("", "empty");
    has("Nginx", "must be lowercase");
    has("nginx:", "tag");
    has("nginx:-x", "tag");
    has("nginx@sha256:abc", "64 lowercase hex");
    has("nginx@md5:" + std::string(32, 'a'), "not supported");
    has("a//b", "path component");
    has("a/b_", "path component");
    has("a/.b", "path component");
    has(std::string(64, 'a'), "hexadecimal");
    has("bad_host:5000/x", "registry host");
    has("localhost:/x", "registry host");
    has(std::string(256, 'a'), "255");
    EXPECT_FALSE(reference_problem("a__b/c-d--e.f:T_1.x"));
    EXPECT_FALSE(reference_problem("gcr.io/k8s-staging/pause:3.9"));
}

TEST(ImageReference, LoopbackRegistries) {
    EXPECT_TRUE(is_loopback_domain("localhost:5000"));
    EXPECT_TRUE(is_loopback_domain("127.0.0.1:5000"));
    EXPECT_TRUE(is_loopback_domain("127.3.2.1"));
    EXPECT_TRUE(is_loopback_domain("[::1]:5000"));
    EXPECT_FALSE(is_loopback_domain("128.0.0.1"));
    EXPECT_FALSE(is_loopback_domain("docker.io"));
    EXPECT_FALSE(is_loopback_domain("localhost.example.com"));
}

}  // namespace
