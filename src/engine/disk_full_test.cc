// A full disk (FaultEnv::no_space: fallocate and file growth fail with
// ENOSPC) must refuse writes up front — before the index changes, with
// NoSpace, nothing in the log — keep serving reads, and accept writes again
// on its own once space is freed, losing nothing acknowledged. Unlike EIO,
// it is not sticky. Segments are small so that the reservation runs out
// after a few writes.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/partitioned_db.h"
#include "engine/test_util.h"
#include "env/fault_env.h"
#include "walnut/db.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;

class DiskFull : public ::testing::TestWithParam<FsyncMode> {
 protected:
  testing::ScratchDir dir;
  FaultEnv env{Env::Default()};
  Options Opts() {
    Options o;
    o.env = &env;
    o.fsync = GetParam();
    o.segment_size = 4096;
    o.auto_compact = false;
    o.logger = [](LogLevel, std::string_view) {};
    return o;
  }
  static std::string Key(int i) { return "key" + std::to_string(i); }
  static std::string Value(int i) { return std::string(100, char('a' + i % 26)); }
  // Bytes of every log file, for "the log did not change".
  std::string LogImage() {
    std::string all;
    // Recursive: a partitioned directory keeps each log in a subdirectory.
    for (auto& e : fs::recursive_directory_iterator(dir.path())) {
      std::string n = e.path().filename();
      if (n.rfind("wal-", 0) == 0)
        all += e.path().string() + ":" + testing::ReadAll(e.path()) + "|";
    }
    return all;
  }
  // Waits (bounded) until the background retry has noticed free space.
  static bool WaitWritable(DB& db) {
    for (int i = 0; i < 100; i++) {
      if (!db.Stats().disk_full) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
};

TEST_P(DiskFull, RefusesUpFrontServesReadsAndResumesWhenSpaceIsFreed) {
  int acked = 0;
  {
    auto db = DB::Open(dir.path(), Opts());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_OK((*db)->Put(Key(acked), Value(acked)));
    acked++;
    env.no_space = true;
    // Writes into the segment's reserved space still succeed...
    Status s;
    for (; acked < 1000; acked++) {
      s = (*db)->Put(Key(acked), Value(acked));
      if (!s.ok()) break;
    }
    // ...until it is used up: then the write is refused, up front.
    ASSERT_TRUE(s.IsNoSpace()) << s.ToString();
    ASSERT_GT(acked, 5);  // a 4 KiB segment holds dozens of these
    EXPECT_NE(s.message().find("resume"), std::string::npos) << s.ToString();
    ASSERT_OK((*db)->FlushLog(true));
    const DbStats before = (*db)->Stats();
    EXPECT_TRUE(before.disk_full);
    EXPECT_EQ(before.write_error, "");  // not sticky
    EXPECT_NE(before.disk_full_error, "");
    const std::string log_before = LogImage();

    // Refused: the index and the log are untouched, a batch as a whole too.
    EXPECT_TRUE((*db)->Put("refused", "x").IsNoSpace());
    WriteBatch batch;
    batch.Put(0, "refused-batch-1", "1");
    batch.Delete(0, Key(0));
    EXPECT_TRUE((*db)->Write(batch).IsNoSpace());
    EXPECT_TRUE((*db)->WriteDeferred(batch).status().IsNoSpace());
    EXPECT_TRUE((*db)->Get("refused").status().IsNotFound());
    EXPECT_TRUE((*db)->Get("refused-batch-1").status().IsNotFound());
    EXPECT_EQ(*(*db)->Get(Key(0)), Value(0));  // reads go on
    const DbStats after = (*db)->Stats();
    EXPECT_EQ(after.last_seq, before.last_seq);
    EXPECT_EQ(after.keys_per_db[0], before.keys_per_db[0]);
    EXPECT_EQ(LogImage(), log_before);

    // Space is freed: writes resume without a restart (the retry runs about
    // once a second, in the background or on a write).
    env.no_space = false;
    ASSERT_TRUE(WaitWritable(**db)) << (*db)->Stats().disk_full_error;
    for (int i = 0; i < 200; i++, acked++) ASSERT_OK((*db)->Put(Key(acked), Value(acked)));
    EXPECT_GT((*db)->Stats().segments, 2u);  // it rolled over, more than once
    ASSERT_OK((*db)->Close());
  }
  auto db = DB::Open(dir.path(), Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int i = 0; i < acked; i++) {
    auto v = (*db)->Get(Key(i));
    ASSERT_TRUE(v.ok()) << Key(i) << ": " << v.status().ToString();
    EXPECT_EQ(*v, Value(i));
  }
  EXPECT_TRUE((*db)->Get("refused").status().IsNotFound());
  EXPECT_TRUE((*db)->Get("refused-batch-1").status().IsNotFound());
  EXPECT_EQ((*db)->Stats().recovery.torn_tail_bytes, 0u);
}

// The refusal happens before anything is written, so what was acknowledged
// survives a crash too (here: the process dies while the disk is full).
TEST_P(DiskFull, AcknowledgedWritesSurviveACrashWhileFull) {
  int acked = 0;
  {
    auto db = DB::Open(dir.path(), Opts());
    ASSERT_TRUE(db.ok());
    env.no_space = true;
    for (; acked < 1000; acked++) {
      WriteOptions wo;
      wo.sync = true;  // acknowledged as durable, in every mode
      if (!(*db)->Put(Key(acked), Value(acked), wo).ok()) break;
    }
    ASSERT_TRUE((*db)->Stats().disk_full);
    env.PowerCut(/*torn=*/false, testing::TestSeed());
    (void)(*db)->Close();
    env.PowerOn();
    env.no_space = false;
  }
  auto db = DB::Open(dir.path(), Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int i = 0; i < acked; i++) ASSERT_TRUE((*db)->Get(Key(i)).ok()) << Key(i);
}

// An open atomic group (MULTI/EXEC) whose closing batch is refused for space
// is still closed, as one record: its earlier ops were applied with their
// space reserved. Other writers are not left waiting on it.
TEST_P(DiskFull, RefusedClosingBatchStillClosesTheGroup) {
  {
    auto db = DB::Open(dir.path(), Opts());
    ASSERT_TRUE(db.ok());
    WriteBatch first;
    first.Put(0, "in-group", "1");
    ASSERT_TRUE((*db)->WriteDeferred(first, /*more_follows=*/true).ok());
    env.no_space = true;
    WriteBatch big;
    big.Put(0, "too-big", std::string(8192, 'x'));  // more than any reservation left
    EXPECT_TRUE((*db)->WriteDeferred(big, /*more_follows=*/false).status().IsNoSpace());
    std::thread t([&] { EXPECT_TRUE((*db)->Put("other", "y").IsNoSpace()); });  // not blocked
    t.join();
    ASSERT_OK((*db)->FlushLog(true));
    env.no_space = false;
  }
  auto db = DB::Open(dir.path(), Opts());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->Get("in-group"), "1");
  EXPECT_TRUE((*db)->Get("too-big").status().IsNotFound());
}

// Compaction on a full disk fails, removes its temporary file, and leaves
// the database writable (it must not turn a full disk into a sticky error).
TEST_P(DiskFull, CompactionOnAFullDiskFailsAloneAndCleansUp) {
  auto db = DB::Open(dir.path(), Opts());
  ASSERT_TRUE(db.ok());
  for (int i = 0; i < 100; i++) ASSERT_OK((*db)->Put(Key(i % 10), Value(i)));
  env.no_space = true;
  auto r = (*db)->Compact();
  EXPECT_TRUE(r.status().IsNoSpace()) << r.status().ToString();
  for (auto& e : fs::directory_iterator(dir.path())) {
    // The next segment's file made ahead is a .tmp file too, but no leftover.
    if (e.path().filename().string().rfind("next-segment-", 0) == 0) continue;
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
  EXPECT_EQ((*db)->Stats().write_error, "");
  EXPECT_EQ(*(*db)->Get(Key(3)), Value(93));
  env.no_space = false;
  ASSERT_TRUE(WaitWritable(**db));
  ASSERT_OK((*db)->Put("after", "1"));
  auto again = (*db)->Compact();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_LT(again->bytes_after, again->bytes_before);
}

// Writes resume on their own: the background thread retries the
// reservation even when no one writes. The disk fills up inside one large
// segment whose reservation grows a small step at a time: with 4 KiB
// segments the refusal would come at a rollover, and a next segment made
// ahead that the background thread finished just after the refusal (seen
// under ThreadSanitizer's slowness) would rightly give room back before the
// test looks.
TEST_P(DiskFull, BackgroundRetryClearsTheStateWithoutWrites) {
  Options o = Opts();
  o.segment_size = 1 << 20;
  o.preallocate_bytes = 4096;
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok());
  env.no_space = true;
  for (int i = 0; i < 1000 && (*db)->Put(Key(i), Value(i)).ok(); i++) {
  }
  ASSERT_TRUE((*db)->Stats().disk_full);
  const int attempts = env.allocates + env.appends;
  // Still full: retried, but at most about once a second (each retry makes
  // at most two attempts: a whole segment, then just what is needed), plus
  // at most one try to make the next segment's file ahead (an append and an
  // allocation) if the last rollover's wake-up fell in this window.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE((*db)->Stats().disk_full);
  EXPECT_LE(env.allocates + env.appends - attempts, 2 * 2 + 2);
  env.no_space = false;
  EXPECT_TRUE(WaitWritable(**db));
}

// A write across partitions (MSET, DEL of several keys) is one record per
// partition. Each part is placed only below its partition's reservation, so
// a full disk refuses the whole write up front — NoSpace, nothing applied in
// any partition, nothing logged, not sticky — and writes resume when space
// is freed. (Parts that skipped the reservation ran past the preallocated
// space: the write to the log failed, which stops all writes until restart.)
TEST_P(DiskFull, MultiPartitionWriteIsRefusedWholeAndResumes) {
  Options o = Opts();
  o.partitions = 2;
  int acked = 0;  // batches; batch b writes keys "b<b>-<j>", j < 4
  auto batch = [](int b) {
    WriteBatch w;
    for (int j = 0; j < 4; j++)
      w.Put(0, "b" + std::to_string(b) + "-" + std::to_string(j), Value(b));
    return w;
  };
  {
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto* pdb = dynamic_cast<PartitionedDB*>(db->get());
    ASSERT_NE(pdb, nullptr);
    ASSERT_OK((*db)->Write(batch(acked)));
    acked++;
    env.no_space = true;
    Status s;
    int cross = 0;  // refused or not, the batches must span both partitions
    for (; acked < 1000; acked++) {
      bool seen[2] = {false, false};
      for (int j = 0; j < 4; j++) {
        seen[pdb->PartitionOf("b" + std::to_string(acked) + "-" + std::to_string(j))] = true;
      }
      cross += seen[0] && seen[1];
      s = acked % 2 ? (*db)->Write(batch(acked)) : (*db)->WriteDeferred(batch(acked)).status();
      if (!s.ok()) break;
      ASSERT_OK((*db)->FlushLog(false));
    }
    ASSERT_TRUE(s.IsNoSpace()) << s.ToString();
    ASSERT_GT(cross, acked / 2);
    ASSERT_GT(acked, 3);
    EXPECT_EQ((*db)->Stats().write_error, "");  // not sticky
    ASSERT_OK((*db)->FlushLog(true));
    const std::string log_before = LogImage();
    const uint64_t keys_before = (*db)->KeyCount(0);
    EXPECT_TRUE((*db)->Write(batch(acked)).IsNoSpace());
    EXPECT_TRUE((*db)->WriteDeferred(batch(acked)).status().IsNoSpace());
    for (int j = 0; j < 4; j++) {
      EXPECT_TRUE(
          (*db)->Get("b" + std::to_string(acked) + "-" + std::to_string(j)).status().IsNotFound());
    }
    EXPECT_EQ((*db)->KeyCount(0), keys_before);
    EXPECT_EQ(LogImage(), log_before);

    env.no_space = false;
    ASSERT_TRUE(WaitWritable(**db)) << (*db)->Stats().disk_full_error;
    for (int i = 0; i < 200; i++, acked++) ASSERT_OK((*db)->Write(batch(acked)));
    EXPECT_EQ((*db)->Stats().write_error, "");
    ASSERT_OK((*db)->Close());
  }
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int b = 0; b < acked; b++) {
    for (int j = 0; j < 4; j++) {
      auto v = (*db)->Get("b" + std::to_string(b) + "-" + std::to_string(j));
      ASSERT_TRUE(v.ok()) << b << "-" << j << ": " << v.status().ToString();
      EXPECT_EQ(*v, Value(b));
    }
  }
}

