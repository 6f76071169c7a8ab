// Crash safety of the real server: SIGKILL walnut-server (--fsync always)
// while several clients write, restart it on the same directory, and check
// every acknowledged write — many times over.
//
// Each writer thread has its own connection and owns a disjoint set of keys,
// so the expected state of every key is exact: the writer's model holds the
// state its last acknowledged command left. A writer has at most one command
// in flight (it waits for each reply); a command whose reply never arrived
// may or may not have been applied, so after the restart its keys must show
// either the state before it or the state after it — all of its keys the
// same one (MSET and MULTI/EXEC are one log record each: all or nothing).
// Anything else is a loss or a corruption: a value nobody wrote, a deleted
// key back, a missing expiry, a counter off by more than the one in-flight
// INCR, a key nobody owns.
//
// The commands: SET, DEL (one or two keys), MSET (the same fresh value on
// three keys), INCR, EXPIRE with a long TTL (the TTL must survive), and
// MULTI/EXEC of SET+DEL+INCR+EXPIRE. A fixed ballast of keys makes the base
// image big enough, with a low --compact-rate, that compaction takes a while;
// automatic compaction is tuned to run often and another thread sends
// BGREWRITEAOF now and then. One cycle in three the kill waits until INFO
// reports a rewrite in progress, so kills land during snapshot writing (the
// summary counts the kills that left a half-written base-*.tmp behind).
//
// Cycles: WALNUT_SERVER_CRASH_CYCLES (default 100, about a minute; `make crash-test` runs
// 1000). Seed: WALNUT_CRASH_SEED (else WALNUT_TEST_SEED), printed; it fixes
// the kill delays and every writer's choices, not the threads' interleaving.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/server_process.h"

namespace walnut::test {
namespace {

constexpr int kWriters = 4;
constexpr int kStringKeys = 40;  // per writer
constexpr int kCounters = 4;     // per writer
constexpr int kBallastKeys = 10000;
constexpr int kBallastValueSize = 200;
constexpr const char* kLongTtl = "1000000";  // seconds: never expires during a run

int Cycles() {
  const char* env = std::getenv("WALNUT_SERVER_CRASH_CYCLES");
  return env != nullptr && env[0] != '\0' ? std::atoi(env) : 100;
}

uint64_t Seed() {
  static uint64_t seed = [] {
    const char* env = std::getenv("WALNUT_CRASH_SEED");
    uint64_t s = env != nullptr && env[0] != '\0' ? std::strtoull(env, nullptr, 10) : TestSeed();
    std::fprintf(stderr, "WALNUT_CRASH_SEED=%llu (set it to replay the kill schedule)\n",
                 static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

// What a key holds: absent, or a value with or without an expiry.
struct KeyState {
  std::optional<std::string> value;
  bool ttl = false;
  bool operator==(const KeyState& o) const { return value == o.value && ttl == o.ttl; }
};

std::string Describe(const KeyState& s) {
  if (!s.value) return "(absent)";
  std::string v = *s.value;
  if (v.size() > 40) v = v.substr(0, 40) + "...(" + std::to_string(s.value->size()) + " bytes)";
  return "\"" + v + "\"" + (s.ttl ? " with TTL" : "");
}

std::string BallastKey(int i) { return "ballast:" + std::to_string(i); }
std::string BallastValue(int i) {
  std::string v = "b" + std::to_string(i) + ":";
  v.resize(kBallastValueSize, char('a' + i % 26));
  return v;
}

using Reply = std::unique_ptr<redisReply, void (*)(redisReply*)>;
Reply GetReply(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK) r = nullptr;
  return Reply(static_cast<redisReply*>(r), [](redisReply* x) {
    if (x != nullptr) freeReplyObject(x);
  });
}
void Append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, int(argv.size()), argv.data(), lens.data());
}

bool IsStatus(const redisReply* r, const char* text) {
  return r != nullptr && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == text;
}
bool IsInt(const redisReply* r, long long v) {
  return r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer == v;
}

// One client thread's keys, model and in-flight command.
class Writer {
 public:
  Writer(int id, uint64_t seed) : id_(id), rng_(seed) {
    for (int i = 0; i < kStringKeys; i++) model_[StringKey(i)] = KeyState{};
    for (int i = 0; i < kCounters; i++) model_[CounterKey(i)] = KeyState{};
  }

