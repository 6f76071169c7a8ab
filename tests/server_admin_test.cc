// Black-box tests of the server's own commands: CLIENT (ID, names, LIST,
// INFO, KILL, REPLY), INFO fields, CONFIG GET/SET/RESETSTAT, COMMAND, TIME,
// SAVE/LASTSAVE, COMPACT/BGREWRITEAOF, WAITAOF, FUNCTION, DEBUG (gated by
// --enable-debug-command), SELECT and maxclients.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "engine/test_util.h"  // ThreadNices
#include "server_raw_client.h"
#include "support/server_process.h"

namespace walnut::test {
namespace {

class ServerAdminTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--http-port", "0", "--enable-debug-command", "yes"});
    ASSERT_TRUE(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static ServerProcess* server_;
};
ServerProcess* ServerAdminTest::server_ = nullptr;

// "field:value" from an INFO rendering (which shows CRLF as \r\n).
std::string InfoField(const std::string& info, const std::string& field) {
  size_t pos = info.find(field + ":");
  if (pos == std::string::npos) return "<missing>";
  pos += field.size() + 1;
  size_t end = info.find("\\r\\n", pos);
  return info.substr(pos, end - pos);
}

TEST_F(ServerAdminTest, ClientIdNameAndInfo) {
  RedisConn c = server_->Client();
  std::string id = c.Cmd("CLIENT", "ID");
  ASSERT_EQ(id.rfind("(integer) ", 0), 0u);
  id = id.substr(10);
  EXPECT_EQ(c.Cmd("CLIENT", "GETNAME"), "(nil)");
  EXPECT_EQ(c.Cmd("CLIENT", "SETNAME", "bad name"),
            "(error) ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(c.Cmd("CLIENT", "SETNAME", "worker-1"), "OK");
  EXPECT_EQ(c.Cmd("CLIENT", "GETNAME"), "\"worker-1\"");
  std::string info = c.Cmd("CLIENT", "INFO");
  EXPECT_NE(info.find("id=" + id + " addr=127.0.0.1:"), std::string::npos) << info;
  EXPECT_NE(info.find(" name=worker-1 "), std::string::npos) << info;
  EXPECT_NE(info.find(" db=0 "), std::string::npos) << info;
  EXPECT_NE(info.find(" cmd=client|info "), std::string::npos) << info;
  EXPECT_NE(info.find(" resp=2"), std::string::npos) << info;
}

TEST_F(ServerAdminTest, ClientListAndKill) {
  RedisConn a = server_->Client();
  RedisConn b = server_->Client();
  ASSERT_EQ(b.Cmd("CLIENT", "SETNAME", "victim"), "OK");
  std::string bid = b.Cmd("CLIENT", "ID").substr(10);
  std::string list = a.Cmd("CLIENT", "LIST");
  EXPECT_NE(list.find("id=" + bid + " "), std::string::npos) << list;
  EXPECT_NE(list.find("name=victim"), std::string::npos) << list;
  std::string only = a.Cmd("CLIENT", "LIST", "ID", bid);
  EXPECT_NE(only.find("name=victim"), std::string::npos) << only;
  EXPECT_EQ(only.find("cmd=client|list"), std::string::npos) << only;
  EXPECT_EQ(a.Cmd("CLIENT", "KILL", "ID", "999999"), "(integer) 0");
  EXPECT_EQ(a.Cmd("CLIENT", "KILL", "ID", bid), "(integer) 1");
  EXPECT_EQ(b.Cmd("PING").rfind("(no reply)", 0), 0u);
  EXPECT_EQ(a.Cmd("CLIENT", "KILL", "1.2.3.4:5"), "(error) ERR No such client");
  EXPECT_EQ(a.Cmd("CLIENT", "KILL", "ID", "0"), "(error) ERR client-id should be greater than 0");
  // SKIPME defaults to yes: killing by our own address spares us.
  std::string self_info = a.Cmd("CLIENT", "INFO");
  size_t p = self_info.find("addr=") + 5;
  std::string addr = self_info.substr(p, self_info.find(' ', p) - p);
  EXPECT_EQ(a.Cmd("CLIENT", "KILL", "ADDR", addr), "(integer) 0");
  EXPECT_EQ(a.Cmd("PING"), "PONG");
}

TEST_F(ServerAdminTest, ClientReply) {
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send("CLIENT REPLY OFF\r\nSET r1 1\r\nGET r1\r\nCLIENT REPLY ON\r\nGET r1\r\n"));
  EXPECT_EQ(c.ReadUntil("$1\r\n1\r\n"), "+OK\r\n$1\r\n1\r\n");
  c.Take();
  ASSERT_TRUE(c.Send("CLIENT REPLY SKIP\r\nECHO skipped\r\nECHO shown\r\n"));
  EXPECT_EQ(c.ReadUntil("shown\r\n"), "$5\r\nshown\r\n");
}

TEST_F(ServerAdminTest, SelectAndDatabases) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("SELECT", "15"), "OK");
  EXPECT_EQ(c.Cmd("SELECT", "16"), "(error) ERR DB index is out of range");
  EXPECT_EQ(c.Cmd("SELECT", "-1"), "(error) ERR DB index is out of range");
  EXPECT_EQ(c.Cmd("SELECT", "x"), "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(c.Cmd("SET", "in15", "1"), "OK");
  EXPECT_NE(c.Cmd("CLIENT", "INFO").find(" db=15 "), std::string::npos);
  RedisConn d = server_->Client();
  EXPECT_EQ(d.Cmd("GET", "in15"), "(nil)");
}

TEST_F(ServerAdminTest, InfoFields) {
  RedisConn c = server_->Client();
  ASSERT_EQ(c.Cmd("SET", "info:k", "v", "EX", "100"), "OK");
  ASSERT_EQ(c.Cmd("GET", "info:k"), "\"v\"");
  ASSERT_EQ(c.Cmd("GET", "info:missing"), "(nil)");
  std::string info = c.Cmd("INFO");
  EXPECT_EQ(InfoField(info, "redis_version"), "7.0.0");
  EXPECT_EQ(InfoField(info, "tcp_port"), std::to_string(server_->port()));
  EXPECT_EQ(InfoField(info, "process_id"), std::to_string(server_->pid()));
  EXPECT_EQ(InfoField(info, "aof_enabled"), "1");
  EXPECT_EQ(InfoField(info, "aof_last_write_status"), "ok");
  EXPECT_NE(InfoField(info, "used_memory"), "<missing>");
  EXPECT_NE(InfoField(info, "used_memory_rss"), "<missing>");
  EXPECT_NE(InfoField(info, "uptime_in_seconds"), "<missing>");
  EXPECT_NE(InfoField(info, "rdb_last_save_time"), "<missing>");
  EXPECT_NE(InfoField(info, "instantaneous_ops_per_sec"), "<missing>");
  EXPECT_NE(InfoField(info, "expired_keys"), "<missing>");
  EXPECT_NE(InfoField(info, "walnut_log_bytes"), "<missing>");
  EXPECT_GE(std::stoll(InfoField(info, "connected_clients")), 1);
  EXPECT_GE(std::stoll(InfoField(info, "total_commands_processed")), 3);
  EXPECT_GE(std::stoll(InfoField(info, "keyspace_hits")), 1);
  EXPECT_GE(std::stoll(InfoField(info, "keyspace_misses")), 1);
  std::string db0 = InfoField(info, "db0");
  EXPECT_NE(db0.find(",expires="), std::string::npos) << db0;
  EXPECT_EQ(db0.rfind("keys=", 0), 0u) << db0;
  // Sections: only the one asked for; "all" includes commandstats.
  std::string clients = c.Cmd("INFO", "clients");
  EXPECT_NE(clients.find("# Clients"), std::string::npos);
  EXPECT_EQ(clients.find("# Server"), std::string::npos);
  std::string all = c.Cmd("INFO", "all");
  EXPECT_NE(all.find("cmdstat_get:calls="), std::string::npos);
  std::string multi = c.Cmd("INFO", "server", "KEYSPACE");
  EXPECT_NE(multi.find("# Keyspace"), std::string::npos);
  EXPECT_NE(multi.find("# Server"), std::string::npos);
}

// INFO commandstats times each command from one clock read to the next
// (server/command_clock.h): a command's time includes its own work, EXEC's
// includes its commands', and the idle time before a command is nobody's.
TEST_F(ServerAdminTest, CommandTimesCoverTheirCommandsOnly) {
  RedisConn c = server_->Client();
  ASSERT_EQ(c.Cmd("CONFIG", "RESETSTAT"), "OK");
  auto usec = [&](const std::string& cmd) {
    std::string v = InfoField(c.Cmd("INFO", "commandstats"), "cmdstat_" + cmd);
    size_t at = v.find("usec=");
    EXPECT_NE(at, std::string::npos) << cmd << ": " << v;
    return at == std::string::npos ? -1 : std::stoll(v.substr(at + 5));
  };
  ASSERT_EQ(c.Cmd("DEBUG", "SLEEP", "0.05"), "OK");
  EXPECT_GE(usec("debug"), 50000);
  // The client is silent for 200 ms: that wait is no command's time.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(c.Cmd("PING"), "PONG");
  EXPECT_LT(usec("ping"), 50000);
  ASSERT_EQ(c.Cmd("MULTI"), "OK");
  ASSERT_EQ(c.Cmd("DEBUG", "SLEEP", "0.05"), "QUEUED");
  ASSERT_EQ(c.Cmd("EXEC"), "[OK]");
  EXPECT_GE(usec("exec"), 50000);
  EXPECT_GE(usec("debug"), 100000);
}

TEST_F(ServerAdminTest, ConfigGetSetResetstat) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "port"),
            "[\"port\", \"" + std::to_string(server_->port()) + "\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "appendonly"), "[\"appendonly\", \"yes\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "save"), "[\"save\", \"\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "auto-compact"), "[\"auto-compact\", \"yes\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "compact-garbage-ratio"),
            "[\"compact-garbage-ratio\", \"0.5\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "background-nice"), "[\"background-nice\", \"10\"]");
  std::string many = c.Cmd("CONFIG", "GET", "max*");
  EXPECT_NE(many.find("\"maxclients\""), std::string::npos) << many;
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "nosuch*"), "[]");
  EXPECT_EQ(c.Cmd("CONFIG", "SET", "maxclients", "5000"), "OK");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "maxclients"), "[\"maxclients\", \"5000\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "SET", "port", "1"),
            "(error) ERR CONFIG SET failed (possibly related to argument 'port') - can't set "
            "immutable config");
  EXPECT_EQ(c.Cmd("CONFIG", "SET", "nosuch", "1"),
            "(error) ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(c.Cmd("CONFIG", "SET", "maxclients"),
            "(error) ERR wrong number of arguments for 'config|set' command");
  EXPECT_EQ(c.Cmd("CONFIG", "SET", "maxclients", "abc").rfind("(error) ERR CONFIG SET failed", 0),
            0u);
  EXPECT_EQ(c.Cmd("CONFIG", "SET", "maxclients", "10000"), "OK");
  EXPECT_EQ(c.Cmd("CONFIG", "RESETSTAT"), "OK");
  std::string info = c.Cmd("INFO", "stats");
  EXPECT_LE(std::stoll(InfoField(info, "total_commands_processed")), 2);
}

