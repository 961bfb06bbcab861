// The pod's /etc/resolv.conf (dnsPolicy, dnsConfig merged as the kubelet does), its
// /etc/hosts (pod IP, host.podrun.internal, hostAliases), the network choice and pasta's
// command line.
#include <gtest/gtest.h>

#include "podrun/net/dns.hpp"
#include "podrun/net/pasta.hpp"
#include "podrun/sandbox/sandbox.hpp"
#include "podrun/spec/load.hpp"

using namespace podrun;

namespace {

spec::Pod load(const std::string& spec_extra, const std::string& meta_extra = "") {
    auto r = spec::load_pod_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n" + meta_extra + "spec:\n" +
                                     spec_extra + "  containers: [{name: c, command: ['true']}]\n",
                                 "test");
    EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].to_string());
    return r.pod.value_or(spec::Pod{});
}

const char* kHost =
    "# generated\nnameserver 10.0.0.53\nnameserver 10.0.0.54\nsearch corp.example\noptions ndots:1 timeout:2\n";

}  // namespace

TEST(NetDns, DefaultIsTheHostsResolversWithoutAWarning) {
    auto rc = net::resolv_conf(load(""), kHost);
    EXPECT_TRUE(rc.warnings.empty());
    EXPECT_NE(rc.text.find("nameserver 10.0.0.53\nnameserver 10.0.0.54\n"), std::string::npos) << rc.text;
    EXPECT_NE(rc.text.find("search corp.example\n"), std::string::npos) << rc.text;
    EXPECT_NE(rc.text.find("options ndots:1 timeout:2\n"), std::string::npos) << rc.text;
}

TEST(NetDns, ClusterFirstWrittenOutFallsBackToTheHostsWithAWarning) {
    auto rc = net::resolv_conf(load("  dnsPolicy: ClusterFirst\n"), kHost);
    ASSERT_EQ(rc.warnings.size(), 1u);
    EXPECT_NE(rc.warnings[0].find("ClusterFirst"), std::string::npos);
    EXPECT_NE(rc.text.find("nameserver 10.0.0.53"), std::string::npos);
}

TEST(NetDns, DnsConfigIsMergedOverDefaultAndAloneWithNone) {
    auto merged =
        net::resolv_conf(load("  dnsPolicy: Default\n  dnsConfig:\n    nameservers: [10.0.0.53, 192.0.2.1]\n"
                              "    searches: [a.test]\n    options: [{name: ndots, value: '5'}, {name: edns0}]\n"),
                         kHost);
    EXPECT_NE(merged.text.find("nameserver 10.0.0.53\nnameserver 10.0.0.54\nnameserver 192.0.2.1\n"), std::string::npos)
        << merged.text;
    EXPECT_NE(merged.text.find("search corp.example a.test\n"), std::string::npos) << merged.text;
    EXPECT_NE(merged.text.find("options timeout:2 ndots:5 edns0\n"), std::string::npos) << merged.text;
    auto alone = net::resolv_conf(load("  dnsPolicy: None\n  dnsConfig: {nameservers: [192.0.2.1]}\n"), kHost);
    EXPECT_EQ(alone.text.find("10.0.0.53"), std::string::npos) << alone.text;
    EXPECT_NE(alone.text.find("nameserver 192.0.2.1\n"), std::string::npos) << alone.text;
    EXPECT_EQ(alone.text.find("search"), std::string::npos) << alone.text;
}

TEST(NetDns, HostsFileHasThePodIpTheHostsNameAndTheAliases) {
    auto pod = load(
        "  hostAliases:\n  - {ip: 10.1.2.3, hostnames: [foo.test, bar.test]}\n  - {ip: '::1', hostnames: [six]}\n");
    std::string h = sandbox::hosts_file(pod, "192.0.2.2", "192.0.2.1");
    EXPECT_NE(h.find("192.0.2.2\tweb\n"), std::string::npos) << h;
    EXPECT_NE(h.find("192.0.2.1\thost.podrun.internal\n"), std::string::npos) << h;
    EXPECT_NE(h.find("# Entries added by HostAliases.\n10.1.2.3\tfoo.test\tbar.test\n::1\tsix\n"), std::string::npos)
        << h;
    std::string none = sandbox::hosts_file(load(""));
    EXPECT_NE(none.find("127.0.0.1\tweb\n"), std::string::npos);
    EXPECT_EQ(none.find("host.podrun.internal"), std::string::npos);
    EXPECT_EQ(none.find("HostAliases"), std::string::npos);
}

TEST(NetDns, NetworkChoiceFromTheAnnotationAndItsErrors) {
    EXPECT_EQ(load("").network.mode, spec::NetworkMode::Default);
    auto p = load("", "  annotations: {podrun.io/network: 'bridge:lab'}\n");
    EXPECT_EQ(p.network.mode, spec::NetworkMode::Bridge);
    EXPECT_EQ(p.network.bridge_network, "lab");
    EXPECT_EQ(spec::to_string(p.network), "bridge:lab");
    auto bad = spec::load_pod_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations: {podrun.io/network: slirp}\n"
        "spec:\n  containers: [{name: c, command: ['true']}]\n",
        "test");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.errors[0].path, "metadata.annotations[podrun.io/network]");
    EXPECT_NE(bad.errors[0].message.find("none, pasta, bridge or bridge:NAME"), std::string::npos);
    std::string why;
    EXPECT_FALSE(spec::parse_network("bridge:../etc", &why));
    EXPECT_NE(why.find("network name"), std::string::npos) << why;
    EXPECT_EQ(spec::parse_network("none", nullptr)->mode, spec::NetworkMode::None);
}

TEST(NetDns, PastaRunsInTheForegroundIntoTheNetnsFileForwardingNothing) {
    auto argv = net::pasta_argv("/usr/bin/pasta", "/run/podrun/p/netns", "/proc/self/fd/1");
    std::string s;
    for (const auto& a : argv) s += a + " ";
    EXPECT_EQ(s,
              "/usr/bin/pasta -f -q --config-net --runas 0 --netns /run/podrun/p/netns -t none -u none -T none -U none "
              "-P /proc/self/fd/1 ");
    EXPECT_EQ(net::pasta_errors("Failed to send 55 bytes to syslog\nCouldn't open network namespace x\n"),
              "Couldn't open network namespace x");
}
