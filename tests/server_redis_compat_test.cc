// Compares walnut-server with a real redis-server (Debian's, started on a
// free port with no persistence) reply for reply, for sequences of the
// server's own commands: connection handling, errors, transactions and WATCH
// across two connections, CLIENT, HELLO, SELECT, COMMAND GETKEYS, FUNCTION.
// The string and key families have their own comparison suites.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "redis_reference.h"
#include "server_raw_client.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

struct Step {
  int conn;  // which of the two connections sends it
  std::vector<std::string> args;
};

struct Sequence {
  const char* name;
  std::vector<Step> steps;
};

const std::vector<Sequence>& Sequences() {
  static const std::vector<Sequence> kSeqs = {
      {"ping-echo",
       {{0, {"PING"}},
        {0, {"PING", "hello"}},
        {0, {"PING", "a", "b"}},
        {0, {"ECHO", "x y"}},
        {0, {"ECHO"}},
        {0, {"ECHO", std::string("bin\0ary", 7)}}}},
      {"unknown-and-arity",
       {{0, {"NOSUCH"}},
        {0, {"nosuch", "a", "b", "c"}},
        {0, {"NOSUCH", std::string(300, 'a'), "b"}},
        {0, {"GET"}},
        {0, {"SET", "k"}},
        {0, {"SELECT"}},
        {0, {"CLIENT"}},
        {0, {"CLIENT", "BOGUS"}},
        {0, {"CONFIG", "BOGUS"}},
        {0, {"CLIENT", "GETNAME", "extra"}}}},
      {"select",
       {{0, {"SELECT", "1"}},
        {0, {"SET", "k", "in1"}},
        {0, {"SELECT", "0"}},
        {0, {"GET", "k"}},
        {0, {"SELECT", "16"}},
        {0, {"SELECT", "-1"}},
        {0, {"SELECT", "abc"}},
        {0, {"SELECT", "99999999999999999999"}},
        {0, {"SELECT", "1"}},
        {0, {"GET", "k"}}}},
      {"multi-exec",
       {{0, {"MULTI"}},
        {0, {"SET", "a", "1"}},
        {0, {"INCR", "a"}},
        {0, {"INCR", "notnum"}},
        {0, {"GET", "a"}},
        {0, {"EXEC"}},
        {0, {"EXEC"}},
        {0, {"DISCARD"}},
        {0, {"MULTI"}},
        {0, {"MULTI"}},
        {0, {"WATCH", "a"}},
        {0, {"PING"}},
        {0, {"EXEC"}}}},
      {"execabort",
       {{0, {"MULTI"}},
        {0, {"SET", "a", "1"}},
        {0, {"BADCMD"}},
        {0, {"EXEC"}},
        {0, {"GET", "a"}},
        {0, {"MULTI"}},
        {0, {"GET"}},
        {0, {"EXEC"}}}},
      {"multi-runtime-errors",
       {{0, {"SET", "s", "text"}},
        {0, {"MULTI"}},
        {0, {"INCR", "s"}},
        {0, {"APPEND", "s", "!"}},
        {0, {"GET", "s"}},
        {0, {"EXEC"}}}},
      {"discard", {{0, {"MULTI"}}, {0, {"SET", "d", "1"}}, {0, {"DISCARD"}}, {0, {"GET", "d"}}}},
      {"watch-dirty",
       {{0, {"SET", "w", "1"}},
        {0, {"WATCH", "w"}},
        {1, {"SET", "w", "2"}},
        {0, {"MULTI"}},
        {0, {"SET", "w", "3"}},
        {0, {"EXEC"}},
        {0, {"GET", "w"}}}},
      {"watch-clean",
       {{0, {"WATCH", "w", "v"}},
        {1, {"SET", "other", "1"}},
        {0, {"MULTI"}},
        {0, {"SET", "w", "3"}},
        {0, {"EXEC"}},
        {0, {"GET", "w"}}}},
      {"watch-unwatch",
       {{0, {"WATCH", "w"}},
        {1, {"SET", "w", "2"}},
        {0, {"UNWATCH"}},
        {0, {"MULTI"}},
        {0, {"GET", "w"}},
        {0, {"EXEC"}}}},
      {"watch-del-missing",
       {{0, {"WATCH", "nokey"}},
        {1, {"DEL", "nokey"}},
        {0, {"MULTI"}},
        {0, {"PING"}},
        {0, {"EXEC"}}}},
      {"watch-expire",
       {{0, {"SET", "e", "1"}},
        {0, {"WATCH", "e"}},
        {1, {"EXPIRE", "e", "100"}},
        {0, {"MULTI"}},
        {0, {"PING"}},
        {0, {"EXEC"}}}},
      {"watch-flushdb",
       {{0, {"SET", "f", "1"}},
        {0, {"WATCH", "f", "missing"}},
        {1, {"FLUSHDB"}},
        {0, {"MULTI"}},
        {0, {"PING"}},
        {0, {"EXEC"}}}},
      {"watch-flushall-missing",
       {{0, {"WATCH", "missing"}},
        {1, {"FLUSHALL"}},
        {0, {"MULTI"}},
        {0, {"PING"}},
        {0, {"EXEC"}}}},
      {"watch-other-db",
       {{0, {"WATCH", "k"}},
        {1, {"SELECT", "1"}},
        {1, {"SET", "k", "1"}},
        {0, {"MULTI"}},
        {0, {"PING"}},
        {0, {"EXEC"}}}},
      {"watch-swapdb",
       {{1, {"SELECT", "1"}},
        {1, {"SET", "sw", "1"}},
        {0, {"WATCH", "sw"}},
        {1, {"SWAPDB", "0", "1"}},
        {0, {"MULTI"}},
        {0, {"GET", "sw"}},
        {0, {"EXEC"}}}},
      {"multi-select",
       {{0, {"MULTI"}},
        {0, {"SELECT", "3"}},
        {0, {"SET", "x", "1"}},
        {0, {"EXEC"}},
        {0, {"GET", "x"}},
        {0, {"SELECT", "0"}},
        {0, {"GET", "x"}}}},
      {"client-names",
       {{0, {"CLIENT", "GETNAME"}},
        {0, {"CLIENT", "SETNAME", "a b"}},
        {0, {"CLIENT", "SETNAME", "a\nb"}},
        {0, {"CLIENT", "SETNAME", "good-name"}},
        {0, {"CLIENT", "GETNAME"}},
        {0, {"CLIENT", "SETNAME", ""}},
        {0, {"CLIENT", "GETNAME"}},
        {0, {"CLIENT", "KILL", "1.2.3.4:1"}},
        {0, {"CLIENT", "KILL", "ID", "999999"}},
        {0, {"CLIENT", "KILL", "ID", "0"}},
        {0, {"CLIENT", "KILL", "ID"}},
        {0, {"CLIENT", "KILL", "BOGUS", "x"}},
        {0, {"CLIENT", "REPLY", "MAYBE"}},
        {0, {"CLIENT", "NO-EVICT", "on"}},
        {0, {"CLIENT", "LIST", "TYPE", "bogus"}},
        {0, {"CLIENT", "LIST", "TYPE", "pubsub"}}}},
      {"hello-errors",
       {{0, {"HELLO", "4"}},
        {0, {"HELLO", "1"}},
        {0, {"HELLO", "abc"}},
        {0, {"HELLO", "2", "FOO"}},
        {0, {"HELLO", "2", "AUTH", "default"}},
        {0, {"HELLO", "2", "AUTH", "nobody", "x"}},
        {0, {"HELLO", "2", "SETNAME", "bad name"}}}},
      {"auth-without-password",
       {{0, {"AUTH", "x"}},
        {0, {"AUTH", "default", "x"}},
        {0, {"AUTH", "someone", "x"}},
        {0, {"AUTH", "a", "b", "c"}}}},
      {"reset",
       {{0, {"SELECT", "2"}},
        {0, {"CLIENT", "SETNAME", "n"}},
        {0, {"MULTI"}},
        {0, {"RESET"}},
        {0, {"CLIENT", "GETNAME"}},
        {0, {"EXEC"}},
        {0, {"SET", "r", "1"}},
        {0, {"SELECT", "2"}},
        {0, {"GET", "r"}}}},
      {"command-getkeys",
       {{0, {"COMMAND", "GETKEYS", "GET", "k"}},
        {0, {"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}},
        {0, {"COMMAND", "GETKEYS", "DEL", "a", "b", "c"}},
        {0, {"COMMAND", "GETKEYS", "PING"}},
        {0, {"COMMAND", "GETKEYS", "NOSUCH", "x"}},
        {0, {"COMMAND", "GETKEYS", "GET"}},
        {0, {"COMMAND", "INFO", "nosuchcommand"}}}},
      {"functions",
       {{0, {"FUNCTION", "LIST"}},
        {0, {"FUNCTION", "FLUSH"}},
        {0, {"FUNCTION", "FLUSH", "BOGUS"}},
        {0, {"FUNCTION"}}}},
      {"config-errors",
       {{0, {"CONFIG", "SET", "nosuch", "1"}},
        {0, {"CONFIG", "SET", "maxclients"}},
        {0, {"CONFIG", "GET"}},
        {0, {"CONFIG", "GET", "nosuch-param-*"}}}},
      {"debug-protocol-resp2",
       {{0, {"DEBUG", "PROTOCOL", "string"}},
        {0, {"DEBUG", "PROTOCOL", "integer"}},
        {0, {"DEBUG", "PROTOCOL", "double"}},
        {0, {"DEBUG", "PROTOCOL", "null"}},
        {0, {"DEBUG", "PROTOCOL", "array"}},
        {0, {"DEBUG", "PROTOCOL", "set"}},
        {0, {"DEBUG", "PROTOCOL", "map"}},
        {0, {"DEBUG", "PROTOCOL", "true"}},
        {0, {"DEBUG", "PROTOCOL", "false"}},
        {0, {"DEBUG", "PROTOCOL", "verbatim"}},
        {0, {"DEBUG", "PROTOCOL", "bignum"}},
        {0, {"DEBUG", "PROTOCOL", "bogus"}}}},
  };
  return kSeqs;
}

class ServerRedisCompatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    walnut_ = new ServerProcess({"--http-port", "0", "--enable-debug-command", "yes"});
    ASSERT_TRUE(walnut_->Start());
    redis_ = new RedisReference();
  }
  static void TearDownTestSuite() {
    delete walnut_;
    delete redis_;
    walnut_ = nullptr;
    redis_ = nullptr;
  }
  void SetUp() override {
    if (!redis_->available()) GTEST_SKIP() << "no redis-server at " << redis_->binary();
    if (!started_) {
      ASSERT_TRUE(redis_->Start());
      // Redis refuses DEBUG unless enabled; it is a start-up-only setting,
      // so the DEBUG PROTOCOL sequence is compared only if it is allowed.
      started_ = true;
    }
  }
  static ServerProcess* walnut_;
  static RedisReference* redis_;
  static bool started_;
};
ServerProcess* ServerRedisCompatTest::walnut_ = nullptr;
RedisReference* ServerRedisCompatTest::redis_ = nullptr;
bool ServerRedisCompatTest::started_ = false;

