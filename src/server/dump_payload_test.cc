// Unit tests for DUMP/RESTORE payloads: the CRC-64 check value, payloads
// captured from redis-server 7.0 (plain, integer-encoded and LZF-compressed
// strings), round trips, and every kind of damage.
#include "server/dump_payload.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace walnut::server {
namespace {

using namespace std::string_literals;

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Restored(std::string_view payload) {
  std::string v;
  const PayloadError e = RestoreString(payload, 512ull << 20, &v);
  if (e == PayloadError::kVersionOrChecksum) return "(version or checksum)";
  if (e == PayloadError::kBadFormat) return "(bad format)";
  return v;
}

TEST(DumpPayloadTest, Crc64CheckValue) {
  // The standard check value of CRC-64/Jones as Redis computes it.
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caull);
  EXPECT_EQ(Crc64(0, ""), 0u);
  // Continuing a CRC equals computing it at once.
  EXPECT_EQ(Crc64(Crc64(0, "1234"), "56789"), Crc64(0, "123456789"));
}

// DUMP output of redis-server 7.0.15 for the same values.
TEST(DumpPayloadTest, ByteIdenticalToRedisForShortValues) {
  EXPECT_EQ(DumpString("hello"), FromHex("000568656c6c6f0a006372df766534200a"));
  EXPECT_EQ(DumpString("12345"), FromHex("00c139300a009d94ea2793fc08b9"));
  EXPECT_EQ(DumpString("-1"), FromHex("00c0ff0a000c937e2485089dc5"));
  EXPECT_EQ(DumpString("70000"), FromHex("00c2701101000a0001a408fe953095a5"));
  EXPECT_EQ(DumpString(""), FromHex("00000a005d9b5c400f7fa2da"));
  EXPECT_EQ(DumpString("12345678901"), FromHex("000b31323334353637383930310a00304e52d727176510"));
}

TEST(DumpPayloadTest, RestoresRedisPayloadsIncludingLzf) {
  EXPECT_EQ(Restored(FromHex("000568656c6c6f0a006372df766534200a")), "hello");
  EXPECT_EQ(Restored(FromHex("00c139300a009d94ea2793fc08b9")), "12345");
  EXPECT_EQ(Restored(FromHex("00c0ff0a000c937e2485089dc5")), "-1");
  EXPECT_EQ(Restored(FromHex("00c2701101000a0001a408fe953095a5")), "70000");
  std::string ab;
  for (int i = 0; i < 100; i++) ab += "ab";
  // "ab" * 100, which Redis stored LZF-compressed.
  EXPECT_EQ(Restored(FromHex("00c30a40c802616261e0ba010161620a0024a6e84170c0c68c")), ab);
}

TEST(DumpPayloadTest, RoundTrips) {
  const uint64_t seed = 99;
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed 99");
  for (const std::string& v : {""s,
                               "0"s,
                               "-128"s,
                               "127"s,
                               "128"s,
                               "-32768"s,
                               "32767"s,
                               "32768"s,
                               "2147483647"s,
                               "2147483648"s,
                               "-2147483648"s,
                               "-2147483649"s,
                               "007"s,
                               "-0"s,
                               "a\0b\r\n"s,
                               std::string(63, 'x'),
                               std::string(64, 'x'),
                               std::string(16383, 'y'),
                               std::string(16384, 'y'),
                               std::string(70000, '\0')}) {
    EXPECT_EQ(Restored(DumpString(v)), v) << v.size();
  }
  for (int i = 0; i < 200; i++) {
    std::string v(rng() % 300, '\0');
    for (char& c : v) c = static_cast<char>(rng());
    ASSERT_EQ(Restored(DumpString(v)), v);
  }
}

TEST(DumpPayloadTest, DamageIsDetected) {
  const std::string good = DumpString("hello");
  EXPECT_EQ(Restored(""), "(version or checksum)");
  EXPECT_EQ(Restored("short"), "(version or checksum)");
  for (size_t i = 0; i < good.size(); i++) {
    std::string bad = good;
    bad[i] ^= 0x01;
    EXPECT_NE(Restored(bad), "hello") << "flipped byte " << i;
  }
  // A newer RDB version is refused, as Redis 7.0 refuses it.
  std::string newer = good.substr(0, good.size() - 10);
  newer.push_back(static_cast<char>(kRdbVersion + 1));
  newer.push_back(0);
  const uint64_t crc = Crc64(0, newer);
  for (int i = 0; i < 8; i++) newer.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  EXPECT_EQ(Restored(newer), "(version or checksum)");
}

// Builds a payload with a valid footer around arbitrary object bytes.
std::string WithFooter(std::string body) {
  body.push_back(static_cast<char>(kRdbVersion));
  body.push_back(0);
  const uint64_t crc = Crc64(0, body);
  for (int i = 0; i < 8; i++) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return body;
}

TEST(DumpPayloadTest, MalformedObjectsAreBadFormat) {
  EXPECT_EQ(Restored(WithFooter("")), "(bad format)");                   // no type
  EXPECT_EQ(Restored(WithFooter("\x01\x01"s + "a")), "(bad format)");    // a list
  EXPECT_EQ(Restored(WithFooter("\x00\x05"s + "abc")), "(bad format)");  // short
  EXPECT_EQ(Restored(WithFooter("\x00\xc1\x01"s)), "(bad format)");      // short int16
  EXPECT_EQ(Restored(WithFooter("\x00\xc4"s)), "(bad format)");          // no such encoding
  EXPECT_EQ(Restored(WithFooter("\x00\x82"s)), "(bad format)");          // no such length
  // A length far beyond the limit is refused before anything is read.
  EXPECT_EQ(Restored(WithFooter("\x00\x81\x7f\xff\xff\xff\xff\xff\xff\xff"s)), "(bad format)");
  // LZF: a back reference before the start, and a wrong decompressed size.
  EXPECT_EQ(Restored(WithFooter("\x00\xc3\x02\x05\x20\x05"s)), "(bad format)");
  EXPECT_EQ(Restored(WithFooter("\x00\xc3\x02\x03\x01"s + "ab")), "(bad format)");
  // Valid LZF: literal "ab", then copy 3 bytes from distance 2: "ababa".
  EXPECT_EQ(Restored(WithFooter("\x00\xc3\x05\x05\x01"s + "ab" + "\x20\x01"s)), "ababa");
}

}  // namespace
}  // namespace walnut::server