// The same inside an atomic group (MULTI/EXEC) across partitions: a batch
// refused for space changes nothing in any partition, the group's earlier
// batches stay, and the group still closes.
TEST_P(DiskFull, MultiPartitionBatchInAGroupIsRefusedWhole) {
  Options o = Opts();
  o.partitions = 2;
  auto key = [](int b, int j) { return "g" + std::to_string(b) + "-" + std::to_string(j); };
  int applied = 0;
  {
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    env.no_space = true;
    Status s;
    for (; applied < 1000; applied++) {
      WriteBatch w;
      for (int j = 0; j < 4; j++) w.Put(0, key(applied, j), Value(applied));
      s = (*db)->WriteDeferred(w, /*more_follows=*/true).status();
      if (!s.ok()) break;
    }
    ASSERT_TRUE(s.IsNoSpace()) << s.ToString();
    ASSERT_GT(applied, 1);
    for (int j = 0; j < 4; j++) {
      EXPECT_TRUE((*db)->Get(key(applied, j)).status().IsNotFound()) << key(applied, j);
    }
    ASSERT_OK((*db)->FlushLog(true));
    EXPECT_EQ((*db)->Stats().write_error, "");
    ASSERT_OK((*db)->Close());
    env.no_space = false;
  }
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int b = 0; b < applied; b++) {
    for (int j = 0; j < 4; j++) EXPECT_EQ(*(*db)->Get(key(b, j)), Value(b)) << key(b, j);
  }
  for (int j = 0; j < 4; j++) EXPECT_TRUE((*db)->Get(key(applied, j)).status().IsNotFound());
}

INSTANTIATE_TEST_SUITE_P(Modes, DiskFull,
                         ::testing::Values(FsyncMode::kAlways, FsyncMode::kEverySec),
                         [](const ::testing::TestParamInfo<FsyncMode>& p) {
                           return p.param == FsyncMode::kAlways ? "Always" : "EverySec";
                         });

// EIO is different: a failed write stays failed until the database is
// reopened (write_error_test.cc has the details), even after "space" or
// the disk comes back.
TEST(DiskFullVsIoError, FailedWriteStaysStickyUnlikeAFullDisk) {
  testing::ScratchDir dir;
  FaultEnv env{Env::Default()};
  Options o;
  o.env = &env;
  o.fsync = FsyncMode::kAlways;
  o.logger = [](LogLevel, std::string_view) {};
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok());
  env.fail_append = true;
  EXPECT_TRUE((*db)->Put("a", "1").IsIOError());
  env.fail_append = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // past a retry period
  EXPECT_TRUE((*db)->Put("b", "2").IsIOError());
  EXPECT_FALSE((*db)->Stats().disk_full);
  EXPECT_NE((*db)->Stats().write_error, "");
}

}  // namespace
}  // namespace walnut
