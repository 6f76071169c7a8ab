// Black-box durability tests of walnut-server: clean stops (SIGTERM,
// SIGINT, SHUTDOWN) exit 0 and keep everything; SIGKILL right after
// acknowledged writes keeps them (--fsync always and everysec); expiry times
// survive restarts; SAVE/BGSAVE write snapshots that start-up loads; a log that cannot grow
// (file-size limit, handled as a full disk) refuses writes up front with MISCONF, keeps serving
// reads, and loses no acknowledged write.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "support/server_process.h"

namespace walnut::test {
namespace {

void WriteKeys(RedisConn& c, const std::string& prefix, int n) {
  for (int i = 0; i < n; i++) {
    ASSERT_EQ(c.Cmd("SET", prefix + std::to_string(i), "v" + std::to_string(i)), "OK");
  }
}

void ExpectKeys(RedisConn& c, const std::string& prefix, int n) {
  for (int i = 0; i < n; i++) {
    ASSERT_EQ(c.Cmd("GET", prefix + std::to_string(i)), "\"v" + std::to_string(i) + "\"")
        << prefix << i;
  }
}

TEST(ServerDurability, SigtermExitsZeroAndRestartKeepsData) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  {
    RedisConn c = server.Client();
    WriteKeys(c, "term:", 500);
    ASSERT_EQ(c.Cmd("SELECT", "5"), "OK");
    ASSERT_EQ(c.Cmd("SET", "db5key", "x"), "OK");
  }
  EXPECT_EQ(server.Stop(), 0) << server.log();
  EXPECT_NE(server.log().find("received Terminated"), std::string::npos) << server.log();
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  ExpectKeys(c, "term:", 500);
  ASSERT_EQ(c.Cmd("SELECT", "5"), "OK");
  EXPECT_EQ(c.Cmd("GET", "db5key"), "\"x\"");
}

TEST(ServerDurability, SigintExitsZero) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.Kill(SIGINT), 0) << server.log();
}

TEST(ServerDurability, ShutdownCommand) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  {
    RedisConn c = server.Client();
    WriteKeys(c, "sd:", 50);
    EXPECT_EQ(c.Cmd("SHUTDOWN", "BOGUS"), "(error) ERR syntax error");
    EXPECT_EQ(c.Cmd("SHUTDOWN", "ABORT"), "(error) ERR No shutdown in progress.");
    // A successful SHUTDOWN answers by closing the connection.
    EXPECT_EQ(c.Cmd("SHUTDOWN", "NOSAVE").rfind("(no reply)", 0), 0u);
  }
  EXPECT_TRUE(WaitUntil([&] { return !server.running(); }));
  EXPECT_EQ(server.Kill(), -1);  // already gone
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  ExpectKeys(c, "sd:", 50);
}

void KillAfterAckedWrites(const std::string& fsync) {
  uint64_t seed = TestSeed();
  std::printf("fsync=%s seed=%llu\n", fsync.c_str(), static_cast<unsigned long long>(seed));
  ServerProcess server({"--http-port", "0", "--fsync", fsync});
  ASSERT_TRUE(server.Start());
  const int rounds = 3;
  for (int round = 0; round < rounds; round++) {
    {
      RedisConn c = server.Client();
      std::string prefix = "r" + std::to_string(round) + ":";
      // Pipelined writes: all acknowledged before the kill.
      int n = 200 + static_cast<int>((seed + round) % 300);
      for (int i = 0; i < n; i++) {
        std::string k = prefix + std::to_string(i), v = "v" + std::to_string(i);
        redisAppendCommand(c.get(), "SET %b %b", k.data(), k.size(), v.data(), v.size());
      }
      for (int i = 0; i < n; i++) {
        void* reply = nullptr;
        ASSERT_EQ(redisGetReply(c.get(), &reply), REDIS_OK);
        ASSERT_EQ(FormatReply(static_cast<redisReply*>(reply)), "OK");
        freeReplyObject(reply);
      }
      ASSERT_EQ(c.Cmd("SET", prefix + "last", "done"), "OK");
    }
    EXPECT_EQ(server.Kill(SIGKILL), 128 + SIGKILL);
    ASSERT_TRUE(server.Start());
    RedisConn c = server.Client();
    for (int r = 0; r <= round; r++) {
      std::string prefix = "r" + std::to_string(r) + ":";
      int n = 200 + static_cast<int>((seed + r) % 300);
      ExpectKeys(c, prefix, n);
      EXPECT_EQ(c.Cmd("GET", prefix + "last"), "\"done\"");
    }
  }
}

