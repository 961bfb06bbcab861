// The conformance corpus (tests/conformance, the Kubernetes documentation's Pod manifests,
// copied from the project's shared corpus so a clean clone has it): `podrun validate`'s
// validation over every file. Those in should-accept.txt are accepted but for the few listed
// below, each still refused for its reason; every other file is refused, with a reason that
// names its field. Validation reads no image store and no network: registry images are fine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "podrun/spec/bundle.hpp"

namespace {

const std::string kRoot = std::string(PODRUN_SOURCE_DIR) + "/tests/conformance/";

// Files a one-node runtime should accept that podrun still refuses, and a piece of why.
const std::map<std::string, std::string> kStillRefused = {
    // needs an API server's ClusterTrustBundle objects
    {"kubernetes-website/content/en/examples/pods/storage/projected-clustertrustbundle.yaml",
     "clusterTrustBundle: not supported by podrun yet"},
    // needs a certificate signer
    {"kubernetes-website/content/en/examples/pods/storage/projected-podcertificate.yaml",
     "podCertificate: not supported by podrun yet"},
    // a field newer than v1.33
    {"kubernetes-website/content/en/examples/pods/emptydir-volume-mode.yaml",
     "emptyDir.mode: not supported by podrun yet"},
    // image volumes: the images issue
    {"kubernetes-website/content/en/examples/pods/image-volumes-subpath.yaml",
     "volumes[0].image: not supported by podrun yet"},
    {"kubernetes-website/content/en/examples/pods/image-volumes.yaml", "volumes[0].image: not supported by podrun yet"},
    // the file has no apiVersion: not a valid Pod
    {"kubernetes-website/content/en/examples/pods/inject/pod-single-secret-env-variable.yaml", "apiVersion: required"},
    // a placeholder, not an image reference
    {"kubernetes-website/content/en/examples/pods/private-reg-pod.yaml",
     "image \"<your-private-image>\": invalid reference format"},
    // extended resources
    {"kubernetes-website/content/en/examples/pods/resource/extended-resource-pod-2.yaml",
     "resource \"example.com/dongle\" is not supported by podrun yet"},
    {"kubernetes-website/content/en/examples/pods/resource/extended-resource-pod.yaml",
     "resource \"example.com/dongle\" is not supported by podrun yet"},
    // pod-level pids
    {"kubernetes-website/content/en/examples/pods/resource/pod-level-pid-limit.yaml",
     "resource \"pids\" is not supported by podrun yet"},
    // Kubernetes 1.35 alpha
    {"kubernetes-website/content/en/examples/pods/restart-policy/restart-all-containers.yaml",
     "\"RestartAllContainers\": the only action supported is \"Restart\""},
    // AppArmor Localhost: the confinement issue
    {"kubernetes-website/content/en/examples/pods/security/apparmor/hello-apparmor.yaml",
     "podrun loads no AppArmor profiles"},
    {"kubernetes-website/content/en/examples/pods/security/hello-apparmor-2.yaml", "podrun loads no AppArmor profiles"},
    {"kubernetes-website/content/en/examples/pods/security/hello-apparmor.yaml", "podrun loads no AppArmor profiles"},
    // refused by design
    {"kubernetes-website/content/en/examples/pods/security/seccomp/fields.yaml",
     "spec.ephemeralContainers: ephemeral containers are added"},
    {"kubernetes-website/content/en/examples/pods/security/security-context-7.yaml",
     "cgroupOptions: not supported by podrun yet"},
    // stdin/tty and attach
    {"kubernetes-website/content/en/examples/pods/share-process-namespace.yaml", "stdin: not supported by podrun yet"},
    // user namespaces
    {"kubernetes-website/content/en/examples/pods/user-namespaces-stateless.yaml",
     "hostUsers: false asks for a user namespace"},
};

std::string errors_of(const podrun::spec::BundleResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

std::set<std::string> should_accept() {
    std::set<std::string> out;
    std::ifstream in(kRoot + "should-accept.txt");
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.insert(line);
    return out;
}

std::set<std::string> all_manifests() {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(kRoot + "kubernetes-website")) {
        const std::string p = e.path().string();
        if (e.is_regular_file() && (p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json")))
            out.insert(p.substr(kRoot.size()));
    }
    return out;
}

TEST(Conformance, ShouldAcceptFilesAreAccepted) {
    const auto want = should_accept();
    ASSERT_EQ(want.size(), 135u);
    size_t accepted = 0;
    for (const auto& f : want) {
        auto r = podrun::spec::load_bundle_files({kRoot + f});
        auto known = kStillRefused.find(f);
        if (known == kStillRefused.end()) {
            EXPECT_TRUE(r.ok()) << f << "\n" << errors_of(r);
            accepted += r.ok();
        } else {
            EXPECT_FALSE(r.ok()) << f << " is accepted now: remove it from kStillRefused";
            EXPECT_NE(errors_of(r).find(known->second), std::string::npos) << f << "\n" << errors_of(r);
        }
        EXPECT_EQ(errors_of(r).find("unknown field"), std::string::npos) << f << "\n" << errors_of(r);
    }
    EXPECT_EQ(accepted, want.size() - kStillRefused.size());
}

TEST(Conformance, TheOthersAreRefusedWithTheirReason) {
    const auto accept = should_accept();
    size_t others = 0;
    for (const auto& f : all_manifests()) {
        if (accept.count(f)) continue;
        ++others;
        auto r = podrun::spec::load_bundle_files({kRoot + f});
        EXPECT_FALSE(r.ok()) << f << " is accepted";
        const std::string e = errors_of(r);
        // Every refusal names a field path and says why; never a bare "unknown field".
        EXPECT_NE(e.find(": "), std::string::npos) << f << "\n" << e;
        EXPECT_EQ(e.find("unknown field"), std::string::npos) << f << "\n" << e;
        std::cout << "refused " << f << ":\n" << e;
    }
    EXPECT_EQ(others, 7u);
}

}  // namespace
