#include "config/xsd_values.h"

#include "gtest/gtest.h"

namespace p2psip::config::internal {
namespace {

TEST(XsdValuesTest, Integer) {
  EXPECT_EQ(ParseXsdInteger(" 30 "), 30);
  EXPECT_EQ(ParseXsdInteger("+007"), 7);
  EXPECT_EQ(ParseXsdInteger("-12"), -12);
  EXPECT_EQ(ParseXsdInteger("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(ParseXsdInteger("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(ParseXsdInteger("9223372036854775808").has_value());
  EXPECT_FALSE(ParseXsdInteger("").has_value());
  EXPECT_FALSE(ParseXsdInteger("-").has_value());
  EXPECT_FALSE(ParseXsdInteger("1 2").has_value());
  EXPECT_FALSE(ParseXsdInteger("0x10").has_value());
}

TEST(XsdValuesTest, Boolean) {
  EXPECT_EQ(ParseXsdBoolean(" true "), true);
  EXPECT_EQ(ParseXsdBoolean("1"), true);
  EXPECT_EQ(ParseXsdBoolean("false"), false);
  EXPECT_EQ(ParseXsdBoolean("0"), false);
  EXPECT_FALSE(ParseXsdBoolean("TRUE").has_value());
  EXPECT_FALSE(ParseXsdBoolean("yes").has_value());
}

TEST(XsdValuesTest, Base64) {
  EXPECT_EQ(ParseXsdBase64(" YmFk\n IGNl cnQK "),
            (std::vector<uint8_t>{'b', 'a', 'd', ' ', 'c', 'e', 'r', 't', '\n'}));
  EXPECT_EQ(ParseXsdBase64("AA=="), (std::vector<uint8_t>{0}));
  EXPECT_EQ(ParseXsdBase64("AAE="), (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(ParseXsdBase64(""), std::vector<uint8_t>{});
  EXPECT_FALSE(ParseXsdBase64("AAA").has_value());
  EXPECT_FALSE(ParseXsdBase64("A===").has_value());
  EXPECT_FALSE(ParseXsdBase64("AA==AA==").has_value());
  EXPECT_FALSE(ParseXsdBase64("AA!A").has_value());
}

TEST(XsdValuesTest, DateTime) {
  EXPECT_EQ(ParseXsdDateTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseXsdDateTime("2002-10-10T07:00:00Z"), 1034233200);
  EXPECT_EQ(ParseXsdDateTime(" 2002-10-10T07:00:00.75Z "), 1034233200);
  EXPECT_EQ(ParseXsdDateTime("2002-10-10T09:00:00+02:00"), 1034233200);
  EXPECT_EQ(ParseXsdDateTime("2002-10-10T02:30:00-04:30"), 1034233200);
  EXPECT_EQ(ParseXsdDateTime("2002-10-10T07:00:00"), 1034233200);  // no zone: UTC
  EXPECT_EQ(ParseXsdDateTime("2000-02-29T00:00:00Z"), 951782400);
  EXPECT_EQ(ParseXsdDateTime("1999-12-31T24:00:00Z"), 946684800);
  EXPECT_EQ(ParseXsdDateTime("1969-12-31T23:59:59Z"), -1);
  EXPECT_FALSE(ParseXsdDateTime("2001-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(ParseXsdDateTime("2002-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseXsdDateTime("2002-10-10 07:00:00Z").has_value());
  EXPECT_FALSE(ParseXsdDateTime("2002-10-10T24:00:01Z").has_value());
  EXPECT_FALSE(ParseXsdDateTime("2002-10-10T07:00:00+15:00").has_value());
  EXPECT_FALSE(ParseXsdDateTime("2002-10-10T07:00:00Zjunk").has_value());
  EXPECT_FALSE(ParseXsdDateTime("0000-01-01T00:00:00Z").has_value());
}

}  // namespace
}  // namespace p2psip::config::internal
