// HashIndex: lookups, backward-shift deletion and the SCAN guarantee.
#include "engine/hash_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

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

// Incremental resizing (hash_index.h): random upserts, removals, in-place
// replacements, partial sweeps and explicit steps against a model, on a table
// that grows to thousands of keys and shrinks back, with every resize
// incremental. After every op, the key it touched is checked; every 500 ops,
// the whole contents.
TEST(HashIndex, IncrementalResizeMatchesAModel) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  HashIndex idx;
  idx.set_incremental_resize_from(16, 1);
  std::map<std::string, std::string> model;
  size_t grows = 0, shrinks = 0, ops_while_resizing = 0, swept = 0;
  size_t sweep_pos = 0;
  auto check_all = [&] {
    ASSERT_EQ(idx.size(), model.size());
    std::map<std::string, std::string> seen;
    idx.ForEach([&](const Entry* e) {
      EXPECT_TRUE(seen.emplace(std::string(e->key()), std::string(e->value())).second)
          << "twice: " << e->key();
    });
    ASSERT_EQ(seen, model);
    for (const auto& [k, v] : model) {
      Entry* e = idx.Find(k, HashKey(k));
      ASSERT_NE(e, nullptr) << k;
      ASSERT_EQ(e->value(), v) << k;
    }
  };
  for (int round = 0; round < 3; round++) {
    // Grow to 5000 keys (a key space of 8000), then shrink to 500; the
    // mixes of ops settle at ~5900 and ~420 keys, so both targets are met.
    for (bool growing : {true, false}) {
      const size_t target = growing ? 5000 : 500;
      for (int op = 0; growing ? model.size() < target : model.size() > target; op++) {
        const size_t cap_before = idx.capacity();
        const bool was_resizing = idx.resizing();
        const std::string k = "k" + std::to_string(rng() % 8000);
        const uint64_t dice = rng() % 100;
        if (dice < (growing ? 70u : 5u)) {
          const std::string v = std::to_string(op) + "/" + std::to_string(round);
          Entry* old = idx.Upsert(Make(k, v));
          ASSERT_EQ(old != nullptr, model.count(k) == 1) << k;
          if (old) Entry::Free(old);
          model[k] = v;
        } else if (dice < 95) {
          Entry* e = idx.Remove(k, HashKey(k));
          ASSERT_EQ(e != nullptr, model.erase(k) == 1) << k;
          if (e) Entry::Free(e);
        } else if (dice < 97) {
          if (Entry* cur = idx.Find(k, HashKey(k))) {
            const std::string v = "in-place " + std::to_string(op);
            idx.ReplaceInPlace(cur, Make(k, v));
            Entry::Free(cur);
            model[k] = v;
          }
        } else if (dice < 99) {
          // An expiry sweep's step: remove keys written by an op ending in 7.
          idx.SweepSlots(
              &sweep_pos, 1 + rng() % 64,
              [](const Entry* e) { return e->value().find("7/") != std::string_view::npos; },
              [&](Entry* e) {
                ASSERT_EQ(model.erase(std::string(e->key())), 1u);
                Entry::Free(e);
                swept++;
              });
        } else {
          idx.ResizeStep(rng() % 64);
        }
        if (!was_resizing && idx.resizing()) (idx.capacity() > cap_before ? grows : shrinks)++;
        ops_while_resizing += idx.resizing();
        Entry* e = idx.Find(k, HashKey(k));
        auto it = model.find(k);
        ASSERT_EQ(e != nullptr, it != model.end()) << k << " after op " << op;
        if (e) {
          ASSERT_EQ(e->value(), it->second) << k;
        }
        if (op % 500 == 0) {
          ASSERT_NO_FATAL_FAILURE(check_all());
        }
      }
      ASSERT_NO_FATAL_FAILURE(check_all());
    }
  }
  // The test is about the incremental path: it must have been taken, both ways.
  EXPECT_GE(grows, 6u);
  EXPECT_GE(shrinks, 3u);
  EXPECT_GT(ops_while_resizing, 1000u);
  EXPECT_GT(swept, 10u);
}

