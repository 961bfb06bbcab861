// Capability sets and users of a container from its securityContext (src/confine).
#include <gtest/gtest.h>

#include "podrun/confine/caps.hpp"
#include "podrun/confine/users.hpp"

using namespace podrun;
using confine::cap_list;
using confine::CapMask;

namespace {
CapMask caps_of(std::initializer_list<const char*> names) {
    CapMask m = 0;
    for (const char* n : names) m |= CapMask{1} << *confine::cap_number(n);
    return m;
}
}  // namespace

TEST(ConfineCaps, NamesWithOrWithoutPrefixAnyCase) {
    EXPECT_EQ(confine::cap_number("CAP_NET_ADMIN"), 12);
    EXPECT_EQ(confine::cap_number("NET_ADMIN"), 12);
    EXPECT_EQ(confine::cap_number("net_admin"), 12);
    EXPECT_EQ(confine::cap_number("CAP_CHECKPOINT_RESTORE"), 40);
    EXPECT_FALSE(confine::cap_number("CAP_FLY"));
    EXPECT_EQ(confine::cap_name(21), "CAP_SYS_ADMIN");
    EXPECT_EQ(cap_list(0), "none");
}

TEST(ConfineCaps, DefaultIsContainerdsNineInBoundingEffectivePermittedNoInheritable) {
    spec::SecurityContext sc;
    auto s = confine::capability_sets(sc, 40);
    CapMask nine = caps_of(
        {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"});
    EXPECT_EQ(s.bounding, nine) << cap_list(s.bounding);
    EXPECT_EQ(s.effective, nine);
    EXPECT_EQ(s.permitted, nine);
    EXPECT_EQ(s.inheritable, 0u);
    EXPECT_EQ(nine, 0x00000000000005fbULL);  // CapBnd of a containerd 2.x container
}

TEST(ConfineCaps, DropAllThenAddOne) {
    spec::SecurityContext sc;
    sc.capabilities.drop = {"ALL"};
    sc.capabilities.add = {"CAP_NET_ADMIN"};
    auto s = confine::capability_sets(sc, 40);
    EXPECT_EQ(s.bounding, caps_of({"NET_ADMIN"}));
    EXPECT_EQ(s.effective, caps_of({"NET_ADMIN"}));
}

TEST(ConfineCaps, AddAllThenDropOneAndDropWinsOverAdd) {
    spec::SecurityContext sc;
    sc.capabilities.add = {"ALL", "CAP_KILL"};
    sc.capabilities.drop = {"CAP_SYS_ADMIN", "CAP_KILL"};
    auto s = confine::capability_sets(sc, 40);
    EXPECT_EQ(s.bounding, confine::all_caps(40) & ~caps_of({"SYS_ADMIN", "KILL"}));
}

TEST(ConfineCaps, AddAndDropOnTheDefault) {
    spec::SecurityContext sc;
    sc.capabilities.add = {"CAP_NET_RAW"};
    sc.capabilities.drop = {"CAP_CHOWN"};
    auto s = confine::capability_sets(sc, 40);
    EXPECT_TRUE(s.bounding & caps_of({"NET_RAW"}));
    EXPECT_FALSE(s.bounding & caps_of({"CHOWN"}));
    EXPECT_TRUE(s.bounding & caps_of({"KILL"}));
}

TEST(ConfineCaps, PrivilegedHasEveryCapabilityTheKernelHasAndIgnoresDrop) {
    spec::SecurityContext sc;
    sc.privileged = true;
    sc.capabilities.drop = {"ALL"};
    auto s = confine::capability_sets(sc, 40);
    EXPECT_EQ(s.bounding, 0x000001ffffffffffULL);
    EXPECT_EQ(confine::capability_sets(sc, 37).bounding, 0x0000003fffffffffULL);
}

TEST(ConfineCaps, UnknownOrTooNewNamesAreReported) {
    spec::SecurityContext sc;
    sc.capabilities.add = {"CAP_FLY", "CAP_CHECKPOINT_RESTORE"};
    std::vector<std::string> unknown;
    auto s = confine::capability_sets(sc, 39, &unknown);
    ASSERT_EQ(unknown.size(), 2u);
    EXPECT_EQ(unknown[0], "CAP_FLY");
    EXPECT_EQ(unknown[1], "CAP_CHECKPOINT_RESTORE");  // 40 > cap_last_cap 39
    EXPECT_EQ(s.bounding, confine::default_caps());
}

const char* kPasswd = "root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1001::/home/web:/bin/sh\n";
const char* kGroup = "root:x:0:\nweb:x:1001:\nvideo:x:44:web,other\naudio:x:29:other\nstaff:x:50:web\n";

TEST(ConfineUsers, DefaultIsRootWithNoGroups) {
    spec::SecurityContext sc;
    auto id = confine::resolve_identity(sc, std::string(kPasswd), std::string(kGroup));
    EXPECT_EQ(id.uid, 0u);
    EXPECT_EQ(id.gid, 0u);
    EXPECT_TRUE(id.groups.empty());
}

TEST(ConfineUsers, RunAsUserTakesItsGidFromPasswdAndMergesGroupFile) {
    spec::SecurityContext sc;
    sc.run_as_user = 1000;
    sc.supplemental_groups = {5000, 44};
    sc.fs_group = 2000;
    auto id = confine::resolve_identity(sc, std::string(kPasswd), std::string(kGroup));
    EXPECT_EQ(id.uid, 1000u);
    EXPECT_EQ(id.gid, 1001u);
    EXPECT_EQ(id.user_name, "web");
    EXPECT_EQ(id.groups, (std::vector<gid_t>{44, 50, 5000, 2000}));
}

TEST(ConfineUsers, StrictPolicyIgnoresTheGroupFile) {
    spec::SecurityContext sc;
    sc.run_as_user = 1000;
    sc.run_as_group = 3000;
    sc.supplemental_groups = {5000};
    sc.supplemental_groups_policy = spec::SupplementalGroupsPolicy::Strict;
    auto id = confine::resolve_identity(sc, std::string(kPasswd), std::string(kGroup));
    EXPECT_EQ(id.gid, 3000u);
    EXPECT_EQ(id.groups, (std::vector<gid_t>{5000}));
}

TEST(ConfineUsers, UnknownUidGetsGidZeroAndNoFileGroups) {
    spec::SecurityContext sc;
    sc.run_as_user = 4242;
    auto id = confine::resolve_identity(sc, std::string(kPasswd), std::nullopt);
    EXPECT_EQ(id.uid, 4242u);
    EXPECT_EQ(id.gid, 0u);
    EXPECT_TRUE(id.groups.empty());
}
