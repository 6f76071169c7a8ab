// HashIndex: lookups, backward-shift deletion and the SCAN guarantee.
#include "engine/hash_index.h"

#include <gtest/gtest.h>

#include <map>
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

// A slot keeps the top 16 bits of its entry's hash (the tag) next to the
// pointer, and a probe reads the entry only when the tag matches. Keys that
// share the tag, the home bucket, or the whole hash must still be told
// apart by their bytes, through growth, removal and the backward shifts.
TEST(HashIndex, KeysSharingTagHomeOrWholeHashStayApart) {
  HashIndex idx;
  std::map<std::string, uint64_t> model;  // key -> hash it was given
  auto add = [&](const std::string& k, uint64_t h) {
    Entry* old = idx.Upsert(Entry::Make(h, k, "v" + k, 0));
    EXPECT_EQ(old != nullptr, model.count(k) == 1) << k;
    if (old) Entry::Free(old);
    model[k] = h;
  };
  for (uint64_t i = 0; i < 300; i++) {
    add("same-hash-" + std::to_string(i), 0xABCD000000000042ull);              // all equal
    add("same-tag-" + std::to_string(i), 0xABCD000000000000ull | (i * 7919));  // tag equal
    add("same-home-" + std::to_string(i), (i << 48) | 0x42);                   // low bits equal
  }
  add("same-hash-7", 0xABCD000000000042ull);  // an overwrite among them
  auto check = [&] {
    ASSERT_EQ(idx.size(), model.size());
    for (const auto& [k, h] : model) {
      Entry* e = idx.Find(k, h);
      ASSERT_NE(e, nullptr) << k;
      EXPECT_EQ(e->key(), k);
      EXPECT_EQ(e->value(), "v" + k);
      EXPECT_EQ(idx.Find(k, h ^ (1ull << 63)), nullptr) << k;  // another tag: not it
    }
  };
  check();
  for (uint64_t i = 0; i < 300; i += 2) {
    for (const char* kind : {"same-hash-", "same-tag-", "same-home-"}) {
      std::string k = kind + std::to_string(i);
      Entry* e = idx.Remove(k, model[k]);
      ASSERT_NE(e, nullptr) << k;
      EXPECT_EQ(e->key(), k);
      Entry::Free(e);
      model.erase(k);
    }
  }
  check();
  size_t seen = 0;
  idx.ForEach([&](const Entry* e) {
    EXPECT_EQ(model.at(std::string(e->key())), e->hash);
    seen++;
  });
  EXPECT_EQ(seen, model.size());
}

// Recovery sizes the table once (Reserve) and shrinks a guess that was too
// large (ShrinkToFit); the entries survive both.
TEST(HashIndex, ReserveThenShrinkToFit) {
  HashIndex idx;
  idx.Reserve(100000);
  const size_t reserved = idx.capacity();
  EXPECT_GE(reserved * 3, 100000u * 4);  // room for 100000 at 3/4 full
  for (int i = 0; i < 100000; i++) (void)idx.Upsert(Make("r" + std::to_string(i)));
  EXPECT_EQ(idx.capacity(), reserved) << "no growth after a Reserve";
  idx.ShrinkToFit();
  EXPECT_EQ(idx.capacity(), reserved) << "already the size growth gives";
  idx.Reserve(10);
  EXPECT_EQ(idx.capacity(), reserved) << "Reserve never shrinks";

  HashIndex small;
  small.Reserve(1000000);
  for (int i = 0; i < 1000; i++) (void)small.Upsert(Make("s" + std::to_string(i)));
  small.ShrinkToFit();
  EXPECT_EQ(small.capacity(), 2048u);  // 1000 keys need 2048 slots at 3/4 full
  for (int i = 0; i < 1000; i++) {
    std::string k = "s" + std::to_string(i);
    EXPECT_NE(small.Find(k, HashKey(k)), nullptr) << k;
  }
}

}  // namespace
}  // namespace walnut
