// Black-box tests of MULTI/EXEC/DISCARD/WATCH/UNWATCH against the real
// walnut-server: queuing, EXECABORT after a queuing error, runtime errors
// inside EXEC, WATCH invalidation by other clients / FLUSHDB / SWAPDB, and
// that a transaction's writes survive a crash together.
#include <gtest/gtest.h>

#include <string>

#include "support/server_process.h"

namespace walnut::test {
namespace {

class ServerTransactionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // DEBUG SLEEP: ExecRunsAtOneTime.
    server_ = new ServerProcess({"--http-port", "0", "--enable-debug-command", "yes"});
    ASSERT_TRUE(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    RedisConn c = server_->Client();
    ASSERT_EQ(c.Cmd("FLUSHALL"), "OK");
  }
  static ServerProcess* server_;
};
ServerProcess* ServerTransactionsTest::server_ = nullptr;

TEST_F(ServerTransactionsTest, QueueAndExec) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SET", "a", "1"), "QUEUED");
  EXPECT_EQ(c.Cmd("INCR", "a"), "QUEUED");
  EXPECT_EQ(c.Cmd("GET", "a"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "[OK, (integer) 2, \"2\"]");
  EXPECT_EQ(c.Cmd("GET", "a"), "\"2\"");
}

TEST_F(ServerTransactionsTest, EmptyExec) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("EXEC"), "[]");
}

TEST_F(ServerTransactionsTest, ErrorsOutsideMulti) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("EXEC"), "(error) ERR EXEC without MULTI");
  EXPECT_EQ(c.Cmd("DISCARD"), "(error) ERR DISCARD without MULTI");
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("MULTI"), "(error) ERR MULTI calls can not be nested");
  EXPECT_EQ(c.Cmd("WATCH", "x"), "(error) ERR WATCH inside MULTI is not allowed");
  // Neither of those doomed the transaction.
  EXPECT_EQ(c.Cmd("SET", "k", "v"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "[OK]");
}

TEST_F(ServerTransactionsTest, QueuingErrorAbortsExec) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SET", "a", "1"), "QUEUED");
  EXPECT_EQ(c.Cmd("NOSUCHCMD", "x"),
            "(error) ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ");
  EXPECT_EQ(c.Cmd("GET"), "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(c.Cmd("EXEC"), "(error) EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(c.Cmd("GET", "a"), "(nil)");
  // The client is out of MULTI afterwards.
  EXPECT_EQ(c.Cmd("EXEC"), "(error) ERR EXEC without MULTI");
}

TEST_F(ServerTransactionsTest, RuntimeErrorDoesNotStopOthers) {
  RedisConn c = server_->Client();
  ASSERT_EQ(c.Cmd("SET", "s", "notanumber"), "OK");
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("INCR", "s"), "QUEUED");
  EXPECT_EQ(c.Cmd("SET", "t", "1"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "[(error) ERR value is not an integer or out of range, OK]");
  EXPECT_EQ(c.Cmd("GET", "t"), "\"1\"");
}

TEST_F(ServerTransactionsTest, Discard) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SET", "d", "1"), "QUEUED");
  EXPECT_EQ(c.Cmd("DISCARD"), "OK");
  EXPECT_EQ(c.Cmd("GET", "d"), "(nil)");
}

TEST_F(ServerTransactionsTest, WatchedKeyChangedByOtherClientFailsExec) {
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  ASSERT_EQ(a.Cmd("SET", "w", "1"), "OK");
  EXPECT_EQ(a.Cmd("WATCH", "w"), "OK");
  EXPECT_EQ(b.Cmd("SET", "w", "2"), "OK");
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("SET", "w", "3"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "(nil)");
  EXPECT_EQ(a.Cmd("GET", "w"), "\"2\"");
  // EXEC unwatched everything: the next transaction goes through.
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("SET", "w", "4"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "[OK]");
}

TEST_F(ServerTransactionsTest, WatchUntouchedKeySucceeds) {
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  EXPECT_EQ(a.Cmd("WATCH", "x", "y"), "OK");
  EXPECT_EQ(b.Cmd("SET", "z", "1"), "OK");
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("SET", "x", "1"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "[OK]");
}

