#include <gtest/gtest.h>
#include "podrun/spec/pod.hpp"
TEST(Placeholder, RestartPolicyName) { EXPECT_EQ(podrun::spec::to_string(podrun::spec::RestartPolicy::Never), "Never"); }