TEST_F(ServerAdminTest, CommandIntrospection) {
  RedisConn c = server_->Client();
  std::string count = c.Cmd("COMMAND", "COUNT");
  ASSERT_EQ(count.rfind("(integer) ", 0), 0u);
  EXPECT_GT(std::stoi(count.substr(10)), 40);
  std::string get = c.Cmd("COMMAND", "INFO", "get", "nosuch");
  EXPECT_EQ(get.rfind("[[\"get\", (integer) 2, [readonly, fast], (integer) 1, (integer) 1, "
                      "(integer) 1",
                      0),
            0u)
      << get;
  EXPECT_NE(get.find(", (nil)]"), std::string::npos) << get;
  EXPECT_EQ(c.Cmd("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"), "[\"a\", \"b\"]");
  EXPECT_EQ(c.Cmd("COMMAND", "GETKEYS", "PING", "x"),
            "(error) ERR The command has no key arguments");
  std::string bare = c.Cmd("COMMAND");
  EXPECT_NE(bare.find("[\"set\", (integer) -3"), std::string::npos);
  std::string docs = c.Cmd("COMMAND", "DOCS", "get");
  EXPECT_NE(docs.find("\"summary\""), std::string::npos) << docs;
  std::string list = c.Cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*");
  EXPECT_NE(list.find("\"client|list\""), std::string::npos) << list;
}

