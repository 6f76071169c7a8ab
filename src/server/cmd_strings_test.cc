// Unit tests for the string commands, run directly against a real engine with
// a controlled clock (cmd_test_fixture.h). Expected replies are Redis 7.0's;
// tests/strings_test.cc checks the same through the network and against a
// real redis-server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/cmd_test_fixture.h"

namespace walnut::server {
namespace {

using namespace std::string_literals;

class StringsTest : public CommandFixture {};

TEST_F(StringsTest, GetSetBasics) {
  EXPECT_EQ(R("GET", "k"), "(nil)");
  EXPECT_EQ(R("SET", "k", "v"), "OK");
  EXPECT_EQ(R("GET", "k"), "\"v\"");
  EXPECT_EQ(R("SET", "k", ""), "OK");
  EXPECT_EQ(R("GET", "k"), "\"\"");
  EXPECT_EQ(R("GET"), "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(R("SET", "k"), "(error) ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(hits(), 2);
  EXPECT_EQ(misses(), 1);
}

TEST_F(StringsTest, BinaryKeysAndValues) {
  const std::string key = "k\0\r\n"s, value = "\0v\r\n\xff"s;
  EXPECT_EQ(Run({"SET", key, value}), "OK");
  EXPECT_EQ(Run({"GET", key}), "\"\\x00v\\r\\n\\xff\"");
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"STRLEN", key}), "(integer) 5");
}

TEST_F(StringsTest, SetNxXxGet) {
  EXPECT_EQ(R("SET", "k", "1", "XX"), "(nil)");
  EXPECT_EQ(R("GET", "k"), "(nil)");
  EXPECT_EQ(R("SET", "k", "1", "NX"), "OK");
  EXPECT_EQ(R("SET", "k", "2", "NX"), "(nil)");
  EXPECT_EQ(R("SET", "k", "3", "XX"), "OK");
  EXPECT_EQ(R("SET", "k", "4", "GET"), "\"3\"");
  EXPECT_EQ(R("SET", "new", "4", "GET"), "(nil)");
  EXPECT_EQ(R("GET", "new"), "\"4\"");
  // NX with GET (allowed since 7.0): the old value, and no change.
  EXPECT_EQ(R("SET", "k", "5", "NX", "GET"), "\"4\"");
  EXPECT_EQ(R("GET", "k"), "\"4\"");
  EXPECT_EQ(R("SET", "none", "5", "XX", "GET"), "(nil)");
  EXPECT_EQ(R("EXISTS", "none"), "(integer) 0");
  EXPECT_EQ(R("set", "k", "6", "nx"), "(nil)");  // options in any case
}

TEST_F(StringsTest, SetOptionConflictsAreSyntaxErrors) {
  const std::string syntax = "(error) ERR syntax error";
  EXPECT_EQ(R("SET", "k", "v", "NX", "XX"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "XX", "NX"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "EX", "10", "PX", "100"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "PX", "100", "EX", "10"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "EX", "10", "KEEPTTL"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "KEEPTTL", "PXAT", "10"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "EXAT", "10", "PXAT", "10"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "EX"), syntax);
  EXPECT_EQ(R("SET", "k", "v", "PERSIST"), syntax);  // a GETEX option only
  EXPECT_EQ(R("SET", "k", "v", "BOGUS"), syntax);
  EXPECT_EQ(R("GET", "k"), "(nil)");
  // Repeating an option is allowed; the last value wins.
  EXPECT_EQ(R("SET", "k", "v", "EX", "10", "EX", "20"), "OK");
  EXPECT_EQ(R("TTL", "k"), "(integer) 20");
  EXPECT_EQ(R("SET", "k", "v", "NX", "NX"), "(nil)");
}

