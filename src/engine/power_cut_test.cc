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
    if (mode == FsyncMode::kAlways) {
      ASSERT_EQ(present, next) << "round " << round;
    }
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

// The number of files in `dir` whose names end in `ext` (".log": segments).
int CountFiles(const std::string& dir, const std::string& ext) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension().string() == ext) n++;
  }
  return n;
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

// Opens the database after a cut (or for the first time) and checks what
// the cuts left of the keys k0..k<next-1>: a prefix of them, all of them in
// always mode. Sets `next` to the survivors' count, where writes go on.
void OpenAfterCut(const std::string& dir, const Options& o, FsyncMode mode, int round, int& next,
                  std::unique_ptr<DB>& db) {
  auto opened = DB::Open(dir, o);
  ASSERT_TRUE(opened.ok()) << "round " << round << ": " << opened.status().ToString();
  db = std::move(*opened);
  int present = 0;
  while (present < next && db->Get("k" + std::to_string(present)).ok()) present++;
  for (int i = present; i < next; i++) {
    ASSERT_TRUE(db->Get("k" + std::to_string(i)).status().IsNotFound())
        << "round " << round << ": k" << i << " survived but k" << present << " did not";
  }
  if (mode == FsyncMode::kAlways) {
    ASSERT_EQ(present, next) << "round " << round;
  }
  next = present;
}

// Opens the database after the last cut: every synced key survived.
void CheckSynced(const std::string& dir, const Options& o, int round, int durable_upto,
                 uint64_t seed) {
  auto check = DB::Open(dir, o);
  ASSERT_TRUE(check.ok()) << "round " << round << ": " << check.status().ToString();
  for (int i = 0; i < durable_upto; i++) {
    ASSERT_TRUE((*check)->Get("k" + std::to_string(i)).ok())
        << "round " << round << ": synced k" << i << " lost (seed " << seed << ")";
  }
}

// Which way the rollovers of CutRightAfterRollovers go.
enum class NextFile {
  kEither,         // whichever the background thread's timing gives
  kMadeAhead,      // each round waits for the file made ahead; the seal publishes it
  kCreatedAtSeal,  // none can be made ahead: the seal creates the segment itself
  // A file is made ahead, but the record that needs the new segment is
  // larger than it: the seal creates a segment large enough itself and
  // keeps the file made ahead, which the next seal publishes — right after
  // the record is written, as it fills its segment past the segment size.
  kRecordTooLarge,
};

// The hook that keeps the background thread from making the next segment
// ahead: creating its temp file fails, as it would on a failing disk. The
// engine then falls back to creating the segment at the seal, which is what
// the tests using it exercise. Chosen over an Options knob because it
// changes no production code and goes through the same failure the
// fallback exists for.
void NoFileMadeAhead(FaultEnv& env) { env.FailCreating("next-segment-"); }

// Segments larger than the segment size: each holds a larger record.
int CountLargeSegments(const std::string& dir, const Options& o) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".log" && e.file_size() > o.segment_size) n++;
  }
  return n;
}

// Rounds of: open, check what the last cut left, write until a new segment
// begins plus a few records into it, cut. Everything synced survives; what
// survives is a prefix. `next_file` says which way the rollover must go.
void CutRightAfterRollovers(const PowerCutParam& param, int rounds, NextFile next_file) {
  const auto [mode, torn] = param;
  uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  testing::ScratchDir dir;
  FaultEnv env(Env::Default());
  if (next_file == NextFile::kCreatedAtSeal) NoFileMadeAhead(env);
  const Options o = CutOptions(&env, mode, 8 * 1024, /*auto_compact=*/false);
  int next = 0;
  for (int round = 0; round < rounds; round++) {
    std::unique_ptr<DB> db;
    ASSERT_NO_FATAL_FAILURE(OpenAfterCut(dir.path(), o, mode, round, next, db));
    std::string made;
    if (next_file == NextFile::kMadeAhead || next_file == NextFile::kRecordTooLarge) {
      made = WaitForFileMadeAhead(db.get(), dir.path());
      ASSERT_FALSE(made.empty()) << "round " << round << ": no segment file was made ahead";
    }
    ASSERT_OK(db->Sync());
    const int durable_upto = next;
    const uint64_t segments = db->Stats().segments;
    const int large_segments = CountLargeSegments(dir.path(), o);
    // The large record fills the segment it begins (see kRecordTooLarge).
    int extra = next_file == NextFile::kRecordTooLarge ? 0 : int(rng() % 4);
    bool wrote = false;
    while (db->Stats().segments == segments || extra-- > 0) {
      size_t len = rng() % 300;
      // Not the first record: into an empty segment, a large one is simply
      // given the room it needs, with no rollover.
      if (next_file == NextFile::kRecordTooLarge && wrote && db->Stats().segments == segments) {
        len = 2 * o.segment_size;
      }
      ASSERT_OK(db->Put("k" + std::to_string(next), std::string(len, 'v')));
      wrote = true;
      next++;
    }
    // Written out (no sync): the seal after the large record has happened.
    if (next_file == NextFile::kRecordTooLarge) ASSERT_OK(db->FlushLog(false));
    // The new segment is preallocated: the cut lands inside reserved space.
    EXPECT_EQ(testing::FileSize(testing::NewestSegment(dir.path())), o.segment_size);
    const DbStats stats = db->Stats();
    EXPECT_EQ(stats.rollovers, next_file == NextFile::kRecordTooLarge ? 2u : 1u)
        << "round " << round;
    if (next_file == NextFile::kMadeAhead) {
      // The rollover published the file made ahead (renamed it away).
      EXPECT_EQ(stats.rollovers_made_ahead, 1u) << "round " << round;
      EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + made)) << "round " << round;
    } else if (next_file == NextFile::kCreatedAtSeal) {
      // The fallback: no file was made ahead, the seal created the segment.
      EXPECT_EQ(stats.rollovers_made_ahead, 0u) << "round " << round;
      EXPECT_EQ(stats.next_segments_ready, 0u) << "round " << round;
      EXPECT_TRUE(FilesMadeAhead(dir.path()).empty()) << "round " << round;
    } else if (next_file == NextFile::kRecordTooLarge) {
      // The first seal fell back (a segment as large as the record), the
      // second published the file made ahead.
      EXPECT_EQ(stats.rollovers_made_ahead, 1u) << "round " << round;
      EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + made)) << "round " << round;
      EXPECT_EQ(CountLargeSegments(dir.path(), o), large_segments + 1)
          << "round " << round << ": no new segment holds the large record";
    }
    env.PowerCut(torn, rng());
    (void)db->Close();
    env.PowerOn();
    ASSERT_NO_FATAL_FAILURE(CheckSynced(dir.path(), o, round, durable_upto, seed));
  }
}