TEST_F(ServerAdminTest, TimeSaveLastsave) {
  RedisConn c = server_->Client();
  std::string t = c.Cmd("TIME");
  ASSERT_EQ(t[0], '[');
  long long secs = std::stoll(t.substr(2));
  EXPECT_GT(secs, 1600000000);
  EXPECT_EQ(c.Cmd("SAVE"), "OK");
  std::string last = c.Cmd("LASTSAVE");
  EXPECT_LE(std::llabs(std::stoll(last.substr(10)) - secs), 5);
  EXPECT_EQ(c.Cmd("BGSAVE"), "Background saving started");
  EXPECT_EQ(c.Cmd("WAITAOF", "1", "0", "0"), "[(integer) 1, (integer) 0]");
  EXPECT_EQ(
      c.Cmd("WAITAOF", "1", "1", "0").rfind("(error) ERR WAITAOF cannot wait for replicas", 0), 0u);
  EXPECT_EQ(c.Cmd("WAITAOF", "1", "0", "-1"), "(error) ERR timeout is negative");
}

TEST_F(ServerAdminTest, CompactReportsSizes) {
  RedisConn c = server_->Client();
  for (int i = 0; i < 200; i++) ASSERT_EQ(c.Cmd("SET", "churn", std::to_string(i)), "OK");
  std::string r = c.Cmd("COMPACT");
  ASSERT_EQ(r.rfind("[\"bytes_before\", (integer) ", 0), 0u) << r;
  size_t p = r.find("(integer) ") + 10;
  long long before = std::stoll(r.substr(p));
  p = r.find("\"bytes_after\", (integer) ") + 25;
  long long after = std::stoll(r.substr(p));
  EXPECT_LT(after, before) << r;
  EXPECT_EQ(c.Cmd("GET", "churn"), "\"199\"");
  EXPECT_EQ(c.Cmd("BGREWRITEAOF"), "Background append only file rewriting started");
  EXPECT_TRUE(WaitUntil(
      [&] { return InfoField(c.Cmd("INFO", "persistence"), "aof_rewrite_in_progress") == "0"; }));
  EXPECT_EQ(InfoField(c.Cmd("INFO", "persistence"), "aof_last_bgrewrite_status"), "ok");
}

