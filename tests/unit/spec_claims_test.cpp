// persistentVolumeClaim volumes: what the validator accepts and refuses.
#include <gtest/gtest.h>

#include "podrun/spec/bundle.hpp"

using namespace podrun::spec;

namespace {

std::string errors_of(const BundleResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

TEST(SpecClaims, ClaimVolumes) {
    BundleResult r = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {fsGroup: 2000}
  volumes:
  - {name: a, persistentVolumeClaim: {claimName: data.v1, readOnly: true}}
  containers:
  - {name: c, command: [x], volumeMounts: [{name: a, mountPath: /a}]}
)Y",
                                      "t.yaml");
    ASSERT_TRUE(r.ok()) << errors_of(r);
    const auto& c = std::get<ClaimVolume>(r.bundle->pods[0].volumes[0].source);
    EXPECT_EQ(c.claim, "data.v1");
    EXPECT_TRUE(c.read_only);
    std::string w;
    for (const auto& x : r.warnings) w += x + "\n";
    EXPECT_NE(w.find("fsGroup is not applied to persistentVolumeClaim volumes"), std::string::npos) << w;

    BundleResult bad = load_bundle_text(R"Y(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - {name: a, persistentVolumeClaim: {}}
  - {name: b, persistentVolumeClaim: {claimName: Not_A_Name}}
  - {name: c, persistentVolumeClaim: {claimName: x, readonly: true}}
  containers:
  - {name: c, command: [x]}
)Y",
                                        "t.yaml");
    const std::string e = errors_of(bad);
    for (const char* want : {"spec.volumes[0].persistentVolumeClaim.claimName: required",
                             "spec.volumes[1].persistentVolumeClaim.claimName: \"Not_A_Name\"",
                             "spec.volumes[2].persistentVolumeClaim.readonly: unknown field; did you mean "
                             "\"readOnly\"?"})
        EXPECT_NE(e.find(want), std::string::npos) << want << "\n" << e;
}

}  // namespace
