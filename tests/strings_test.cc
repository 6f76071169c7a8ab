// Black-box tests of the string commands: the real walnut-server on a free
// port, driven with hiredis and redis-cli, and compared reply for reply with
// a real redis-server running the same command sequences (fixed ones, and a
// seeded random one whose seed is printed).
//
// Expiry is tested with short PX/PEXPIRE times and by waiting on the
// condition (the key gone), never by sleeping a fixed time and asserting.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "redis_reference.h"
#include "support/server_process.h"
#include "support/shared_server_test.h"

namespace walnut::test {
namespace {

using namespace std::string_literals;

// One server for the suite, a fresh connection and an empty keyspace per test.
class StringsIT : public SharedServerTest {};

TEST_F(StringsIT, GetSetOverTheWire) {
  EXPECT_EQ(c_.Cmd("GET", "k"), "(nil)");
  EXPECT_EQ(c_.Cmd("SET", "k", "v"), "OK");
  EXPECT_EQ(c_.Cmd("GET", "k"), "\"v\"");
  EXPECT_EQ(c_.Cmd("SET", "k", "v2", "GET"), "\"v\"");
  EXPECT_EQ(c_.Cmd("SET", "k", "v3", "NX"), "(nil)");
  EXPECT_EQ(c_.Cmd("SET", "k", "v", "NX", "XX"), "(error) ERR syntax error");
  EXPECT_EQ(c_.Cmd("SET", "k", "v", "EX", "0"), "(error) ERR invalid expire time in 'set' command");
  EXPECT_EQ(c_.Cmd("GET"), "(error) ERR wrong number of arguments for 'get' command");
}

// Commands with many keys: the server fetches up to 64 keys' index memory
// ahead, 16 per engine call, and must still read and write every key.
TEST_F(StringsIT, ManyKeysInOneCommand) {
  std::vector<std::string> mset = {"MSET"}, mget = {"MGET"}, del = {"DEL"}, exists = {"EXISTS"};
  std::string want = "[";
  for (int i = 0; i < 70; i++) {
    const std::string k = "many:" + std::to_string(i);
    if (i % 3 != 0) mset.insert(mset.end(), {k, "v" + std::to_string(i)});
    mget.push_back(k);
    del.push_back(k);
    exists.push_back(k);
    want += (i ? ", " : "") + (i % 3 != 0 ? "\"v" + std::to_string(i) + "\"" : "(nil)"s);
  }
  want += "]";
  EXPECT_EQ(c_.CmdArgv(mset), "OK");
  EXPECT_EQ(c_.CmdArgv(mget), want);
  EXPECT_EQ(c_.CmdArgv(exists), "(integer) 46");
  EXPECT_EQ(c_.CmdArgv(del), "(integer) 46");
  EXPECT_EQ(c_.CmdArgv(exists), "(integer) 0");
}

TEST_F(StringsIT, BinarySafeKeysAndValues) {
  const std::string key = "key\0with\r\nbreaks"s;
  std::string value;
  for (int i = 0; i < 256; i++) value.push_back(static_cast<char>(i));
  value += "\r\n$3\r\nend\r\n";  // looks like RESP; must stay data
  EXPECT_EQ(c_.CmdArgv({"SET", key, value}), "OK");
  auto r = c_.Raw({"GET", key});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(r->str, r->len), value);
  EXPECT_EQ(c_.CmdArgv({"STRLEN", key}), "(integer) " + std::to_string(value.size()));
  EXPECT_EQ(c_.CmdArgv({"APPEND", key, "\0"s}), "(integer) " + std::to_string(value.size() + 1));
  EXPECT_EQ(c_.CmdArgv({"GETRANGE", key, "0", "2"}), "\"\\x00\\x01\\x02\"");
  EXPECT_EQ(c_.CmdArgv({"MSET", "a\0"s, "1\r\n", "a", "2"}), "OK");
  EXPECT_EQ(c_.CmdArgv({"MGET", "a\0"s, "a"}), "[\"1\\r\\n\", \"2\"]");
  EXPECT_EQ(c_.CmdArgv({"SET", "", ""}), "OK");
  EXPECT_EQ(c_.CmdArgv({"GET", ""}), "\"\"");
}

TEST_F(StringsIT, LargeValue) {
  std::mt19937 rng(static_cast<uint32_t>(TestSeed()));
  std::string big(3 << 20, '\0');
  for (char& ch : big) ch = static_cast<char>(rng());
  EXPECT_EQ(c_.CmdArgv({"SET", "big", big}), "OK");
  auto r = c_.Raw({"GET", "big"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, REDIS_REPLY_STRING);
  EXPECT_TRUE(std::string(r->str, r->len) == big);
  EXPECT_EQ(c_.CmdArgv({"SETRANGE", "big", "536870912", "x"}),
            "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)");
}

TEST_F(StringsIT, ExpiryOptionsTakeEffect) {
  EXPECT_EQ(c_.Cmd("SET", "px", "v", "PX", "40"), "OK");
  EXPECT_EQ(c_.Cmd("PSETEX", "ps", "40", "v"), "OK");
  EXPECT_EQ(c_.Cmd("SET", "g", "v"), "OK");
  EXPECT_EQ(c_.Cmd("GETEX", "g", "PX", "40"), "\"v\"");
  EXPECT_TRUE(WaitUntil([&] { return c_.Cmd("EXISTS", "px", "ps", "g") == "(integer) 0"; }));
  EXPECT_EQ(c_.Cmd("GET", "px"), "(nil)");

  // PERSIST and KEEPTTL.
  EXPECT_EQ(c_.Cmd("SET", "p", "v", "PX", "40"), "OK");
  EXPECT_EQ(c_.Cmd("GETEX", "p", "PERSIST"), "\"v\"");
  EXPECT_EQ(c_.Cmd("TTL", "p"), "(integer) -1");
  EXPECT_EQ(c_.Cmd("SET", "kt", "v", "EX", "1000"), "OK");
  EXPECT_EQ(c_.Cmd("SET", "kt", "w", "KEEPTTL"), "OK");
  EXPECT_EQ(c_.Cmd("TTL", "kt"), "(integer) 1000");
  // An absolute time in the past removes the key at once.
  EXPECT_EQ(c_.Cmd("SET", "old", "v", "PXAT", "1"), "OK");
  EXPECT_EQ(c_.Cmd("EXISTS", "old"), "(integer) 0");
}

TEST_F(StringsIT, CountersAreAtomicAcrossClients) {
  constexpr int kClients = 4, kIncrs = 300;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kClients; t++) {
    threads.emplace_back([&] {
      RedisConn c = server_->Client();
      for (int i = 0; i < kIncrs; i++) {
        if (c.Cmd("INCR", "counter").rfind("(integer)", 0) != 0) errors++;
        if (c.Cmd("APPEND", "log", "x").rfind("(integer)", 0) != 0) errors++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(c_.Cmd("GET", "counter"), "\"" + std::to_string(kClients * kIncrs) + "\"");
  EXPECT_EQ(c_.Cmd("STRLEN", "log"), "(integer) " + std::to_string(kClients * kIncrs));
}

TEST_F(StringsIT, AcknowledgedWritesSurviveSigkill) {
  EXPECT_EQ(c_.Cmd("MSET", "m1", "a", "m2", "b", "m3", "c"), "OK");
  EXPECT_EQ(c_.Cmd("INCRBY", "n", "41"), "(integer) 41");
  EXPECT_EQ(c_.Cmd("APPEND", "s", "hello"), "(integer) 5");
  EXPECT_EQ(c_.Cmd("SETRANGE", "s", "5", " world"), "(integer) 11");
  EXPECT_EQ(c_.Cmd("SET", "t", "v", "EX", "1000"), "OK");
  EXPECT_EQ(c_.Cmd("INCRBYFLOAT", "f", "1.25"), "\"1.25\"");
  server_->Kill(SIGKILL);
  ASSERT_TRUE(server_->Start());
  c_ = server_->Client();
  EXPECT_EQ(c_.Cmd("MGET", "m1", "m2", "m3"), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(c_.Cmd("GET", "n"), "\"41\"");
  EXPECT_EQ(c_.Cmd("GET", "s"), "\"hello world\"");
  EXPECT_EQ(c_.Cmd("GET", "f"), "\"1.25\"");
  const std::string ttl = c_.Cmd("TTL", "t");
  // The expiry is absolute, so only the restart's duration has passed.
  ASSERT_EQ(ttl.rfind("(integer) ", 0), 0u) << ttl;
  const long long secs = std::atoll(ttl.c_str() + 10);
  EXPECT_TRUE(secs > 900 && secs <= 1000) << ttl;
}

TEST_F(StringsIT, RedisCli) {
  EXPECT_EQ(Cli("SET greeting hello"), "OK\n");
  EXPECT_EQ(Cli("GET greeting"), "hello\n");
  EXPECT_EQ(Cli("INCR visits"), "1\n");
  EXPECT_EQ(Cli("--no-raw INCR visits"), "(integer) 2\n");
  // -x sends stdin (here with NUL, CR and LF) as the last argument.
  EXPECT_EQ(RunCommand("printf 'a\\000b\\r\\nc' | redis-cli -p " + std::to_string(server_->port()) +
                       " -x SET bin"),
            "OK\n");
  EXPECT_EQ(Cli("STRLEN bin"), "6\n");
  EXPECT_EQ(Cli("--no-raw GET bin"), "\"a\\x00b\\r\\nc\"\n");
  EXPECT_EQ(Cli("--no-raw MGET greeting nope"), "1) \"hello\"\n2) (nil)\n");
  EXPECT_EQ(Cli("--no-raw INCR greeting"), "(error) ERR value is not an integer or out of range\n");
}

// ---- Comparison with a real redis-server ----------------------------------

class StringsVsRedis : public StringsIT {
 protected:
  void SetUp() override {
    StringsIT::SetUp();
    if (HasFatalFailure()) return;
    if (!ref_.available()) GTEST_SKIP() << ref_.binary() << " not installed";
    ASSERT_TRUE(ref_.Start());
    r_ = ref_.Client();
    ASSERT_TRUE(r_.ok()) << r_.error();
  }
  // Runs args on both servers and expects the same reply.
  void Same(const std::vector<std::string>& args) {
    const ReplyPair p = RunBoth(c_, r_, args);
    EXPECT_EQ(p.walnut, p.redis) << "command: " << ShowArgs(args);
  }
  RedisReference ref_;
  RedisConn r_;
};

TEST_F(StringsVsRedis, FixedSequences) {
  const std::vector<std::vector<std::string>> cmds = {
      {"SET", "k", "v"},
      {"SET", "k", "v", "NX", "GET"},
      {"SET", "k", "w", "XX", "GET"},
      {"SET", "k", "w", "xx", "nx"},
      {"SET", "k", "v", "EX", "10", "PX", "10"},
      {"SET", "k", "v", "KEEPTTL", "EX", "10"},
      {"SET", "k", "v", "EX"},
      {"SET", "k", "v", "EX", "x"},
      {"SET", "k", "v", "EX", "-1"},
      {"SET", "k", "v", "EX", "9223372036854775807"},
      {"SET", "k", "v", "PX", "9223372036854775807"},
      {"SET", "k", "v", "PXAT", "0"},
      {"SET", "k", "v", "GET", "GET"},
      {"SET", "k", "v", "PERSIST"},
      {"SET", "k", "v", "EX", "100", "EX", "200"},
      {"TTL", "k"},
      {"SET", "k", "v2", "KEEPTTL"},
      {"TTL", "k"},
      {"SET", "gone", "v", "PXAT", "1", "GET"},
      {"GET", "gone"},
      {"SETNX", "k", "x"},
      {"SETNX", "k2", "x"},
      {"SETEX", "k3", "0", "v"},
      {"SETEX", "k3", "abc", "v"},
      {"SETEX", "k3", "100", "v"},
      {"PSETEX", "k3", "-5", "v"},
      {"GETSET", "k3", "new"},
      {"TTL", "k3"},
      {"GETDEL", "k3"},
      {"GETDEL", "k3"},
      {"GETEX", "nope", "EX", "abc"},
      {"GETEX", "k", "EX", "abc"},
      {"GETEX", "k", "EX", "0"},
      {"GETEX", "k", "PERSIST", "PX", "5"},
      {"GETEX", "k", "NX"},
      {"GETEX", "k", "EX", "500"},
      {"TTL", "k"},
      {"GETEX", "k", "PERSIST"},
      {"TTL", "k"},
      {"GETEX", "k", "PXAT", "1"},
      {"EXISTS", "k"},
      {"MSET", "a", "1", "b", "2", "c"},
      {"MSET", "a", "1", "b", "2", "a", "3"},
      {"MGET", "a", "b", "zz", "a"},
      {"MSETNX", "a", "1", "new", "2"},
      {"MSETNX", "new", "1", "new2", "2"},
      {"MSETNX", "x"},
      {"MGET", "new", "new2"},
      {"APPEND", "ap", "abc"},
      {"APPEND", "ap", ""},
      {"STRLEN", "ap"},
      {"STRLEN", "nope"},
      {"SET", "r", "This is a string"},
      {"GETRANGE", "r", "0", "3"},
      {"GETRANGE", "r", "-3", "-1"},
      {"GETRANGE", "r", "-1", "-3"},
      {"GETRANGE", "r", "5", "2"},
      {"GETRANGE", "r", "-100", "100"},
      {"GETRANGE", "r", "0", "-100"},
      {"GETRANGE", "r", "x", "1"},
      {"GETRANGE", "nope", "0", "-1"},
      {"SUBSTR", "r", "1", "3"},
      {"SETRANGE", "r", "10", "STRING"},
      {"SETRANGE", "r", "20", "tail"},
      {"GET", "r"},
      {"SETRANGE", "r", "-1", "x"},
      {"SETRANGE", "r", "0", ""},
      {"SETRANGE", "nope", "5", ""},
      {"EXISTS", "nope"},
      {"SETRANGE", "r", "536870911", "xy"},
      {"SETRANGE", "fresh", "3", "abc"},
      {"GET", "fresh"},
      {"INCR", "n"},
      {"INCRBY", "n", "-10"},
      {"DECR", "n"},
      {"DECRBY", "n", "5"},
      {"DECRBY", "n", "-9223372036854775808"},
      {"INCRBY", "n", "9223372036854775807"},
      {"INCRBY", "n", "1"},
      {"SET", "n", "9223372036854775807"},
      {"INCR", "n"},
      {"SET", "n", "-9223372036854775808"},
      {"DECR", "n"},
      {"INCRBY", "n", "x"},
      {"SET", "bad", " 12"},
      {"INCR", "bad"},
      {"SET", "bad", "012"},
      {"DECR", "bad"},
      {"SET", "bad", "1.5"},
      {"INCR", "bad"},
      {"INCRBYFLOAT", "bad", "1.5"},
      {"INCRBYFLOAT", "fl", "10.5"},
      {"INCRBYFLOAT", "fl", "0.1"},
      {"INCRBYFLOAT", "fl", "-5"},
      {"INCRBYFLOAT", "fl", "2.0e2"},
      {"INCRBYFLOAT", "fl", "1e-5"},
      {"INCRBYFLOAT", "fl", "abc"},
      {"INCRBYFLOAT", "fl", "nan"},
      {"INCRBYFLOAT", "fl", "inf"},
      {"INCRBYFLOAT", "fl", "-inf"},
      {"INCRBYFLOAT", "fl", " 1"},
      {"INCRBYFLOAT", "fl", "0x10"},
      {"INCRBYFLOAT", "big", "1e300"},
      {"INCRBYFLOAT", "big", "1e308"},
      {"SET", "i", "5"},
      {"INCRBYFLOAT", "i", "5"},
      {"MSET", "key1", "ohmytext", "key2", "mynewtext"},
      {"LCS", "key1", "key2"},
      {"LCS", "key1", "key2", "LEN"},
      {"LCS", "key1", "key2", "IDX"},
      {"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"},
      {"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-4", "WITHMATCHLEN"},
      {"LCS", "key1", "key2", "IDX", "LEN"},
      {"LCS", "key1", "key2", "MINMATCHLEN"},
      {"LCS", "key1", "key2", "MINMATCHLEN", "x"},
      {"LCS", "key1", "key2", "BOGUS"},
      {"LCS", "key1", "nope", "IDX", "WITHMATCHLEN"},
      {"LCS", "nope", "nope"},
      // The quadratic table would exceed proto-max-bulk-len: refused.
      {"SET", "la", std::string(12000, 'a')},
      {"SET", "lb", std::string(12000, 'a')},
      {"LCS", "la", "lb", "LEN"},
      {"LCS", "la", "key1", "LEN"},
      {"SET", "e1", "12345"},
      {"SET", "e2", "hello"},
      {"SET", "e3", std::string(44, 'x')},
      {"SET", "e4", std::string(45, 'x')},
      {"SET", "e5", "-9223372036854775808"},
      {"SET", "e6", "007"},
      {"OBJECT", "ENCODING", "e1"},
      {"OBJECT", "ENCODING", "e2"},
      {"OBJECT", "ENCODING", "e3"},
      {"OBJECT", "ENCODING", "e4"},
      {"OBJECT", "ENCODING", "e5"},
      {"OBJECT", "ENCODING", "e6"},
      {"OBJECT", "REFCOUNT", "e1"},
      {"OBJECT", "REFCOUNT", "e2"},
      {"SET", "small", "42"},
      {"OBJECT", "REFCOUNT", "small"},
      {"INCR", "cnt"},
      {"OBJECT", "ENCODING", "cnt"},
      // Inside a transaction later commands see earlier ones' writes.
      {"MULTI"},
      {"SET", "t", "1"},
      {"INCR", "t"},
      {"APPEND", "t", "x"},
      {"GETRANGE", "t", "0", "0"},
      {"INCR", "t"},
      {"MSET", "t2", "a", "t3", "b"},
      {"MGET", "t", "t2", "t3"},
      {"GETDEL", "t2"},
      {"EXEC"},
      {"MGET", "t", "t2", "t3"},
  };
  for (const auto& c : cmds) Same(c);
}

// The same replies in RESP3 (HELLO 3), where nil is a RESP3 null and LCS IDX
// a map.
TEST_F(StringsVsRedis, Resp3Replies) {
  const std::vector<std::string> cmds = {
      "MSET key1 ohmytext key2 mynewtext",
      "LCS key1 key2 IDX",
      "LCS key1 key2 IDX WITHMATCHLEN MINMATCHLEN 2",
      "LCS key1 key2",
      "LCS key1 key2 LEN",
      "GET nope",
      "MGET key1 nope",
      "SET nope v GET",
      "SET nope w GET",
      "SET nope w NX",
      "GETDEL nope",
      "GETEX nope",
      "GETSET nope v",
      "INCRBYFLOAT f 1.5",
      "SETNX key1 x",
      "MSETNX key1 x",
      "GETRANGE key1 0 2",
      "SET x y PX 0",
  };
  for (const auto& cmd : cmds) {
    EXPECT_EQ(CliResp3(server_->port(), cmd), CliResp3(ref_.port(), cmd)) << "command: " << cmd;
  }
}

// A seeded random walk over the string commands with valid and invalid
// arguments, small key and value pools (so commands collide), compared reply
// for reply. Expiry times are long (>= 100 s) so that no key expires during
// the run; TTLs are compared with a one-second tolerance as the two servers
// see slightly different "now".
TEST_F(StringsVsRedis, RandomSequence) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with WALNUT_TEST_SEED)");
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> keys = {"a", "b", "c", "n", "f", "bin\0k"s, ""};
  const std::vector<std::string> values = {"",
                                           "0",
                                           "1",
                                           "-7",
                                           "10",
                                           "abc",
                                           "3.5",
                                           "9223372036854775807",
                                           "-9223372036854775808",
                                           "a\0b"s,
                                           "x\r\ny",
                                           "007",
                                           " 5",
                                           "1e3",
                                           std::string(50, 'z')};
  const std::vector<std::string> ints = {"0",
                                         "1",
                                         "-1",
                                         "5",
                                         "17",
                                         "-20",
                                         "100",
                                         "x",
                                         "",
                                         "1.5",
                                         "9223372036854775807",
                                         "-9223372036854775808",
                                         "2147483648"};
  const std::vector<std::string> floats = {"1.5", "-0.25", "1e3", "abc",
                                           "inf", "3",     "0.1", "-3.5e2"};
  const std::vector<std::string> expire_opts = {"EX", "PX", "EXAT", "PXAT"};
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  auto expire_value = [&](const std::string& opt) -> std::string {
    switch (rng() % 8) {
      case 0:
        return "0";
      case 1:
        return "-5";
      case 2:
        return "abc";
      default:
        break;
    }
    if (opt == "EX") return std::to_string(100 + rng() % 1000);
    if (opt == "PX") return std::to_string(100000 + rng() % 1000000);
    if (opt == "EXAT") return std::to_string(now_s + 100 + static_cast<int64_t>(rng() % 1000));
    return std::to_string((now_s + 100 + static_cast<int64_t>(rng() % 1000)) * 1000);
  };
  std::vector<std::string> history;  // for failure messages
  const int steps = 1500;
  for (int step = 0; step < steps; step++) {
    std::vector<std::string> cmd;
    const std::string k = pick(keys);
    switch (rng() % 22) {
      case 0:
      case 1: {
        cmd = {"SET", k, pick(values)};
        const int nopts = static_cast<int>(rng() % 3);
        for (int i = 0; i < nopts; i++) {
          switch (rng() % 6) {
            case 0:
              cmd.push_back("NX");
              break;
            case 1:
              cmd.push_back("XX");
              break;
            case 2:
              cmd.push_back("GET");
              break;
            case 3:
              cmd.push_back("KEEPTTL");
              break;
            default: {
              const std::string o = pick(expire_opts);
              cmd.push_back(o);
              cmd.push_back(expire_value(o));
            }
          }
        }
        break;
      }
      case 2:
        cmd = {"GET", k};
        break;
      case 3:
        cmd = {"GETSET", k, pick(values)};
        break;
      case 4:
        cmd = {"GETDEL", k};
        break;
      case 5: {
        cmd = {"GETEX", k};
        if (rng() % 3 == 0) {
          cmd.push_back("PERSIST");
        } else if (rng() % 2) {
          const std::string o = pick(expire_opts);
          cmd.push_back(o);
          cmd.push_back(expire_value(o));
        }
        break;
      }
      case 6:
        cmd = {"SETNX", k, pick(values)};
        break;
      case 7:
        cmd = {rng() % 2 ? "SETEX" : "PSETEX", k, expire_value(rng() % 2 ? "EX" : "PX"),
               pick(values)};
        break;
      case 8:
        cmd = {"MGET", k, pick(keys), pick(keys)};
        break;
      case 9: {
        cmd = {rng() % 3 ? "MSET" : "MSETNX"};
        const int pairs = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < pairs; i++) {
          cmd.push_back(pick(keys));
          cmd.push_back(pick(values));
        }
        if (rng() % 10 == 0) cmd.pop_back();  // odd count: arity error
        break;
      }
      case 10:
        cmd = {"APPEND", k, pick(values)};
        break;
      case 11:
        cmd = {"STRLEN", k};
        break;
      case 12:
        cmd = {rng() % 4 ? "GETRANGE" : "SUBSTR", k, pick(ints), pick(ints)};
        break;
      case 13:
        cmd = {"SETRANGE", k, std::to_string(static_cast<int>(rng() % 12) - 1), pick(values)};
        break;
      case 14:
        cmd = {rng() % 2 ? "INCR" : "DECR", k};
        break;
      case 15:
        cmd = {rng() % 2 ? "INCRBY" : "DECRBY", k, pick(ints)};
        break;
      case 16:
        cmd = {"INCRBYFLOAT", k, pick(floats)};
        break;
      case 17: {
        cmd = {"LCS", k, pick(keys)};
        const int nopts = static_cast<int>(rng() % 3);
        for (int i = 0; i < nopts; i++) {
          switch (rng() % 4) {
            case 0:
              cmd.push_back("LEN");
              break;
            case 1:
              cmd.push_back("IDX");
              break;
            case 2:
              cmd.push_back("WITHMATCHLEN");
              break;
            default:
              cmd.push_back("MINMATCHLEN");
              cmd.push_back(pick(ints));
          }
        }
        break;
      }
      case 18:
        cmd = {"TTL", k};
        break;
      case 19:
        cmd = {"EXISTS", k, pick(keys)};
        break;
      case 20:
        cmd = {"DEL", k};
        break;
      default:
        cmd = {"TYPE", k};
        break;
    }
    const ReplyPair p = RunBoth(c_, r_, cmd);
    history.push_back(ShowArgs(cmd) + " -> " + p.redis);
    if (history.size() > 40) history.erase(history.begin());
    if (cmd[0] == "TTL" && p.walnut != p.redis) {
      // Same class (-2, -1 or a time) and within a second.
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
  // The final state agrees too.
  for (const auto& k : keys) Same({"GET", k});
}

}  // namespace
}  // namespace walnut::test
