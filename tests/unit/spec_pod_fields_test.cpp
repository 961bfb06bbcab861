// Fields of issue 13: activeDeadlineSeconds, container restartPolicy and restartPolicyRules
// (Kubernetes 1.34), resizePolicy, os.name - validated as the API server validates them - and
// the restart decisions the rules make.
#include <gtest/gtest.h>

#include "podrun/spec/bundle.hpp"
#include "podrun/supervisor/policy.hpp"

using namespace podrun::spec;
using namespace podrun::supervisor;

namespace {

std::string errors_of(const BundleResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

TEST(SpecPodFields, AcceptedAndRead) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  restartPolicy: Never
  activeDeadlineSeconds: 30
  os: {name: linux}
  initContainers:
  - {name: once, command: [x], restartPolicy: Never}
  containers:
  - name: c
    command: [x]
    restartPolicy: Never
    restartPolicyRules:
    - {action: Restart, exitCodes: {operator: In, values: [42, 43]}}
    - {action: Restart, exitCodes: {operator: NotIn, values: [0, 1]}}
    resizePolicy:
    - {resourceName: cpu, restartPolicy: NotRequired}
    - {resourceName: memory, restartPolicy: NotRequired}
  - {name: d, command: [x], restartPolicy: OnFailure}
)Y",
                                      "t.yaml");
    ASSERT_TRUE(r.ok()) << errors_of(r);
    const Pod& p = r.bundle->pods[0];
    EXPECT_EQ(p.active_deadline_seconds, 30);
    EXPECT_EQ(p.init_containers[0].restart_policy, RestartPolicy::Never);
    EXPECT_FALSE(p.init_containers[0].is_sidecar());
    const Container& c = p.containers[0];
    ASSERT_EQ(c.restart_rules.size(), 2u);
    EXPECT_TRUE(c.restart_rules[0].matches(42));
    EXPECT_FALSE(c.restart_rules[0].matches(1));
    EXPECT_TRUE(c.restart_rules[1].matches(7));
    EXPECT_FALSE(c.restart_rules[1].matches(1));
    std::string w;
    for (const auto& x : r.warnings) w += x + "\n";
    EXPECT_NE(w.find("resizePolicy (podrun does not resize a running container in place)"), std::string::npos) << w;
}

TEST(SpecPodFields, RefusedAsTheApiServerRefuses) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  restartPolicy: Never
  activeDeadlineSeconds: 0
  os: {name: windows}
  initContainers:
  - name: side
    command: [x]
    restartPolicy: Always
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [1]}}]
  - {name: plain, command: [x], resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]}
  containers:
  - name: c
    command: [x]
    restartPolicy: Sometimes
    restartPolicyRules:
    - {action: Restart}
    - {action: RestartAll, exitCodes: {operator: Is, values: [3, 3]}}
    resizePolicy:
    - {resourceName: cpu, restartPolicy: RestartContainer}
    - {resourceName: cpu, restartPolicy: NotRequired}
    - {resourceName: gpu, restartPolicy: Sometimes}
  - name: d
    command: [x]
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [1]}}]
)Y",
                                      "t.yaml");
    const std::string e = errors_of(r);
    const std::string c = "spec.containers[0].";
    for (const std::string& want : std::vector<std::string>{
             "spec.activeDeadlineSeconds: 0 must be between 1 and 2147483647",
             "spec.os.name: \"windows\": podrun runs Linux containers",
             "spec.initContainers[0].restartPolicyRules: may not be set on a sidecar",
             "spec.initContainers[1].resizePolicy: may not be set on an init container unless it is a sidecar",
             c + "restartPolicy: \"Sometimes\" must be Always, OnFailure or Never",
             c + "restartPolicyRules[0].exitCodes: required",
             c + "restartPolicyRules[1].action: \"RestartAll\": the only action supported is \"Restart\"",
             c + "restartPolicyRules[1].exitCodes.operator: \"Is\" must be In or NotIn",
             c + "restartPolicyRules[1].exitCodes.values[1]: 3 is given twice",
             c + "resizePolicy[0].restartPolicy: \"RestartContainer\" must be NotRequired when spec.restartPolicy is "
                 "Never",
             c + "resizePolicy[1].resourceName: \"cpu\" is given twice",
             c + "resizePolicy[2].resourceName: \"gpu\" must be cpu or memory",
             c + "resizePolicy[2].restartPolicy: \"Sometimes\" must be NotRequired or RestartContainer",
             "spec.containers[1].restartPolicy: required when restartPolicyRules is set",
         })
        EXPECT_NE(e.find(want), std::string::npos) << want << "\n" << e;
    EXPECT_EQ(e.find("unknown field"), std::string::npos) << e;

    BundleResult os = load_bundle_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  os: {name: plan9}\n  containers: [{name: c, "
        "command: [x]}]\n",
        "t.yaml");
    EXPECT_NE(errors_of(os).find("spec.os.name: \"plan9\" must be linux"), std::string::npos) << errors_of(os);
}

TEST(SpecPodFields, RestartRulesDecideBeforeThePolicy) {
    const std::vector<RestartRule> rules{{true, {42}}};
    // Never, but 42 matches: restarted; 1 matches no rule: Never holds.
    EXPECT_TRUE(decide_restart(RestartPolicy::Never, 42, false, 0, true, 1000, rules).restart);
    EXPECT_FALSE(decide_restart(RestartPolicy::Never, 1, false, 0, true, 1000, rules).restart);
    EXPECT_FALSE(decide_restart(RestartPolicy::Never, 42, true, 0, true, 1000, rules).restart);  // the pod stops
    const std::vector<RestartRule> not_in{{false, {0}}};
    EXPECT_TRUE(decide_restart(RestartPolicy::Never, 3, false, 0, true, 1000, not_in).restart);
    EXPECT_FALSE(decide_restart(RestartPolicy::Never, 0, false, 0, true, 1000, not_in).restart);
    // The container's own policy replaces the pod's, but a sidecar always restarts.
    EXPECT_EQ(container_policy(RestartPolicy::Always, false, false, RestartPolicy::Never), RestartPolicy::Never);
    EXPECT_EQ(container_policy(RestartPolicy::Never, false, false, RestartPolicy::OnFailure), RestartPolicy::OnFailure);
    EXPECT_EQ(container_policy(RestartPolicy::Always, true, false, RestartPolicy::Never), RestartPolicy::Never);
    EXPECT_EQ(container_policy(RestartPolicy::Never, true, true, RestartPolicy::Always), RestartPolicy::Always);
    EXPECT_EQ(container_policy(RestartPolicy::Always, true, false), RestartPolicy::OnFailure);
}

TEST(SpecPodFields, DeadlineExceededFailsThePod) {
    std::vector<RunState> runs;
    PodRuns pod{runs, 0, true, true, true};
    EXPECT_EQ(pod_exit_code(pod), 1);
    EXPECT_EQ(pod_phase(pod), "Failed");
    PodRuns fine{runs, 0, true, true, false};
    EXPECT_EQ(pod_exit_code(fine), 0);
}

}  // namespace
