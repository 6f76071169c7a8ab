// PartitionedDB through the public DB API: routing, SCAN across partitions,
// multi-partition writes that stay all-or-nothing when a crash loses one of
// their parts, atomic groups, compaction, parallel recovery and
// re-partitioning.
#include "engine/partitioned_db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/thread_priority.h"
#include "engine/partition_layout.h"
#include "engine/test_util.h"
#include "engine/wal_format.h"
#include "engine/write_batch_internal.h"
#include "walnut/check.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

struct PartitionedTest : ::testing::Test {
  ScratchDir dir{"partitioned"};
  Options opts;
  std::mutex log_mu;  // partitions log from their own threads
  std::vector<std::string> log;
  // Declared after the log: destroyed first, so the engine's threads (the
  // snapshot loader logs when it ends) are joined before the log goes away.
  std::unique_ptr<DB> db;

  PartitionedTest() {
    opts.fsync = FsyncMode::kNo;
    opts.partitions = 4;
    opts.auto_compact = false;
    opts.logger = [this](LogLevel, std::string_view m) {
      std::lock_guard<std::mutex> g(log_mu);
      log.emplace_back(m);
    };
  }
  void Open() {
    db.reset();
    auto r = DB::Open(dir.path(), opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db = std::move(*r);
  }
  void Reopen() {
    ASSERT_OK(db->Close());
    Open();
  }
  PartitionedDB* pdb() { return dynamic_cast<PartitionedDB*>(db.get()); }
  std::string Get(uint32_t d, std::string_view k) {
    std::string out = "<none>";
    Status s = db->Read(d, k, [&](std::string_view v, int64_t) { out.assign(v); });
    EXPECT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
    return out;
  }
  // Two keys that live in different partitions, found by trying.
  std::vector<std::string> KeysInEveryPartition(const std::string& prefix) {
    std::vector<std::string> keys(pdb()->partition_count());
    std::vector<bool> have(keys.size());
    size_t found = 0;
    for (int i = 0; found < keys.size(); i++) {
      std::string k = prefix + std::to_string(i);
      uint32_t p = pdb()->PartitionOf(k);
      if (!have[p]) {
        have[p] = true;
        keys[p] = k;
        found++;
      }
    }
    return keys;
  }
  bool LogMentions(const std::string& what) {
    std::lock_guard<std::mutex> g(log_mu);
    for (auto& l : log) {
      if (l.find(what) != std::string::npos) return true;
    }
    return false;
  }
};

// Space for a part of a cross write is reserved before its kTxn op exists
// (its sequences are read under the locks), with MaxTxnOpSize: the largest
// op must fit.
TEST(TxnOpSize, TheLargestOpFitsItsBound) {
  for (uint32_t n : {1u, 2u, 127u, 128u, uint32_t(wal::kMaxPartitions)}) {
    std::vector<TxnPart> parts;
    for (uint32_t i = 0; i < n; i++) parts.push_back(TxnPart{wal::kMaxPartitions - 1 - i, ~0ull});
    std::string op;
    EncodeTxnOp(&op, ~0ull, parts);
    EXPECT_LE(op.size(), MaxTxnOpSize(n)) << n << " parts";
  }
}

TEST_F(PartitionedTest, LayoutRoutingAndBalance) {
  Open();
  ASSERT_NE(pdb(), nullptr);
  EXPECT_EQ(pdb()->partition_count(), 4u);
  EXPECT_TRUE(fs::exists(dir.Sub("PARTITIONS")));
  for (int p = 0; p < 4; p++) EXPECT_TRUE(fs::is_directory(dir.Sub("g1-p00" + std::to_string(p))));
  const int n = 4000;
  for (int i = 0; i < n; i++) ASSERT_OK(db->Put("key:" + std::to_string(i), std::to_string(i)));
  EXPECT_EQ(db->KeyCount(0), uint64_t(n));
  for (uint32_t p = 0; p < 4; p++) {
    uint64_t k = pdb()->partition(p)->KeyCount(0);
    // A hash split: each of 4 partitions holds about a quarter.
    EXPECT_GT(k, n / 4 * 8 / 10) << "partition " << p;
    EXPECT_LT(k, n / 4 * 12 / 10) << "partition " << p;
  }
  Reopen();
  EXPECT_EQ(db->KeyCount(0), uint64_t(n));
  for (int i = 0; i < n; i += 97) EXPECT_EQ(Get(0, "key:" + std::to_string(i)), std::to_string(i));
  EXPECT_TRUE(LogMentions("recovered 4 partitions in parallel"));
}

// Prefetch is a hint: whatever it is given (more keys than it takes, keys
// of every partition, absent keys, a database out of range, a closed DB), it
// changes nothing and does not fail.
TEST_F(PartitionedTest, PrefetchChangesNothing) {
  Open();
  std::vector<std::string> names;
  for (int i = 0; i < 40; i++) names.push_back("key:" + std::to_string(i));
  for (int i = 0; i < 40; i += 2) ASSERT_OK(db->Put(names[i], "v" + std::to_string(i)));
  std::vector<std::string_view> keys(names.begin(), names.end());
  ASSERT_GT(keys.size(), DB::kMaxPrefetch);
  db->Prefetch(0, keys);
  db->Prefetch(0, {});
  db->Prefetch(1u << 30, keys);
  EXPECT_EQ(db->KeyCount(0), 20u);
  for (int i = 0; i < 40; i++) {
    EXPECT_EQ(Get(0, names[i]), i % 2 ? "<none>" : "v" + std::to_string(i)) << names[i];
  }
  // Each partition alone takes the same path once routed.
  for (uint32_t p = 0; p < pdb()->partition_count(); p++) {
    pdb()->partition(p)->Prefetch(0, keys);
    pdb()->partition(p)->Prefetch(1u << 30, keys);
  }
  EXPECT_EQ(db->KeyCount(0), 20u);
  ASSERT_OK(db->Close());
  db->Prefetch(0, keys);
  for (uint32_t p = 0; p < 4; p++) pdb()->partition(p)->Prefetch(0, keys);
}

// ReadMany gives what a Read of each key gives, in key order: found keys
// only, keys repeated or absent or expired, more keys than one lock's worth
// (kMaxPrefetch), across every partition and with one log.
TEST_F(PartitionedTest, ReadManyAgreesWithReadOfEachKey) {
  for (uint32_t partitions : {4u, 1u}) {
    SCOPED_TRACE("partitions " + std::to_string(partitions));
    opts.partitions = partitions;
    ScratchDir d{"readmany"};
    auto r = DB::Open(d.path(), opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::unique_ptr<DB> rdb = std::move(*r);
    std::vector<std::string> names;
    for (int i = 0; i < 50; i++) names.push_back("key:" + std::to_string(i));
    names.push_back("key:3");   // again
    names.push_back("");        // the empty key, absent
    const int64_t past = 1000;  // 1970: expired as soon as it is written
    for (int i = 0; i < 50; i++) {
      if (i % 3 == 2) continue;  // absent
      WriteBatch b;
      if (i % 7 == 0) {
        b.Put(0, names[i], "gone", past);
      } else {
        b.Put(0, names[i], "v" + std::to_string(i));
      }
      ASSERT_OK(rdb->Write(b));
    }
    std::vector<std::string_view> keys(names.begin(), names.end());
    ASSERT_GT(keys.size(), 3 * DB::kMaxPrefetch);
    std::vector<std::string> want(keys.size(), "<none>");
    for (size_t i = 0; i < keys.size(); i++) {
      Status s = rdb->Read(0, keys[i], [&](std::string_view v, int64_t) { want[i].assign(v); });
      ASSERT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
    }
    std::vector<std::string> got(keys.size(), "<none>");
    size_t last = 0, calls = 0;
    ASSERT_OK(rdb->ReadMany(0, keys, [&](size_t i, std::string_view v, int64_t) {
      EXPECT_TRUE(calls == 0 || i > last) << "out of order: " << i << " after " << last;
      last = i;
      calls++;
      got[i].assign(v);
    }));
    EXPECT_EQ(got, want);
    EXPECT_EQ(got[50], "v3");
    EXPECT_EQ(got[0], "<none>");  // expired
    // Another database holds none of them; an empty list reads nothing.
    ASSERT_OK(rdb->ReadMany(1, keys, [&](size_t i, std::string_view, int64_t) {
      ADD_FAILURE() << "found " << i << " in database 1";
    }));
    ASSERT_OK(rdb->ReadMany(0, {}, [&](size_t, std::string_view, int64_t) { ADD_FAILURE(); }));
    EXPECT_TRUE(
        rdb->ReadMany(1u << 30, keys, [&](size_t, std::string_view, int64_t) { ADD_FAILURE(); })
            .IsInvalidArgument());
    ASSERT_OK(rdb->Close());
    EXPECT_TRUE(rdb->ReadMany(0, keys, [&](size_t, std::string_view, int64_t) { ADD_FAILURE(); })
                    .IsClosed());
  }
}

TEST_F(PartitionedTest, ScanVisitsEveryKeyAcrossPartitions) {
  Open();
  std::set<std::string> want;
  for (int i = 0; i < 1500; i++) {
    std::string k = "s" + std::to_string(i);
    want.insert(k);
    WriteBatch b;
    b.Put(3, k, "v");
    ASSERT_OK(db->Write(b));
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = db->Scan(3, cursor, 10, [&](std::string_view k, std::string_view, int64_t) {
      seen.insert(std::string(k));
    });
    calls++;
  } while (cursor != 0 && calls < 100000);
  EXPECT_EQ(seen, want);
  EXPECT_EQ(db->KeyCount(3), 1500u);
  auto r = db->RandomKey(3);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(want.count(*r));
}

TEST_F(PartitionedTest, MultiPartitionBatchAndFlushAllReachEveryPartition) {
  Open();
  auto keys = KeysInEveryPartition("m");
  WriteBatch b;
  for (auto& k : keys) b.Put(0, k, "x-" + k);
  b.Put(1, keys[0], "in-db-1");
  ASSERT_OK(db->Write(b));
  Reopen();
  for (auto& k : keys) EXPECT_EQ(Get(0, k), "x-" + k);
  EXPECT_EQ(Get(1, keys[0]), "in-db-1");

  WriteBatch swap;
  swap.SwapDb(0, 1);
  ASSERT_OK(db->Write(swap));
  EXPECT_EQ(Get(0, keys[0]), "in-db-1");
  EXPECT_EQ(Get(1, keys[1]), "x-" + keys[1]);
  WriteBatch flush;
  flush.FlushAll();
  ASSERT_OK(db->Write(flush));
  Reopen();
  EXPECT_EQ(db->KeyCount(0), 0u);
  EXPECT_EQ(db->KeyCount(1), 0u);
}

TEST_F(PartitionedTest, InvalidBatchChangesNoPartition) {
  Open();
  auto keys = KeysInEveryPartition("inv");
  opts.max_value_size = 10;
  Reopen();
  WriteBatch b;
  b.Put(0, keys[0], "ok");
  b.Put(0, keys[1], std::string(11, 'x'));  // too large: the whole batch fails
  EXPECT_TRUE(db->Write(b).IsInvalidArgument());
  EXPECT_EQ(Get(0, keys[0]), "<none>");
  EXPECT_EQ(Get(0, keys[1]), "<none>");
}

// A multi-partition batch is decoded once and each partition applies its
// ops from it (PartitionedDB::Route): ops must keep their order within every
// partition, keyless ops (FLUSHDB) must reach every partition at their place
// in the batch, and a bad op anywhere must change nothing anywhere. Both
// write paths (Write, and WriteDeferred as the server uses it), and again
// after a restart.
TEST_F(PartitionedTest, MixedBatchKeepsItsOrderInEveryPartition) {
  opts.partitions = 4;
  Open();
  auto keys = KeysInEveryPartition("mix");
  for (int deferred = 0; deferred < 2; deferred++) {
    SCOPED_TRACE(deferred ? "WriteDeferred" : "Write");
    auto write = [&](const WriteBatch& b) -> Status {
      if (!deferred) return db->Write(b);
      auto r = db->WriteDeferred(b, false);
      if (!r.ok()) return r.status();
      return db->FlushLog(false);
    };
    WriteBatch b;
    for (auto& k : keys) b.Put(0, k, "before-flush");
    b.Put(1, keys[1], "db1");
    b.FlushDb(0);
    b.Put(0, keys[0], "v1");
    b.Delete(0, keys[0]);
    b.Put(0, keys[0], "v2");
    b.Put(0, keys[2], "only");
    ASSERT_OK(write(b));
    for (int round = 0; round < 2; round++) {
      EXPECT_EQ(Get(0, keys[0]), "v2");
      EXPECT_EQ(Get(0, keys[1]), "<none>");
      EXPECT_EQ(Get(0, keys[2]), "only");
      EXPECT_EQ(Get(1, keys[1]), "db1");
      EXPECT_EQ(db->KeyCount(0), 2u);
      Reopen();
    }
    WriteBatch bad;
    bad.Put(0, keys[3], "x");
    bad.Delete(0, keys[0]);
    bad.Put(999, keys[1], "no such database");
    EXPECT_TRUE(write(bad).IsInvalidArgument());
    EXPECT_EQ(Get(0, keys[3]), "<none>");
    EXPECT_EQ(Get(0, keys[0]), "v2");
    // Nine ops, all in one partition: routed whole to it.
    WriteBatch same;
    std::vector<std::string> in_one;
    for (int i = 0; in_one.size() < 9; i++) {
      std::string k = "same" + std::to_string(i);
      if (pdb()->PartitionOf(k) == pdb()->PartitionOf(keys[1])) in_one.push_back(k);
    }
    for (auto& k : in_one) same.Put(0, k, k + "!");
    ASSERT_OK(write(same));
    Reopen();
    for (auto& k : in_one) EXPECT_EQ(Get(0, k), k + "!");
    WriteBatch flush;
    flush.FlushAll();
    ASSERT_OK(write(flush));
  }
}

// The crash this design exists for: a multi-partition write whose part in
// one partition reached the disk while the part in another did not. After
// the crash no part of it may be visible, now or ever.
TEST_F(PartitionedTest, WriteThatLostAPartInACrashDisappearsEverywhere) {
  Open();
  auto keys = KeysInEveryPartition("t");
  {
    WriteBatch before;  // an earlier whole write stays
    for (auto& k : keys) before.Put(0, k, "old");
    ASSERT_OK(db->Write(before));
  }
  ASSERT_OK(db->Sync());
  // The victim partition's log ends here before the write.
  const uint32_t victim = 2;
  DbStats vs = pdb()->partition(victim)->Stats();
  ASSERT_EQ(vs.segments, 1u);
  const uint64_t cut_at = vs.log_bytes;
  {
    WriteBatch t;
    for (auto& k : keys) t.Put(0, k, "new");
    ASSERT_OK(db->Write(t));
  }
  ASSERT_OK(db->Close());
  db.reset();
  // Simulate the crash: the victim's part never reached the disk.
  std::string seg = testing::NewestSegment(dir.Sub("g1-p002"));
  ASSERT_FALSE(seg.empty());
  fs::resize_file(seg, cut_at);

  Open();
  for (auto& k : keys) EXPECT_EQ(Get(0, k), "old") << k;
  EXPECT_TRUE(LogMentions("multi-partition writes that a crash left incomplete"));

  // The victim's log reuses the lost sequence for new writes; the dropped
  // part must not come back to life when the sequence exists again.
  ASSERT_OK(db->Put(keys[victim], "after"));
  ASSERT_OK(db->Put(keys[victim] + "-2", "after"));
  {
    std::lock_guard<std::mutex> g(log_mu);
    log.clear();
  }
  Reopen();
  Reopen();
  for (uint32_t p = 0; p < keys.size(); p++) {
    EXPECT_EQ(Get(0, keys[p]), p == victim ? "after" : "old") << keys[p];
  }
  EXPECT_FALSE(LogMentions("left incomplete"));
}

TEST_F(PartitionedTest, AtomicGroupAcrossPartitionsIsOnePartPerPartition) {
  Open();
  auto keys = KeysInEveryPartition("g");
  // MULTI/EXEC as the server drives it: deferred batches, then a close.
  for (size_t i = 0; i < keys.size(); i++) {
    WriteBatch b;
    b.Put(0, keys[i], "g" + std::to_string(i));
    ASSERT_TRUE(db->WriteDeferred(b, /*more_follows=*/true).ok());
    EXPECT_EQ(Get(0, keys[i]), "g" + std::to_string(i));  // visible inside the group
  }
  ASSERT_TRUE(db->WriteDeferred(WriteBatch(), /*more_follows=*/false).ok());
  ASSERT_OK(db->FlushLog(true));
  DbStats st = pdb()->partition(1)->Stats();
  EXPECT_EQ(st.writes, 1u);  // one record in this partition for the whole group

  // Lose the group's part in partition 1: the group vanishes everywhere.
  const uint64_t cut_at = st.log_bytes - (st.bytes_written);
  ASSERT_OK(db->Close());
  db.reset();
  fs::resize_file(testing::NewestSegment(dir.Sub("g1-p001")), cut_at);
  Open();
  for (auto& k : keys) EXPECT_EQ(Get(0, k), "<none>") << k;
}

TEST_F(PartitionedTest, ConcurrentWritersReadersAndCompactionAgree) {
  opts.fsync = FsyncMode::kEverySec;
  Open();
  const uint64_t seed = testing::TestSeed();
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + t);
      for (int i = 0; i < 400; i++) {
        WriteBatch b;
        int n = 1 + int(rng() % 4);
        for (int j = 0; j < n; j++) {
          b.Put(0, "c" + std::to_string(t) + ":" + std::to_string(rng() % 50), std::to_string(i));
        }
        if (!db->Write(b).ok()) failed = true;
        if (i % 100 == 0 && t == 0 && !db->Compact().ok()) failed = true;
      }
    });
  }
  // Readers and a compactor run alongside the writers (this test runs under
  // ThreadSanitizer in `make test-tsan`).
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  auto well_formed = [](std::string_view v) {
    return !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
  };
  for (int r = 0; r < 2; r++) {
    threads.emplace_back([&, r] {
      std::mt19937_64 rng(seed + 100 + r);
      while (!stop) {
        std::string key = "c" + std::to_string(rng() % 4) + ":" + std::to_string(rng() % 50);
        Status s = db->Read(0, key, [&](std::string_view v, int64_t) {
          if (!well_formed(v)) failed = true;
        });
        if (!s.ok() && !s.IsNotFound()) failed = true;
        uint64_t cursor =
            db->Scan(0, rng() % 64, 5, [&](std::string_view, std::string_view v, int64_t) {
              if (!well_formed(v)) failed = true;
            });
        (void)cursor;
        reads++;
      }
    });
  }
  std::atomic<uint64_t> compactions{0};
  threads.emplace_back([&] {
    while (!stop) {
      if (!db->Compact().ok()) failed = true;
      compactions++;
    }
  });
  for (size_t i = 0; i < 4; i++) threads[i].join();
  // Under load the writers can finish before the readers or the compactor
  // got a turn: let them run a while (a condition, not a sleep).
  for (int i = 0; i < 30000 && (reads.load() < 20 || compactions.load() < 1); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (size_t i = 4; i < threads.size(); i++) threads[i].join();
  EXPECT_FALSE(failed);
  EXPECT_GE(reads.load(), 20u);
  EXPECT_GE(compactions.load(), 1u);
  std::map<std::string, std::string> before;
  for (int t = 0; t < 4; t++) {
    for (int k = 0; k < 50; k++) {
      std::string key = "c" + std::to_string(t) + ":" + std::to_string(k);
      before[key] = Get(0, key);
    }
  }
  Reopen();
  for (auto& [k, v] : before) EXPECT_EQ(Get(0, k), v) << k;
}