TEST_F(ServerTransactionsTest, UnwatchForgetsChanges) {
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  EXPECT_EQ(a.Cmd("WATCH", "u"), "OK");
  EXPECT_EQ(b.Cmd("SET", "u", "1"), "OK");
  EXPECT_EQ(a.Cmd("UNWATCH"), "OK");
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("GET", "u"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "[\"1\"]");
}

TEST_F(ServerTransactionsTest, WatchInOtherDatabaseIsIndependent) {
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  EXPECT_EQ(a.Cmd("WATCH", "k"), "OK");  // db 0
  EXPECT_EQ(b.Cmd("SELECT", "1"), "OK");
  EXPECT_EQ(b.Cmd("SET", "k", "1"), "OK");  // db 1
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("PING"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "[PONG]");
}

TEST_F(ServerTransactionsTest, FlushDbTouchesExistingWatchedKeys) {
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  ASSERT_EQ(a.Cmd("SET", "f", "1"), "OK");
  EXPECT_EQ(a.Cmd("WATCH", "f"), "OK");
  EXPECT_EQ(b.Cmd("FLUSHDB"), "OK");
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("PING"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "(nil)");
}

TEST_F(ServerTransactionsTest, FlushOfMissingWatchedKeyDoesNotTouch) {
  // Redis marks only keys that existed; a watch on a missing key survives.
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  EXPECT_EQ(a.Cmd("WATCH", "missing"), "OK");
  EXPECT_EQ(b.Cmd("FLUSHALL"), "OK");
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("PING"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "[PONG]");
}

TEST_F(ServerTransactionsTest, SwapDbTouchesWatchedKeys) {
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  EXPECT_EQ(b.Cmd("SELECT", "1"), "OK");
  ASSERT_EQ(b.Cmd("SET", "sw", "1"), "OK");
  EXPECT_EQ(a.Cmd("WATCH", "sw"), "OK");  // missing in db 0, present in db 1
  EXPECT_EQ(b.Cmd("SWAPDB", "0", "1"), "OK");
  EXPECT_EQ(a.Cmd("MULTI"), "OK");
  EXPECT_EQ(a.Cmd("GET", "sw"), "QUEUED");
  EXPECT_EQ(a.Cmd("EXEC"), "(nil)");
}

TEST_F(ServerTransactionsTest, WatchedKeyExpiringFailsExec) {
  RedisConn c = server_->Client();
  ASSERT_EQ(c.Cmd("SET", "exp", "1", "PX", "100"), "OK");
  EXPECT_EQ(c.Cmd("WATCH", "exp"), "OK");
  ASSERT_TRUE(WaitUntil([&] { return c.Cmd("EXISTS", "exp") == "(integer) 0"; }));
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("PING"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "(nil)");
  // A key already missing at WATCH time does not fail EXEC by being missing.
  EXPECT_EQ(c.Cmd("WATCH", "exp"), "OK");
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("PING"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "[PONG]");
}

// The commands of one EXEC run at one time, as in Redis: a key that
// expires while the transaction runs is still there for its later commands.
TEST_F(ServerTransactionsTest, ExecRunsAtOneTime) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SET", "k", "v", "PX", "20"), "QUEUED");
  EXPECT_EQ(c.Cmd("DEBUG", "SLEEP", "0.1"), "QUEUED");
  EXPECT_EQ(c.Cmd("GET", "k"), "QUEUED");
  EXPECT_EQ(c.Cmd("PTTL", "k"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "[OK, OK, \"v\", (integer) 20]");
  // Outside the transaction the 100 ms have passed.
  EXPECT_EQ(c.Cmd("GET", "k"), "(nil)");
}

TEST_F(ServerTransactionsTest, SelectInsideTransaction) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SELECT", "2"), "QUEUED");
  EXPECT_EQ(c.Cmd("SET", "in2", "x"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "[OK, OK]");
  EXPECT_EQ(c.Cmd("GET", "in2"), "\"x\"");
  EXPECT_EQ(c.Cmd("SELECT", "0"), "OK");
  EXPECT_EQ(c.Cmd("GET", "in2"), "(nil)");
}

