// HashIndex: lookups, backward-shift deletion and the SCAN guarantee.
#include "engine/hash_index.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "common/hash.h"
#include "engine/test_util.h"

namespace walnut {
namespace {

Entry* Make(const std::string& k, const std::string& v = "v") {
  return Entry::Make(HashKey(k), k, v, 0);
}

TEST(HashIndex, InsertFindRemoveMany) {
  HashIndex idx;
  std::mt19937_64 rng(testing::TestSeed());
  std::set<std::string> model;
  for (int i = 0; i < 20000; i++) {
    std::string k = "k" + std::to_string(rng() % 5000);
    if (rng() % 3 == 0) {
      Entry* e = idx.Remove(k, HashKey(k));
      EXPECT_EQ(e != nullptr, model.erase(k) == 1) << k;
      if (e) Entry::Free(e);
    } else {
      Entry* old = idx.Upsert(Make(k, std::to_string(i)));
      EXPECT_EQ(old != nullptr, !model.insert(k).second) << k;
      if (old) Entry::Free(old);
    }
    ASSERT_EQ(idx.size(), model.size());
  }
  for (int i = 0; i < 5000; i++) {
    std::string k = "k" + std::to_string(i);
    EXPECT_EQ(idx.Find(k, HashKey(k)) != nullptr, model.count(k) == 1) << k;
  }
}

// A pass over capacity() slots from 0 sees every entry, however many it
// removes (each removal may pull another entry back into the same slot).
TEST(HashIndex, SweepOverEverySlotRemovesEveryMatch) {
  for (int every : {1, 2, 3}) {
    HashIndex idx;
    size_t keep = 0;
    for (int i = 0; i < 1000; i++) {
      (void)idx.Upsert(Make("s" + std::to_string(i), i % every == 0 ? "x" : "keep"));
      keep += i % every != 0;
    }
    size_t position = 0, removed = 0;
    idx.SweepSlots(
        &position, idx.capacity(), [](const Entry* e) { return e->value() == "x"; },
        [&](Entry* e) {
          removed++;
          Entry::Free(e);
        });
    EXPECT_EQ(position, 0u) << "every " << every;  // the pass went round
    EXPECT_EQ(idx.size(), keep) << "every " << every;
    EXPECT_EQ(removed, 1000 - keep) << "every " << every;
    idx.ForEach([](const Entry* e) { EXPECT_EQ(e->value(), "keep"); });
  }
}

TEST(HashIndex, ScanVisitsEveryKeyAcrossGrowth) {
  HashIndex idx;
  for (int i = 0; i < 1000; i++) (void)idx.Upsert(Make("a" + std::to_string(i)));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = idx.Scan(cursor, 10, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table in the middle of the scan, several times.
    if (++step % 7 == 0) {
      for (int j = 0; j < 300; j++) {
        (void)idx.Upsert(Make("b" + std::to_string(step) + "_" + std::to_string(j)));
      }
    }
  } while (cursor != 0);
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(seen.count("a" + std::to_string(i))) << i;
}

TEST(HashIndex, ScanVisitsEveryKeyAcrossShrink) {
  HashIndex idx;
  for (int i = 0; i < 5000; i++) (void)idx.Upsert(Make("x" + std::to_string(i)));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int removed = 0;
  do {
    cursor = idx.Scan(cursor, 20, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Delete keys we promise nothing about (y-range is never deleted below).
    for (int j = 0; j < 200 && removed < 4900; j++, removed++) {
      std::string k = "x" + std::to_string(removed);
      if (Entry* e = idx.Remove(k, HashKey(k))) Entry::Free(e);
    }
  } while (cursor != 0);
  for (int i = 4900; i < 5000; i++) EXPECT_TRUE(seen.count("x" + std::to_string(i))) << i;
}

TEST(HashIndex, RandomFindsOnlyLiveEntries) {
  HashIndex idx;
  std::mt19937_64 rng(testing::TestSeed());
  EXPECT_EQ(idx.Random(rng), nullptr);
  for (int i = 0; i < 100; i++) (void)idx.Upsert(Make("r" + std::to_string(i)));
  std::set<std::string> got;
  for (int i = 0; i < 5000; i++) got.insert(std::string(idx.Random(rng)->key()));
  EXPECT_EQ(got.size(), 100u);  // all of them, with overwhelming probability
}

}  // namespace
}  // namespace walnut
