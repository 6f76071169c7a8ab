// Simulated power cuts (FaultEnv::PowerCut): everything not synced is lost,
// or only a random part of it survives. What each fsync mode promises:
//  - always: every acknowledged write survives;
//  - everysec/no: what survives is a prefix of the writes in order, and it
//    includes everything acknowledged before the last completed sync.
// Open must succeed in the default (strict) mode after any of these cuts:
// a cut only ever shortens the newest segment, which recovery treats as a
// torn tail. Segments are preallocated, so what a cut loses inside one
// reads back as zeros (FaultEnv models ext4), which recovery must take as
// the clean end it is.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "engine/test_util.h"
#include "env/fault_env.h"
#include "walnut/db.h"

namespace walnut {
namespace {

struct PowerCutParam {
  FsyncMode mode;
  bool torn;
};

class PowerCut : public ::testing::TestWithParam<PowerCutParam> {};

// Options for a database on the fault-injecting env, quiet, with small
// segments so that cuts land near rollovers.
Options CutOptions(FaultEnv* env, FsyncMode mode, uint64_t segment_size, bool auto_compact) {
  Options o;
  o.env = env;
  o.fsync = mode;
  o.segment_size = segment_size;
  o.auto_compact = auto_compact;
  o.logger = [](LogLevel, std::string_view) {};
  return o;
}

TEST_P(PowerCut, KeepsWhatTheModePromises) {
  const auto [mode, torn] = GetParam();
  uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  testing::ScratchDir dir;
  FaultEnv env(Env::Default());
  // Small segments: cuts also land right after rollovers.
  const Options o = CutOptions(&env, mode, 32 * 1024, /*auto_compact=*/true);
  int next = 0;  // keys are written in order: k0, k1, ...
  for (int round = 0; round < 20; round++) {
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status().ToString();
    // Everything acknowledged earlier must still be here in always mode;
    // in the other modes the survivors must be a prefix.
    int present = 0;
    while (present < next && (*db)->Get("k" + std::to_string(present)).ok()) present++;
    for (int i = present; i < next; i++) {
      ASSERT_TRUE((*db)->Get("k" + std::to_string(i)).status().IsNotFound())
          << "round " << round << ": k" << i << " survived but k" << present << " did not";
    }
    if (mode == FsyncMode::kAlways) ASSERT_EQ(present, next) << "round " << round;
    next = present;
    int n = int(rng() % 400) + 1;
    int durable_upto = next;
    for (int i = 0; i < n; i++, next++) {
      ASSERT_OK((*db)->Put("k" + std::to_string(next), std::string(rng() % 200, 'v')));
      if (i % 97 == 0) {
        ASSERT_OK((*db)->Sync());  // WAITAOF: from here on these are promised
        durable_upto = next + 1;
      }
    }
    env.PowerCut(torn, rng());
    (void)(*db)->Close();  // fails harmlessly: the power is off
    env.PowerOn();
    auto check = DB::Open(dir.path(), o);
    ASSERT_TRUE(check.ok()) << "round " << round << ": " << check.status().ToString();
    for (int i = 0; i < durable_upto; i++) {
      ASSERT_TRUE((*check)->Get("k" + std::to_string(i)).ok())
          << "round " << round << ": synced k" << i << " lost (seed " << seed << ")";
    }
  }
}

// The names of the next segment's files made ahead (db_impl_segments.cc).
std::vector<std::string> FilesMadeAhead(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    std::string n = e.path().filename();
    if (n.rfind("next-segment-", 0) == 0) out.push_back(n);
  }
  return out;
}

// Waits (on the condition, up to 10 s) until the background thread has made
// the next segment's file ahead, and returns its name.
std::string WaitForFileMadeAhead(DB* db, const std::string& dir) {
  for (int i = 0; i < 1000; i++) {
    auto made = FilesMadeAhead(dir);
    if (db->Stats().next_segments_ready == 1 && made.size() == 1) return made[0];
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

// Rounds of: open, check what the last cut left, write until a new segment
// begins plus a few records into it, cut. Everything synced survives; what
// survives is a prefix. With `made_ahead`, each round first waits for the
// next segment's file made ahead, and checks that the rollover published it.
void CutRightAfterRollovers(const PowerCutParam& param, int rounds, bool made_ahead) {
  const auto [mode, torn] = param;
  uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  testing::ScratchDir dir;
  FaultEnv env(Env::Default());
  const Options o = CutOptions(&env, mode, 8 * 1024, /*auto_compact=*/false);
  int next = 0;
  for (int round = 0; round < rounds; round++) {
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status().ToString();
    int present = 0;
    while (present < next && (*db)->Get("k" + std::to_string(present)).ok()) present++;
    for (int i = present; i < next; i++) {
      ASSERT_TRUE((*db)->Get("k" + std::to_string(i)).status().IsNotFound())
          << "round " << round << ": k" << i << " survived but k" << present << " did not";
    }
    if (mode == FsyncMode::kAlways) ASSERT_EQ(present, next) << "round " << round;
    next = present;
    std::string made;
    if (made_ahead) {
      made = WaitForFileMadeAhead(db->get(), dir.path());
      ASSERT_FALSE(made.empty()) << "round " << round << ": no segment file was made ahead";
    }
    ASSERT_OK((*db)->Sync());
    const int durable_upto = next;
    const uint64_t segments = (*db)->Stats().segments;
    int extra = int(rng() % 4);
    while ((*db)->Stats().segments == segments || extra-- > 0) {
      ASSERT_OK((*db)->Put("k" + std::to_string(next), std::string(rng() % 300, 'v')));
      next++;
    }
    // The new segment is preallocated: the cut lands inside reserved space.
    EXPECT_EQ(testing::FileSize(testing::NewestSegment(dir.path())), o.segment_size);
    if (made_ahead) {
      // The rollover published the file made ahead (renamed it away).
      EXPECT_EQ((*db)->Stats().rollovers_made_ahead, 1u) << "round " << round;
      EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + made)) << "round " << round;
    }
    env.PowerCut(torn, rng());
    (void)(*db)->Close();
    env.PowerOn();
    auto check = DB::Open(dir.path(), o);
    ASSERT_TRUE(check.ok()) << "round " << round << ": " << check.status().ToString();
    for (int i = 0; i < durable_upto; i++) {
      ASSERT_TRUE((*check)->Get("k" + std::to_string(i)).ok())
          << "round " << round << ": synced k" << i << " lost (seed " << seed << ")";
    }
  }
}

// A cut right after a rollover: the sealed segment was synced (its trim may
// not have happened yet), the new one is preallocated and may hold unsynced
// records (zeros after the cut).
TEST_P(PowerCut, RightAfterARollover) { CutRightAfterRollovers(GetParam(), 10, false); }

// The same after a rollover that published a file made ahead: the new
// segment began as a synced temp file, and the old one may still have its
// reserved zero tail (trimmed after the rollover, in the background).
TEST_P(PowerCut, RightAfterARolloverToAFileMadeAhead) {
  CutRightAfterRollovers(GetParam(), 6, true);
}

// Publishing the file made ahead fails half way (the rename): the rollover
// fails, writes stop (sticky), and nothing names a segment that was never
// used — after a cut and an open, the synced writes are all there and no
// temp file is left.
TEST_P(PowerCut, PublishingAFileMadeAheadFailsHalfway) {
  const auto [mode, torn] = GetParam();
  uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  testing::ScratchDir dir;
  FaultEnv env(Env::Default());
  const Options o = CutOptions(&env, mode, 8 * 1024, /*auto_compact=*/false);
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_FALSE(WaitForFileMadeAhead(db->get(), dir.path()).empty());
  const uint64_t segments = (*db)->Stats().segments;
  int next = 0;
  int durable_upto = 0;
  env.fail_rename = true;
  Status s;
  while ((s = (*db)->Put("k" + std::to_string(next), std::string(rng() % 300, 'v'))).ok()) {
    if (mode == FsyncMode::kAlways) durable_upto = next + 1;
    next++;
    ASSERT_LT(next, 10000) << "no rollover happened";
  }
  EXPECT_EQ((*db)->Stats().segments, segments);
  EXPECT_TRUE(FilesMadeAhead(dir.path()).empty()) << "the failed publish left its temp file";
  env.fail_rename = false;
  env.PowerCut(torn, rng());
  (void)(*db)->Close();
  env.PowerOn();
  auto check = DB::Open(dir.path(), o);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  for (int i = 0; i < durable_upto; i++) {
    ASSERT_TRUE((*check)->Get("k" + std::to_string(i)).ok())
        << "synced k" << i << " lost (seed " << seed << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PowerCut,
                         ::testing::Values(PowerCutParam{FsyncMode::kAlways, false},
                                           PowerCutParam{FsyncMode::kAlways, true},
                                           PowerCutParam{FsyncMode::kEverySec, false},
                                           PowerCutParam{FsyncMode::kEverySec, true},
                                           PowerCutParam{FsyncMode::kNo, false},
                                           PowerCutParam{FsyncMode::kNo, true}));

}  // namespace
}  // namespace walnut