  std::string StringKey(int i) const {
    return "w" + std::to_string(id_) + ":s" + std::to_string(i);
  }
  std::string CounterKey(int i) const {
    return "w" + std::to_string(id_) + ":c" + std::to_string(i);
  }

  // Writes until the connection fails (the kill) or `stop` is set. Only
  // unexpected replies are failures; a lost connection leaves the command in
  // flight for Resolve() to judge.
  void Run(int port, const std::atomic<bool>& stop) {
    RedisConn conn = ConnectTo(port);
    if (!conn.ok()) return;  // killed before we connected: nothing in flight
    redisContext* c = conn.get();
    while (!stop.load() && failure_.empty()) {
      Plan plan = Choose();
      inflight_ = plan.effects;
      has_inflight_ = true;
      inflight_what_ = plan.what;
      for (const auto& cmd : plan.commands) Append(c, cmd);
      std::vector<Reply> replies;
      for (size_t i = 0; i < plan.commands.size(); i++) {
        Reply r = GetReply(c);
        if (r == nullptr) return;  // connection gone: the command stays in flight
        replies.push_back(std::move(r));
      }
      if (!plan.check(replies)) {
        failure_ = "writer " + std::to_string(id_) + ": unexpected reply to " + plan.what + ": " +
                   FormatReply(replies.back().get());
        return;
      }
      for (const auto& [k, s] : plan.effects) model_[k] = s;
      has_inflight_ = false;
      acked_++;
    }
  }

  // After a restart: reads every key this writer owns and compares it with
  // the model, settling the in-flight command. Appends problems to *losses.
  void Resolve(redisContext* c, std::vector<std::string>* losses, uint64_t* keys_checked,
               uint64_t* present_keys) {
    std::vector<std::string> keys;
    for (const auto& [k, s] : model_) {
      keys.push_back(k);
      Append(c, {"GET", k});
      Append(c, {"TTL", k});
    }
    std::map<std::string, KeyState> actual;
    for (const auto& k : keys) {
      Reply v = GetReply(c);
      Reply t = GetReply(c);
      if (v == nullptr || t == nullptr) {
        losses->push_back("verification connection failed: " + std::string(c->errstr));
        return;
      }
      KeyState s;
      if (v->type == REDIS_REPLY_STRING) s.value = std::string(v->str, v->len);
      bool ttl_ok = t->type == REDIS_REPLY_INTEGER &&
                    (s.value ? (t->integer == -1 || t->integer > 0) : t->integer == -2);
      if (!ttl_ok || (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_NIL)) {
        losses->push_back("key " + k + ": odd replies " + FormatReply(v.get()) + " / " +
                          FormatReply(t.get()));
      }
      s.ttl = s.value && t->type == REDIS_REPLY_INTEGER && t->integer > 0;
      actual[k] = s;
      (*keys_checked)++;
    }
    std::map<std::string, KeyState> after;  // the in-flight command's effects
    if (has_inflight_) {
      for (const auto& [k, s] : inflight_) after[k] = s;
    }
    int only_new = 0, only_old = 0;
    for (const auto& k : keys) {
      const KeyState& want = model_[k];
      const KeyState& got = actual[k];
      auto it = after.find(k);
      if (it == after.end()) {
        if (!(got == want)) {
          losses->push_back("writer " + std::to_string(id_) + " key " + k + ": expected " +
                            Describe(want) + ", found " + Describe(got));
        }
        continue;
      }
      bool is_old = got == want, is_new = got == it->second;
      if (!is_old && !is_new) {
        losses->push_back("writer " + std::to_string(id_) + " key " + k +
                          " (in flight: " + inflight_what_ + "): expected " + Describe(want) +
                          " or " + Describe(it->second) + ", found " + Describe(got));
      } else if (is_new && !is_old) {
        only_new++;
      } else if (is_old && !is_new) {
        only_old++;
      }
    }
    if (only_new > 0 && only_old > 0) {
      losses->push_back("writer " + std::to_string(id_) + ": in-flight " + inflight_what_ +
                        " half applied (" + std::to_string(only_new) + " keys new, " +
                        std::to_string(only_old) + " old)");
    }
    if (only_new > 0) {
      for (const auto& [k, s] : after) model_[k] = s;
      inflight_applied_++;
    }
    has_inflight_ = false;
    for (const auto& [k, s] : model_) *present_keys += s.value.has_value();
  }

