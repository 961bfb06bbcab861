// `podrun up` and `podrun up -d` parse into one options struct: every flag reaches both
// (issue 14: `up -d` used to drop --pids-max and --cpu-weight-formula). No root.
#include <gtest/gtest.h>

#include "podrun/cli/cli.hpp"

namespace {

TEST(CliUp, UpAndUpDetachedTakeTheSameOptions) {
    const std::vector<std::string> flags{
        "--explain", "--cgroup-parent",      "/sys/fs/cgroup/x", "--no-limits", "--pids-max",
        "20",        "--cpu-weight-formula", "linear",           "pod.json"};
    auto fg = podrun::cli::parse_up(flags);
    std::vector<std::string> dflags{"-d"};
    dflags.insert(dflags.end(), flags.begin(), flags.end());
    auto bg = podrun::cli::parse_up(dflags);
    ASSERT_TRUE(fg && bg);
    EXPECT_FALSE(fg->detach);
    EXPECT_TRUE(bg->detach);
    for (const auto* a : {&*fg, &*bg}) {
        EXPECT_EQ(a->file, "pod.json");
        EXPECT_EQ(a->options.manifest, "pod.json");
        EXPECT_TRUE(a->options.explain);
        EXPECT_EQ(a->options.cgroup_parent, "/sys/fs/cgroup/x");
        EXPECT_TRUE(a->options.no_limits);
        EXPECT_EQ(a->options.pids_max, 20);
        EXPECT_EQ(a->options.weight_formula, podrun::cgroup::WeightFormula::Linear);
    }
    auto plain = podrun::cli::parse_up({"-d", "pod.json"});
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->options.pids_max);
    EXPECT_EQ(plain->options.weight_formula, podrun::cgroup::WeightFormula::Quadratic);
    EXPECT_FALSE(podrun::cli::parse_up({"--pids-max", "0", "pod.json"}));  // out of range
}

}  // namespace