// SCAN's guarantee while resizes are under way: keys present for the whole
// scan are returned, with tables growing and shrinking (incrementally, and
// left half moved) between the calls.
TEST(HashIndex, ScanVisitsEveryKeyAcrossIncrementalResizes) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  int trials_met_resize = 0;
  for (int trial = 0; trial < 20; trial++) {
    HashIndex idx;
    idx.set_incremental_resize_from(16, 1);
    for (int i = 0; i < 500; i++) (void)idx.Upsert(Make("a" + std::to_string(i)));
    std::set<std::string> seen;
    std::vector<std::string> others;
    uint64_t cursor = 0;
    int calls = 0;
    bool met_resize = false;
    do {
      met_resize |= idx.resizing();
      cursor =
          idx.Scan(cursor, 1 + rng() % 20, [&](Entry* e) { seen.insert(std::string(e->key())); });
      // Between calls: add a burst of other keys (growth), or drop most of
      // them (shrink), or move part of a resize along.
      const uint64_t dice = rng() % 3;
      if (dice == 0) {
        for (int j = int(rng() % 800); j > 0; j--) {
          others.push_back("b" + std::to_string(trial) + "_" + std::to_string(calls) + "_" +
                           std::to_string(j));
          Entry* old = idx.Upsert(Make(others.back()));
          if (old) Entry::Free(old);
        }
      } else if (dice == 1) {
        while (others.size() > rng() % 50) {
          const std::string k = others.back();
          others.pop_back();
          if (Entry* e = idx.Remove(k, HashKey(k))) Entry::Free(e);
        }
      } else {
        idx.ResizeStep(rng() % 200);
      }
      ASSERT_LT(++calls, 100000) << "the scan does not end";
    } while (cursor != 0);
    trials_met_resize += met_resize;
    for (int i = 0; i < 500; i++) {
      ASSERT_TRUE(seen.count("a" + std::to_string(i))) << "trial " << trial << " key " << i;
    }
  }
  // The test is about scans that meet resizes under way.
  EXPECT_GE(trials_met_resize, 10);
}

// Every point a resize can stop at: with the old table moved up to each of
// its slots in turn (so the move has stopped inside every probe run at some
// point), a full scan returns every key, every key is found, and removing
// keys one by one (backward shifts in the old table) loses no other.
TEST(HashIndex, ScanFindAndRemoveAtEveryPointOfAResize) {
  for (bool grow : {true, false}) {
    for (size_t moved = 0;; moved++) {
      HashIndex idx;
      idx.set_incremental_resize_from(16, 1);
      std::vector<std::string> keys;
      if (grow) {
        // Fill 64 slots to just past 3/4: the resize to 128 starts with long
        // runs.
        while (idx.capacity() < 128 || !idx.resizing()) {
          keys.push_back("g" + std::to_string(keys.size()));
          (void)idx.Upsert(Make(keys.back()));
        }
      } else {
        for (int i = 0; i < 300; i++) {
          keys.push_back("s" + std::to_string(i));
          (void)idx.Upsert(Make(keys.back()));
        }
        idx.ResizeStep(SIZE_MAX);
        // Remove down to under 1/10 of the table: the last removal starts a
        // shrink.
        while (!idx.resizing()) {
          const std::string k = keys.back();
          keys.pop_back();
          Entry::Free(idx.Remove(k, HashKey(k)));
        }
      }
      const size_t old_slots = idx.positions() - idx.capacity();
      if (moved > old_slots) break;
      idx.ResizeStep(moved);
      SCOPED_TRACE((grow ? "growing, " : "shrinking, ") + std::to_string(moved) + " of " +
                   std::to_string(old_slots) + " slots moved");
      std::set<std::string> seen;
      uint64_t cursor = 0;
      do {
        cursor = idx.Scan(cursor, 1, [&](Entry* e) { seen.insert(std::string(e->key())); });
      } while (cursor != 0);
      ASSERT_EQ(seen, std::set<std::string>(keys.begin(), keys.end()));
      for (size_t i = 0; i < keys.size(); i++) {
        const std::string& k = keys[i];
        Entry* e = idx.Find(k, HashKey(k));
        ASSERT_NE(e, nullptr) << k;
        if (i % 2 == 0) continue;
        Entry* gone = idx.Remove(k, HashKey(k));
        ASSERT_EQ(gone, e) << k;
        Entry::Free(gone);
        for (size_t j = i + 1; j < keys.size(); j++) {
          ASSERT_NE(idx.Find(keys[j], HashKey(keys[j])), nullptr) << keys[j] << " after " << k;
        }
      }
      ASSERT_EQ(idx.size(), (keys.size() + 1) / 2);
    }
  }
}