TEST(ServerDurability, SigkillKeepsAcknowledgedWritesFsyncAlways) {
  KillAfterAckedWrites("always");
}

TEST(ServerDurability, SigkillKeepsAcknowledgedWritesFsyncEverysec) {
  // everysec: a write is handed to the OS before it is acknowledged, so a
  // process crash (not a power loss) loses nothing acknowledged.
  KillAfterAckedWrites("everysec");
}

TEST(ServerDurability, SigkillKeepsAcknowledgedWritesFsyncNo) { KillAfterAckedWrites("no"); }

long long InfoNumber(RedisConn& c, const std::string& name, const std::string& section = "walnut") {
  std::string info = c.Cmd("INFO", section);
  size_t p = info.find(name + ":");
  return p == std::string::npos ? -1ll : std::stoll(info.substr(p + name.size() + 1));
}

// SAVE answers once a snapshot (base image + hint file) is on disk, and the
// next start-up loads it instead of replaying the log: after SIGKILL the
// keys it covers come from the snapshot, the later writes from the log.
// BGSAVE does the same in the background.
TEST(ServerDurability, SaveAndBgsaveWriteSnapshotsThatStartUpLoads) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  {
    RedisConn c = server.Client();
    WriteKeys(c, "saved:", 300);
    ASSERT_EQ(c.Cmd("SAVE"), "OK");
    WriteKeys(c, "after:", 50);
  }
  bool hint_found = false;
  for (const auto& f : std::filesystem::recursive_directory_iterator(server.dir())) {
    if (f.path().filename().string().rfind("hint-", 0) == 0) hint_found = true;
  }
  EXPECT_TRUE(hint_found) << "no hint file under " << server.dir();
  ASSERT_EQ(server.Kill(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(server.Start());
  {
    RedisConn c = server.Client();
    EXPECT_EQ(InfoNumber(c, "walnut_recovery_snapshot_keys"), 300);
    ExpectKeys(c, "saved:", 300);
    ExpectKeys(c, "after:", 50);
    ASSERT_EQ(c.Cmd("BGSAVE"), "Background saving started");
    EXPECT_TRUE(
        WaitUntil([&] { return InfoNumber(c, "rdb_bgsave_in_progress", "persistence") == 0; }));
  }
  ASSERT_EQ(server.Kill(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(InfoNumber(c, "walnut_recovery_snapshot_keys"), 350);
  ExpectKeys(c, "saved:", 300);
  ExpectKeys(c, "after:", 50);
}

// Group commit: with --fsync always, the writes one loop iteration executes
// share one fdatasync. A pipeline of 200 SETs arrives in a few reads, so it
// must cost a few syncs, not 200.
TEST(ServerDurability, GroupCommitSharesSyncs) {
  ServerProcess server({"--http-port", "0", "--fsync", "always"});
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  auto field = [&](const std::string& name) {
    std::string info = c.Cmd("INFO", "walnut");
    size_t p = info.find(name + ":");
    return p == std::string::npos ? -1ll : std::stoll(info.substr(p + name.size() + 1));
  };
  long long syncs0 = field("walnut_syncs"), writes0 = field("walnut_writes");
  const int n = 200;
  for (int i = 0; i < n; i++) {
    std::string k = "gc:" + std::to_string(i);
    redisAppendCommand(c.get(), "SET %b x", k.data(), k.size());
  }
  for (int i = 0; i < n; i++) {
    void* reply = nullptr;
    ASSERT_EQ(redisGetReply(c.get(), &reply), REDIS_OK);
    ASSERT_EQ(FormatReply(static_cast<redisReply*>(reply)), "OK");
    freeReplyObject(reply);
  }
  long long syncs = field("walnut_syncs") - syncs0, writes = field("walnut_writes") - writes0;
  EXPECT_EQ(writes, n);
  EXPECT_GE(syncs, 1);
  EXPECT_LE(syncs, n / 10) << "syncs=" << syncs << " for " << writes << " writes";
}

TEST(ServerDurability, ExpiryAcrossRestart) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  {
    RedisConn c = server.Client();
    ASSERT_EQ(c.Cmd("SET", "short", "x", "PX", "300"), "OK");
    ASSERT_EQ(c.Cmd("SET", "long", "y", "EX", "1000"), "OK");
    ASSERT_EQ(c.Cmd("SET", "forever", "z"), "OK");
  }
  server.Kill(SIGKILL);
  // Wait until the short key's time has certainly passed, by the wall clock
  // the server uses, before starting again.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitUntil(
      [&] { return std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(400); }));
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  EXPECT_EQ(c.Cmd("GET", "short"), "(nil)");
  EXPECT_EQ(c.Cmd("GET", "long"), "\"y\"");
  std::string ttl = c.Cmd("TTL", "long");
  EXPECT_GT(std::stoll(ttl.substr(10)), 990) << ttl;
  EXPECT_EQ(c.Cmd("TTL", "forever"), "(integer) -1");
}

