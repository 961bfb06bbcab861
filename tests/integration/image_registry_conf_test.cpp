// Insecure registries by registries.conf and --insecure-registry, against a registry that is
// not on a loopback name (those are plain HTTP anyway): docker-registry on 10.77.0.1, an
// address put on the loopback device of a network namespace the test makes, where the pulls
// run too. Nothing leaves that namespace.
#include <string>

#include "harness.hpp"
#include "registry_harness.hpp"

namespace podrun::test {
namespace {

class ImageRegistryConf : public PodrunTest {};

TEST_F(ImageRegistryConf, InsecureByConfigFileAndFlag) {
    PODRUN_REQUIRE_ROOT();
    const TestImages& images = TestImages::get();
    TempDir dir;
    const std::string host = "10.77.0.1:5000";
    write_file(dir / "registry.yml",
               "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
               "    rootdirectory: " +
                   dir.path() + "/data\nhttp:\n  addr: " + host + "\n");
    write_file(dir / "registries.conf", "[[registry]]\nlocation = \"" + host + "\"\ninsecure = true\n");
    write_file(dir / "other.conf", "[[registry]]\nlocation = \"10.77.0.2:5000\"\ninsecure = true\n");
    const std::string pull = std::string(podrun::test::podrun_bin()) + " pull --quiet " + host + "/test/app:v1";
    const std::string script =
        "set -u\nip link set lo up && ip addr add 10.77.0.1/32 dev lo || exit 90\n"
        "/usr/bin/docker-registry serve " +
        dir / "registry.yml" + " 2>" + dir / "registry.log" +
        " & reg=$!\n"
        "i=0; until /usr/bin/curl -s -o /dev/null http://" +
        host +
        "/v2/; do i=$((i+1)); [ $i -gt 150 ] && exit 91; sleep 0.1; done\n"
        "/usr/bin/skopeo --insecure-policy copy --quiet --dest-tls-verify=false oci:" +
        images.layout + ":app docker://" + host +
        "/test/app:v1 || exit 92\n"
        "export PODRUN_STORAGE=" +
        dir / "s1" + "\n" + "CONTAINERS_REGISTRIES_CONF=" + dir / "other.conf" + " " + pull + " 2>" +
        dir / "plain.err" +
        " && echo plain=ok || echo plain=failed\n"
        "CONTAINERS_REGISTRIES_CONF=" +
        dir / "registries.conf" + " " + pull + " 2>" + dir / "conf.err" +
        " && echo conf=ok || echo conf=failed\n"
        "export PODRUN_STORAGE=" +
        dir / "s2" + "\n" + "CONTAINERS_REGISTRIES_CONF=" + dir / "other.conf" + " " + pull + " --insecure-registry " +
        host + " 2>" + dir / "flag.err" +
        " && echo flag=ok || echo flag=failed\n"
        "kill $reg; wait $reg 2>/dev/null; exit 0\n";
    RunResult r = run({"/usr/bin/unshare", "--net", "/bin/sh", "-c", script}, "", 180);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << read_file(dir / "registry.log");
    // Not a loopback name, not insecure: HTTPS, which this registry does not speak.
    EXPECT_NE(r.out.find("plain=failed"), std::string::npos) << r.out << read_file(dir / "plain.err");
    EXPECT_NE(r.out.find("conf=ok"), std::string::npos) << r.out << read_file(dir / "conf.err");
    EXPECT_NE(r.out.find("flag=ok"), std::string::npos) << r.out << read_file(dir / "flag.err");
}

}  // namespace
}  // namespace podrun::test