TEST_F(ServerRedisCompatTest, Sequences) {
  RedisConn probe = redis_->Client();
  bool redis_debug = probe.Cmd("DEBUG", "PROTOCOL", "string").rfind("(error)", 0) != 0;
  for (const Sequence& seq : Sequences()) {
    if (std::string(seq.name).rfind("debug", 0) == 0 && !redis_debug) continue;
    SCOPED_TRACE(seq.name);
    RedisConn w[2] = {walnut_->Client(), walnut_->Client()};
    RedisConn r[2] = {redis_->Client(), redis_->Client()};
    ASSERT_EQ(w[0].Cmd("FLUSHALL"), "OK");
    ASSERT_EQ(r[0].Cmd("FLUSHALL"), "OK");
    for (const Step& step : seq.steps) {
      ReplyPair p = RunBoth(w[step.conn], r[step.conn], step.args);
      EXPECT_EQ(p.walnut, p.redis) << seq.name << ": " << ShowArgs(step.args);
    }
  }
}

// A watched key that expires before EXEC (without anyone touching it).
TEST_F(ServerRedisCompatTest, WatchedKeyExpires) {
  RedisConn w = walnut_->Client(), r = redis_->Client();
  for (RedisConn* c : {&w, &r}) {
    ASSERT_EQ(c->Cmd("SET", "wexp", "1", "PX", "80"), "OK");
    ASSERT_EQ(c->Cmd("WATCH", "wexp"), "OK");
  }
  ASSERT_TRUE(WaitUntil([&] {
    return w.Cmd("PTTL", "wexp") == "(integer) -2" && r.Cmd("PTTL", "wexp") == "(integer) -2";
  }));
  for (const auto& args : std::vector<std::vector<std::string>>{{"MULTI"}, {"PING"}, {"EXEC"}}) {
    ReplyPair p = RunBoth(w, r, args);
    EXPECT_EQ(p.walnut, p.redis) << ShowArgs(args);
  }
}

