// The hostPorts a pod publishes: listeners per port (0.0.0.0 and [::]), ps's shape, what the
// forwarder refuses, which bindings collide.
#include <gtest/gtest.h>

#include "podrun/net/ports.hpp"

using namespace podrun;

namespace {

spec::Pod pod_with(std::vector<spec::ContainerPort> ports, bool host_network = false) {
    spec::Pod p;
    p.metadata.name = "p";
    p.host_network = host_network;
    spec::Container c;
    c.name = "c";
    c.ports = std::move(ports);
    p.containers.push_back(c);
    return p;
}

spec::ContainerPort port(int container, int host, std::string proto = "TCP", std::string ip = "") {
    spec::ContainerPort cp;
    cp.container_port = container;
    cp.host_port = host;
    cp.protocol = std::move(proto);
    cp.host_ip = std::move(ip);
    return cp;
}

}  // namespace

TEST(NetPorts, DefaultHostIpBindsBothFamiliesWhereTheHostHasIpv6) {
    auto p = pod_with({port(80, 8080), port(53, 5353, "UDP", "127.0.0.1"), port(9000, 0)});
    auto v4 = net::published_ports(p, false);
    ASSERT_EQ(v4.size(), 2u);
    EXPECT_EQ(net::format_port(v4[0]), "0.0.0.0:8080->80/tcp");
    EXPECT_EQ(net::format_port(v4[1]), "127.0.0.1:5353->53/udp");
    EXPECT_EQ(v4[0].path, "spec.containers[0].ports[0]");
    EXPECT_TRUE(v4[1].udp());
    auto both = net::published_ports(p, true);
    ASSERT_EQ(both.size(), 3u);
    EXPECT_EQ(net::format_port(both[1]), "[::]:8080->80/tcp");
}

TEST(NetPorts, SctpHostNetworkMismatchAndDuplicatesAreRefused) {
    EXPECT_TRUE(net::port_problems(pod_with({port(80, 8080), port(81, 8080, "UDP")})).empty());
    auto sctp = net::port_problems(pod_with({port(80, 8080, "SCTP")}));
    ASSERT_EQ(sctp.size(), 1u);
    EXPECT_NE(sctp[0].find("spec.containers[0].ports[0].protocol"), std::string::npos) << sctp[0];
    auto hn = net::port_problems(pod_with({port(80, 8080)}, true));
    ASSERT_EQ(hn.size(), 1u);
    EXPECT_NE(hn[0].find("must equal containerPort (80)"), std::string::npos) << hn[0];
    EXPECT_TRUE(net::port_problems(pod_with({port(80, 80)}, true)).empty());
    auto dup = net::port_problems(pod_with({port(80, 8080), port(81, 8080, "TCP", "127.0.0.1")}));
    ASSERT_EQ(dup.size(), 1u);
    EXPECT_NE(dup[0].find("already published by spec.containers[0].ports[0]"), std::string::npos) << dup[0];
}

TEST(NetPorts, OverlapsByProtocolPortAndAddressWithWildcards) {
    net::PublishedPort any{"0.0.0.0", 80, 1, "TCP", ""}, lo{"127.0.0.1", 80, 2, "TCP", ""},
        other{"10.0.0.1", 80, 3, "TCP", ""}, udp{"0.0.0.0", 80, 4, "UDP", ""}, v6{"::", 80, 5, "TCP", ""};
    EXPECT_TRUE(net::overlaps(any, lo));
    EXPECT_TRUE(net::overlaps(lo, any));
    EXPECT_FALSE(net::overlaps(lo, other));
    EXPECT_FALSE(net::overlaps(any, udp));
    EXPECT_FALSE(net::overlaps(any, v6));  // [::] is IPV6_V6ONLY: its own socket
}
