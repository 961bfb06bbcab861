// Quantities as Kubernetes parses them: exact values, rounding up, saturation, rejections.
#include <gtest/gtest.h>

#include <limits>

#include "podrun/spec/quantity.hpp"

using podrun::spec::parse_quantity;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

struct Good {
    const char* text;
    int64_t value;
    int64_t milli;
};

TEST(SpecQuantity, GoodInputs) {
    const Good cases[] = {
        {"0", 0, 0},
        {"250m", 1, 250},
        {"0.5", 1, 500},
        {"0.1", 1, 100},
        {"1", 1, 1000},
        {"64Mi", 67108864, 67108864000},
        {"1G", 1000000000, 1000000000000},
        {"1e3", 1000, 1000000},
        {"1E3", 1000, 1000000},
        {"1e+3", 1000, 1000000},
        {"1.5Gi", 1610612736, 1610612736000},
        {"100n", 1, 1},
        {"5u", 1, 1},
        {"12E-1", 2, 1200},
        {"+1", 1, 1000},
        {"-1", -1, -1000},
        {"-1.5", -1, -1500},  // ceiling, toward +infinity
        {"-0", 0, 0},
        {"1.0001m", 1, 2},
        {"1Ki", 1024, 1024000},
        {"1k", 1000, 1000000},
        {"1.", 1, 1000},
        {".5", 1, 500},
        {"000001", 1, 1000},
        {"0.000000001", 1, 1},
        {"1E", 1000000000000000000, kMax},  // exa: value fits, milli saturates
        {"10E", kMax, kMax},
        {"8Ei", kMax, kMax},
        {"-9Ei", kMin, kMin},
        {"1e-1000", 1, 1},
        {"1e1000", kMax, kMax},
        {"1.5e3", 1500, 1500000},
        {"9223372036854775807", kMax, kMax},
        {"9223372036854775806", 9223372036854775806, kMax},
        {"2.5M", 2500000, 2500000000},
        {"0.3Ki", 308, 307200},  // 307.2 bytes rounds up
    };
    for (const auto& c : cases) {
        auto q = parse_quantity(c.text);
        ASSERT_TRUE(q.has_value()) << c.text;
        EXPECT_EQ(q->value, c.value) << c.text;
        EXPECT_EQ(q->milli_value, c.milli) << c.text;
    }
}

TEST(SpecQuantity, BadInputs) {
    const char* cases[] = {"12Q",
                           "1.2.3",
                           "Mi",
                           "",
                           " 1",
                           "1 ",
                           "1 Mi",
                           "0x10",
                           "1K",
                           "1e",
                           "1ki",
                           "1MiB",
                           "--1",
                           "+-1",
                           "1e1.5",
                           ".",
                           "-",
                           "+",
                           "1e3m",
                           "1m3",
                           "Ki1",
                           "1Ee3",
                           "1e99999999999999999999",
                           "m",
                           "1,5",
                           "1_000",
                           "∞"};
    for (const char* c : cases) EXPECT_FALSE(parse_quantity(c).has_value()) << '"' << c << '"';
}

}  // namespace
