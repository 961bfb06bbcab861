// Pod fields of issue 13 in running pods: activeDeadlineSeconds (the pod fails with reason
// DeadlineExceeded, its containers stopped as `down` stops them) and restartPolicyRules
// (Kubernetes 1.34: a container restarted on the exit codes its rules name, over its own
// restartPolicy).
#include <string>

#include "harness.hpp"

namespace podrun::test {
namespace {

class PodFields : public PodrunTest {};

TEST_F(PodFields, ActiveDeadlineSecondsFailsThePod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-fields-deadline}
spec:
  activeDeadlineSeconds: 2
  terminationGracePeriodSeconds: 5
  containers:
  - name: long
    command: [sh, -c, 'trap "echo got-term; exit 0" TERM; echo running; while true; do sleep 0.1; done']
)Y");
    const double t0 = now_s();
    RunResult r = podrun({"up", pod}, "", 60);
    const double took = now_s() - t0;
    ASSERT_FALSE(r.timed_out);
    // The container exited 0 on SIGTERM, yet the pod failed: DeadlineExceeded.
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("long | got-term"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("DeadlineExceeded"), std::string::npos) << r.err;
    EXPECT_GE(took, 2.0);
    EXPECT_LT(took, 10.0);
}

TEST_F(PodFields, RestartPolicyRulesRestartOnTheirExitCodes) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // First run exits 42 (a rule restarts it although restartPolicy is Never); the second
    // exits 3, which no rule names: Never holds and the pod ends with 3.
    const std::string pod = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-fields-rules}
spec:
  restartPolicy: Always
  volumes:
  - {name: state, emptyDir: {}}
  containers:
  - name: flaky
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes: {operator: In, values: [42]}
    command: [sh, -c, 'if [ -e /s/ran ]; then echo second-run; exit 3; fi; touch /s/ran; echo first-run; exit 42']
    volumeMounts: [{name: state, mountPath: /s}]
)Y");
    RunResult r = podrun({"up", pod}, "", 60);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.out.find("flaky | first-run"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("flaky | second-run"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace podrun::test
