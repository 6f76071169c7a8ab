// Unit tests of the reply renderers (redis-cli style and raw) and of
// InfoField, on replies parsed by hiredis's own reader.
#include "cli/redis_client.h"

#include <hiredis/read.h>

#include <string>

#include "gtest/gtest.h"

namespace walnut::cli {
namespace {

// Parses RESP bytes and renders them with `format`.
std::string Render(const std::string& resp, std::string (*format)(const redisReply*)) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  std::string out = "(parse failed)";
  if (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
    out = format(static_cast<redisReply*>(reply));
    freeReplyObject(reply);
  }
  redisReaderFree(reader);
  return out;
}

std::string Tty(const std::string& resp) { return Render(resp, FormatReplyTty); }
std::string Raw(const std::string& resp) { return Render(resp, FormatReplyRaw); }

TEST(FormatReplyTest, ScalarsLikeRedisCli) {
  EXPECT_EQ(Tty("+OK\r\n"), "OK\n");
  EXPECT_EQ(Tty("-ERR bad\r\n"), "(error) ERR bad\n");
  EXPECT_EQ(Tty(":42\r\n"), "(integer) 42\n");
  EXPECT_EQ(Tty("$-1\r\n"), "(nil)\n");
  EXPECT_EQ(Tty("$3\r\nabc\r\n"), "\"abc\"\n");
  EXPECT_EQ(Tty(std::string("$4\r\na\"\n\x01\r\n", 11)), "\"a\\\"\\n\\x01\"\n");
  EXPECT_EQ(Tty("*0\r\n"), "(empty array)\n");
}

TEST(FormatReplyTest, ArraysAreNumberedAndNestedArraysIndented) {
  EXPECT_EQ(Tty("*2\r\n$1\r\na\r\n$-1\r\n"), "1) \"a\"\n2) (nil)\n");
  EXPECT_EQ(Tty("*2\r\n:1\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
            "1) (integer) 1\n"
            "2) 1) \"x\"\n"
            "   2) \"y\"\n");
  // Ten elements: indices right-aligned to two digits.
  std::string ten = "*10\r\n";
  for (int i = 0; i < 10; ++i) ten += ":" + std::to_string(i) + "\r\n";
  std::string out = Tty(ten);
  EXPECT_EQ(out.substr(0, 15), " 1) (integer) 0");
  EXPECT_NE(out.find("\n10) (integer) 9\n"), std::string::npos) << out;
}

TEST(FormatReplyTest, Raw) {
  EXPECT_EQ(Raw("+OK\r\n"), "OK\n");
  EXPECT_EQ(Raw(":42\r\n"), "42\n");
  EXPECT_EQ(Raw("$-1\r\n"), "\n");
  EXPECT_EQ(Raw("$3\r\na b\r\n"), "a b\n");
  EXPECT_EQ(Raw("*2\r\n$1\r\na\r\n:2\r\n"), "a\n2\n");
}

TEST(InfoFieldTest, FindsWholeFieldNamesOnly) {
  std::string info = "# Server\r\nredis_version:7.0.0\r\nprocess_id:123\r\nmy_process_id:9\r\n";
  EXPECT_EQ(InfoField(info, "process_id"), "123");
  EXPECT_EQ(InfoField(info, "redis_version"), "7.0.0");
  EXPECT_EQ(InfoField(info, "missing"), "");
}

}  // namespace
}  // namespace walnut::cli
