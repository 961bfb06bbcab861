// Kubernetes' rules for an image config and a container: the four command/args cases,
// pull policy defaults, the image's User against its own passwd and group files.
#include <gtest/gtest.h>

#include "podrun/image/runtime.hpp"
#include "podrun/spec/load.hpp"

using namespace podrun::image;

namespace {

using V = std::vector<std::string>;

TEST(ImageRuntime, CommandAndArgsAsKubernetes) {
    std::optional<V> ep = V{"/ep", "x"}, cmd = V{"c1", "c2"};
    // neither: Entrypoint + Cmd
    EXPECT_EQ(combine_command({}, {}, ep, cmd), std::make_pair(V{"/ep", "x"}, V{"c1", "c2"}));
    // command only: command (the image's Cmd is dropped too)
    EXPECT_EQ(combine_command({"/own"}, {}, ep, cmd), std::make_pair(V{"/own"}, V{}));
    // args only: Entrypoint + args
    EXPECT_EQ(combine_command({}, {"a"}, ep, cmd), std::make_pair(V{"/ep", "x"}, V{"a"}));
    // both: command + args
    EXPECT_EQ(combine_command({"/own"}, {"a"}, ep, cmd), std::make_pair(V{"/own"}, V{"a"}));
    // no Entrypoint: Cmd alone
    EXPECT_EQ(combine_command({}, {}, std::nullopt, cmd), std::make_pair(V{}, V{"c1", "c2"}));
    // the image's $(VAR) stays literal after expansion ($$ is Kubernetes' escape)
    EXPECT_EQ(combine_command({}, {}, V{"echo", "$(HOME)"}, std::nullopt).first[1], "$$(HOME)");
}

TEST(ImageRuntime, PullPolicyDefaultsByTag) {
    EXPECT_EQ(pull_policy("", parse_reference("nginx")), PullPolicy::Always);
    EXPECT_EQ(pull_policy("", parse_reference("nginx:latest")), PullPolicy::Always);
    EXPECT_EQ(pull_policy("", parse_reference("nginx:1.25")), PullPolicy::IfNotPresent);
    EXPECT_EQ(pull_policy("", parse_reference("nginx@sha256:" + std::string(64, 'a'))), PullPolicy::IfNotPresent);
    EXPECT_EQ(pull_policy("Never", parse_reference("nginx")), PullPolicy::Never);
    EXPECT_EQ(pull_policy("Always", parse_reference("nginx:1")), PullPolicy::Always);
}

TEST(ImageRuntime, UserAgainstTheImagesFiles) {
    std::string passwd = "root:x:0:0::/root:/bin/sh\napp:x:1234:2345::/srv:/bin/sh\n";
    std::string group = "root:x:0:\nstaff:x:2345:\nextra:x:3456:app\n";
    auto ids = [&](const std::string& u) {
        auto r = resolve_user(u, passwd, group);
        return std::make_pair(r.uid, r.gid);
    };
    EXPECT_EQ(ids(""), std::make_pair(int64_t{0}, int64_t{0}));
    EXPECT_EQ(ids("app"), std::make_pair(int64_t{1234}, int64_t{2345}));
    EXPECT_EQ(ids("1234"), std::make_pair(int64_t{1234}, int64_t{2345}));
    EXPECT_EQ(ids("999"), std::make_pair(int64_t{999}, int64_t{0}));
    EXPECT_EQ(ids("999:77"), std::make_pair(int64_t{999}, int64_t{77}));
    EXPECT_EQ(ids("app:extra"), std::make_pair(int64_t{1234}, int64_t{3456}));
    EXPECT_EQ(ids("1234:staff"), std::make_pair(int64_t{1234}, int64_t{2345}));
    EXPECT_THROW(resolve_user("nobody", passwd, group), UserError);
    EXPECT_THROW(resolve_user("app:nogroup", passwd, group), UserError);
    EXPECT_THROW(resolve_user("app", "", ""), UserError);
}

TEST(ImageRuntime, ValidatorChecksReferenceSyntaxOnly) {
    auto ok = podrun::spec::load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: img}
spec:
  containers:
  - name: web
    image: localhost:5000/team/web:1.0
    imagePullPolicy: Never
)",
                                          "test");
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(*ok.pod->containers[0].image, "localhost:5000/team/web:1.0");
    EXPECT_EQ(ok.pod->containers[0].image_pull_policy, "Never");
    auto bad = podrun::spec::load_pod_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: img}
spec:
  containers:
  - name: web
    image: web@sha256:abc
    imagePullPolicy: Sometimes
)",
                                           "test");
    ASSERT_FALSE(bad.ok());
    std::string all;
    for (const auto& e : bad.errors) all += e.to_string() + "\n";
    EXPECT_NE(all.find("spec.containers[0].image: image \"web@sha256:abc\": invalid reference format"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("spec.containers[0].imagePullPolicy: \"Sometimes\" is not Always, IfNotPresent or Never"),
              std::string::npos)
        << all;
}

}  // namespace