TEST_F(ServerTransactionsTest, NoMultiCommandsAreRejectedAndAbort) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SAVE"), "(error) ERR Command not allowed inside a transaction");
  EXPECT_EQ(c.Cmd("EXEC"), "(error) EXECABORT Transaction discarded because of previous errors.");
}

TEST_F(ServerTransactionsTest, QueuedTransactionIsBounded) {
  RedisConn admin = server_->Client();
  ASSERT_EQ(admin.Cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb"), "OK");
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  std::string value(100000, 'q');
  int queued = 0;
  std::string last;
  for (int i = 0; i < 30; i++) {
    last = c.Cmd("SET", "q" + std::to_string(i), value);
    if (last != "QUEUED") break;
    queued++;
  }
  EXPECT_EQ(last.rfind("(no reply)", 0), 0u) << last;
  EXPECT_GE(queued, 9);
  EXPECT_LE(queued, 11);
  ASSERT_EQ(admin.Cmd("CONFIG", "SET", "client-query-buffer-limit", "1gb"), "OK");
  EXPECT_EQ(admin.Cmd("EXISTS", "q0"), "(integer) 0");
}

TEST_F(ServerTransactionsTest, ResetLeavesMulti) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SET", "r", "1"), "QUEUED");
  EXPECT_EQ(c.Cmd("RESET"), "RESET");
  EXPECT_EQ(c.Cmd("EXEC"), "(error) ERR EXEC without MULTI");
  EXPECT_EQ(c.Cmd("GET", "r"), "(nil)");
}

// Writes through the HTTP API mark WATCHed keys too (SharedState::
// on_key_written), and the RESP server's metrics appear on /metrics.
TEST(ServerTransactionsHttp, HttpWriteFailsWatchingExec) {
  ServerProcess server;  // with HTTP
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  ASSERT_EQ(c.Cmd("SET", "hw", "1"), "OK");
  ASSERT_EQ(c.Cmd("WATCH", "hw"), "OK");
  int rc = -1;
  std::string out = RunCommand(
      "curl -s -X POST -d '{\"key\": \"hw\", \"value\": \"2\"}' " + server.http_base() + "/set",
      &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_NE(out.find("\"success\":\"true\""), std::string::npos) << out;
  EXPECT_EQ(c.Cmd("MULTI"), "OK");
  EXPECT_EQ(c.Cmd("SET", "hw", "3"), "QUEUED");
  EXPECT_EQ(c.Cmd("EXEC"), "(nil)");
  EXPECT_EQ(c.Cmd("GET", "hw"), "\"2\"");
  std::string metrics = RunCommand("curl -s " + server.http_base() + "/metrics", &rc);
  EXPECT_NE(metrics.find("walnut_commands_processed_total "), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("walnut_command_duration_seconds_count{cmd=\"set\"}"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("walnut_connected_clients 1"), std::string::npos) << metrics;
}

// A transaction is one log record: after SIGKILL either all of its writes
// are there or none (here: all, since EXEC was acknowledged).
TEST(ServerTransactionsDurability, ExecSurvivesKillAsAWhole) {
  ServerProcess server({"--http-port", "0", "--fsync", "always"});
  ASSERT_TRUE(server.Start());
  {
    RedisConn c = server.Client();
    ASSERT_EQ(c.Cmd("MULTI"), "OK");
    for (int i = 0; i < 100; i++) {
      ASSERT_EQ(c.Cmd("SET", "tx:" + std::to_string(i), std::to_string(i)), "QUEUED");
    }
    std::string r = c.Cmd("EXEC");
    ASSERT_EQ(r.substr(0, 4), "[OK,");
  }
  server.Kill(SIGKILL);
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(c.Cmd("DBSIZE"), "(integer) 100");
  EXPECT_EQ(c.Cmd("GET", "tx:99"), "\"99\"");
  // One record for the whole EXEC in each partition (docs/partitions.md).
  std::string info = c.Cmd("INFO", "walnut");
  size_t at = info.find("walnut_partitions:");
  ASSERT_NE(at, std::string::npos) << info;
  std::string parts = info.substr(at + 18, info.find('\\', at) - at - 18);
  EXPECT_NE(info.find("walnut_recovery_records:" + parts + "\\r\\n"), std::string::npos) << info;
}

}  // namespace
}  // namespace walnut::test
