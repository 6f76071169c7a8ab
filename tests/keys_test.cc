// Black-box tests of the generic key commands: the real walnut-server on a
// free port, driven with hiredis and redis-cli, and compared reply for reply
// with a real redis-server running the same sequences (fixed ones, and a
// seeded random one whose seed is printed). SCAN and KEYS results are
// compared as sets, RANDOMKEY only for nil-ness, TTLs within a second.
//
// Expiry is tested with short PEXPIRE times and by waiting on the condition
// (the key gone), never by sleeping a fixed time and asserting.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "redis_reference.h"
#include "support/server_process.h"
#include "support/shared_server_test.h"

namespace walnut::test {
namespace {

using namespace std::string_literals;

class KeysIT : public SharedServerTest {
 protected:
  // Every key SCAN returns for the connection's database, following the
  // cursor to 0 with the given extra arguments.
  static std::set<std::string> ScanAll(RedisConn& c, const std::vector<std::string>& extra,
                                       int* calls = nullptr) {
    std::set<std::string> out;
    std::string cursor = "0";
    int n = 0;
    do {
      std::vector<std::string> args = {"SCAN", cursor};
      args.insert(args.end(), extra.begin(), extra.end());
      auto r = c.Raw(args);
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        ADD_FAILURE() << "bad SCAN reply: " << FormatReply(r.get());
        break;
      }
      cursor.assign(r->element[0]->str, r->element[0]->len);
      for (size_t i = 0; i < r->element[1]->elements; i++) {
        out.emplace(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
      }
      if (++n > 100000) {
        ADD_FAILURE() << "SCAN does not terminate";
        break;
      }
    } while (cursor != "0");
    if (calls) *calls = n;
    return out;
  }
};

TEST_F(KeysIT, DeleteExistsTypeOverTheWire) {
  EXPECT_EQ(c_.CmdArgv({"MSET", "a", "1", "b\0"s, "2", "c\r\n", "3"}), "OK");
  EXPECT_EQ(c_.CmdArgv({"EXISTS", "a", "b\0"s, "c\r\n", "a", "b"}), "(integer) 4");
  EXPECT_EQ(c_.CmdArgv({"TYPE", "b\0"s}), "string");
  EXPECT_EQ(c_.Cmd("TYPE", "b"), "none");
  EXPECT_EQ(c_.CmdArgv({"DEL", "a", "b\0"s, "b\0"s, "zz"}), "(integer) 2");
  EXPECT_EQ(c_.CmdArgv({"UNLINK", "c\r\n"}), "(integer) 1");
  EXPECT_EQ(c_.Cmd("DBSIZE"), "(integer) 0");
}

TEST_F(KeysIT, ExpiryTakesEffect) {
  EXPECT_EQ(c_.Cmd("MSET", "a", "1", "b", "2", "c", "3", "keep", "4"), "OK");
  EXPECT_EQ(c_.Cmd("PEXPIRE", "a", "30"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("EXPIRE", "b", "1"), "(integer) 1");
  const int64_t at_ms = static_cast<int64_t>(std::time(nullptr)) * 1000 + 1500;
  EXPECT_EQ(c_.Cmd("PEXPIREAT", "c", std::to_string(at_ms)), "(integer) 1");
  EXPECT_EQ(c_.Cmd("PEXPIRETIME", "c"), "(integer) " + std::to_string(at_ms));
  EXPECT_TRUE(WaitUntil([&] { return c_.Cmd("EXISTS", "a", "b", "c") == "(integer) 0"; }));
  EXPECT_EQ(c_.Cmd("TTL", "a"), "(integer) -2");
  EXPECT_EQ(c_.Cmd("KEYS", "*"), "[\"keep\"]");
  // A key with an expiry that is then persisted stays.
  EXPECT_EQ(c_.Cmd("PEXPIRE", "keep", "30"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("PERSIST", "keep"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("TTL", "keep"), "(integer) -1");
  EXPECT_EQ(c_.Cmd("EXPIRE", "keep", "-1"), "(integer) 1");  // past: deleted now
  EXPECT_EQ(c_.Cmd("EXISTS", "keep"), "(integer) 0");
}

TEST_F(KeysIT, ScanVisitsEveryKeyWhileTheTableGrows) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::set<std::string> initial;
  for (int i = 0; i < 2000; i++) initial.insert("k:" + std::to_string(rng()));
  {
    std::vector<std::string> mset = {"MSET"};
    for (const auto& k : initial) {
      mset.push_back(k);
      mset.push_back("v");
    }
    ASSERT_EQ(c_.CmdArgv(mset), "OK");
  }
  // Interleave SCAN calls with inserts that force resizes; every key present
  // for the whole scan must be returned.
  std::set<std::string> seen;
  std::string cursor = "0";
  int added = 0;
  do {
    auto r = c_.Raw({"SCAN", cursor, "COUNT", "50"});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_ARRAY) << FormatReply(r.get());
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; i++) {
      seen.emplace(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
    }
    for (int j = 0; j < 100; j++) {
      ASSERT_EQ(c_.Cmd("SET", "grow:" + std::to_string(added++), "v"), "OK");
    }
  } while (cursor != "0");
  for (const auto& k : initial) EXPECT_TRUE(seen.count(k)) << "SCAN missed " << k;
  EXPECT_EQ(ScanAll(c_, {"MATCH", "grow:*", "COUNT", "1000"}).size(), static_cast<size_t>(added));
  EXPECT_TRUE(ScanAll(c_, {"TYPE", "list"}).empty());
}

TEST_F(KeysIT, DatabasesRenameMoveCopySwap) {
  EXPECT_EQ(c_.Cmd("SET", "k", "zero"), "OK");
  EXPECT_EQ(c_.Cmd("PEXPIRE", "k", "100000"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("COPY", "k", "k", "DB", "1"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("RENAME", "k", "r"), "OK");
  EXPECT_EQ(c_.Cmd("MOVE", "r", "2"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("SELECT", "2"), "OK");
  EXPECT_EQ(c_.Cmd("GET", "r"), "\"zero\"");
  const std::string pttl = c_.Cmd("PTTL", "r");
  EXPECT_NE(pttl, "(integer) -1");  // the TTL moved with the key
  EXPECT_EQ(c_.Cmd("SWAPDB", "1", "2"), "OK");
  EXPECT_EQ(c_.Cmd("GET", "k"), "\"zero\"");  // db 2 now holds db 1's data
  EXPECT_EQ(c_.Cmd("SELECT", "1"), "OK");
  EXPECT_EQ(c_.Cmd("GET", "r"), "\"zero\"");
  EXPECT_EQ(c_.Cmd("FLUSHDB"), "OK");
  EXPECT_EQ(c_.Cmd("DBSIZE"), "(integer) 0");
  EXPECT_EQ(c_.Cmd("SELECT", "2"), "OK");
  EXPECT_EQ(c_.Cmd("DBSIZE"), "(integer) 1");
}

TEST_F(KeysIT, MultiKeyChangesSurviveSigkillWhole) {
  EXPECT_EQ(c_.Cmd("MSET", "a", "1", "b", "2"), "OK");
  EXPECT_EQ(c_.Cmd("RENAME", "a", "a2"), "OK");
  EXPECT_EQ(c_.Cmd("COPY", "b", "b2", "DB", "3"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("MOVE", "b", "4"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("EXPIRE", "a2", "1000"), "(integer) 1");
  EXPECT_EQ(c_.Cmd("SET", "gone", "x"), "OK");
  EXPECT_EQ(c_.Cmd("DEL", "gone"), "(integer) 1");
  server_->Kill(SIGKILL);
  ASSERT_TRUE(server_->Start());
  c_ = server_->Client();
  EXPECT_EQ(c_.Cmd("KEYS", "*"), "[\"a2\"]");
  const std::string ttl = c_.Cmd("TTL", "a2");
  // The expiry is absolute, so only the restart's duration has passed.
  ASSERT_EQ(ttl.rfind("(integer) ", 0), 0u) << ttl;
  const long long secs = std::atoll(ttl.c_str() + 10);
  EXPECT_TRUE(secs > 900 && secs <= 1000) << ttl;
  EXPECT_EQ(c_.Cmd("SELECT", "3"), "OK");
  EXPECT_EQ(c_.Cmd("GET", "b2"), "\"2\"");
  EXPECT_EQ(c_.Cmd("SELECT", "4"), "OK");
  EXPECT_EQ(c_.Cmd("GET", "b"), "\"2\"");
}

TEST_F(KeysIT, RedisCli) {
  const std::string cli = "redis-cli -p " + std::to_string(server_->port()) + " ";
  EXPECT_EQ(RunCommand(cli + "MSET user:1 a user:2 b other c"), "OK\n");
  // redis-cli --scan drives SCAN with MATCH to the end.
  std::string out = RunCommand(cli + "--scan --pattern 'user:*' | sort");
  EXPECT_EQ(out, "user:1\nuser:2\n");
  EXPECT_EQ(RunCommand(cli + "--no-raw RENAME nope x"), "(error) ERR no such key\n");
  EXPECT_EQ(RunCommand(cli + "EXPIRE other 100 GT"), "0\n");
  EXPECT_EQ(RunCommand(cli + "OBJECT ENCODING other"), "embstr\n");
  EXPECT_EQ(RunCommand(cli + "DBSIZE"), "3\n");
}

// ---- Comparison with a real redis-server ----------------------------------

class KeysVsRedis : public KeysIT {
 protected:
  void SetUp() override {
    KeysIT::SetUp();
    if (HasFatalFailure()) return;
    if (!ref_.available()) GTEST_SKIP() << ref_.binary() << " not installed";
    ASSERT_TRUE(ref_.Start());
    r_ = ref_.Client();
    ASSERT_TRUE(r_.ok()) << r_.error();
  }
  // Runs args on both and compares; TTL-like replies within `tolerance`.
  void Same(const std::vector<std::string>& args, bool sorted = false) {
    const ReplyPair p = RunBoth(c_, r_, args, sorted);
    EXPECT_EQ(p.walnut, p.redis) << "command: " << ShowArgs(args);
  }
  RedisReference ref_;
  RedisConn r_;
};

TEST_F(KeysVsRedis, FixedSequences) {
  const std::string far = std::to_string((static_cast<int64_t>(std::time(nullptr)) + 5000));
  const std::vector<std::vector<std::string>> cmds = {
      {"MSET", "a", "1", "b", "2", "c", "3"},
      {"DEL", "a", "a", "zz"},
      {"UNLINK", "zz"},
      {"EXISTS", "b", "b", "zz", "c"},
      {"TOUCH", "b", "zz"},
      {"TYPE", "b"},
      {"TYPE", "zz"},
      {"RENAME", "zz", "y"},
      {"RENAMENX", "zz", "y"},
      {"RENAME", "b", "b"},
      {"RENAMENX", "b", "b"},
      {"RENAME", "b", "b2"},
      {"RENAMENX", "b2", "c"},
      {"RENAMENX", "b2", "b3"},
      {"MOVE", "b3", "0"},
      {"MOVE", "b3", "16"},
      {"MOVE", "b3", "-1"},
      {"MOVE", "b3", "abc"},
      {"MOVE", "zz", "1"},
      {"MOVE", "b3", "1"},
      {"COPY", "c", "c"},
      {"COPY", "c", "c", "DB", "0"},
      {"COPY", "c", "c", "DB", "1"},
      {"COPY", "c", "c", "DB", "1"},
      {"COPY", "c", "c", "DB", "1", "REPLACE"},
      {"COPY", "c", "d", "DB"},
      {"COPY", "c", "d", "DB", "x"},
      {"COPY", "c", "d", "DB", "99"},
      {"COPY", "c", "d", "BOGUS"},
      {"COPY", "zz", "d"},
      {"COPY", "c", "d"},
      {"SELECT", "1"},
      {"KEYS", "*"},
      {"SELECT", "0"},
      {"EXPIRE", "zz", "100"},
      {"EXPIRE", "c", "100", "XX"},
      {"EXPIRE", "c", "100", "GT"},
      {"EXPIRE", "c", "100", "LT"},
      {"EXPIRE", "c", "200", "NX"},
      {"EXPIRE", "c", "200", "LT"},
      {"EXPIRE", "c", "50", "LT"},
      {"EXPIRE", "c", "60", "GT", "XX"},
      {"TTL", "c"},
      {"EXPIRE", "c", "1", "NX", "XX"},
      {"EXPIRE", "c", "1", "GT", "LT"},
      {"EXPIRE", "c", "1", "FOO"},
      {"EXPIRE", "c", "abc"},
      {"EXPIRE", "c", "9223372036854775807"},
      {"EXPIRE", "c", "-9223372036854775808"},
      {"PEXPIRE", "c", "9223372036854775807"},
      {"EXPIREAT", "c", "9223372036854775807"},
      {"EXPIREAT", "c", far},
      {"EXPIRETIME", "c"},
      {"PEXPIRETIME", "c"},
      {"PEXPIREAT", "c", far + "123"},
      {"PEXPIRETIME", "c"},
      {"EXPIRETIME", "c"},
      {"EXPIRETIME", "zz"},
      {"PERSIST", "c"},
      {"PERSIST", "c"},
      {"TTL", "c"},
      {"PTTL", "zz"},
      {"SET", "del1", "x"},
      {"EXPIRE", "del1", "0"},
      {"EXISTS", "del1"},
      {"SET", "del2", "x"},
      {"PEXPIREAT", "del2", "1"},
      {"EXISTS", "del2"},
      {"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5"},
      {"SET", "", "empty"},
      {"SET", "a]", "x"},
      {"SET", "h\\llo", "x"},
      {"SELECT", "0"},
  };
  for (const auto& c : cmds) Same(c, /*sorted=*/c[0] == "KEYS");
  for (const std::string pattern :
       {"*",         "**",        "",  "h?llo", "h*llo", "h[ae]llo", "h[^e]llo",
        "h[a-b]llo", "h[b-a]llo", "[", "[^]",   "[]]",   "[a-]",     "a\\]",
        "h\\\\llo",  "*\\",       "?", "[h]*",  "[^h]*", "h[ae"}) {
    Same({"KEYS", pattern}, /*sorted=*/true);
    EXPECT_EQ(ScanAll(c_, {"MATCH", pattern}), ScanAll(r_, {"MATCH", pattern}))
        << "SCAN MATCH " << pattern;
  }
  EXPECT_EQ(ScanAll(c_, {"TYPE", "string", "COUNT", "3"}),
            ScanAll(r_, {"TYPE", "string", "COUNT", "3"}));
  EXPECT_EQ(ScanAll(c_, {"TYPE", "hash"}), ScanAll(r_, {"TYPE", "hash"}));
  const std::vector<std::vector<std::string>> more = {
      {"SCAN", "abc"},
      {"SCAN", " 1"},
      {"SCAN", "1.5"},
      {"SCAN", "0", "COUNT", "0"},
      {"SCAN", "0", "COUNT", "abc"},
      {"SCAN", "0", "MATCH"},
      {"SCAN", "0", "FOO", "bar"},
      {"DBSIZE"},
      {"OBJECT", "ENCODING", "hello"},
      {"OBJECT", "ENCODING", "zz"},
      {"OBJECT", "REFCOUNT", "hello"},
      {"OBJECT", "REFCOUNT", "a]"},
      {"OBJECT", "FREQ", "hello"},
      {"OBJECT", "FREQ", "zz"},
      {"OBJECT", "HELP"},
      {"OBJECT", "BOGUS", "x"},
      {"OBJECT", "ENCODING"},
      {"FLUSHDB", "BOGUS"},
      {"FLUSHDB", "ASYNC", "X"},
      {"FLUSHALL", "FOO"},
      {"SWAPDB", "0", "1"},
      {"SWAPDB", "0", "0"},
      {"SWAPDB", "x", "0"},
      {"SWAPDB", "0", "x"},
      {"SWAPDB", "0", "16"},
      {"SWAPDB", "-1", "0"},
      {"DBSIZE"},
      {"SELECT", "1"},
      {"DBSIZE"},
      {"FLUSHDB", "SYNC"},
      {"DBSIZE"},
      {"SELECT", "0"},
      {"FLUSHALL", "ASYNC"},
      {"DBSIZE"},
      {"RANDOMKEY"},
      {"KEYS", "*"},
      // SORT over a keyspace of strings: a string is the wrong type, a
      // missing key an empty list; STORE deletes its destination.
      {"SET", "str", "v"},
      {"SET", "dst", "x"},
      {"SORT", "str"},
      {"SORT", "str", "BOGUS"},
      {"SORT", "nope"},
      {"SORT", "nope", "LIMIT", "0", "x"},
      {"SORT", "nope", "LIMIT", "1"},
      {"SORT", "nope", "BY", "w*", "GET", "#", "GET", "k*", "DESC", "ALPHA", "LIMIT", "1", "2"},
      {"SORT", "nope", "STORE", "dst"},
      {"EXISTS", "dst"},
      {"SORT", "nope", "STORE", "dst"},
      {"SORT", "str", "STORE", "str"},
      {"SORT_RO", "nope"},
      {"SORT_RO", "nope", "STORE", "dst"},
      {"SORT_RO", "str", "ASC"},
  };
  for (const auto& c : more) Same(c, /*sorted=*/c[0] == "KEYS");
}

// Random glob patterns, built from the pattern language's special bytes,
// against random keys: KEYS must select exactly what Redis selects.
TEST_F(KeysVsRedis, RandomGlobPatterns) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed ^ 0x676c6f62);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with WALNUT_TEST_SEED)");
  const std::string key_bytes = "abc[]\\-^*?\0\xe9"s;
  const std::string pattern_bytes = "abc*?[]^-\\"s;
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 80; i++) {
    std::string k;
    const int len = static_cast<int>(rng() % 6);
    for (int j = 0; j < len; j++) k.push_back(key_bytes[rng() % key_bytes.size()]);
    mset.push_back(k);
    mset.push_back("v");
  }
  Same(mset);
  for (int i = 0; i < 400; i++) {
    std::string pattern;
    const int len = static_cast<int>(rng() % 7);
    for (int j = 0; j < len; j++) pattern.push_back(pattern_bytes[rng() % pattern_bytes.size()]);
    const ReplyPair p = RunBoth(c_, r_, {"KEYS", pattern}, /*sorted=*/true);
    ASSERT_EQ(p.walnut, p.redis) << "KEYS " << ShowArgs({pattern});
  }
}

// DUMP payloads travel both ways between Walnut and Redis, and short ones
// are byte-identical; RESTORE's errors match.
TEST_F(KeysVsRedis, DumpRestoreInterchange) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed ^ 0x64756d70);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<std::string> values = {"",
                                     "0",
                                     "-1",
                                     "127",
                                     "128",
                                     "-32769",
                                     "2147483647",
                                     "2147483648",
                                     "12345678901",
                                     "007",
                                     "hello",
                                     "a\0b\r\n"s,
                                     std::string(200, 'a'),
                                     std::string(70000, 'z')};
  for (int i = 0; i < 20; i++) {
    std::string v(rng() % 500, '\0');
    // Some repetition so that Redis compresses some of them.
    for (char& c : v) c = static_cast<char>('a' + rng() % (i % 2 ? 3 : 26));
    values.push_back(v);
  }
  for (size_t i = 0; i < values.size(); i++) {
    const std::string key = "v" + std::to_string(i);
    ASSERT_EQ(c_.CmdArgv({"SET", key, values[i]}), "OK");
    ASSERT_EQ(r_.CmdArgv({"SET", key, values[i]}), "OK");
    auto w = c_.Raw({"DUMP", key});
    auto r = r_.Raw({"DUMP", key});
    ASSERT_TRUE(w && r && w->type == REDIS_REPLY_STRING && r->type == REDIS_REPLY_STRING);
    const std::string wp(w->str, w->len), rp(r->str, r->len);
    if (values[i].size() <= 20) {
      EXPECT_EQ(wp, rp) << "DUMP of value " << i;
    }
    // Redis's payload restores in Walnut, Walnut's in Redis.
    EXPECT_EQ(c_.CmdArgv({"RESTORE", key + "x", "0", rp}), "OK");
    EXPECT_EQ(r_.CmdArgv({"RESTORE", key + "x", "0", wp}), "OK");
    // Each side now holds the other's copy; both equal the original.
    Same({"GET", key + "x"});
    EXPECT_EQ(c_.CmdArgv({"GET", key + "x"}), c_.CmdArgv({"GET", key}));
  }
  auto payload = r_.Raw({"DUMP", "v10"});
  ASSERT_TRUE(payload && payload->type == REDIS_REPLY_STRING);
  const std::string p(payload->str, payload->len);
  std::string damaged = p;
  damaged[1] ^= 0x20;
  const std::vector<std::vector<std::string>> cmds = {
      {"RESTORE", "v10", "0", p},
      {"RESTORE", "n1", "-5", p},
      {"RESTORE", "n1", "abc", p},
      {"RESTORE", "n1", "0", damaged},
      {"RESTORE", "n1", "0", "x"},
      {"RESTORE", "n1", "0", p, "REPLACE", "ABSTTL", "IDLETIME", "5"},
      {"RESTORE", "n2", "0", p, "FREQ", "300"},
      {"RESTORE", "n2", "0", p, "FREQ", "3", "IDLETIME", "5"},
      {"RESTORE", "n2", "0", p, "IDLETIME", "-5"},
      {"RESTORE", "n2", "0", p, "BAD"},
      {"RESTORE", "n2", "1", p, "ABSTTL"},
      {"EXISTS", "n2"},
      {"RESTORE", "v10", "1", p, "ABSTTL", "REPLACE"},
      {"EXISTS", "v10"},
      {"RESTORE", "n3", "100000", p},
      {"DUMP", "nope"},
  };
  for (const auto& cmd : cmds) Same(cmd);
  const std::string ttl_w = c_.Cmd("TTL", "n3"), ttl_r = r_.Cmd("TTL", "n3");
  EXPECT_EQ(ttl_w, ttl_r);
}

// The same replies in RESP3 (HELLO 3), where nil is a RESP3 null.
TEST_F(KeysVsRedis, Resp3Replies) {
  const std::vector<std::string> cmds = {
      "RANDOMKEY",
      "SET key1 12345",
      "OBJECT ENCODING key1",
      "OBJECT ENCODING nope",
      "OBJECT IDLETIME nope",
      "OBJECT HELP",
      "TYPE key1",
      "TYPE nope",
      "TTL nope",
      "PEXPIRETIME key1",
      "SCAN 0 COUNT 100",
      "SCAN 0 MATCH nomatch*",
      "KEYS *",
      "RANDOMKEY",
      "COPY key1 key2",
      "RENAME nope x",
      "EXISTS key1 key2 nope",
      "DEL key1 key2",
      "DBSIZE",
  };
  for (const auto& cmd : cmds) {
    EXPECT_EQ(CliResp3(server_->port(), cmd), CliResp3(ref_.port(), cmd)) << "command: " << cmd;
  }
}

// A seeded random walk over the key commands (with SET/MSET to create keys
// and SELECT to move between databases), compared reply for reply.
TEST_F(KeysVsRedis, RandomSequence) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed ^ 0x6b657973);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with WALNUT_TEST_SEED)");
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> keys = {"a", "b", "c", "d", "k\0"s, "a b", ""};
  const std::vector<std::string> dbs = {"0", "1", "2", "15", "16", "-1", "x"};
  const std::vector<std::string> patterns = {"*", "a*", "?", "[ab]", "[^a]*", "k?", "*b*", "\\a"};
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  auto expire_time = [&](bool seconds, bool absolute) -> std::string {
    switch (rng() % 10) {
      case 0:
        return "0";
      case 1:
        return "-3";
      case 2:
        return "abc";
      case 3:
        return "9223372036854775807";
      default:
        break;
    }
    int64_t s = 1000 + static_cast<int64_t>(rng() % 5000);
    if (absolute) s += now_s;
    return std::to_string(seconds ? s : s * 1000);
  };
  const std::vector<std::string> flags = {"NX", "XX", "GT", "LT", "nx", "BAD"};
  std::vector<std::string> history;  // for failure messages
  for (int step = 0; step < 1500; step++) {
    std::vector<std::string> cmd;
    const std::string k = pick(keys);
    bool sorted = false;
    switch (rng() % 20) {
      case 0:
      case 1:
        cmd = {"SET", k, std::to_string(rng() % 100)};
        break;
      case 2:
        cmd = {"MSET", k, "1", pick(keys), "2"};
        break;
      case 3:
        cmd = {rng() % 2 ? "DEL" : "UNLINK", k, pick(keys)};
        break;
      case 4:
        cmd = {rng() % 2 ? "EXISTS" : "TOUCH", k, pick(keys), k};
        break;
      case 5:
        cmd = {"TYPE", k};
        break;
      case 6:
        cmd = {rng() % 2 ? "RENAME" : "RENAMENX", k, pick(keys)};
        break;
      case 7:
        cmd = {"MOVE", k, pick(dbs)};
        break;
      case 8: {
        cmd = {"COPY", k, pick(keys)};
        if (rng() % 2) {
          cmd.push_back("DB");
          cmd.push_back(pick(dbs));
        }
        if (rng() % 2) cmd.push_back("REPLACE");
        break;
      }
      case 9: {
        static const char* kCmds[] = {"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"};
        const int which = static_cast<int>(rng() % 4);
        cmd = {kCmds[which], k, expire_time(which % 2 == 0, which >= 2)};
        const int nflags = static_cast<int>(rng() % 3);
        for (int i = 0; i < nflags; i++) cmd.push_back(pick(flags));
        break;
      }
      case 10:
        cmd = {rng() % 2 ? "TTL" : "EXPIRETIME", k};
        break;
      case 11:
        cmd = {"PERSIST", k};
        break;
      case 12:
        cmd = {"DBSIZE"};
        break;
      case 13:
        cmd = {"KEYS", pick(patterns)};
        sorted = true;
        break;
      case 14:
        cmd = {"SELECT", std::to_string(rng() % 3)};
        break;
      case 15:
        cmd = {"SWAPDB", std::to_string(rng() % 3), pick(dbs)};
        break;
      case 16:
        if (rng() % 5 == 0) {
          cmd = {"FLUSHDB"};
        } else {
          cmd = {"GET", k};
        }
        break;
      case 17:
        // Not REFCOUNT: Redis's COPY unshares a small integer (refcount 1),
        // which Walnut, storing bytes only, cannot tell apart.
        cmd = {"OBJECT", "ENCODING", k};
        break;
      case 18: {
        const std::string pattern = pick(patterns);
        EXPECT_EQ(ScanAll(c_, {"MATCH", pattern, "COUNT", "2"}),
                  ScanAll(r_, {"MATCH", pattern, "COUNT", "2"}))
            << "step " << step << " SCAN MATCH " << pattern;
        continue;
      }
      default: {
        // RANDOMKEY: only whether the database is empty is deterministic.
        auto w = c_.Raw({"RANDOMKEY"});
        auto r = r_.Raw({"RANDOMKEY"});
        ASSERT_TRUE(w && r);
        ASSERT_EQ(w->type, r->type) << "step " << step << " RANDOMKEY " << FormatReply(w.get())
                                    << " vs " << FormatReply(r.get());
        continue;
      }
    }
    const ReplyPair p = RunBoth(c_, r_, cmd, sorted);
    history.push_back(ShowArgs(cmd) + " -> " + p.redis);
    if (history.size() > 40) history.erase(history.begin());
    if ((cmd[0] == "TTL" || cmd[0] == "EXPIRETIME") && p.walnut != p.redis) {
      const long long w = std::atoll(p.walnut.c_str() + 10), r = std::atoll(p.redis.c_str() + 10);
      ASSERT_TRUE(w >= 0 && r >= 0 && std::llabs(w - r) <= 1)
          << "step " << step << ": " << ShowArgs(cmd) << "\nwalnut: " << p.walnut
          << "\nredis:  " << p.redis << "\nlast commands:\n"
          << Join(history);
      continue;
    }
    ASSERT_EQ(p.walnut, p.redis) << "step " << step << ": " << ShowArgs(cmd)
                                 << "\nlast commands (with Redis's replies):\n"
                                 << Join(history);
  }
  for (const std::string db : {"0", "1", "2"}) {
    Same({"SELECT", db});
    Same({"KEYS", "*"}, /*sorted=*/true);
  }
}

}  // namespace
}  // namespace walnut::test
