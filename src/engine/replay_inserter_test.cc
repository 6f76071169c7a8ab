// ReplayInserter must apply the ops it is given exactly as Keyspace::Apply
// would, one after another, whichever thread makes the entries and however
// the ops fall into batches: a seeded random mix of every kind of op over
// two databases and a small key set (so the same keys are put, deleted and
// moved right next to each other) must leave the keyspace as applying the
// ops in order does, at every Flush.
#include "engine/replay_inserter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/test_util.h"
#include "engine/wal_format.h"
#include "walnut/write_batch.h"

namespace walnut {
namespace {

constexpr uint32_t kDbs = 2;
constexpr int kKeys = 200;

std::string Key(int i) { return "key-" + std::to_string(i); }

// The encoded ops of a seeded random workload, each a string of its own.
std::vector<std::string> RandomOps(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  const int64_t later = 4102444800000;  // 2100-01-01
  std::vector<std::string> ops;
  for (int i = 0; i < n; i++) {
    WriteBatch b;
    const uint32_t d = uint32_t(rng() % kDbs);
    const uint64_t r = rng() % 1000;
    if (r < 800) {
      b.Put(d, Key(int(rng() % kKeys)), std::string(rng() % 300, char('a' + i % 26)),
            r < 100 ? later + int64_t(rng() % 1000) : 0);
    } else if (r < 930) {
      b.Delete(d, Key(int(rng() % kKeys)));
    } else if (r < 990) {
      b.SetExpiry(d, Key(int(rng() % kKeys)), rng() % 2 ? later : 0);
    } else if (r < 996) {
      b.SwapDb(0, 1);
    } else {
      b.FlushDb(d);
    }
    ops.push_back(internal::WriteBatchAccess::Rep(b));
  }
  return ops;
}

DecodedOp Decode(const std::string& bytes) {
  std::string_view in = bytes;
  DecodedOp op;
  Status s = DecodeOp(&in, &op);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return op;
}

// Every key's value and expiry, or its absence, in both keyspaces.
void ExpectSame(Keyspace& want, Keyspace& got, const std::string& what) {
  for (uint32_t d = 0; d < kDbs; d++) {
    ASSERT_EQ(got.keys(d), want.keys(d)) << what << " db " << d;
    for (int i = 0; i < kKeys; i++) {
      Entry* w = want.Find(d, Key(i), 0);
      Entry* g = got.Find(d, Key(i), 0);
      ASSERT_EQ(g != nullptr, w != nullptr) << what << " db " << d << " " << Key(i);
      if (!w) continue;
      ASSERT_EQ(g->value(), w->value()) << what << " db " << d << " " << Key(i);
      ASSERT_EQ(g->expire_at_ms, w->expire_at_ms) << what << " db " << d << " " << Key(i);
    }
  }
}

struct Mode {
  const char* name;
  bool own_thread;
  ReplayInserter::MakeEntries who;
};

TEST(ReplayInserter, AppliesEveryKindOfOpInOrderOnEitherThread) {
  const uint64_t seed = testing::TestSeed();
  const std::vector<std::string> ops = RandomOps(seed, 30000);
  const Mode modes[] = {
      {"same thread", false, ReplayInserter::MakeEntries::kByLoad},
      {"own thread, by load", true, ReplayInserter::MakeEntries::kByLoad},
      {"own thread, caller makes", true, ReplayInserter::MakeEntries::kOnCaller},
      {"own thread, applier makes", true, ReplayInserter::MakeEntries::kOnApplier},
  };
  for (const Mode& m : modes) {
    SCOPED_TRACE(std::string(m.name) + ", seed " + std::to_string(seed));
    Keyspace want(kDbs), got(kDbs);
    ReplayInserter ins(&got, nullptr, m.own_thread, m.who);
    // The caller's buffer is reused for every op, and scribbled over once
    // Apply returns: the inserter must keep nothing that points into it.
    std::string scratch;
    for (size_t i = 0; i < ops.size(); i++) {
      want.Apply(Decode(ops[i]), 0);
      scratch = ops[i];
      ins.Apply(Decode(scratch));
      std::fill(scratch.begin(), scratch.end(), '\xee');
      // A Flush at uneven points, mid-batch or not: the keyspace is then
      // the ops so far, and replay goes on after it.
      if (i % 7919 == 7918) {
        ins.Flush();
        ExpectSame(want, got, "after op " + std::to_string(i));
      }
    }
    ins.Flush();
    ExpectSame(want, got, "at the end");
  }
}

// The sizer runs on the applying thread, once a batch holding the progress
// is applied: the index is then reserved for the keys the rest will add.
TEST(ReplayInserter, PresizesFromTheApplyingThread) {
  for (bool own_thread : {false, true}) {
    SCOPED_TRACE(own_thread ? "own thread" : "same thread");
    Keyspace ks(1);
    // 16 MiB of "log", of which 1/16 carries 10,000 new keys.
    Presizer sizer(&ks, 16u << 20, 0);
    ReplayInserter ins(&ks, &sizer, own_thread);
    for (int i = 0; i < 10000; i++) {
      WriteBatch b;
      b.Put(0, "k" + std::to_string(i), "v");
      ins.Apply(Decode(internal::WriteBatchAccess::Rep(b)));
    }
    ins.Progress(1u << 20);
    ins.Flush();
    EXPECT_EQ(ks.keys(0), 10000u);
    // Room for ~160,000 keys at 3/4 full, made at once.
    EXPECT_GE(ks.db(0).capacity(), 160000u * 4 / 3);
  }
}

}  // namespace
}  // namespace walnut