// A cut right after a rollover: the sealed segment was synced (its trim may
// not have happened yet), the new one is preallocated and may hold unsynced
// records (zeros after the cut).
TEST_P(PowerCut, RightAfterARollover) { CutRightAfterRollovers(GetParam(), 10, NextFile::kEither); }

// The same after a rollover that published a file made ahead: the new
// segment began as a synced temp file, and the old one may still have its
// reserved zero tail (trimmed after the rollover, in the background).
TEST_P(PowerCut, RightAfterARolloverToAFileMadeAhead) {
  CutRightAfterRollovers(GetParam(), 6, NextFile::kMadeAhead);
}

// The same after a rollover that had no file made ahead (the first seal
// within a moment of start-up, or a failed attempt to make it), so the seal
// created the segment itself: temp file, preallocate, sync, header, sync,
// rename, sync the directory — all while writers wait.
TEST_P(PowerCut, RightAfterARolloverWithNoFileMadeAhead) {
  CutRightAfterRollovers(GetParam(), 8, NextFile::kCreatedAtSeal);
}

// The same after a rollover for a record larger than the file made ahead:
// the seal created a segment as large as the record itself, and the next
// seal (right after the record is written) published the file made ahead.
TEST_P(PowerCut, RightAfterARolloverForARecordLargerThanTheFileMadeAhead) {
  CutRightAfterRollovers(GetParam(), 6, NextFile::kRecordTooLarge);
}

// With no file made ahead, the power fails in the middle of the seal's own
// create-then-publish: right before the rename that names the new segment
// (a complete temp file is left, which the next open removes) or right
// after it (a segment holding only its header and zeros, which the next
// open appends to). The writes that were acknowledged survive, what
// survives is a prefix, and no temp file is left after the open. (The model
// takes a rename as durable at once; the directory sync after it only
// matters for a real disk.)
TEST_P(PowerCut, InTheMiddleOfCreatingASegmentAtTheSeal) {
  const auto [mode, torn] = GetParam();
  uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  testing::ScratchDir dir;
  FaultEnv env(Env::Default());
  NoFileMadeAhead(env);
  const Options o = CutOptions(&env, mode, 8 * 1024, /*auto_compact=*/false);
  int next = 0;
  int durable_upto = 0;
  const int rounds = 6;
  for (int round = 0; round < rounds; round++) {
    std::unique_ptr<DB> db;
    ASSERT_NO_FATAL_FAILURE(OpenAfterCut(dir.path(), o, mode, round, next, db));
    EXPECT_EQ(CountFiles(dir.path(), ".tmp"), 0) << "round " << round;
    const int segments = CountFiles(dir.path(), ".log");
    ASSERT_OK(db->Sync());
    durable_upto = next;
    const bool after_rename = round % 2 == 1;
    env.CutAtRename("wal-", after_rename, torn, rng());
    Status s;
    while ((s = db->Put("k" + std::to_string(next), std::string(rng() % 300, 'v'))).ok()) {
      if (mode == FsyncMode::kAlways) durable_upto = next + 1;
      next++;
      ASSERT_LT(next, 100000) << "round " << round << ": no rollover happened";
    }
    // The write that needed the new segment failed: the power is off.
    const DbStats stats = db->Stats();
    EXPECT_EQ(stats.rollovers, 0u) << "round " << round;
    EXPECT_EQ(stats.rollovers_made_ahead, 0u) << "round " << round;
    (void)db->Close();
    env.PowerOn();
    // The cut landed where it was meant to: before the rename the temp file
    // is left (the failing step could not remove it), after it the new
    // segment exists.
    const int temp_files = CountFiles(dir.path(), ".tmp");
    if (after_rename) {
      EXPECT_EQ(temp_files, 0) << "round " << round;
      EXPECT_EQ(CountFiles(dir.path(), ".log"), segments + 1) << "round " << round;
    } else {
      EXPECT_EQ(temp_files, 1) << "round " << round;
      EXPECT_EQ(CountFiles(dir.path(), ".log"), segments) << "round " << round;
    }
    ASSERT_NO_FATAL_FAILURE(CheckSynced(dir.path(), o, round, durable_upto, seed));
  }
  std::unique_ptr<DB> db;
  ASSERT_NO_FATAL_FAILURE(OpenAfterCut(dir.path(), o, mode, rounds, next, db));
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