TEST_F(PartitionedTest, CompactionFoldsWholeWritesAndKeepsEverything) {
  Open();
  auto keys = KeysInEveryPartition("c");
  for (int round = 0; round < 20; round++) {
    WriteBatch b;
    for (auto& k : keys) b.Put(0, k, "r" + std::to_string(round));
    ASSERT_OK(db->Write(b));
  }
  auto r = db->Compact();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(r->bytes_after, r->bytes_before);
  Reopen();
  for (auto& k : keys) EXPECT_EQ(Get(0, k), "r19");
  EXPECT_EQ(db->Stats().partitions, 4u);
}

// The policy runs one compaction at a time over the partitions, the one with
// the most dead bytes first. Both partitions are due at the first look (the
// garbage was written with the policy off); partition 1 holds more, so it
// must be compacted first, and the second compaction must start only after
// the first has ended.
// The policy thread, which runs every automatic compaction, yields the CPU
// to the threads serving requests (common/thread_priority.h).
TEST_F(PartitionedTest, PolicyThreadRunsAtLowerPriority) {
  const int before = ThreadNice();
  opts.partitions = 2;
  opts.auto_compact = true;
  opts.background_nice = 5;
  Open();
  EXPECT_TRUE(testing::SomeThreadReachesNice(before + 5));
  EXPECT_EQ(ThreadNice(), before);
}

