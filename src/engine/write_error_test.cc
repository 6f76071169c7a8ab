// A failed write or sync must never be reported as success, then or later:
// the DB refuses writes from the first failure on (reads keep working), and
// the error says what failed. Uses FaultEnv to inject the failures.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/test_util.h"
#include "env/fault_env.h"
#include "walnut/db.h"

namespace walnut {
namespace {

struct WriteErrorTest : ::testing::Test {
  testing::ScratchDir dir;
  FaultEnv env{Env::Default()};
  Options Opts(FsyncMode mode) {
    Options o;
    o.env = &env;
    o.fsync = mode;
    o.logger = [](LogLevel, std::string_view) {};
    return o;
  }
};

TEST_F(WriteErrorTest, FailedSyncIsStickyAndNeverReportedAsSuccess) {
  auto db = DB::Open(dir.path(), Opts(FsyncMode::kAlways));
  ASSERT_TRUE(db.ok());
  ASSERT_OK((*db)->Put("before", "1"));
  env.fail_sync = true;
  Status s = (*db)->Put("during", "2");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("fdatasync"), std::string::npos) << s.ToString();
  // The disk "recovers", but a later sync proves nothing about the pages
  // the kernel may have dropped: writes stay refused.
  env.fail_sync = false;
  EXPECT_FALSE((*db)->Put("after", "3").ok());
  EXPECT_FALSE((*db)->Sync().ok());
  EXPECT_EQ(*(*db)->Get("before"), "1");  // reads keep working
  EXPECT_NE((*db)->Stats().write_error, "");
}

// A write that stops part way leaves half a record in the file: the write is
// refused (sticky, as any write error), and the next start-up cuts the half
// record as a torn tail, keeping everything acknowledged before it.
TEST_F(WriteErrorTest, ShortWriteIsRefusedAndItsHalfRecordIsCutAtStartUp) {
  for (FsyncMode mode : {FsyncMode::kAlways, FsyncMode::kEverySec}) {
    testing::ScratchDir d;
    {
      auto db = DB::Open(d.path(), Opts(mode));
      ASSERT_TRUE(db.ok());
      for (int i = 0; i < 50; i++) ASSERT_OK((*db)->Put("k" + std::to_string(i), "v"));
      env.short_append = true;
      Status s = (*db)->Put("torn", std::string(1000, 't'));
      EXPECT_TRUE(s.IsIOError()) << s.ToString();
      EXPECT_NE(s.message().find("short write"), std::string::npos) << s.ToString();
      env.short_append = false;
      EXPECT_FALSE((*db)->Put("after", "x").ok());  // sticky
      EXPECT_EQ(*(*db)->Get("k0"), "v");
      (void)(*db)->Close();
    }
    Options o = Opts(mode);
    auto db = DB::Open(d.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int i = 0; i < 50; i++) EXPECT_EQ(*(*db)->Get("k" + std::to_string(i)), "v");
    EXPECT_TRUE((*db)->Get("torn").status().IsNotFound());
    EXPECT_TRUE((*db)->Get("after").status().IsNotFound());
    EXPECT_GT((*db)->Stats().recovery.torn_tail_bytes, 0u);
  }
}

// A full disk is not a write error: see disk_full_test.cc.

TEST_F(WriteErrorTest, DeferredWritesSeeTheErrorAtFlush) {
  auto db = DB::Open(dir.path(), Opts(FsyncMode::kEverySec));
  ASSERT_TRUE(db.ok());
  WriteBatch b;
  b.Put(0, "k", "v");
  ASSERT_TRUE((*db)->WriteDeferred(b).ok());
  env.fail_append = true;
  EXPECT_FALSE((*db)->FlushLog().ok());
  env.fail_append = false;
  EXPECT_FALSE((*db)->WriteDeferred(b).ok());
}

TEST_F(WriteErrorTest, AlwaysModeSyncsEveryAcknowledgedWrite) {
  auto db = DB::Open(dir.path(), Opts(FsyncMode::kAlways));
  ASSERT_TRUE(db.ok());
  int before = env.syncs;
  for (int i = 0; i < 10; i++) ASSERT_OK((*db)->Put("k" + std::to_string(i), "v"));
  EXPECT_GE(env.syncs - before, 10);  // one thread: no one to share a sync with
  auto st = (*db)->Stats();
  EXPECT_EQ(st.synced_seq, st.last_seq);
}

}  // namespace
}  // namespace walnut

namespace walnut {
namespace {

// A write error while an atomic group (MULTI/EXEC) is open must not leave
// the group open: other writers would wait on it forever.
TEST_F(WriteErrorTest, WriteErrorInsideAGroupReleasesOtherWriters) {
  auto db = DB::Open(dir.path(), Opts(FsyncMode::kEverySec));
  ASSERT_TRUE(db.ok());
  ASSERT_OK((*db)->Put("before", "0"));  // written, not yet synced
  WriteBatch a;
  a.Put(0, "in-group", "1");
  ASSERT_TRUE((*db)->WriteDeferred(a, /*more_follows=*/true).ok());
  // The background syncer fails while the group is open (bounded wait on
  // the condition, ~1 s per sync round).
  env.fail_sync = true;
  for (int i = 0; i < 100 && (*db)->Stats().write_error.empty(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE((*db)->Stats().write_error, "");
  // The owner's next batch fails and drops the group...
  WriteBatch b;
  b.Put(0, "in-group-2", "2");
  EXPECT_FALSE((*db)->WriteDeferred(b, /*more_follows=*/false).ok());
  // ...so another thread gets the error at once instead of waiting forever.
  std::thread t([&] { EXPECT_FALSE((*db)->Put("from-thread", "y").ok()); });
  t.join();
}

// A closing batch that fails validation still closes the group, and the
// group's earlier ops reach the log as one record.
TEST_F(WriteErrorTest, InvalidClosingBatchStillLogsTheGroup) {
  {
    auto db = DB::Open(dir.path(), Opts(FsyncMode::kNo));
    ASSERT_TRUE(db.ok());
    WriteBatch a;
    a.Put(0, "g", "1");
    ASSERT_TRUE((*db)->WriteDeferred(a, /*more_follows=*/true).ok());
    WriteBatch bad;
    bad.Put(99, "k", "v");  // no database 99
    EXPECT_TRUE((*db)->WriteDeferred(bad, /*more_follows=*/false).status().IsInvalidArgument());
    std::thread t([&] { EXPECT_TRUE((*db)->Put("after", "2").ok()); });  // not blocked
    t.join();
    ASSERT_OK((*db)->FlushLog());
  }
  auto db = DB::Open(dir.path(), Opts(FsyncMode::kNo));
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->Get("g"), "1");
  EXPECT_EQ(*(*db)->Get("after"), "2");
}

}  // namespace
}  // namespace walnut
