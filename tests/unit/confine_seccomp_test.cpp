// seccomp profiles: filtering by architecture, capabilities and kernel; compiling with
// libseccomp; and the compiled program really refusing a syscall (no root needed: with
// no_new_privs any process may load a filter on itself).
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "podrun/confine/seccomp.hpp"
#include "podrun/sys/confine.hpp"

using namespace podrun;
using confine::FilterInputs;

namespace {

const char* kProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
              {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
    {"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
    {"names": ["membarrier"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.14"}},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
  ]})";

FilterInputs amd64(confine::CapMask caps, std::pair<int, int> kernel = {6, 1}) {
    FilterInputs in;
    in.go_arch = "amd64";
    in.scmp_arch = "SCMP_ARCH_X86_64";
    in.caps = caps;
    in.kernel = kernel;
    return in;
}

std::vector<std::string> kept_names(const confine::FilteredProfile& f) {
    std::vector<std::string> out;
    for (const auto& r : f.rules) {
        for (const auto& n : r.names) out.push_back(n + ":" + r.action);
    }
    return out;
}

}  // namespace

TEST(ConfineSeccomp, RulesFilteredByArchCapsAndKernel) {
    auto f = confine::filter_profile(kProfile, "test.json", amd64(confine::default_caps()));
    EXPECT_EQ(f.total, 6u);
    EXPECT_EQ(f.default_action, "SCMP_ACT_ERRNO");
    EXPECT_EQ(f.default_errno, 38);
    EXPECT_EQ(f.arches, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
    EXPECT_EQ(kept_names(f), (std::vector<std::string>{"read:SCMP_ACT_ALLOW", "write:SCMP_ACT_ALLOW",
                                                       "arch_prctl:SCMP_ACT_ALLOW", "chroot:SCMP_ACT_ERRNO",
                                                       "membarrier:SCMP_ACT_ALLOW", "personality:SCMP_ACT_ALLOW"}));
    auto chroot_cap = confine::default_caps() | (confine::CapMask{1} << 18);
    auto g = confine::filter_profile(kProfile, "test.json", amd64(chroot_cap, {4, 9}));
    EXPECT_EQ(kept_names(g),
              (std::vector<std::string>{"read:SCMP_ACT_ALLOW", "write:SCMP_ACT_ALLOW", "arch_prctl:SCMP_ACT_ALLOW",
                                        "chroot:SCMP_ACT_ALLOW", "personality:SCMP_ACT_ALLOW"}));
    FilterInputs arm = amd64(0);
    arm.go_arch = "arm64";
    arm.scmp_arch = "SCMP_ARCH_AARCH64";
    auto a = confine::filter_profile(kProfile, "test.json", arm);
    EXPECT_EQ(a.arches, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
    EXPECT_EQ(a.rules.size(),
              4u);  // read/write, chroot refused, membarrier, personality: no arch_prctl
    EXPECT_NE(confine::cache_key(kProfile, f), confine::cache_key(kProfile, g));
}

TEST(ConfineSeccomp, WhatPodrunCannotHonourIsRefusedWithTheField) {
    try {
        confine::filter_profile(
            R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})",
            "p.json", amd64(0));
        FAIL() << "accepted SCMP_ACT_NOTIFY";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("p.json: syscalls[0].action: SCMP_ACT_NOTIFY"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(confine::filter_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"]})",
                                         "p.json", amd64(0)),
                 std::runtime_error);
    EXPECT_THROW(confine::filter_profile("{", "p.json", amd64(0)), std::runtime_error);
    EXPECT_THROW(confine::filter_profile(R"({"syscalls": []})", "p.json", amd64(0)), std::runtime_error);
}

TEST(ConfineSeccomp, TheDebianProfileCompilesForTheDefaultCaps) {
    std::ifstream in("/usr/share/containers/seccomp.json");
    if (!in)
        GTEST_SKIP() << "no /usr/share/containers/seccomp.json (scripts/setup installs "
                        "golang-github-containers-common)";
    std::stringstream ss;
    ss << in.rdbuf();
    auto f = confine::filter_profile(ss.str(), "seccomp.json", confine::native_inputs(confine::default_caps()));
    EXPECT_GT(f.rules.size(), 5u);
    EXPECT_LT(f.rules.size(), f.total);  // the CAP_SYS_ADMIN, CAP_SYS_CHROOT, ... rules are gone
    auto p = confine::compile(f, "seccomp.json", "h");
    EXPECT_GT(p->insns.size(), 100u);
    EXPECT_EQ(p->prog.len, p->insns.size());
    EXPECT_EQ(p->prog.filter, p->insns.data());
}

// A kernel without x32 (FilterInputs::x32 false) gets no x32 section: a third fewer
// instructions for the same rules, and a different cache key.
TEST(ConfineSeccomp, X32IsLeftOutWhereTheKernelHasNone) {
    FilterInputs with = amd64(confine::default_caps());
    FilterInputs without = with;
    without.x32 = false;
    auto f = confine::filter_profile(kProfile, "test.json", with);
    auto g = confine::filter_profile(kProfile, "test.json", without);
    EXPECT_FALSE(f.x32_left_out);
    EXPECT_TRUE(g.x32_left_out);
    EXPECT_EQ(g.arches, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
    EXPECT_EQ(kept_names(f), kept_names(g));
    EXPECT_NE(confine::cache_key(kProfile, f), confine::cache_key(kProfile, g));
    EXPECT_LT(confine::compile(g, "test.json", "g")->insns.size(), confine::compile(f, "test.json", "f")->insns.size());
}

#if defined(__x86_64__)
// Under an outer filter without x32 whose bad-arch action kills (systemd's
// SystemCallArchitectures=native, another runtime), the x32 probe must not run: podrun would
// die of SIGSYS. The test runs itself again, freshly exec'd (the probe's answer is cached per
// process) under such a filter, and reads what kernel_runs_x32() said there.
TEST(ConfineSeccomp, X32ProbeIsSkippedUnderAnOuterFilter) {
    if (std::getenv("PODRUN_TEST_X32_CHILD")) {
        std::printf("x32=%d\n", sys::kernel_runs_x32() ? 1 : 0);
        std::fflush(stdout);
        return;
    }
    const char* profile = R"({"defaultAction": "SCMP_ACT_ALLOW",
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}], "syscalls": []})";
    auto f = confine::filter_profile(profile, "native-only.json", confine::native_inputs(0));
    ASSERT_FALSE(f.x32_left_out);  // x32 not named: libseccomp's bad-arch default, SIGSYS
    auto p = confine::compile(f, "native-only.json", "h");
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sys::load_seccomp_filter(&p->prog) != 0) _exit(100);
        setenv("PODRUN_TEST_X32_CHILD", "1", 1);
        execl("/proc/self/exe", "podrun_unit_tests",
              "--gtest_filter=ConfineSeccomp.X32ProbeIsSkippedUnderAnOuterFilter", static_cast<char*>(nullptr));
        _exit(101);
    }
    close(out[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(out[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 0) << text;
    EXPECT_NE(text.find("x32=1\n"), std::string::npos) << text;
}
#endif

// Loads a compiled program into a forked child and reports what mkdir does there.
TEST(ConfineSeccomp, CompiledProgramRefusesWithTheProfilesErrno) {
    const char* profile = R"({"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})";
    auto f = confine::filter_profile(profile, "no-mkdir.json", confine::native_inputs(0));
    auto p = confine::compile(f, "no-mkdir.json", confine::fnv1a_hex(confine::cache_key(profile, f)));
    EXPECT_EQ(p->hash.size(), 16u);
    // Round trip through the bytes `up` saves for `podrun exec`.
    auto q = confine::program_from_bytes(
        std::string(reinterpret_cast<const char*>(p->insns.data()), p->insns.size() * sizeof(sock_filter)), "x", "h");
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(100);
        if (sys::load_seccomp_filter(&q->prog) != 0) _exit(101);
        int rc = mkdir("/tmp/podrun-seccomp-test-never", 0700);
        _exit(rc == 0 ? 102 : (errno == EACCES ? 0 : 103));
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "100: prctl, 101: seccomp load, 102: mkdir worked, 103: other errno";
}
