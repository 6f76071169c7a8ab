// Unit tests for the Redis-exact number rules and LCS in string_util. The
// expected values are Redis 7.0's observable behaviour (INCR, INCRBYFLOAT,
// SCAN cursors, OBJECT ENCODING, LCS).
#include "server/string_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace walnut::server {
namespace {

using namespace std::string_literals;

TEST(ParseInt64Test, Accepts) {
  int64_t v = 42;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt64("1", &v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(ParseInt64("-1", &v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(ParseInt64("1234567890", &v));
  EXPECT_EQ(v, 1234567890);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
}

TEST(ParseInt64Test, RejectsWhatRedisRejects) {
  for (const std::string& s : {""s,
                               "-"s,
                               "+1"s,
                               "-0"s,
                               "00"s,
                               "01"s,
                               "-01"s,
                               " 1"s,
                               "1 "s,
                               "1a"s,
                               "a1"s,
                               "1.0"s,
                               "1e3"s,
                               "0x10"s,
                               "9223372036854775808"s,
                               "-9223372036854775809"s,
                               "99999999999999999999"s,
                               "184467440737095516160"s,
                               "1\0"s,
                               "\0001"s,
                               "--1"s}) {
    int64_t v = 7;
    EXPECT_FALSE(ParseInt64(s, &v)) << "accepted '" << s << "'";
    EXPECT_EQ(v, 7) << "changed the output for '" << s << "'";
  }
}

TEST(ParseInt64Test, RoundTripsRandomValues) {
  const uint32_t seed = 20261124;
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int i = 0; i < 10000; i++) {
    const int64_t x = static_cast<int64_t>(rng());
    int64_t y;
    ASSERT_TRUE(ParseInt64(FormatInt64(x), &y)) << x;
    ASSERT_EQ(x, y);
  }
}

TEST(ParseInt32Test, Range) {
  int32_t v;
  EXPECT_TRUE(ParseInt32("2147483647", &v));
  EXPECT_EQ(v, 2147483647);
  EXPECT_TRUE(ParseInt32("-2147483648", &v));
  EXPECT_EQ(v, -2147483647 - 1);
  EXPECT_FALSE(ParseInt32("2147483648", &v));
  EXPECT_FALSE(ParseInt32("-2147483649", &v));
  EXPECT_FALSE(ParseInt32("1.5", &v));
}

TEST(ParseCursorTest, AsRedisStrtoul) {
  uint64_t c = 0;
  EXPECT_TRUE(ParseCursor("0", &c));
  EXPECT_EQ(c, 0u);
  EXPECT_TRUE(ParseCursor("17", &c));
  EXPECT_EQ(c, 17u);
  EXPECT_TRUE(ParseCursor("18446744073709551615", &c));
  EXPECT_EQ(c, UINT64_MAX);
  // What strtoul accepts whole is a cursor, as in Redis 7.0.
  EXPECT_TRUE(ParseCursor("007", &c));
  EXPECT_EQ(c, 7u);
  EXPECT_TRUE(ParseCursor("+7", &c));
  EXPECT_EQ(c, 7u);
  EXPECT_TRUE(ParseCursor("-1", &c));  // wraps around
  EXPECT_EQ(c, UINT64_MAX);
  EXPECT_TRUE(ParseCursor("", &c));
  EXPECT_EQ(c, 0u);
  EXPECT_TRUE(ParseCursor("5\0junk"s, &c));  // the C string ends at NUL
  EXPECT_EQ(c, 5u);
  EXPECT_FALSE(ParseCursor(" 7", &c));
  EXPECT_FALSE(ParseCursor("\t7", &c));
  EXPECT_FALSE(ParseCursor("18446744073709551616", &c));
  EXPECT_FALSE(ParseCursor("-18446744073709551616", &c));
  EXPECT_FALSE(ParseCursor("abc", &c));
  EXPECT_FALSE(ParseCursor("7 ", &c));
  EXPECT_FALSE(ParseCursor("1.0", &c));
  EXPECT_FALSE(ParseCursor("0x1", &c));
}

TEST(LongDoubleTest, ParseAccepts) {
  long double v;
  EXPECT_TRUE(ParseLongDouble("10.5", &v));
  EXPECT_EQ(v, 10.5L);
  EXPECT_TRUE(ParseLongDouble("-3", &v));
  EXPECT_EQ(v, -3.0L);
  EXPECT_TRUE(ParseLongDouble("5.0e3", &v));
  EXPECT_EQ(v, 5000.0L);
  EXPECT_TRUE(ParseLongDouble("+1.5", &v));
  EXPECT_EQ(v, 1.5L);
  EXPECT_TRUE(ParseLongDouble(".5", &v));
  EXPECT_EQ(v, 0.5L);
  EXPECT_TRUE(ParseLongDouble("0x10", &v));  // strtold's hex form, as Redis
  EXPECT_EQ(v, 16.0L);
  EXPECT_TRUE(ParseLongDouble("inf", &v));  // the caller rejects an inf result
  EXPECT_TRUE(std::isinf(v));
  EXPECT_TRUE(ParseLongDouble("0", &v));
  EXPECT_EQ(v, 0.0L);
}

TEST(LongDoubleTest, ParseRejects) {
  long double v = 1;
  for (const std::string& s :
       {""s, " 1"s, "1 "s, "abc"s, "1.5x"s, "nan"s, "NaN"s, "-nan"s, "1e99999"s, "-1e99999"s,
        "1e-99999"s, "\t1"s, "1\0"s, "1\0\0a\0001"s}) {
    EXPECT_FALSE(ParseLongDouble(s, &v)) << "accepted '" << s << "'";
  }
  EXPECT_FALSE(ParseLongDouble(std::string(5120, '1'), &v));
}

TEST(LongDoubleTest, FormatHumanLikeRedis) {
  EXPECT_EQ(FormatLongDouble(10.5L), "10.5");
  EXPECT_EQ(FormatLongDouble(3.0L), "3");
  EXPECT_EQ(FormatLongDouble(-3.0L), "-3");
  EXPECT_EQ(FormatLongDouble(0.0L), "0");
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
  EXPECT_EQ(FormatLongDouble(5000.0L), "5000");
  long double a, b;
  ASSERT_TRUE(ParseLongDouble("0.1", &a));
  ASSERT_TRUE(ParseLongDouble("0.2", &b));
  // 80-bit long double with 17 decimals hides the binary rounding.
  EXPECT_EQ(FormatLongDouble(a + b), "0.3");
  ASSERT_TRUE(ParseLongDouble("10.50", &a));
  ASSERT_TRUE(ParseLongDouble("0.1", &b));
  EXPECT_EQ(FormatLongDouble(a + b), "10.6");
  // Fixed notation, never an exponent.
  EXPECT_EQ(FormatLongDouble(1e20L), "100000000000000000000");
  EXPECT_EQ(FormatLongDouble(1e-18L), "0");
  EXPECT_EQ(FormatLongDouble(1.5e-10L), "0.00000000015");
  // The largest value still fits.
  EXPECT_GT(FormatLongDouble(std::numeric_limits<long double>::max()).size(), 4900u);
}

TEST(StringEncodingTest, AsRedisDecides) {
  EXPECT_EQ(StringEncoding("0"), "int");
  EXPECT_EQ(StringEncoding("12345"), "int");
  EXPECT_EQ(StringEncoding("-9223372036854775808"), "int");  // 20 bytes
  EXPECT_EQ(StringEncoding("9223372036854775808"), "embstr");
  EXPECT_EQ(StringEncoding("007"), "embstr");
  EXPECT_EQ(StringEncoding(" 1"), "embstr");
  EXPECT_EQ(StringEncoding(""), "embstr");
  EXPECT_EQ(StringEncoding(std::string(44, 'x')), "embstr");
  EXPECT_EQ(StringEncoding(std::string(45, 'x')), "raw");
  EXPECT_TRUE(IsSharedInteger("0"));
  EXPECT_TRUE(IsSharedInteger("9999"));
  EXPECT_FALSE(IsSharedInteger("10000"));
  EXPECT_FALSE(IsSharedInteger("-1"));
  EXPECT_FALSE(IsSharedInteger("01"));
}

TEST(EqualsIgnoreCaseTest, Basic) {
  EXPECT_TRUE(EqualsIgnoreCase("KeepTTL", "keepttl"));
  EXPECT_FALSE(EqualsIgnoreCase("ex", "exat"));
  EXPECT_FALSE(EqualsIgnoreCase("nx\0"s, "nx"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
}

// The example from the Redis LCS documentation.
TEST(LcsTest, DocumentationExample) {
  const LcsResult r = ComputeLcs("ohmytext", "mynewtext", true, true, 0);
  EXPECT_EQ(r.length, 6u);
  EXPECT_EQ(r.sequence, "mytext");
  ASSERT_EQ(r.ranges.size(), 2u);
  EXPECT_EQ(r.ranges[0].a_start, 4u);
  EXPECT_EQ(r.ranges[0].a_end, 7u);
  EXPECT_EQ(r.ranges[0].b_start, 5u);
  EXPECT_EQ(r.ranges[0].b_end, 8u);
  EXPECT_EQ(r.ranges[1].a_start, 2u);
  EXPECT_EQ(r.ranges[1].a_end, 3u);
  EXPECT_EQ(r.ranges[1].b_start, 0u);
  EXPECT_EQ(r.ranges[1].b_end, 1u);
  const LcsResult m = ComputeLcs("ohmytext", "mynewtext", false, true, 4);
  ASSERT_EQ(m.ranges.size(), 1u);
  EXPECT_EQ(m.ranges[0].length(), 4u);
  EXPECT_TRUE(m.sequence.empty());
}

TEST(LcsTest, EmptyAndDisjoint) {
  EXPECT_EQ(ComputeLcs("", "abc", true, true, 0).length, 0u);
  EXPECT_EQ(ComputeLcs("abc", "", true, true, 0).sequence, "");
  const LcsResult r = ComputeLcs("abc", "xyz", true, true, 0);
  EXPECT_EQ(r.length, 0u);
  EXPECT_TRUE(r.ranges.empty());
}

TEST(LcsTest, IdenticalAndBinary) {
  const std::string s = "a\0b\r\nc"s;
  const LcsResult r = ComputeLcs(s, s, true, true, 0);
  EXPECT_EQ(r.sequence, s);
  ASSERT_EQ(r.ranges.size(), 1u);
  EXPECT_EQ(r.ranges[0].a_start, 0u);
  EXPECT_EQ(r.ranges[0].a_end, s.size() - 1);
}

// The sequence is a common subsequence of the claimed length, the ranges are
// real matches, and lengths agree with a brute-force DP, on seeded inputs.
TEST(LcsTest, RandomInputsAreConsistent) {
  const uint32_t seed = 7;
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  auto is_subseq = [](const std::string& sub, const std::string& s) {
    size_t k = 0;
    for (char c : s) {
      if (k < sub.size() && sub[k] == c) k++;
    }
    return k == sub.size();
  };
  for (int iter = 0; iter < 300; iter++) {
    std::string a(rng() % 30, 'a'), b(rng() % 30, 'a');
    for (char& c : a) c = static_cast<char>('a' + rng() % 3);
    for (char& c : b) c = static_cast<char>('a' + rng() % 3);
    const LcsResult r = ComputeLcs(a, b, true, true, 0);
    ASSERT_EQ(r.sequence.size(), r.length) << a << " " << b;
    ASSERT_TRUE(is_subseq(r.sequence, a)) << a << " " << b;
    ASSERT_TRUE(is_subseq(r.sequence, b)) << a << " " << b;
    uint64_t covered = 0;
    for (const LcsRange& g : r.ranges) {
      ASSERT_EQ(a.substr(g.a_start, g.length()), b.substr(g.b_start, g.length()));
      covered += g.length();
    }
    // Every matched byte on the walk belongs to exactly one range.
    ASSERT_EQ(covered, r.length) << a << " " << b;
    EXPECT_EQ(ComputeLcs(a, b, false, false, 0).length, r.length);
  }
}

TEST(LcsTest, TableBytes) {
  EXPECT_EQ(LcsTableBytes(0, 0), 4u);
  EXPECT_EQ(LcsTableBytes(9, 19), 10u * 20u * 4u);
  EXPECT_GT(LcsTableBytes(1u << 20, 1u << 20), 512ull << 20);
}

}  // namespace
}  // namespace walnut::server
