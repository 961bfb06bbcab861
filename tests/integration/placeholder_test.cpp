#include <gtest/gtest.h>
TEST(PlaceholderRoot, Nothing) { SUCCEED(); }