TEST_F(StringsTest, SetExpireArguments) {
  EXPECT_EQ(R("SET", "k", "v", "EX", "abc"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("SET", "k", "v", "EX", "0"), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(R("SET", "k", "v", "PX", "-5"), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(R("SET", "k", "v", "EX", "9223372036854775807"),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(R("SET", "k", "v", "PX", "9223372036854775807"),
            "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(R("SET", "k", "v", "EXAT", "0"), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(R("EXISTS", "k"), "(integer) 0");

  EXPECT_EQ(R("SET", "k", "v", "EX", "100"), "OK");
  EXPECT_EQ(R("PTTL", "k"), "(integer) 100000");
  EXPECT_EQ(R("SET", "k", "v", "PX", "1500"), "OK");
  EXPECT_EQ(R("PTTL", "k"), "(integer) 1500");
  EXPECT_EQ(R("TTL", "k"), "(integer) 2");  // rounded, as Redis
  EXPECT_EQ(R("SET", "k", "v", "EXAT", std::to_string(NowMs() / 1000 + 50)), "OK");
  EXPECT_EQ(R("EXPIRETIME", "k"), "(integer) " + std::to_string(NowMs() / 1000 + 50));
  EXPECT_EQ(R("SET", "k", "v", "PXAT", std::to_string(NowMs() + 777)), "OK");
  EXPECT_EQ(R("PEXPIRETIME", "k"), "(integer) " + std::to_string(NowMs() + 777));
  AdvanceMs(777);
  EXPECT_EQ(R("GET", "k"), "(nil)");
}

TEST_F(StringsTest, SetClearsOrKeepsTtl) {
  EXPECT_EQ(R("SET", "k", "v", "EX", "100"), "OK");
  EXPECT_EQ(R("SET", "k", "w"), "OK");
  EXPECT_EQ(R("TTL", "k"), "(integer) -1");
  EXPECT_EQ(R("SET", "k", "v", "EX", "100"), "OK");
  EXPECT_EQ(R("SET", "k", "w", "KEEPTTL"), "OK");
  EXPECT_EQ(R("TTL", "k"), "(integer) 100");
  EXPECT_EQ(R("GET", "k"), "\"w\"");
  EXPECT_EQ(R("SET", "fresh", "w", "KEEPTTL"), "OK");
  EXPECT_EQ(R("TTL", "fresh"), "(integer) -1");
}

TEST_F(StringsTest, SetWithPastAbsoluteTimeLeavesNoKey) {
  EXPECT_EQ(R("SET", "k", "old"), "OK");
  EXPECT_EQ(R("SET", "k", "v", "PXAT", "1", "GET"), "\"old\"");
  EXPECT_EQ(R("GET", "k"), "(nil)");
  EXPECT_EQ(R("SET", "k", "v", "EXAT", "1"), "OK");
  EXPECT_EQ(R("EXISTS", "k"), "(integer) 0");
}

TEST_F(StringsTest, SetNxSetExPSetEx) {
  EXPECT_EQ(R("SETNX", "k", "1"), "(integer) 1");
  EXPECT_EQ(R("SETNX", "k", "2"), "(integer) 0");
  EXPECT_EQ(R("GET", "k"), "\"1\"");
  EXPECT_EQ(R("SETEX", "k", "10", "v"), "OK");
  EXPECT_EQ(R("TTL", "k"), "(integer) 10");
  EXPECT_EQ(R("SETEX", "k", "0", "v"), "(error) ERR invalid expire time in 'setex' command");
  EXPECT_EQ(R("SETEX", "k", "x", "v"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("PSETEX", "k", "1234", "v"), "OK");
  EXPECT_EQ(R("PTTL", "k"), "(integer) 1234");
  EXPECT_EQ(R("PSETEX", "k", "-1", "v"), "(error) ERR invalid expire time in 'psetex' command");
  AdvanceMs(1234);
  EXPECT_EQ(R("GET", "k"), "(nil)");
}

TEST_F(StringsTest, GetSetGetDel) {
  EXPECT_EQ(R("GETSET", "k", "1"), "(nil)");
  EXPECT_EQ(R("EXPIRE", "k", "100"), "(integer) 1");
  EXPECT_EQ(R("GETSET", "k", "2"), "\"1\"");
  EXPECT_EQ(R("TTL", "k"), "(integer) -1");  // GETSET clears the TTL
  EXPECT_EQ(R("GETDEL", "k"), "\"2\"");
  EXPECT_EQ(R("GETDEL", "k"), "(nil)");
  EXPECT_EQ(R("EXISTS", "k"), "(integer) 0");
}

TEST_F(StringsTest, GetEx) {
  EXPECT_EQ(R("GETEX", "missing", "EX", "abc"), "(nil)");  // key checked first
  EXPECT_EQ(R("SET", "k", "v"), "OK");
  EXPECT_EQ(R("GETEX", "k"), "\"v\"");
  EXPECT_EQ(R("GETEX", "k", "EX", "abc"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("GETEX", "k", "EX", "0"), "(error) ERR invalid expire time in 'getex' command");
  EXPECT_EQ(R("GETEX", "k", "EX", "10", "PX", "10"), "(error) ERR syntax error");
  EXPECT_EQ(R("GETEX", "k", "PERSIST", "EX", "10"), "(error) ERR syntax error");
  EXPECT_EQ(R("GETEX", "k", "KEEPTTL"), "(error) ERR syntax error");
  EXPECT_EQ(R("GETEX", "k", "NX"), "(error) ERR syntax error");
  EXPECT_EQ(R("GETEX", "k", "EX", "10"), "\"v\"");
  EXPECT_EQ(R("TTL", "k"), "(integer) 10");
  EXPECT_EQ(R("GETEX", "k", "PX", "2500"), "\"v\"");
  EXPECT_EQ(R("PTTL", "k"), "(integer) 2500");
  EXPECT_EQ(R("GETEX", "k", "PERSIST"), "\"v\"");
  EXPECT_EQ(R("TTL", "k"), "(integer) -1");
  EXPECT_EQ(R("GETEX", "k", "EXAT", std::to_string(NowMs() / 1000 + 30)), "\"v\"");
  EXPECT_EQ(R("TTL", "k"), "(integer) 30");
  EXPECT_EQ(R("GETEX", "k", "PXAT", std::to_string(NowMs() - 1)), "\"v\"");  // in the past
  EXPECT_EQ(R("EXISTS", "k"), "(integer) 0");
}

TEST_F(StringsTest, MGetMSetMSetNx) {
  EXPECT_EQ(R("MSET", "a", "1", "b", "2"), "OK");
  EXPECT_EQ(R("MGET", "a", "nope", "b"), "[\"1\", (nil), \"2\"]");
  EXPECT_EQ(hits(), 2);
  EXPECT_EQ(misses(), 1);
  // Missing keys first and last, a key twice, more keys than one engine
  // lock's worth (16): each answered in its place and counted once.
  std::vector<std::string> mget = {"MGET", "nope"};
  std::string want = "[(nil)";
  for (int i = 0; i < 20; i++) {
    mget.push_back(i % 2 ? "a" : "b");
    want += i % 2 ? ", \"1\"" : ", \"2\"";
  }
  mget.insert(mget.end(), {"nope2", "nope3"});
  want += ", (nil), (nil)]";
  EXPECT_EQ(Run(mget), want);
  EXPECT_EQ(hits(), 22);
  EXPECT_EQ(misses(), 4);
  EXPECT_EQ(R("MSET", "a", "1", "b"), "(error) ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(R("MSETNX", "a", "1", "c"),
            "(error) ERR wrong number of arguments for 'msetnx' command");
  EXPECT_EQ(R("MSET", "d", "1", "d", "2"), "OK");
  EXPECT_EQ(R("GET", "d"), "\"2\"");  // later pairs win
  EXPECT_EQ(R("MSETNX", "x", "1", "a", "9"), "(integer) 0");
  EXPECT_EQ(R("EXISTS", "x"), "(integer) 0");
  EXPECT_EQ(R("GET", "a"), "\"1\"");
  EXPECT_EQ(R("MSETNX", "x", "1", "y", "2"), "(integer) 1");
  EXPECT_EQ(R("MGET", "x", "y"), "[\"1\", \"2\"]");
  EXPECT_EQ(R("EXPIRE", "x", "100"), "(integer) 1");
  EXPECT_EQ(R("MSET", "x", "3"), "OK");
  EXPECT_EQ(R("TTL", "x"), "(integer) -1");
}

TEST_F(StringsTest, AppendStrlen) {
  EXPECT_EQ(R("APPEND", "k", "ab"), "(integer) 2");
  EXPECT_EQ(R("APPEND", "k", "\0c"s), "(integer) 4");
  EXPECT_EQ(R("GET", "k"), "\"ab\\x00c\"");
  EXPECT_EQ(R("STRLEN", "k"), "(integer) 4");
  EXPECT_EQ(R("STRLEN", "none"), "(integer) 0");
  EXPECT_EQ(R("EXPIRE", "k", "100"), "(integer) 1");
  EXPECT_EQ(R("APPEND", "k", "d"), "(integer) 5");
  EXPECT_EQ(R("TTL", "k"), "(integer) 100");  // APPEND keeps the TTL
  EXPECT_EQ(R("APPEND", "k", ""), "(integer) 5");
}

TEST_F(StringsTest, GetRangeLikeRedis) {
  EXPECT_EQ(R("SET", "k", "This is a string"), "OK");
  EXPECT_EQ(R("GETRANGE", "k", "0", "3"), "\"This\"");
  EXPECT_EQ(R("GETRANGE", "k", "-3", "-1"), "\"ing\"");
  EXPECT_EQ(R("GETRANGE", "k", "0", "-1"), "\"This is a string\"");
  EXPECT_EQ(R("GETRANGE", "k", "10", "100"), "\"string\"");
  EXPECT_EQ(R("GETRANGE", "k", "5", "3"), "\"\"");
  EXPECT_EQ(R("GETRANGE", "k", "-1", "-5"), "\"\"");
  EXPECT_EQ(R("GETRANGE", "k", "-100", "2"), "\"Thi\"");
  EXPECT_EQ(R("GETRANGE", "k", "100", "200"), "\"\"");
  EXPECT_EQ(R("GETRANGE", "k", "0", "-100"), "\"T\"");  // end clamps to 0
  EXPECT_EQ(R("GETRANGE", "k", "-9223372036854775808", "9223372036854775807"),
            "\"This is a string\"");
  EXPECT_EQ(R("SUBSTR", "k", "0", "3"), "\"This\"");
  EXPECT_EQ(R("GETRANGE", "none", "0", "3"), "\"\"");
  EXPECT_EQ(R("GETRANGE", "k", "a", "3"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("SET", "e", ""), "OK");
  EXPECT_EQ(R("GETRANGE", "e", "0", "-1"), "\"\"");
}

TEST_F(StringsTest, SetRange) {
  EXPECT_EQ(R("SETRANGE", "k", "5", "x"), "(integer) 6");
  EXPECT_EQ(R("GET", "k"), "\"\\x00\\x00\\x00\\x00\\x00x\"");
  EXPECT_EQ(R("SET", "h", "Hello World"), "OK");
  EXPECT_EQ(R("EXPIRE", "h", "100"), "(integer) 1");
  EXPECT_EQ(R("SETRANGE", "h", "6", "Redis"), "(integer) 11");
  EXPECT_EQ(R("GET", "h"), "\"Hello Redis\"");
  EXPECT_EQ(R("TTL", "h"), "(integer) 100");
  EXPECT_EQ(R("SETRANGE", "h", "0", ""), "(integer) 11");
  EXPECT_EQ(R("SETRANGE", "none", "3", ""), "(integer) 0");
  EXPECT_EQ(R("EXISTS", "none"), "(integer) 0");
  EXPECT_EQ(R("SETRANGE", "h", "-1", "x"), "(error) ERR offset is out of range");
  EXPECT_EQ(R("SETRANGE", "h", "x", "x"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("SETRANGE", "h", "536870912", "x"),
            "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  EXPECT_EQ(R("SETRANGE", "h", "536870911", ""), "(integer) 11");
}

TEST_F(StringsTest, IncrDecr) {
  EXPECT_EQ(R("INCR", "n"), "(integer) 1");
  EXPECT_EQ(R("INCRBY", "n", "10"), "(integer) 11");
  EXPECT_EQ(R("DECR", "n"), "(integer) 10");
  EXPECT_EQ(R("DECRBY", "n", "20"), "(integer) -10");
  EXPECT_EQ(R("GET", "n"), "\"-10\"");
  EXPECT_EQ(R("EXPIRE", "n", "100"), "(integer) 1");
  EXPECT_EQ(R("INCR", "n"), "(integer) -9");
  EXPECT_EQ(R("TTL", "n"), "(integer) 100");  // counters keep the TTL
  for (const char* bad : {"abc", " 1", "1 ", "01", "+1", "1.0", "", "-0"}) {
    EXPECT_EQ(R("SET", "b", bad), "OK");
    EXPECT_EQ(R("INCR", "b"), "(error) ERR value is not an integer or out of range") << bad;
  }
  EXPECT_EQ(R("INCRBY", "n", "x"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("SET", "max", "9223372036854775807"), "OK");
  EXPECT_EQ(R("INCR", "max"), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(R("SET", "min", "-9223372036854775808"), "OK");
  EXPECT_EQ(R("DECR", "min"), "(error) ERR increment or decrement would overflow");
  EXPECT_EQ(R("INCRBY", "min", "9223372036854775807"), "(integer) -1");
  EXPECT_EQ(R("DECRBY", "n", "-9223372036854775808"), "(error) ERR decrement would overflow");
  EXPECT_EQ(R("INCRBY", "n", "9223372036854775808"),
            "(error) ERR value is not an integer or out of range");
}

TEST_F(StringsTest, IncrByFloat) {
  EXPECT_EQ(R("INCRBYFLOAT", "f", "10.5"), "\"10.5\"");
  EXPECT_EQ(R("INCRBYFLOAT", "f", "0.1"), "\"10.6\"");
  EXPECT_EQ(R("INCRBYFLOAT", "f", "-5"), "\"5.6\"");
  // 17 decimals of an 80-bit long double can show binary rounding; Redis
  // 7.0 answers exactly this too.
  EXPECT_EQ(R("INCRBYFLOAT", "f", "2.0e2"), "\"205.60000000000000001\"");
  EXPECT_EQ(R("SET", "g", "5.0e3"), "OK");
  EXPECT_EQ(R("INCRBYFLOAT", "g", "0"), "\"5000\"");
  EXPECT_EQ(R("INCRBYFLOAT", "g", "abc"), "(error) ERR value is not a valid float");
  EXPECT_EQ(R("INCRBYFLOAT", "g", "nan"), "(error) ERR value is not a valid float");
  EXPECT_EQ(R("INCRBYFLOAT", "g", "inf"), "(error) ERR increment would produce NaN or Infinity");
  EXPECT_EQ(R("INCRBYFLOAT", "g", " 1"), "(error) ERR value is not a valid float");
  EXPECT_EQ(R("SET", "s", "text"), "OK");
  EXPECT_EQ(R("INCRBYFLOAT", "s", "1"), "(error) ERR value is not a valid float");
  EXPECT_EQ(R("EXPIRE", "g", "100"), "(integer) 1");
  EXPECT_EQ(R("INCRBYFLOAT", "g", "1"), "\"5001\"");
  EXPECT_EQ(R("TTL", "g"), "(integer) 100");
  EXPECT_EQ(R("GET", "g"), "\"5001\"");
}

TEST_F(StringsTest, Lcs) {
  EXPECT_EQ(R("MSET", "key1", "ohmytext", "key2", "mynewtext"), "OK");
  EXPECT_EQ(R("LCS", "key1", "key2"), "\"mytext\"");
  EXPECT_EQ(R("LCS", "key1", "key2", "LEN"), "(integer) 6");
  EXPECT_EQ(R("LCS", "key1", "key2", "IDX"),
            "[\"matches\", [[[(integer) 4, (integer) 7], [(integer) 5, (integer) 8]], "
            "[[(integer) 2, (integer) 3], [(integer) 0, (integer) 1]]], \"len\", (integer) 6]");
  EXPECT_EQ(R("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
            "[\"matches\", [[[(integer) 4, (integer) 7], [(integer) 5, (integer) 8], "
            "(integer) 4]], \"len\", (integer) 6]");
  EXPECT_EQ(R("LCS", "key1", "key2", "LEN", "IDX"),
            "(error) ERR If you want both the length and indexes, please just use IDX.");
  EXPECT_EQ(R("LCS", "key1", "key2", "MINMATCHLEN"), "(error) ERR syntax error");
  EXPECT_EQ(R("LCS", "key1", "key2", "MINMATCHLEN", "x"),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("LCS", "key1", "missing"), "\"\"");
  EXPECT_EQ(R("LCS", "key1", "missing", "IDX"), "[\"matches\", [], \"len\", (integer) 0]");
}

// A failed write gets exactly one error reply (never a value first) and
// changes nothing.
TEST_F(StringsTest, FailedWriteRepliesOneErrorAndChangesNothing) {
  EXPECT_EQ(R("MSET", "k", "v", "n", "1"), "OK");
  FailWrites(true);
  const std::vector<std::vector<std::string>> cmds = {
      {"SET", "k", "w"},        {"SET", "k", "w", "GET"},     {"GETSET", "k", "w"},
      {"GETDEL", "k"},          {"GETEX", "k", "EX", "5"},    {"SETNX", "new", "v"},
      {"SETEX", "k", "5", "w"}, {"MSET", "k", "w", "x", "y"}, {"MSETNX", "x", "y"},
      {"APPEND", "k", "w"},     {"SETRANGE", "k", "0", "w"},  {"INCR", "n"},
      {"DECRBY", "n", "5"},     {"INCRBYFLOAT", "n", "1.5"}};
  for (const auto& cmd : cmds) {
    const std::string reply = Run(cmd);
    EXPECT_EQ(reply.rfind("(error) MISCONF", 0), 0u) << cmd[0] << ": " << reply;
  }
  FailWrites(false);
  EXPECT_EQ(R("MGET", "k", "n", "new", "x"), "[\"v\", \"1\", (nil), (nil)]");
  EXPECT_EQ(R("TTL", "k"), "(integer) -1");
}

}  // namespace
}  // namespace walnut::server