TEST_F(ServerAdminTest, Functions) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("FUNCTION", "LIST"), "[]");
  EXPECT_EQ(c.Cmd("FUNCTION", "FLUSH"), "OK");
}

TEST_F(ServerAdminTest, DebugReloadKeepsData) {
  RedisConn c = server_->Client();
  ASSERT_EQ(c.Cmd("SET", "dr:a", "1"), "OK");
  ASSERT_EQ(c.Cmd("SET", "dr:b", "2", "PX", "100000"), "OK");
  ASSERT_EQ(c.Cmd("SELECT", "3"), "OK");
  ASSERT_EQ(c.Cmd("SET", "dr:c", "3"), "OK");
  std::string before = c.Cmd("DEBUG", "DIGEST");
  EXPECT_EQ(before.size(), 42u) << before;
  EXPECT_EQ(c.Cmd("DEBUG", "RELOAD"), "OK");
  EXPECT_EQ(c.Cmd("DEBUG", "DIGEST"), before);
  EXPECT_EQ(c.Cmd("GET", "dr:c"), "\"3\"");
  EXPECT_EQ(c.Cmd("DEBUG", "LOADAOF"), "OK");
  EXPECT_EQ(c.Cmd("DEBUG", "DIGEST"), before);
  EXPECT_EQ(c.Cmd("SELECT", "0"), "OK");
  std::string pttl = c.Cmd("PTTL", "dr:b");
  EXPECT_GT(std::stoll(pttl.substr(10)), 90000) << pttl;
}