TEST_F(PartitionedTest, PolicyCompactsTheMostGarbageFirstOneAtATime) {
  opts.partitions = 2;
  opts.segment_size = 256 << 10;
  opts.compact_min_log_bytes = 1 << 20;  // 512 KiB per partition
  Open();
  std::vector<std::vector<std::string>> keys(2);
  for (int i = 0; keys[0].size() < 400 || keys[1].size() < 400; i++) {
    std::string k = "g" + std::to_string(i);
    auto& in = keys[pdb()->PartitionOf(k)];
    if (in.size() < 400) in.push_back(k);
  }
  const std::string value(100, 'v');
  const int rounds[2] = {12, 30};  // partition 1 gets the most garbage
  for (uint32_t p = 0; p < 2; p++) {
    for (int r = 0; r < rounds[p]; r++) {
      for (auto& k : keys[p]) ASSERT_OK(db->Put(k, value + std::to_string(r)));
    }
  }
  ASSERT_OK(db->Close());
  opts.auto_compact = true;
  Open();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (db->Stats().auto_compactions < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(db->Stats().auto_compactions, 2u);
  // Where each partition's compaction started and ended in the log.
  auto at = [&](uint32_t p, const std::string& what) {
    std::lock_guard<std::mutex> g(log_mu);
    const std::string prefix = "partition " + std::to_string(p) + ": compaction: ";
    for (size_t i = 0; i < log.size(); i++) {
      if (log[i].rfind(prefix, 0) == 0 && log[i].find(what) != std::string::npos) return int(i);
    }
    return -1;
  };
  const int start1 = at(1, "started by the policy"), end1 = at(1, " keys, ");
  const int start0 = at(0, "started by the policy"), end0 = at(0, " keys, ");
  ASSERT_GE(start1, 0);
  ASSERT_GE(start0, 0);
  EXPECT_LT(start1, end1);
  EXPECT_LT(end1, start0) << "the compactions overlapped, or the lesser garbage went first";
  EXPECT_LT(start0, end0);
  for (uint32_t p = 0; p < 2; p++) {
    for (auto& k : keys[p]) ASSERT_EQ(Get(0, k), value + std::to_string(rounds[p] - 1));
  }
}
TEST_F(PartitionedTest, ReopeningWithAnotherCountRepartitions) {
  Open();
  for (int i = 0; i < 3000; i++) {
    WriteBatch b;
    b.Put(uint32_t(i % 3), "rp" + std::to_string(i), std::to_string(i),
          i % 10 == 0 ? int64_t(4'000'000'000'000) : 0);
    ASSERT_OK(db->Write(b));
  }
  ASSERT_OK(db->Close());
  db.reset();
  for (uint32_t count : {3u, 1u, 6u}) {
    opts.partitions = count;
    Open();
    ASSERT_NE(pdb(), nullptr);
    EXPECT_EQ(pdb()->partition_count(), count);
    for (uint32_t d = 0; d < 3; d++) EXPECT_EQ(db->KeyCount(d), 1000u);
    for (int i = 0; i < 3000; i += 7) {
      EXPECT_EQ(Get(uint32_t(i % 3), "rp" + std::to_string(i)), std::to_string(i));
    }
    int64_t exp = 0;
    ASSERT_OK(db->Read(0, "rp0", [&](std::string_view, int64_t e) { exp = e; }));
    EXPECT_EQ(exp, 4'000'000'000'000);
    ASSERT_OK(db->Close());
    db.reset();
    auto layout = ReadPartitionLayout(Env::Default(), dir.path());
    ASSERT_TRUE(layout.ok());
    EXPECT_EQ(layout->count, count);
    // Only the generation in charge is left.
    int gens = 0;
    for (auto& e : fs::directory_iterator(dir.path())) {
      if (e.is_directory() && e.path().filename().string()[0] == 'g') gens++;
    }
    EXPECT_EQ(gens, int(count));
  }
  // 0 keeps what the directory has.
  opts.partitions = 0;
  Open();
  EXPECT_EQ(pdb()->partition_count(), 6u);
}

TEST_F(PartitionedTest, SingleLogDirectoryIsRepartitionedAndKeptWithAuto) {
  opts.partitions = 1;
  Open();
  EXPECT_EQ(pdb(), nullptr);  // the single-log layout
  for (int i = 0; i < 500; i++) ASSERT_OK(db->Put("s" + std::to_string(i), "v"));
  ASSERT_OK(db->Close());
  opts.partitions = 0;  // auto keeps a single-log directory as it is
  Open();
  EXPECT_EQ(pdb(), nullptr);
  ASSERT_OK(db->Close());
  opts.partitions = 2;
  Open();
  ASSERT_NE(pdb(), nullptr);
  EXPECT_EQ(db->KeyCount(0), 500u);
  EXPECT_TRUE(testing::NewestSegment(dir.path()).empty());  // the old log is gone
}

TEST_F(PartitionedTest, NewDirectoryWithAutoGetsOnePartitionPerCore) {
  opts.partitions = 0;
  Open();
  ASSERT_NE(pdb(), nullptr);
  EXPECT_EQ(pdb()->partition_count(), PartitionedDB::DefaultCount(opts));
}

TEST_F(PartitionedTest, DamagedPartitionsFileIsRefusedClearly) {
  Open();
  ASSERT_OK(db->Put("k", "v"));
  ASSERT_OK(db->Close());
  db.reset();
  std::string text = testing::ReadAll(dir.Sub("PARTITIONS"));
  text[text.find("count ") + 6] = '7';
  testing::WriteAll(dir.Sub("PARTITIONS"), text);
  auto r = DB::Open(dir.path(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("PARTITIONS"), std::string::npos);
}

TEST_F(PartitionedTest, CheckReadsEveryPartitionAndNamesTheDamagedOne) {
  Open();
  for (int i = 0; i < 400; i++) ASSERT_OK(db->Put("k" + std::to_string(i), "value"));
  ASSERT_OK(db->Close());
  db.reset();
  auto clean = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_EQ(clean->partitions, 4u);
  EXPECT_EQ(clean->live_keys, 400u);
  EXPECT_FALSE(clean->damaged);
  // Flip a byte in the middle of partition 3's log.
  std::string seg = testing::NewestSegment(dir.Sub("g1-p003"));
  std::string bytes = testing::ReadAll(seg);
  bytes[bytes.size() / 2] ^= 0x20;
  testing::WriteAll(seg, bytes);
  auto bad = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->damaged);
  EXPECT_NE(bad->first_damage.find("g1-p003"), std::string::npos) << bad->first_damage;
  auto r = DB::Open(dir.path(), opts);
  ASSERT_FALSE(r.ok());  // strict mode refuses, naming the same file
  EXPECT_NE(r.status().message().find("g1-p003"), std::string::npos);
}

TEST_F(PartitionedTest, SecondOpenOfTheSameDirectoryIsBusy) {
  Open();
  auto r = DB::Open(dir.path(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsBusy()) << r.status().ToString();
}

}  // namespace
}  // namespace walnut
