// walnut-server with a small --max-memory (docs/memory.md): a data set many
// times the budget loads, every value reads back right, INFO and CONFIG GET
// show the budget, values held in memory stay near it, and so they do after
// a compaction, a clean restart and a SIGKILL.
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "support/server_process.h"

namespace walnut::test {
namespace {

constexpr int kKeys = 20000;
constexpr uint64_t kBudget = 1 << 20;

std::string Key(int i) { return "mm:" + std::to_string(i); }
std::string Value(int i, int version) {
  std::string v = Key(i) + "@" + std::to_string(version) + ":";
  while (v.size() < 500) v += char('a' + (v.size() * 31 + size_t(i)) % 26);
  return v;
}

// A field of INFO (any section), as text; "" if absent.
std::string InfoField(RedisConn& c, const std::string& field) {
  auto r = c.Raw({"INFO", "everything"});
  if (!r || r->type != REDIS_REPLY_STRING) return "";
  std::string info(r->str, r->len);
  std::string needle = "\r\n" + field + ":";
  size_t at = info.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  return info.substr(at, info.find("\r\n", at) - at);
}
uint64_t InfoNumber(RedisConn& c, const std::string& field) {
  return std::stoull("0" + InfoField(c, field));
}

// Sends SETs pipelined, a thousand at a time.
void Load(RedisConn& c, int version) {
  for (int base = 0; base < kKeys; base += 1000) {
    for (int i = base; i < base + 1000; i++) {
      std::string k = Key(i), v = Value(i, version);
      redisAppendCommand(c.get(), "SET %b %b", k.data(), k.size(), v.data(), v.size());
    }
    for (int i = base; i < base + 1000; i++) {
      void* reply = nullptr;
      ASSERT_EQ(redisGetReply(c.get(), &reply), REDIS_OK);
      auto* r = static_cast<redisReply*>(reply);
      ASSERT_EQ(r->type, REDIS_REPLY_STATUS) << FormatReply(r);
      freeReplyObject(r);
    }
  }
}

void ExpectValues(RedisConn& c, int version, int step) {
  for (int i = 0; i < kKeys; i += step) {
    ASSERT_EQ(c.Cmd("GET", Key(i)), "\"" + Value(i, version) + "\"") << Key(i);
  }
}

void ExpectWithinBudget(RedisConn& c) {
  EXPECT_EQ(InfoNumber(c, "walnut_max_memory"), kBudget);
  EXPECT_EQ(InfoNumber(c, "maxmemory"), kBudget);
  EXPECT_EQ(InfoField(c, "maxmemory_policy"), "noeviction");
  // 20,000 values of 500 bytes (10 MB) against 1 MiB.
  EXPECT_GT(InfoNumber(c, "walnut_values_on_disk"), uint64_t(kKeys) * 8 / 10);
  // Each write and read evicts within a bounded number of index slots, and a
  // background pass catches up once a second: wait for it rather than guess.
  EXPECT_TRUE(WaitUntil(
      [&] { return InfoNumber(c, "walnut_value_bytes_in_memory") <= kBudget + 64 * 1024; },
      std::chrono::seconds(5)))
      << InfoNumber(c, "walnut_value_bytes_in_memory");
  EXPECT_EQ(c.Cmd("DBSIZE"), "(integer) " + std::to_string(kKeys));
}

TEST(ServerMaxMemory, LoadsReadsCompactsAndRestartsWithinTheBudget) {
  ServerProcess server({"--max-memory", "1mb", "--partitions", "2", "--http-port", "0"});
  ASSERT_TRUE(server.Start());
  auto c = server.Client();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "max-memory"), "[\"max-memory\", \"1048576\"]");
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "maxmemory"), "[\"maxmemory\", \"1048576\"]");
  Load(c, 1);
  ExpectWithinBudget(c);
  const uint64_t reads = InfoNumber(c, "walnut_value_disk_reads");
  ExpectValues(c, 1, 7);
  EXPECT_GT(InfoNumber(c, "walnut_value_disk_reads"), reads + 2000);
  EXPECT_GT(InfoNumber(c, "walnut_value_evictions"), uint64_t(kKeys) / 2);
  EXPECT_EQ(c.Cmd("MGET", Key(1), Key(2), "nosuch"),
            "[\"" + Value(1, 1) + "\", \"" + Value(2, 1) + "\", (nil)]");
  EXPECT_EQ(c.Cmd("STRLEN", Key(3)), "(integer) 500");
  ExpectWithinBudget(c);

  // A compaction moves every evicted value into its image.
  ASSERT_EQ(c.Cmd("COMPACT").rfind("(error)", 0), std::string::npos);
  ExpectValues(c, 1, 5);
  ExpectWithinBudget(c);

  // A clean restart: the snapshot's keys and locations, values up to the
  // budget.
  ASSERT_TRUE(server.Restart());
  c = server.Client();
  ExpectWithinBudget(c);
  ExpectValues(c, 1, 3);

  // Overwrite half, then SIGKILL: the log replays within the budget too.
  for (int i = 0; i < kKeys; i += 2) ASSERT_EQ(c.Cmd("SET", Key(i), Value(i, 2)), "OK");
  server.Kill(SIGKILL);
  ASSERT_TRUE(server.Start());
  c = server.Client();
  ExpectWithinBudget(c);
  for (int i = 0; i < kKeys; i += 3) {
    ASSERT_EQ(c.Cmd("GET", Key(i)), "\"" + Value(i, i % 2 == 0 ? 2 : 1) + "\"") << Key(i);
  }
}

TEST(ServerMaxMemory, ConfigFileAndDefault) {
  TempDir tmp("maxmem-conf");
  {
    ServerProcess plain({"--http-port", "0"});
    ASSERT_TRUE(plain.Start());
    auto c = plain.Client();
    EXPECT_EQ(c.Cmd("CONFIG", "GET", "maxmemory"), "[\"maxmemory\", \"0\"]");
    EXPECT_EQ(InfoNumber(c, "walnut_max_memory"), 0u);
  }
  const std::string conf = tmp.Sub("walnut.conf");
  RunCommand("printf 'maxmemory 2mb\\n' > " + ShellQuote(conf));
  ServerProcess server({"--config", conf, "--http-port", "0"});
  ASSERT_TRUE(server.Start());
  auto c = server.Client();
  EXPECT_EQ(c.Cmd("CONFIG", "GET", "max-memory"), "[\"max-memory\", \"2097152\"]");
  ServerProcess bad({"--max-memory", "lots", "--http-port", "0"});
  EXPECT_FALSE(bad.Start());
}

}  // namespace
}  // namespace walnut::test