TEST(ServerDurability, ActiveExpiryRemovesKeysWithoutAccess) {
  ServerProcess server({"--http-port", "0"});
  ASSERT_TRUE(server.Start());
  RedisConn c = server.Client();
  for (int i = 0; i < 100; i++) {
    ASSERT_EQ(c.Cmd("SET", "ax:" + std::to_string(i), "v", "PX", "50"), "OK");
  }
  ASSERT_EQ(c.Cmd("SET", "keep", "v"), "OK");
  // DBSIZE counts expired-but-unswept keys; the sweep must bring it to 1.
  EXPECT_TRUE(WaitUntil([&] { return c.Cmd("DBSIZE") == "(integer) 1"; }));
  std::string info = c.Cmd("INFO", "stats");
  EXPECT_NE(info.find("expired_keys:100"), std::string::npos) << info;
}

// The log cannot grow past a file-size limit: reserving its space fails with
// EFBIG, which the engine treats as a full disk (tests/server_disk_full_test.cc
// has the real one).
TEST(ServerDurability, LogWriteFailureRefusesWritesAndLosesNothingAcknowledged) {
  TempDir tmp("walnut-fsize");
  std::string wrapper = tmp.Sub("limited-server.sh");
  {
    std::FILE* f = std::fopen(wrapper.c_str(), "w");
    // 2048 blocks of 512 or 1024 bytes, depending on the shell: 1-2 MiB.
    std::fprintf(f, "#!/bin/sh\nulimit -f 2048\nexec %s/walnut-server \"$@\"\n", WALNUT_BUILD_DIR);
    std::fclose(f);
    chmod(wrapper.c_str(), 0755);
  }
  std::string dir = tmp.Sub("data");
  ServerProcess server({"--http-port", "0", "--fsync", "always"}, dir);
  server.set_binary(wrapper);
  ASSERT_TRUE(server.Start());
  RedisConn reader = server.Client();
  ASSERT_EQ(reader.Cmd("SET", "before", "ok"), "OK");
  std::vector<int> acked;
  bool failed = false;
  int refused = -1;
  {
    RedisConn w = server.Client();
    std::string value(20000, 'v');
    for (int i = 0; i < 500 && !failed; i++) {
      std::string r = w.Cmd("SET", "big:" + std::to_string(i), value);
      if (r == "OK") {
        acked.push_back(i);
      } else {
        // The write that could not get space: refused before it changed
        // anything.
        EXPECT_EQ(r.rfind("(error) MISCONF The disk is full", 0), 0u) << r;
        failed = true;
        refused = i;
      }
    }
  }
  ASSERT_TRUE(failed) << "the file-size limit never triggered";
  ASSERT_FALSE(acked.empty());
  // Later writes are refused with a clear error; reads keep working.
  RedisConn c = server.Client();
  // (The same key: with several partitions, another key's log may have room.)
  const std::string refused_key = "big:" + std::to_string(refused);
  std::string r = c.Cmd("SET", refused_key, std::string(20000, 'w'));
  EXPECT_EQ(r.rfind("(error) MISCONF The disk is full", 0), 0u) << r;
  EXPECT_EQ(c.Cmd("GET", refused_key), "(nil)");  // nothing changed
  EXPECT_EQ(c.Cmd("GET", "before"), "\"ok\"");
  EXPECT_EQ(reader.Cmd("GET", "big:" + std::to_string(acked.back())).substr(0, 4), "\"vvv");
  std::string info = c.Cmd("INFO", "persistence");
  EXPECT_NE(info.find("aof_last_write_status:err"), std::string::npos) << info;
  EXPECT_NE(info.find("walnut_disk_full:1"), std::string::npos) << info;
  EXPECT_NE(server.log().find("disk full"), std::string::npos);
  // Restart without the limit: every acknowledged write is there.
  server.Kill(SIGKILL);
  server.set_binary(std::string(WALNUT_BUILD_DIR) + "/walnut-server");
  ASSERT_TRUE(server.Start());
  RedisConn after = server.Client();
  EXPECT_EQ(after.Cmd("GET", "before"), "\"ok\"");
  for (int i : acked) {
    ASSERT_EQ(after.Cmd("STRLEN", "big:" + std::to_string(i)), "(integer) 20000") << i;
  }
  EXPECT_EQ(after.Cmd("SET", "after", "x"), "OK");
}

