// Unit tests for the generic key commands, run directly against a real engine
// with a controlled clock (cmd_test_fixture.h). Expected replies are Redis
// 7.0's; tests/keys_test.cc checks the same through the network and against a
// real redis-server.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/cmd_test_fixture.h"

namespace walnut::server {
namespace {

using namespace std::string_literals;

class KeysTest : public CommandFixture {};

TEST_F(KeysTest, DelUnlinkExistsTouchType) {
  EXPECT_EQ(R("MSET", "a", "1", "b", "2", "c", "3"), "OK");
  EXPECT_EQ(R("EXISTS", "a", "a", "nope", "b"), "(integer) 3");
  EXPECT_EQ(R("TOUCH", "a", "nope", "b"), "(integer) 2");
  EXPECT_EQ(R("TYPE", "a"), "string");
  EXPECT_EQ(R("TYPE", "nope"), "none");
  EXPECT_EQ(R("DEL", "a", "a", "nope"), "(integer) 1");
  EXPECT_EQ(R("UNLINK", "b", "c"), "(integer) 2");
  EXPECT_EQ(R("DBSIZE"), "(integer) 0");
  EXPECT_EQ(R("DEL"), "(error) ERR wrong number of arguments for 'del' command");
}

TEST_F(KeysTest, RenameAndRenameNx) {
  EXPECT_EQ(R("RENAME", "nope", "x"), "(error) ERR no such key");
  EXPECT_EQ(R("RENAMENX", "nope", "x"), "(error) ERR no such key");
  EXPECT_EQ(R("RENAME", "nope", "nope"), "(error) ERR no such key");
  EXPECT_EQ(R("SET", "a", "1"), "OK");
  EXPECT_EQ(R("PEXPIRE", "a", "5000"), "(integer) 1");
  EXPECT_EQ(R("RENAME", "a", "a"), "OK");
  EXPECT_EQ(R("RENAMENX", "a", "a"), "(integer) 0");
  EXPECT_EQ(R("RENAME", "a", "b"), "OK");
  EXPECT_EQ(R("EXISTS", "a"), "(integer) 0");
  EXPECT_EQ(R("GET", "b"), "\"1\"");
  EXPECT_EQ(R("PTTL", "b"), "(integer) 5000");  // the TTL travels
  EXPECT_EQ(R("SET", "c", "3"), "OK");
  EXPECT_EQ(R("RENAMENX", "b", "c"), "(integer) 0");
  EXPECT_EQ(R("RENAME", "b", "c"), "OK");  // overwrites
  EXPECT_EQ(R("GET", "c"), "\"1\"");
  EXPECT_EQ(R("RENAMENX", "c", "d"), "(integer) 1");
  EXPECT_EQ(R("KEYS", "*"), "[\"d\"]");
}

TEST_F(KeysTest, Move) {
  EXPECT_EQ(R("SET", "k", "v"), "OK");
  EXPECT_EQ(R("EXPIRE", "k", "100"), "(integer) 1");
  EXPECT_EQ(R("MOVE", "k", "0"), "(error) ERR source and destination objects are the same");
  EXPECT_EQ(R("MOVE", "k", "16"), "(error) ERR DB index is out of range");
  EXPECT_EQ(R("MOVE", "k", "-1"), "(error) ERR DB index is out of range");
  EXPECT_EQ(R("MOVE", "k", "x"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("MOVE", "nope", "1"), "(integer) 0");
  EXPECT_EQ(R("MOVE", "k", "1"), "(integer) 1");
  EXPECT_EQ(R("EXISTS", "k"), "(integer) 0");
  Select(1);
  EXPECT_EQ(R("GET", "k"), "\"v\"");
  EXPECT_EQ(R("TTL", "k"), "(integer) 100");
  EXPECT_EQ(R("SET", "j", "1"), "OK");
  Select(0);
  EXPECT_EQ(R("SET", "j", "0"), "OK");
  EXPECT_EQ(R("MOVE", "j", "1"), "(integer) 0");  // exists there
  EXPECT_EQ(R("GET", "j"), "\"0\"");
}

TEST_F(KeysTest, Copy) {
  EXPECT_EQ(R("SET", "s", "v"), "OK");
  EXPECT_EQ(R("PEXPIRE", "s", "9000"), "(integer) 1");
  EXPECT_EQ(R("COPY", "s", "s"), "(error) ERR source and destination objects are the same");
  EXPECT_EQ(R("COPY", "s", "d", "BOGUS"), "(error) ERR syntax error");
  EXPECT_EQ(R("COPY", "s", "d", "DB"), "(error) ERR syntax error");
  EXPECT_EQ(R("COPY", "s", "d", "DB", "99"), "(error) ERR DB index is out of range");
  EXPECT_EQ(R("COPY", "s", "d", "DB", "x"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("COPY", "nope", "d"), "(integer) 0");
  EXPECT_EQ(R("COPY", "s", "d"), "(integer) 1");
  EXPECT_EQ(R("GET", "d"), "\"v\"");
  EXPECT_EQ(R("PTTL", "d"), "(integer) 9000");
  EXPECT_EQ(R("SET", "s", "w"), "OK");
  EXPECT_EQ(R("COPY", "s", "d"), "(integer) 0");
  EXPECT_EQ(R("COPY", "s", "d", "REPLACE"), "(integer) 1");
  EXPECT_EQ(R("GET", "d"), "\"w\"");
  EXPECT_EQ(R("TTL", "d"), "(integer) -1");  // replaced with the source's (none)
  EXPECT_EQ(R("COPY", "s", "s", "DB", "2"), "(integer) 1");
  Select(2);
  EXPECT_EQ(R("GET", "s"), "\"w\"");
}

TEST_F(KeysTest, KeysWithPatterns) {
  EXPECT_EQ(R("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5"),
            "OK");
  EXPECT_EQ(Run({"SET", "bin\0key"s, "6"}), "OK");
  auto sorted_keys = [&](const std::string& pattern) {
    std::string r = R("KEYS", pattern);
    // "[\"a\", \"b\"]" -> sorted set of elements.
    std::set<std::string> out;
    size_t p = 1;
    while (p < r.size() && r[p] == '"') {
      const size_t e = r.find('"', p + 1);
      out.insert(r.substr(p + 1, e - p - 1));
      p = e + 3;
    }
    return out;
  };
  EXPECT_EQ(sorted_keys("h?llo"), (std::set<std::string>{"hello", "hallo", "hxllo"}));
  EXPECT_EQ(sorted_keys("h*llo"),
            (std::set<std::string>{"hello", "hallo", "hxllo", "hllo", "heeeello"}));
  EXPECT_EQ(sorted_keys("h[ae]llo"), (std::set<std::string>{"hello", "hallo"}));
  EXPECT_EQ(sorted_keys("h[^e]llo"), (std::set<std::string>{"hallo", "hxllo"}));
  EXPECT_EQ(sorted_keys("h[a-b]llo"), (std::set<std::string>{"hallo"}));
  EXPECT_EQ(sorted_keys("bin?key"), (std::set<std::string>{"bin\\x00key"}));
  EXPECT_EQ(sorted_keys("*").size(), 6u);
  EXPECT_EQ(R("KEYS", "zzz*"), "[]");
}

TEST_F(KeysTest, EmptyKeyIsListedOnlyByBareStar) {
  EXPECT_EQ(R("SET", "", "v"), "OK");
  EXPECT_EQ(R("KEYS", "*"), "[\"\"]");
  EXPECT_EQ(R("KEYS", "**"), "[]");
  EXPECT_EQ(R("KEYS", ""), "[\"\"]");
  EXPECT_EQ(R("SCAN", "0", "MATCH", "*", "COUNT", "100"), "[\"0\", [\"\"]]");
}

TEST_F(KeysTest, ScanVisitsEveryKeyAcrossCallsAndFilters) {
  std::set<std::string> want;
  for (int i = 0; i < 500; i++) {
    const std::string k = "key:" + std::to_string(i);
    want.insert(k);
    ASSERT_EQ(R("SET", k, "v"), "OK");
  }
  ASSERT_EQ(R("SET", "other", "v"), "OK");
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    const std::string r = R("SCAN", cursor, "MATCH", "key:*", "COUNT", "37", "TYPE", "STRING");
    // [\"<cursor>\", [\"k\", ...]]
    ASSERT_EQ(r.rfind("[\"", 0), 0u) << r;
    const size_t ce = r.find('"', 2);
    cursor = r.substr(2, ce - 2);
    size_t p = r.find('[', ce) + 1;
    while (p < r.size() && r[p] == '"') {
      const size_t e = r.find('"', p + 1);
      seen.insert(r.substr(p + 1, e - p - 1));
      p = e + 3;
    }
    ASSERT_LT(++calls, 1000);
  } while (cursor != "0");
  EXPECT_EQ(seen, want);
  EXPECT_GT(calls, 1);
  EXPECT_EQ(R("SCAN", "0", "TYPE", "hash", "COUNT", "1000"), "[\"0\", []]");
}

TEST_F(KeysTest, ScanArgumentErrors) {
  EXPECT_EQ(R("SCAN", "x"), "(error) ERR invalid cursor");
  EXPECT_EQ(R("SCAN", " 1"), "(error) ERR invalid cursor");
  EXPECT_EQ(R("SCAN", "0", "COUNT", "0"), "(error) ERR syntax error");
  EXPECT_EQ(R("SCAN", "0", "COUNT", "x"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("SCAN", "0", "MATCH"), "(error) ERR syntax error");
  EXPECT_EQ(R("SCAN", "0", "BOGUS", "1"), "(error) ERR syntax error");
  EXPECT_EQ(R("SCAN", "0"), "[\"0\", []]");
  EXPECT_EQ(R("SET", "k", "v"), "OK");
  // A huge COUNT hint is just a hint.
  EXPECT_EQ(R("SCAN", "0", "COUNT", "9223372036854775807"), "[\"0\", [\"k\"]]");
}

TEST_F(KeysTest, RandomKeyDbSizeFlush) {
  EXPECT_EQ(R("RANDOMKEY"), "(nil)");
  EXPECT_EQ(R("SET", "only", "v"), "OK");
  EXPECT_EQ(R("RANDOMKEY"), "\"only\"");
  EXPECT_EQ(R("DBSIZE"), "(integer) 1");
  Select(3);
  EXPECT_EQ(R("SET", "x", "v"), "OK");
  EXPECT_EQ(R("FLUSHDB", "BOGUS"), "(error) ERR syntax error");
  EXPECT_EQ(R("FLUSHDB", "ASYNC", "SYNC"), "(error) ERR syntax error");
  EXPECT_EQ(R("FLUSHDB", "sync"), "OK");
  EXPECT_EQ(R("DBSIZE"), "(integer) 0");
  Select(0);
  EXPECT_EQ(R("DBSIZE"), "(integer) 1");
  Select(3);
  EXPECT_EQ(R("SET", "x", "v"), "OK");
  EXPECT_EQ(R("FLUSHALL", "ASYNC"), "OK");
  EXPECT_EQ(R("DBSIZE"), "(integer) 0");
  Select(0);
  EXPECT_EQ(R("DBSIZE"), "(integer) 0");
}

TEST_F(KeysTest, SwapDb) {
  EXPECT_EQ(R("SET", "k", "zero"), "OK");
  Select(1);
  EXPECT_EQ(R("SET", "k", "one"), "OK");
  EXPECT_EQ(R("SWAPDB", "0", "1"), "OK");
  EXPECT_EQ(R("GET", "k"), "\"zero\"");
  Select(0);
  EXPECT_EQ(R("GET", "k"), "\"one\"");
  EXPECT_EQ(R("SWAPDB", "0", "0"), "OK");
  EXPECT_EQ(R("SWAPDB", "x", "0"), "(error) ERR invalid first DB index");
  EXPECT_EQ(R("SWAPDB", "0", "x"), "(error) ERR invalid second DB index");
  EXPECT_EQ(R("SWAPDB", "0", "16"), "(error) ERR DB index is out of range");
}

TEST_F(KeysTest, ExpireFamily) {
  EXPECT_EQ(R("EXPIRE", "nope", "10"), "(integer) 0");
  EXPECT_EQ(R("SET", "k", "v"), "OK");
  EXPECT_EQ(R("TTL", "k"), "(integer) -1");
  EXPECT_EQ(R("TTL", "nope"), "(integer) -2");
  EXPECT_EQ(R("PTTL", "nope"), "(integer) -2");
  EXPECT_EQ(R("EXPIRETIME", "k"), "(integer) -1");
  EXPECT_EQ(R("EXPIRE", "k", "10"), "(integer) 1");
  EXPECT_EQ(R("TTL", "k"), "(integer) 10");
  EXPECT_EQ(R("PEXPIRE", "k", "2000"), "(integer) 1");
  EXPECT_EQ(R("PTTL", "k"), "(integer) 2000");
  EXPECT_EQ(R("EXPIREAT", "k", std::to_string(NowMs() / 1000 + 100)), "(integer) 1");
  EXPECT_EQ(R("EXPIRETIME", "k"), "(integer) " + std::to_string(NowMs() / 1000 + 100));
  EXPECT_EQ(R("PEXPIREAT", "k", std::to_string(NowMs() + 1234)), "(integer) 1");
  EXPECT_EQ(R("PEXPIRETIME", "k"), "(integer) " + std::to_string(NowMs() + 1234));
  AdvanceMs(1000);
  EXPECT_EQ(R("PTTL", "k"), "(integer) 234");
  EXPECT_EQ(R("TTL", "k"), "(integer) 0");
  AdvanceMs(234);
  EXPECT_EQ(R("EXISTS", "k"), "(integer) 0");
  EXPECT_EQ(R("TTL", "k"), "(integer) -2");
}

TEST_F(KeysTest, ExpireInThePastDeletes) {
  EXPECT_EQ(R("MSET", "a", "1", "b", "2", "c", "3"), "OK");
  EXPECT_EQ(R("EXPIRE", "a", "0"), "(integer) 1");
  EXPECT_EQ(R("PEXPIRE", "b", "-100"), "(integer) 1");
  EXPECT_EQ(R("EXPIREAT", "c", "1"), "(integer) 1");
  EXPECT_EQ(R("DBSIZE"), "(integer) 0");
}

TEST_F(KeysTest, ExpireOptions) {
  EXPECT_EQ(R("SET", "k", "v"), "OK");
  EXPECT_EQ(R("EXPIRE", "k", "100", "XX"), "(integer) 0");
  EXPECT_EQ(R("EXPIRE", "k", "100", "GT"), "(integer) 0");  // no TTL = infinite
  EXPECT_EQ(R("EXPIRE", "k", "100", "LT"), "(integer) 1");
  EXPECT_EQ(R("EXPIRE", "k", "200", "NX"), "(integer) 0");
  EXPECT_EQ(R("EXPIRE", "k", "200", "LT"), "(integer) 0");
  EXPECT_EQ(R("EXPIRE", "k", "50", "LT"), "(integer) 1");
  EXPECT_EQ(R("EXPIRE", "k", "40", "GT"), "(integer) 0");
  EXPECT_EQ(R("EXPIRE", "k", "60", "GT", "XX"), "(integer) 1");
  EXPECT_EQ(R("TTL", "k"), "(integer) 60");
  EXPECT_EQ(R("PERSIST", "k"), "(integer) 1");
  EXPECT_EQ(R("PERSIST", "k"), "(integer) 0");
  EXPECT_EQ(R("PERSIST", "nope"), "(integer) 0");
  EXPECT_EQ(R("EXPIRE", "k", "60", "NX"), "(integer) 1");
  EXPECT_EQ(R("EXPIRE", "k", "10", "NX", "XX"),
            "(error) ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(R("EXPIRE", "k", "10", "GT", "LT"),
            "(error) ERR GT and LT options at the same time are not compatible");
  EXPECT_EQ(R("EXPIRE", "k", "10", "FOO"), "(error) ERR Unsupported option FOO");
  EXPECT_EQ(R("EXPIRE", "k", "x"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("EXPIRE", "k", "x", "FOO"), "(error) ERR Unsupported option FOO");
}

TEST_F(KeysTest, ExpireOverflow) {
  EXPECT_EQ(R("SET", "k", "v"), "OK");
  EXPECT_EQ(R("EXPIRE", "k", "9223372036854775807"),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(R("EXPIRE", "k", "-9223372036854775808"),
            "(error) ERR invalid expire time in 'expire' command");
  EXPECT_EQ(R("PEXPIRE", "k", "9223372036854775807"),
            "(error) ERR invalid expire time in 'pexpire' command");
  EXPECT_EQ(R("EXPIREAT", "k", "9223372036854775807"),
            "(error) ERR invalid expire time in 'expireat' command");
  EXPECT_EQ(R("PEXPIREAT", "k", "9223372036854775807"), "(integer) 1");
  EXPECT_EQ(R("PEXPIRETIME", "k"), "(integer) 9223372036854775807");
  EXPECT_EQ(R("TTL", "k").substr(0, 10), "(integer) ");
}

// Each multi-key change reaches the log as one record: one batch per command.
TEST_F(KeysTest, MultiKeyWritesAreOneBatch) {
  auto one_batch = [&](const std::vector<std::string>& cmd, uint32_t ops) {
    const int64_t before = batches();
    Run(cmd);
    EXPECT_EQ(batches() - before, 1) << cmd[0];
    EXPECT_EQ(last_batch_ops(), ops) << cmd[0];
  };
  one_batch({"MSET", "a", "1", "b", "2", "c", "3"}, 3);
  one_batch({"MSETNX", "x", "1", "y", "2"}, 2);
  one_batch({"DEL", "a", "b", "nope"}, 2);
  one_batch({"UNLINK", "x", "y"}, 2);
  one_batch({"RENAME", "c", "d"}, 2);
  one_batch({"RENAMENX", "d", "e"}, 2);
  one_batch({"MOVE", "e", "1"}, 2);
  Select(1);
  one_batch({"COPY", "e", "f", "DB", "2", "REPLACE"}, 1);
  one_batch({"SWAPDB", "1", "2"}, 1);
  one_batch({"FLUSHALL"}, 1);
  // Commands that change nothing write nothing.
  const int64_t before = batches();
  EXPECT_EQ(R("DEL", "nope"), "(integer) 0");
  EXPECT_EQ(R("MSETNX", "p", "1", "p", "2"), "(integer) 1");  // writes (one batch)
  EXPECT_EQ(R("MSETNX", "p", "1", "q", "2"), "(integer) 0");
  EXPECT_EQ(R("EXPIRE", "nope", "10"), "(integer) 0");
  EXPECT_EQ(R("PERSIST", "p"), "(integer) 0");
  EXPECT_EQ(batches() - before, 1);
}

TEST_F(KeysTest, SortOverStrings) {
  EXPECT_EQ(R("MSET", "s", "v", "dst", "x"), "OK");
  EXPECT_EQ(R("SORT", "s"),
            "(error) WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(R("SORT", "nope", "LIMIT", "0", "10", "DESC", "ALPHA"), "[]");
  EXPECT_EQ(R("SORT", "nope", "LIMIT", "x", "1"),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(R("SORT", "s", "BOGUS"), "(error) ERR syntax error");
  EXPECT_EQ(R("SORT_RO", "nope", "STORE", "dst"), "(error) ERR syntax error");
  EXPECT_EQ(R("SORT", "nope", "STORE", "dst"), "(integer) 0");
  EXPECT_EQ(R("EXISTS", "dst"), "(integer) 0");
}

TEST_F(KeysTest, DumpRestore) {
  EXPECT_EQ(R("DUMP", "nope"), "(nil)");
  EXPECT_EQ(R("SET", "s", "hello"), "OK");
  EXPECT_EQ(R("DUMP", "s"), "\"\\x00\\x05hello\\n\\x00cr\\xdfve4 \\n\"");
  // Redis 7.0's DUMP of "hello".
  const std::string payload = "\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a"s;
  EXPECT_EQ(Run({"RESTORE", "s", "0", payload}), "(error) BUSYKEY Target key name already exists.");
  EXPECT_EQ(Run({"RESTORE", "t", "0", payload}), "OK");
  EXPECT_EQ(R("GET", "t"), "\"hello\"");
  EXPECT_EQ(R("TTL", "t"), "(integer) -1");
  EXPECT_EQ(Run({"RESTORE", "t", "5000", payload, "REPLACE"}), "OK");
  EXPECT_EQ(R("PTTL", "t"), "(integer) 5000");
  EXPECT_EQ(Run({"RESTORE", "u", std::to_string(NowMs() + 777), payload, "ABSTTL"}), "OK");
  EXPECT_EQ(R("PTTL", "u"), "(integer) 777");
  // Already expired: OK, and the key (REPLACEd) is gone.
  EXPECT_EQ(Run({"RESTORE", "u", "1", payload, "ABSTTL", "REPLACE"}), "OK");
  EXPECT_EQ(R("EXISTS", "u"), "(integer) 0");
  EXPECT_EQ(Run({"RESTORE", "v", "-1", payload}), "(error) ERR Invalid TTL value, must be >= 0");
  EXPECT_EQ(Run({"RESTORE", "v", "x", payload}),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"RESTORE", "v", "0", "garbage"}),
            "(error) ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(Run({"RESTORE", "v", "0", payload, "BOGUS"}), "(error) ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "v", "0", payload, "IDLETIME", "-1"}),
            "(error) ERR Invalid IDLETIME value, must be >= 0");
  EXPECT_EQ(Run({"RESTORE", "v", "0", payload, "FREQ", "256"}),
            "(error) ERR Invalid FREQ value, must be >= 0 and <= 255");
  EXPECT_EQ(Run({"RESTORE", "v", "0", payload, "IDLETIME", "1", "FREQ", "1"}),
            "(error) ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "v", "0", payload, "IDLETIME", "100"}), "OK");
  EXPECT_EQ(R("EXISTS", "v"), "(integer) 1");
  EXPECT_EQ(R("RESTORE", "w", "0"), "(error) ERR wrong number of arguments for 'restore' command");
}

// A failed write gets exactly one error reply and changes nothing.
TEST_F(KeysTest, FailedWriteRepliesOneErrorAndChangesNothing) {
  EXPECT_EQ(R("MSET", "a", "1", "b", "2"), "OK");
  EXPECT_EQ(R("PEXPIRE", "b", "5000"), "(integer) 1");
  FailWrites(true);
  const std::vector<std::vector<std::string>> cmds = {{"DEL", "a", "b"},
                                                      {"UNLINK", "a"},
                                                      {"RENAME", "a", "c"},
                                                      {"RENAMENX", "a", "c"},
                                                      {"MOVE", "a", "1"},
                                                      {"COPY", "a", "c"},
                                                      {"FLUSHDB"},
                                                      {"FLUSHALL"},
                                                      {"SWAPDB", "0", "1"},
                                                      {"EXPIRE", "a", "10"},
                                                      {"PEXPIREAT", "a", "1"},
                                                      {"PERSIST", "b"}};
  for (const auto& cmd : cmds) {
    const std::string reply = Run(cmd);
    EXPECT_EQ(reply.rfind("(error) MISCONF", 0), 0u) << cmd[0] << ": " << reply;
  }
  FailWrites(false);
  EXPECT_EQ(R("MGET", "a", "b", "c"), "[\"1\", \"2\", (nil)]");
  EXPECT_EQ(R("TTL", "a"), "(integer) -1");
  EXPECT_EQ(R("PTTL", "b"), "(integer) 5000");
}

TEST_F(KeysTest, Object) {
  EXPECT_EQ(R("MSET", "i", "12345", "e", "hello", "r", std::string(45, 'x'), "s", "5"), "OK");
  EXPECT_EQ(R("OBJECT", "ENCODING", "i"), "\"int\"");
  EXPECT_EQ(R("OBJECT", "ENCODING", "e"), "\"embstr\"");
  EXPECT_EQ(R("OBJECT", "ENCODING", "r"), "\"raw\"");
  EXPECT_EQ(R("OBJECT", "ENCODING", "nope"), "(nil)");
  EXPECT_EQ(R("OBJECT", "REFCOUNT", "e"), "(integer) 1");
  EXPECT_EQ(R("OBJECT", "REFCOUNT", "s"), "(integer) 2147483647");
  EXPECT_EQ(R("OBJECT", "IDLETIME", "nope"), "(nil)");
  EXPECT_EQ(R("OBJECT", "IDLETIME", "e"), "(integer) 0");
  AdvanceMs(5000);
  EXPECT_EQ(R("OBJECT", "IDLETIME", "e"), "(integer) 5");
  EXPECT_EQ(R("OBJECT", "IDLETIME", "e"), "(integer) 5");  // not an access itself
  EXPECT_EQ(R("GET", "e"), "\"hello\"");
  EXPECT_EQ(R("OBJECT", "IDLETIME", "e"), "(integer) 0");
  EXPECT_EQ(R("OBJECT", "FREQ", "nope"), "(nil)");
  EXPECT_EQ(R("OBJECT", "FREQ", "e").substr(0, 38), "(error) ERR An LFU maxmemory policy is");
  EXPECT_EQ(R("OBJECT", "BOGUS", "e"), "(error) ERR unknown subcommand 'BOGUS'. Try OBJECT HELP.");
  EXPECT_EQ(R("OBJECT", "ENCODING"),
            "(error) ERR wrong number of arguments for 'object|encoding' command");
  const std::string help = R("OBJECT", "HELP");
  EXPECT_EQ(help.rfind("[OBJECT <subcommand>", 0), 0u) << help;
}

}  // namespace
}  // namespace walnut::server