// One sweep over positions() slots sees every entry of both tables, and
// Random and the CLOCK-style SlotAt/SetSlotAt reach entries in both.
TEST(HashIndex, SlotPositionsCoverBothTablesDuringAResize) {
  HashIndex idx;
  idx.set_incremental_resize_from(16, 1);
  int n = 0;
  while (!idx.resizing()) {
    (void)idx.Upsert(Make("p" + std::to_string(n), n % 2 ? "x" : "k"));
    n++;
  }
  ASSERT_GT(idx.positions(), idx.capacity());
  std::mt19937_64 rng(testing::TestSeed());
  std::set<std::string> randoms;
  for (int i = 0; i < 20 * n; i++) randoms.insert(std::string(idx.Random(rng)->key()));
  EXPECT_EQ(randoms.size(), size_t(n)) << "Random reaches every entry, in either table";
  size_t via_slots = 0;
  for (size_t i = 0; i < idx.positions(); i++) {
    if (Entry* e = idx.SlotAt(i)) {
      Entry* copy = Make(std::string(e->key()), std::string(e->value()) + "!");
      idx.SetSlotAt(i, copy);
      Entry::Free(e);
      via_slots++;
    }
  }
  EXPECT_EQ(via_slots, size_t(n));
  size_t position = 0, removed = 0;
  idx.SweepSlots(
      &position, idx.positions(), [](const Entry* e) { return e->value() == "x!"; },
      [&](Entry* e) {
        removed++;
        Entry::Free(e);
      });
  EXPECT_EQ(position, 0u);
  EXPECT_EQ(removed, size_t(n / 2));
  EXPECT_EQ(idx.size(), size_t(n - n / 2));
  idx.ForEach([](const Entry* e) { EXPECT_EQ(e->value(), "k!"); });
}

// The point of it: growing a large table does not rehash it in one call.
// The insert that starts the resize leaves the old table in place, and the
// writes that follow empty it, a bounded number of slots each.
TEST(HashIndex, GrowingALargeTableIsSpreadOverWrites) {
  HashIndex idx;
  int n = 0;
  while (idx.capacity() < HashIndex::kIncrementalResizeFrom || !idx.resizing()) {
    (void)idx.Upsert(Make("g" + std::to_string(n++)));
  }
  const size_t old_cap = idx.positions() - idx.capacity();
  EXPECT_EQ(idx.capacity(), 2 * old_cap);
  int writes = 0;
  while (idx.resizing()) {
    (void)idx.Upsert(Make("g" + std::to_string(n++)));
    writes++;
  }
  // kMinResizeStep slots per write, give or take the first one.
  const int expected = int(old_cap / HashIndex::kMinResizeStep);
  EXPECT_GE(writes, expected - 1);
  EXPECT_LE(writes, expected + 1);
  for (int i = 0; i < n; i++) {
    const std::string k = "g" + std::to_string(i);
    ASSERT_NE(idx.Find(k, HashKey(k)), nullptr) << k;
  }
}

}  // namespace
}  // namespace walnut