TEST(ServerStartup, LogFileAndPidfile) {
  TempDir tmp("walnut-files");
  std::string log = tmp.Sub("server.log"), pid = tmp.Sub("server.pid");
  ServerProcess server({"--http-port", "0", "--log-file", log, "--pidfile", pid});
  ASSERT_TRUE(server.Start());
  EXPECT_TRUE(WaitUntil(
      [&] { return ReadFile(log).find("ready to accept connections") != std::string::npos; }));
  EXPECT_NE(ReadFile(log).find("recovery: "), std::string::npos);
  EXPECT_EQ(ReadFile(pid), std::to_string(server.pid()) + "\n");
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(ReadFile(pid), "");  // removed on a clean exit
  EXPECT_NE(ReadFile(log).find("walnut-server stopped"), std::string::npos);
}

TEST(ServerStartup, BadFlagValueIsAClearError) {
  TempDir tmp("walnut-flags");
  int rc = -1;
  std::string out = RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut-server --fsync sometimes" +
                                   " --dir " + ShellQuote(tmp.Sub("d")),
                               &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("--fsync"), std::string::npos) << out;
  out = RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut-server --no-such-flag", &rc);
  EXPECT_NE(rc, 0) << out;
}

TEST(ServerStartup, TakenPortIsAClearError) {
  ServerProcess first({"--http-port", "0"});
  ASSERT_TRUE(first.Start());
  TempDir tmp("walnut-port");
  int rc = -1;
  std::string out =
      RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut-server --http-port 0 " + "--port " +
                     std::to_string(first.port()) + " --dir " + ShellQuote(tmp.Sub("d")),
                 &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << out;
}

TEST(ServerStartup, TakenHttpPortIsAClearError) {
  ServerProcess first;
  ASSERT_TRUE(first.Start());
  TempDir tmp("walnut-port");
  int rc = -1;
  std::string out =
      RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut-server --port " +
                     std::to_string(FreePort()) + " --http-port " +
                     std::to_string(first.http_port()) + " --dir " + ShellQuote(tmp.Sub("d")),
                 &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("cannot start the HTTP API"), std::string::npos) << out;
}

TEST(ServerStartup, SecondServerOnSameDirectoryRefused) {
  ServerProcess first({"--http-port", "0"});
  ASSERT_TRUE(first.Start());
  int rc = -1;
  std::string out =
      RunCommand(std::string(WALNUT_BUILD_DIR) + "/walnut-server --http-port 0 " + "--port " +
                     std::to_string(FreePort()) + " --dir " + ShellQuote(first.dir()),
                 &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("cannot open the database"), std::string::npos) << out;
}

}  // namespace
}  // namespace walnut::test
