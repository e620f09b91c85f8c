#include "swan/core/bounded_decimal.h"

#include <gtest/gtest.h>

#include <limits>

namespace swan {
namespace {

TEST(BoundedDecimal, ParsesDigitsUpToTheBound) {
  EXPECT_EQ(parse_bounded_decimal("0", 10), 0);
  EXPECT_EQ(parse_bounded_decimal("007", 10), 7);
  EXPECT_EQ(parse_bounded_decimal("10", 10), 10);
  EXPECT_EQ(parse_bounded_decimal("9223372036854775807", std::numeric_limits<std::int64_t>::max()),
            std::numeric_limits<std::int64_t>::max());
}

TEST(BoundedDecimal, RejectsWhatIsNotADecimalInRange) {
  EXPECT_EQ(parse_bounded_decimal("11", 10), std::nullopt);
  EXPECT_EQ(parse_bounded_decimal("9223372036854775808", std::numeric_limits<std::int64_t>::max()), std::nullopt);
  EXPECT_EQ(parse_bounded_decimal("99999999999999999999999", 1000), std::nullopt);
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "1a", "0x1", "1.0"})
    EXPECT_EQ(parse_bounded_decimal(text, 1000), std::nullopt) << '"' << text << '"';
}

}  // namespace
}  // namespace swan