  uint64_t acked() const { return acked_; }
  uint64_t inflight_applied() const { return inflight_applied_; }
  const std::string& failure() const { return failure_; }

 private:
  using Effects = std::vector<std::pair<std::string, KeyState>>;
  struct Plan {
    std::string what;
    std::vector<std::vector<std::string>> commands;
    Effects effects;
    std::function<bool(const std::vector<Reply>&)> check;
  };

  std::string NewValue() {
    std::string v = "w" + std::to_string(id_) + ":" + std::to_string(next_value_++) + ":";
    v.append(size_t(rng_() % 300), char('a' + next_value_ % 26));
    return v;
  }
  // n distinct string keys.
  std::vector<std::string> PickKeys(int n) {
    std::vector<std::string> out;
    while (int(out.size()) < n) {
      std::string k = StringKey(int(rng_() % kStringKeys));
      if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
    return out;
  }
  static long long CounterValue(const KeyState& s) { return s.value ? std::stoll(*s.value) : 0; }

  Plan Choose() {
    Plan p;
    int dice = int(rng_() % 100);
    if (dice < 30) {
      std::string k = PickKeys(1)[0], v = NewValue();
      p.what = "SET " + k;
      p.commands = {{"SET", k, v}};
      p.effects = {{k, KeyState{v, false}}};
      p.check = [](const std::vector<Reply>& r) { return IsStatus(r[0].get(), "OK"); };
    } else if (dice < 42) {
      auto keys = PickKeys(1 + int(rng_() % 2));
      p.what = "DEL";
      p.commands = {{"DEL"}};
      long long existing = 0;
      for (const auto& k : keys) {
        p.what += " " + k;
        p.commands[0].push_back(k);
        existing += model_[k].value.has_value();
        p.effects.push_back({k, KeyState{}});
      }
      p.check = [existing](const std::vector<Reply>& r) { return IsInt(r[0].get(), existing); };
    } else if (dice < 57) {
      auto keys = PickKeys(3);
      std::string v = NewValue();
      p.what = "MSET";
      p.commands = {{"MSET"}};
      for (const auto& k : keys) {
        p.what += " " + k;
        p.commands[0].push_back(k);
        p.commands[0].push_back(v);
        p.effects.push_back({k, KeyState{v, false}});
      }
      p.check = [](const std::vector<Reply>& r) { return IsStatus(r[0].get(), "OK"); };
    } else if (dice < 72) {
      std::string k = CounterKey(int(rng_() % kCounters));
      long long next = CounterValue(model_[k]) + 1;
      p.what = "INCR " + k;
      p.commands = {{"INCR", k}};
      p.effects = {{k, KeyState{std::to_string(next), false}}};
      p.check = [next](const std::vector<Reply>& r) { return IsInt(r[0].get(), next); };
    } else if (dice < 82) {
      std::string k = PickKeys(1)[0];
      KeyState s = model_[k];
      bool exists = s.value.has_value();
      if (exists) s.ttl = true;
      p.what = "EXPIRE " + k;
      p.commands = {{"EXPIRE", k, kLongTtl}};
      p.effects = {{k, s}};
      p.check = [exists](const std::vector<Reply>& r) { return IsInt(r[0].get(), exists ? 1 : 0); };
    } else {
      // MULTI; SET a; DEL b; INCR c; EXPIRE d; EXEC — one record, all or nothing.
      auto keys = PickKeys(3);
      std::string counter = CounterKey(int(rng_() % kCounters));
      std::string v = NewValue();
      KeyState d = model_[keys[2]];
      bool d_exists = d.value.has_value();
      if (d_exists) d.ttl = true;
      long long b_existed = model_[keys[1]].value.has_value();
      long long next = CounterValue(model_[counter]) + 1;
      p.what = "MULTI/EXEC (SET " + keys[0] + ", DEL " + keys[1] + ", INCR " + counter +
               ", EXPIRE " + keys[2] + ")";
      p.commands = {{"MULTI"},         {"SET", keys[0], v},           {"DEL", keys[1]},
                    {"INCR", counter}, {"EXPIRE", keys[2], kLongTtl}, {"EXEC"}};
      p.effects = {{keys[0], KeyState{v, false}},
                   {keys[1], KeyState{}},
                   {counter, KeyState{std::to_string(next), false}},
                   {keys[2], d}};
      p.check = [=](const std::vector<Reply>& r) {
        if (!IsStatus(r[0].get(), "OK")) return false;
        for (int i = 1; i <= 4; i++) {
          if (!IsStatus(r[i].get(), "QUEUED")) return false;
        }
        const redisReply* e = r[5].get();
        return e->type == REDIS_REPLY_ARRAY && e->elements == 4 && IsStatus(e->element[0], "OK") &&
               IsInt(e->element[1], b_existed) && IsInt(e->element[2], next) &&
               IsInt(e->element[3], d_exists ? 1 : 0);
      };
    }
    return p;
  }

  int id_;
  std::mt19937_64 rng_;
  std::map<std::string, KeyState> model_;
  Effects inflight_;
  bool has_inflight_ = false;
  std::string inflight_what_;
  uint64_t next_value_ = 0;
  uint64_t acked_ = 0;
  uint64_t inflight_applied_ = 0;
  std::string failure_;
};

// Sends BGREWRITEAOF at random moments until the connection fails or `stop`.
void Compactor(int port, uint64_t seed, const std::atomic<bool>& stop,
               std::atomic<uint64_t>* started) {
  RedisConn conn = ConnectTo(port);
  if (!conn.ok()) return;
  std::mt19937_64 rng(seed);
  while (!stop.load()) {
    // A pause, in short steps so that `stop` is seen promptly.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100 + rng() % 600);
    while (!stop.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto r = conn.Raw({"BGREWRITEAOF"});
    if (r == nullptr) return;
    // An error here means one is already running, which is fine.
    if (r->type == REDIS_REPLY_STATUS) (*started)++;
  }
}

bool RewriteInProgress(RedisConn& c) {
  std::string info = c.Cmd("INFO", "persistence");
  return info.find("aof_rewrite_in_progress:1") != std::string::npos;
}

bool HasTmpBase(const std::string& dir) {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("base-", 0) == 0 && n.size() > 4 && n.substr(n.size() - 4) == ".tmp") return true;
  }
  return false;
}

TEST(ServerCrash, SigkillLoopLosesNoAcknowledgedWrite) {
  const uint64_t seed = Seed();
  const int cycles = Cycles();
  TempDir tmp("server-crash");
  const std::string dir = tmp.Sub("data");
  const std::vector<std::string> args = {
      "--fsync", "always", "--http-port", "0", "--segment-size", "64kb",
      // Two partitions, as before fsync always defaulted to one: writes that
      // span partitions must stay all-or-nothing across kills. The log is
      // reserved as written zeros (fsync always), made ahead while writing.
      "--partitions", "2",
      // Compact often and slowly, so that kills land in the middle of one.
      "--compact-min-log-bytes", "1mb", "--compact-garbage-ratio", "0.3", "--compact-rate", "8mb"};
  std::mt19937_64 rng(seed);
  std::vector<std::unique_ptr<Writer>> writers;
  for (int w = 0; w < kWriters; w++) writers.push_back(std::make_unique<Writer>(w, seed * 31 + w));

  uint64_t keys_checked = 0, kills_in_rewrite = 0, kills_with_tmp_base = 0;
  std::atomic<uint64_t> rewrites_started{0};
  std::vector<std::string> losses;
  const auto t0 = std::chrono::steady_clock::now();

  // Verifies every key against the models on a freshly started server.
  auto verify = [&](ServerProcess& server, int cycle) {
    RedisConn c = server.Client();
    ASSERT_TRUE(c.ok()) << c.error();
    uint64_t present = 0;
    for (auto& w : writers) w->Resolve(c.get(), &losses, &keys_checked, &present);
    for (int i = 0; i < kBallastKeys; i += 100) {
      std::vector<std::string> mget = {"MGET"};
      for (int j = i; j < i + 100; j++) mget.push_back(BallastKey(j));
      Append(c.get(), mget);
    }
    for (int i = 0; i < kBallastKeys; i += 100) {
      Reply r = GetReply(c.get());
      ASSERT_TRUE(r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 100);
      for (int j = 0; j < 100; j++) {
        const redisReply* e = r->element[j];
        if (e->type != REDIS_REPLY_STRING || std::string(e->str, e->len) != BallastValue(i + j)) {
          losses.push_back("ballast key " + BallastKey(i + j) + ": " + FormatReply(e));
        }
        keys_checked++;
      }
    }
    // No key nobody owns (a resurrected or invented key).
    std::string dbsize = c.Cmd("DBSIZE");
    std::string want = "(integer) " + std::to_string(kBallastKeys + present);
    if (dbsize != want) losses.push_back("DBSIZE is " + dbsize + ", expected " + want);
    ASSERT_TRUE(losses.empty()) << "cycle " << cycle << " (WALNUT_CRASH_SEED=" << seed
                                << "): " << losses.size() << " problems, first: " << losses[0]
                                << "\n--- server log ---\n"
                                << TailFile(server.log_path(), 30);
  };

  for (int cycle = 0; cycle <= cycles; cycle++) {
    // A new process object each cycle: fresh free ports, the same directory.
    ServerProcess server(args, dir);
    ASSERT_TRUE(server.Start()) << "cycle " << cycle;
    if (cycle == 0) {
      RedisConn c = server.Client();
      for (int i = 0; i < kBallastKeys; i += 100) {
        std::vector<std::string> mset = {"MSET"};
        for (int j = i; j < i + 100; j++) {
          mset.push_back(BallastKey(j));
          mset.push_back(BallastValue(j));
        }
        ASSERT_EQ(c.CmdArgv(mset), "OK");
      }
    } else {
      verify(server, cycle);
      if (HasFatalFailure()) return;
    }
    if (cycle == cycles) break;  // the last restart is only verified

    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (auto& w : writers) {
      threads.emplace_back([&, wp = w.get()] { wp->Run(server.port(), stop); });
    }
    threads.emplace_back(
        [&] { Compactor(server.port(), seed ^ (uint64_t(cycle) << 20), stop, &rewrites_started); });

    // The kill moment: a random delay, or (one cycle in three) a moment
    // during a compaction's image writing.
    if (rng() % 3 == 0) {
      RedisConn c = server.Client();
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
      c.Cmd("BGREWRITEAOF");  // or one is already running
      if (WaitUntil([&] { return RewriteInProgress(c); }, std::chrono::seconds(5))) {
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 250));
        kills_in_rewrite++;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 1000));
    }
    ASSERT_TRUE(server.running()) << "cycle " << cycle << ": the server died on its own\n"
                                  << TailFile(server.log_path());
    EXPECT_EQ(server.Kill(SIGKILL), 128 + SIGKILL);
    kills_with_tmp_base += HasTmpBase(dir);
    stop = true;
    for (auto& t : threads) t.join();
    for (auto& w : writers) ASSERT_EQ(w->failure(), "") << "cycle " << cycle;
    if ((cycle + 1) % 100 == 0) {
      std::fprintf(stderr, "server crash loop: %d cycles done\n", cycle + 1);
    }
  }

  uint64_t acked = 0, inflight_applied = 0;
  for (auto& w : writers) {
    acked += w->acked();
    inflight_applied += w->inflight_applied();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "server crash loop: cycles=%d acknowledged writes=%llu keys checked=%llu "
               "losses=%zu (in-flight commands found applied=%llu, kills during a rewrite=%llu, "
               "kills leaving a half-written base=%llu, BGREWRITEAOF started=%llu) in %.0f s, "
               "WALNUT_CRASH_SEED=%llu\n",
               cycles, (unsigned long long)acked, (unsigned long long)keys_checked, losses.size(),
               (unsigned long long)inflight_applied, (unsigned long long)kills_in_rewrite,
               (unsigned long long)kills_with_tmp_base, (unsigned long long)rewrites_started.load(),
               secs, (unsigned long long)seed);
  EXPECT_TRUE(losses.empty());
  EXPECT_GT(acked, uint64_t(cycles)) << "the writers hardly wrote anything";
}

}  // namespace
}  // namespace walnut::test