TEST_F(ServerAdminTest, DebugMisc) {
  RedisConn c = server_->Client();
  EXPECT_EQ(c.Cmd("DEBUG", "LOG", "hello from the test"), "OK");
  EXPECT_TRUE(
      WaitUntil([&] { return server_->log().find("hello from the test") != std::string::npos; }));
  EXPECT_EQ(c.Cmd("DEBUG", "SLEEP", "0"), "OK");
  EXPECT_EQ(c.Cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
  ASSERT_EQ(c.Cmd("SET", "obj", "12345"), "OK");
  EXPECT_NE(c.Cmd("DEBUG", "OBJECT", "obj").find("encoding:int"), std::string::npos);
  EXPECT_EQ(c.Cmd("DEBUG", "OBJECT", "nosuch"), "(error) ERR no such key");
  EXPECT_EQ(c.Cmd("DEBUG", "PROTOCOL", "true"), "(integer) 1");
  std::string dv = c.Cmd("DEBUG", "DIGEST-VALUE", "obj", "nosuch");
  EXPECT_NE(dv.find("\"0000000000000000000000000000000000000000\""), std::string::npos) << dv;
  EXPECT_EQ(c.Cmd("DEBUG", "NOPE"), "(error) ERR unknown subcommand 'NOPE'. Try DEBUG HELP.");
}

TEST(ServerDebugGate, DebugRefusedByDefault) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(c.Cmd("DEBUG", "RELOAD"),
            "(error) ERR DEBUG command not allowed. If the enable-debug-command option is set to "
            "\"local\", you can run it from a local connection, otherwise you need to set this "
            "option in the configuration file, and then restart the server.");
}

TEST(ServerDebugGate, LocalAllowsLoopback) {
  ServerProcess server({"--http-port", "0", "--enable-debug-command", "local"});
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(c.Cmd("DEBUG", "SLEEP", "0"), "OK");
}

TEST(ServerLimits, MaxClients) {
  ServerProcess server({"--http-port", "0", "--maxclients", "3"});
  ASSERT_TRUE(server.Start());
  RedisConn a = server.Client();
  // The start-up probe's connection may not be reaped yet: wait until only
  // `a` is connected.
  ASSERT_TRUE(
      WaitUntil([&] { return InfoField(a.Cmd("INFO", "clients"), "connected_clients") == "1"; }));
  RedisConn b = server.Client(), c = server.Client();
  ASSERT_EQ(c.Cmd("PING"), "PONG");
  RawClient d(server.port());
  EXPECT_EQ(d.ReadUntil("\r\n"), "-ERR max number of clients reached\r\n");
  EXPECT_TRUE(d.WaitClosed());
  EXPECT_EQ(a.Cmd("PING"), "PONG");
  std::string info = a.Cmd("INFO", "stats");
  EXPECT_EQ(InfoField(info, "rejected_connections"), "1");
}

// --background-nice: the compaction policy's thread runs at that nice value
// (requests come first on a busy CPU); the event loop keeps the server's own.
TEST(ServerLimits, BackgroundNice) {
  ServerProcess server({"--http-port", "0", "--partitions", "2", "--background-nice", "6"});
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(InfoField(c.Cmd("INFO", "walnut"), "walnut_background_nice"), "6");
  const std::string pid = std::to_string(server.pid());
  auto has = [&](int nice) {
    for (int n : walnut::testing::ThreadNices(pid)) {
      if (n == nice) return true;
    }
    return false;
  };
  EXPECT_TRUE(WaitUntil([&] { return has(6); }));
  EXPECT_TRUE(has(0));  // the main thread (the event loop)
}

