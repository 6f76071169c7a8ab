// What waits for the log's fdatasync in a real walnut-server with --fsync
// always, observed by slowing the sync down (DEBUG SET-SYNC-DELAY) or making
// it fail (DEBUG SET-SYNC-FAIL), both available only with
// --enable-debug-command:
//  - an HTTP GET /get of a value a RESP write just set does not answer
//    before the sync that makes that write durable has returned (the event
//    loop syncs outside exec_mu, so the HTTP thread can read the value while
//    the sync runs; it must wait for it, or a crash could take back what it
//    showed);
//  - a failed sync is never acknowledged: the writer's connection closes
//    without a reply, and later writes are refused while reads go on.
// "The write executed" is observed through GET /metrics
// (walnut_writes_total), which waits for no sync.
#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "server_raw_client.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

using Clock = std::chrono::steady_clock;

// One counter or gauge from GET /metrics; -1 if missing.
long long Metric(const ServerProcess& server, const std::string& name) {
  std::string text = RunCommand("curl -s --max-time 10 " + server.http_base() + "/metrics");
  size_t p = text.find("\n" + name + " ");
  if (p == std::string::npos) return -1;
  return std::stoll(text.substr(p + name.size() + 2));
}

std::string Resp(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out.append(a);
    out += "\r\n";
  }
  return out;
}

std::vector<std::string> AlwaysWithDebug() {
  return {"--fsync", "always", "--enable-debug-command", "yes"};
}

TEST(ServerSyncHooks, HttpReadOfAWriteWaitsForItsSync) {
  ServerProcess server(AlwaysWithDebug());
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  ASSERT_EQ(c.Cmd("SET", "k", "old"), "OK");
  const int delay_ms = 1000;
  ASSERT_EQ(c.Cmd("DEBUG", "SET-SYNC-DELAY", std::to_string(delay_ms)), "OK");

  RawClient a(server.port());
  ASSERT_TRUE(a.ok());
  const long long writes0 = Metric(server, "walnut_writes_total");
  const long long syncs0 = Metric(server, "walnut_syncs_total");
  ASSERT_GE(writes0, 1);
  ASSERT_GE(syncs0, 1);
  const auto sent = Clock::now();
  ASSERT_TRUE(a.Send(Resp({"SET", "k", "new"})));
  ASSERT_TRUE(WaitUntil([&] { return Metric(server, "walnut_writes_total") > writes0; }))
      << "the write never executed";
  // The SET has executed; its sync now takes about delay_ms. A read over
  // HTTP that sees it must not answer before that sync returned.
  std::string body = RunCommand("curl -s --max-time 30 '" + server.http_base() + "/get?key=k'");
  const auto read_at = Clock::now();
  const long long syncs_after_read = Metric(server, "walnut_syncs_total");
  EXPECT_NE(body.find("\"new\""), std::string::npos) << body;
  EXPECT_GT(syncs_after_read, syncs0) << "the HTTP read answered before the write's sync returned";
  EXPECT_GE(read_at - sent, std::chrono::milliseconds(delay_ms * 9 / 10));
  EXPECT_EQ(a.ReadUntil("\r\n", std::chrono::seconds(20)), "+OK\r\n");

  ASSERT_EQ(c.Cmd("DEBUG", "SET-SYNC-DELAY", "0"), "OK");
  server.Kill(SIGKILL);
  ASSERT_TRUE(server.Start());
  RedisConn d = server.Client();
  EXPECT_EQ(d.Cmd("GET", "k"), "\"new\"");
}

TEST(ServerSyncHooks, FailedSyncIsNeverAcknowledgedAndStopsWrites) {
  ServerProcess server(AlwaysWithDebug());
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  ASSERT_EQ(c.Cmd("SET", "kept", "v"), "OK");
  ASSERT_EQ(c.Cmd("DEBUG", "SET-SYNC-FAIL", "1"), "OK");
  // The loop closes the connection of a client whose write's sync failed,
  // without a reply (server.cc, FlushAndHandleFailure): never an OK.
  RedisConn w = server.Client();
  const std::string failed = w.Cmd("SET", "lost", "v");
  EXPECT_EQ(failed.rfind("(no reply)", 0), 0u) << failed;
  ASSERT_EQ(c.Cmd("DEBUG", "SET-SYNC-FAIL", "0"), "OK");
  // Sticky until restart: the log's state after a failed fdatasync is unknown.
  const std::string refused = c.Cmd("SET", "later", "v");
  EXPECT_EQ(refused.rfind("(error) ", 0), 0u) << refused;
  EXPECT_EQ(c.Cmd("GET", "kept"), "\"v\"");
  EXPECT_EQ(c.Cmd("GET", "later"), "(nil)");
  server.Kill(SIGKILL);
  ASSERT_TRUE(server.Start());
  RedisConn d = server.Client();
  EXPECT_EQ(d.Cmd("GET", "kept"), "\"v\"");
  EXPECT_EQ(d.Cmd("SET", "after", "restart"), "OK");
}

TEST(ServerSyncHooks, HooksCheckTheirArgumentAndNeedDebugEnabled) {
  {
    ServerProcess server(AlwaysWithDebug());
    ASSERT_TRUE(server.Start());
    RedisConn c = server.Client();
    EXPECT_EQ(c.Cmd("DEBUG", "SET-SYNC-DELAY", "soon").rfind("(error) ERR", 0), 0u);
    EXPECT_EQ(c.Cmd("DEBUG", "SET-SYNC-DELAY", "-1").rfind("(error) ERR", 0), 0u);
    EXPECT_EQ(c.Cmd("SET", "still", "fine"), "OK");
  }
  ServerProcess plain({"--fsync", "always"});
  ASSERT_TRUE(plain.Start());
  RedisConn c = plain.Client();
  EXPECT_EQ(c.Cmd("DEBUG", "SET-SYNC-FAIL", "1").rfind("(error) ERR", 0), 0u);
  EXPECT_EQ(c.Cmd("SET", "still", "fine"), "OK");
}

}  // namespace
}  // namespace walnut::test
