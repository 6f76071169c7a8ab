// A failed write or sync must never be reported as success, then or later:
// the DB refuses writes from the first failure on (reads keep working), and
// the error says what failed. Uses FaultEnv to inject the failures.
#include <gtest/gtest.h>

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

TEST_F(WriteErrorTest, FullDiskIsReportedAsNoSpaceAndLosesNothingAcknowledged) {
  {
    auto db = DB::Open(dir.path(), Opts(FsyncMode::kNo));
    ASSERT_TRUE(db.ok());
    ASSERT_OK((*db)->Put("acked", "yes"));
    env.no_space = true;
    Status s = (*db)->Put("refused", "no");
    EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
    env.no_space = false;
  }
  auto db = DB::Open(dir.path(), Opts(FsyncMode::kNo));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->Get("acked"), "yes");
  EXPECT_TRUE((*db)->Get("refused").status().IsNotFound());
}

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