// --fsync always: a new directory gets one partition (syncs of several would
// wait on each other at the disk), and log space is reserved as written
// zeros, ahead of the writes (docs/recovery.md "Reserved ahead"). The flags
// still choose otherwise; other modes keep fallocate and a partition per core.
TEST(ServerLimits, FsyncAlwaysDefaults) {
  {
    ServerProcess server({"--http-port", "0", "--fsync", "always"});
    ASSERT_TRUE(server.Start());
    RedisConn c = server.Client();
    std::string info = c.Cmd("INFO", "walnut");
    EXPECT_EQ(InfoField(info, "walnut_partitions"), "1");
    EXPECT_EQ(InfoField(info, "walnut_log_prefill"), "zeros");
    EXPECT_EQ(c.Cmd("CONFIG", "GET", "log-prefill"), "[\"log-prefill\", \"auto\"]");
    // Past half of the first 4 MiB step: the background thread makes the next.
    const std::string value(1000, 'z');
    for (int i = 0; i < 2500; i++) ASSERT_EQ(c.Cmd("SET", "k" + std::to_string(i), value), "OK");
    EXPECT_TRUE(WaitUntil(
        [&] { return InfoField(c.Cmd("INFO", "walnut"), "walnut_log_reserved_ahead") != "0"; }));
    EXPECT_EQ(InfoField(c.Cmd("INFO", "walnut"), "walnut_log_reserved_inline"), "0");
  }
  {
    ServerProcess server({"--http-port", "0", "--fsync", "always", "--partitions", "2",
                          "--log-prefill", "fallocate"});
    ASSERT_TRUE(server.Start());
    RedisConn c = server.Client();
    std::string info = c.Cmd("INFO", "walnut");
    EXPECT_EQ(InfoField(info, "walnut_partitions"), "2");
    EXPECT_EQ(InfoField(info, "walnut_log_prefill"), "fallocate");
  }
  {
    ServerProcess server({"--http-port", "0", "--fsync", "everysec"});
    ASSERT_TRUE(server.Start());
    RedisConn c = server.Client();
    std::string info = c.Cmd("INFO", "walnut");
    const unsigned cores = std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
    EXPECT_EQ(InfoField(info, "walnut_partitions"), std::to_string(cores));
    EXPECT_EQ(InfoField(info, "walnut_log_prefill"), "fallocate");
  }
}

TEST(ServerConfigFile, FlagsOverrideFile) {
  TempDir tmp("walnut-conf");
  std::string conf = tmp.Sub("walnut.conf");
  {
    std::FILE* f = std::fopen(conf.c_str(), "w");
    std::fputs("# comment\ndatabases 4\nmaxclients 77\nrequirepass \"from file\"\n", f);
    std::fclose(f);
  }
  ServerProcess server({"--http-port", "0", "--config", conf, "--maxclients", "88"});
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(c.Cmd("AUTH", "from file"), "OK");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "maxclients"), "[\"maxclients\", \"88\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "databases"), "[\"databases\", \"4\"]");
  EXPECT_EQ(c.Cmd("SELECT", "4"), "(error) ERR DB index is out of range");
}

TEST(ServerConfigFile, BadDirectiveIsAClearError) {
  TempDir tmp("walnut-conf");
  std::string conf = tmp.Sub("bad.conf");
  {
    std::FILE* f = std::fopen(conf.c_str(), "w");
    std::fputs("port 6379\nfsync sometimes\n", f);
    std::fclose(f);
  }
  int rc = -1;
  std::string out = RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut-server --config " +
                                   ShellQuote(conf) + " --dir " + ShellQuote(tmp.Sub("d")),
                               &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("bad.conf:2"), std::string::npos) << out;
  EXPECT_NE(out.find("always, everysec or no"), std::string::npos) << out;
}

}  // namespace
}  // namespace walnut::test
