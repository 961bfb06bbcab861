// registries.conf as podrun reads it: [[registry]] location/prefix/insecure/blocked, v1's
// [registries.insecure], the longest-prefix match of containers/image, warnings for the rest.
#include <gtest/gtest.h>

#include "image/tool/registries_conf.hpp"

using namespace podrun::image;

TEST(RegistriesConf, ParsesTheContainersFormat) {
    auto c = parse_registries_conf(R"(# a comment
unqualified-search-registries = ["docker.io", "quay.io"]

[[registry]]
location = "reg.lan:5000"   # trailing comment
insecure = true

[[registry]]
prefix = "reg.lan:5000/secure"
location = "reg.lan:5000/secure"
insecure = false

[[registry]]
location = '*.corp.example'
insecure = true
[[registry.mirror]]
location = "mirror.corp.example"

[[registry]]
location = "evil.example"
blocked = true

[registries.insecure]
registries = [
  "old.lan",
  "older.lan:443",
]
)",
                                   "test.conf");
    ASSERT_EQ(c.registries.size(), 6u);
    EXPECT_EQ(c.registries[0].prefix, "reg.lan:5000");
    EXPECT_TRUE(c.registries[0].insecure);
    EXPECT_EQ(c.registries[1].prefix, "reg.lan:5000/secure");
    EXPECT_FALSE(c.registries[1].insecure);
    EXPECT_TRUE(c.registries[3].blocked);
    EXPECT_EQ(c.registries[5].prefix, "older.lan:443");
    EXPECT_TRUE(c.registries[5].insecure);
    // unqualified-search-registries and the mirror are named, not silently dropped.
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_NE(c.warnings[0].find("test.conf:16: [[registry.mirror]]"), std::string::npos) << c.warnings[0];
    ASSERT_EQ(c.notes.size(), 1u);
    EXPECT_NE(c.notes[0].find("test.conf:2: unqualified-search-registries"), std::string::npos) << c.notes[0];

    auto insecure = [&](const std::string& d, const std::string& p) {
        const RegistryEntry* e = registry_entry(c, d, p);
        return e && e->insecure;
    };
    EXPECT_TRUE(insecure("reg.lan:5000", "team/app"));
    EXPECT_FALSE(insecure("reg.lan:5000", "secure/app"));  // the longer prefix wins
    EXPECT_TRUE(insecure("reg.lan:5000", "secureapp"));    // a prefix ends at a boundary
    EXPECT_FALSE(insecure("reg.lan:50000", "app"));
    EXPECT_FALSE(insecure("reg.lan", "app"));
    EXPECT_TRUE(insecure("a.corp.example", "x"));
    EXPECT_TRUE(insecure("b.a.corp.example:8443", "x"));
    EXPECT_FALSE(insecure("corp.example", "x"));
    EXPECT_TRUE(insecure("old.lan", "library/x"));
    EXPECT_FALSE(insecure("docker.io", "library/nginx"));
    ASSERT_NE(registry_entry(c, "evil.example", "x"), nullptr);
    EXPECT_TRUE(registry_entry(c, "evil.example", "x")->blocked);
}

TEST(RegistriesConf, ErrorsNameTheLine) {
    for (const char* bad : {"[[registry]]\nlocation = \"x\nbad", "[[registry]]\ninsecure = \"yes\"\nlocation = \"x\"",
                            "[[registry]]\nlocation\n", "[[registry]]\ninsecure = true\n", "[[registry\n",
                            "[[registry]]\nlocation = 12\n"}) {
        EXPECT_THROW(parse_registries_conf(bad, "r.conf"), RegistriesConfError) << bad;
    }
    try {
        parse_registries_conf("\n[[registry]]\ninsecure = yes\n", "r.conf");
        FAIL();
    } catch (const RegistriesConfError& e) {
        EXPECT_NE(std::string(e.what()).find("r.conf:3:"), std::string::npos) << e.what();
    }
}