// RESP3: after HELLO 3, the raw reply bytes of the server's own commands
// must equal Redis's (hiredis here speaks only RESP2, so this compares the
// byte streams of a pipeline ending in a PING sentinel).
TEST_F(ServerRedisCompatTest, Resp3RawBytes) {
  std::string req;
  for (const auto& args : std::vector<std::vector<std::string>>{{"GET", "missing"},
                                                                {"CLIENT", "GETNAME"},
                                                                {"CLIENT", "SETNAME", "r3"},
                                                                {"CLIENT", "GETNAME"},
                                                                {"CONFIG", "GET", "maxclients"},
                                                                {"MULTI"},
                                                                {"SET", "k", "v"},
                                                                {"GET", "nokey"},
                                                                {"EXEC"},
                                                                {"MULTI"},
                                                                {"EXEC"},
                                                                {"WATCH", "k"},
                                                                {"FUNCTION", "LIST"},
                                                                {"COMMAND", "INFO", "nosuch"},
                                                                {"SELECT", "99"},
                                                                {"NOSUCH", "x"},
                                                                {"PING", "sentinel"}}) {
    req += "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  auto run = [&](int port) {
    RawClient c(port);
    EXPECT_TRUE(c.Send("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"));
    c.ReadUntil("modules\r\n*0\r\n");
    c.Take();
    EXPECT_TRUE(c.Send("*1\r\n$8\r\nFLUSHALL\r\n"));
    c.ReadUntil("+OK\r\n");
    c.Take();
    EXPECT_TRUE(c.Send(req));
    return c.ReadUntil("sentinel\r\n");
  };
  std::string ours = run(walnut_->port()), theirs = run(redis_->port());
  EXPECT_NE(theirs.find("$8\r\nsentinel\r\n"), std::string::npos) << theirs;
  EXPECT_EQ(ours, theirs);
}

}  // namespace
}  // namespace walnut::test
