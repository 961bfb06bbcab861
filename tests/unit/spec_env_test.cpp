// $(VAR) expansion (cases rewritten from Kubernetes' expansion tests) and container env/argv.
#include <gtest/gtest.h>

#include "podrun/spec/env.hpp"

using namespace podrun::spec;

namespace {

const EnvList kEnv = {{"VAR_A", "A"},          {"VAR_B", "B"},    {"VAR_C", "C"},
                      {"VAR_REF", "$(VAR_A)"}, {"VAR_EMPTY", ""}, {"BLU", "$(ZOO)-2"}};

TEST(SpecExpand, KubernetesCases) {
    const std::pair<const char*, const char*> cases[] = {
        {"$(VAR_A)", "A"},
        {"___$(VAR_B)___", "___B___"},
        {"$(VAR_A)-$(VAR_A)", "A-A"},
        {"$(VAR_A)$(VAR_B)$(VAR_C)", "ABC"},
        {"f000-$$VAR_A", "f000-$VAR_A"},
        {"foo\\$(VAR_C)bar", "foo\\Cbar"},
        {"foo\\\\$(VAR_C)bar", "foo\\\\Cbar"},
        {"$$(VAR_B)", "$(VAR_B)"},
        {"$$$(VAR_A)", "$A"},
        {"$$$$(VAR_A)", "$$(VAR_A)"},
        {"$$$$$$$(VAR_A)", "$$$A"},
        {"$(VAR_EMPTY)", ""},
        {"$(VAR_REF)", "$(VAR_A)"},  // no recursive expansion
        {"$(VAR_DNE)", "$(VAR_DNE)"},
        {"$(VAR_A", "$(VAR_A"},
        {"$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"},  // name "VAR_A$(VAR_B" is undefined
        {"$(VAR_A$(VAR_B", "$(VAR_A$(VAR_B"},
        {"$(VAR_A)$(VAR_B", "A$(VAR_B"},
        {"$", "$"},
        {"$$", "$"},
        {"$$$", "$$"},
        {"$VAR_A", "$VAR_A"},
        {"$(", "$("},
        {"$()", "$()"},
        {"$(VAR_A)$", "A$"},
        {"$(VAR_A)$$", "A$"},
        {"$(VAR_A)$(", "A$("},
        {"$$(VAR_A", "$(VAR_A"},
        {"(VAR_A)", "(VAR_A)"},
        {"VAR_A)", "VAR_A)"},
        {"$(VAR_A)\n", "A\n"},
        {"", ""},
        {"no vars here", "no vars here"},
        {"$(ZOO)", "$(ZOO)"},
        {"$(BLU)", "$(ZOO)-2"},
    };
    for (const auto& [in, want] : cases) EXPECT_EQ(expand(in, kEnv), want) << in;
}

TEST(SpecExpand, LastDefinitionWins) {
    EXPECT_EQ(expand("$(X)", {{"X", "1"}, {"X", "2"}}), "2");
}

Pod sample_pod() {
    Pod pod;
    pod.metadata.name = "web";
    pod.metadata.namespace_ = "team";
    pod.metadata.labels = {{"app", "shop"}};
    pod.metadata.annotations = {{"example.com/owner", "ann"}};
    pod.node_name = "node-1";
    pod.service_account_name = "robot";
    return pod;
}

Container with_env(std::vector<EnvVar> env) {
    Container c;
    c.name = "app";
    c.env = std::move(env);
    return c;
}

TEST(SpecContainerEnv, FieldRefs) {
    const Pod pod = sample_pod();
    const PodRuntimeInfo info{"uid-123", "127.0.0.1", "192.0.2.7"};
    const Container c = with_env({
        {"NAME", "", "metadata.name"},
        {"NS", "", "metadata.namespace"},
        {"UID", "", "metadata.uid"},
        {"APP", "", "metadata.labels['app']"},
        {"MISSING", "", "metadata.labels['nope']"},
        {"OWNER", "", "metadata.annotations['example.com/owner']"},
        {"NODE", "", "spec.nodeName"},
        {"SA", "", "spec.serviceAccountName"},
        {"POD_IP", "", "status.podIP"},
        {"HOST_IP", "", "status.hostIP"},
    });
    const EnvList want = {{"NAME", "web"},         {"NS", "team"},          {"UID", "uid-123"}, {"APP", "shop"},
                          {"MISSING", ""},         {"OWNER", "ann"},        {"NODE", "node-1"}, {"SA", "robot"},
                          {"POD_IP", "127.0.0.1"}, {"HOST_IP", "192.0.2.7"}};
    EXPECT_EQ(container_env(pod, c, info), want);
}

TEST(SpecContainerEnv, PodIpDefaultsToLoopbackOrHost) {
    Pod pod = sample_pod();
    const Container c = with_env({{"IP", "", "status.podIP"}});
    EXPECT_EQ(container_env(pod, c, {"u", "", "192.0.2.7"})[0].second, "127.0.0.1");
    pod.host_network = true;
    EXPECT_EQ(container_env(pod, c, {"u", "", "192.0.2.7"})[0].second, "192.0.2.7");
}

TEST(SpecContainerEnv, ExpandsAgainstEarlierEntriesOnly) {
    const Container c = with_env({
        {"FOO", "bar", {}},
        {"ZOO", "$(FOO)-1", {}},
        {"BLU", "$(ZOO)-2", {}},
        {"EARLY", "$(LATE)", {}},
        {"LATE", "x", {}},
        {"POD", "", "metadata.name"},
        {"URL", "http://$(POD):80", {}},
        {"RAW", "", "metadata.annotations['example.com/owner']"},
    });
    Pod pod = sample_pod();
    pod.metadata.annotations["example.com/owner"] = "$(FOO)";  // fieldRef values are not expanded
    const EnvList want = {{"FOO", "bar"}, {"ZOO", "bar-1"}, {"BLU", "bar-1-2"},       {"EARLY", "$(LATE)"},
                          {"LATE", "x"},  {"POD", "web"},   {"URL", "http://web:80"}, {"RAW", "$(FOO)"}};
    EXPECT_EQ(container_env(pod, c, {}), want);
}

TEST(SpecContainerEnv, DuplicateKeepsFirstPositionLastValue) {
    const Container c = with_env({{"A", "1", {}}, {"B", "$(A)", {}}, {"A", "2", {}}, {"C", "$(A)", {}}});
    const EnvList want = {{"A", "2"}, {"B", "1"}, {"C", "2"}};
    EXPECT_EQ(container_env(sample_pod(), c, {}), want);
}

TEST(SpecContainerArgv, CommandAndArgsExpanded) {
    Container c;
    c.command = {"/bin/sh", "-c", "echo $(MSG)"};
    c.args = {"$(MISSING)", "$$(MSG)", "$(MSG)"};
    const EnvList env = {{"MSG", "hi"}};
    const std::vector<std::string> want = {"/bin/sh", "-c", "echo hi", "$(MISSING)", "$(MSG)", "hi"};
    EXPECT_EQ(container_argv(c, env), want);
}

}  // namespace

TEST(SpecEnv, ExecProbeCommandsExpandOnlyLiteralValues) {
    podrun::spec::Container c;
    c.env.push_back({"PORT", "8080", std::nullopt});
    c.env.push_back({"NAME", "", std::string("metadata.name")});
    auto out = podrun::spec::expand_static({"check", "$(PORT)", "$(NAME)", "$$(PORT)"}, c);
    EXPECT_EQ(out, (std::vector<std::string>{"check", "8080", "$(NAME)", "$(PORT)"}));
}
