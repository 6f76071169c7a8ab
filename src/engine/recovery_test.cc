// Recovery against damaged logs: torn tails at every byte, garbage, bit
// flips, missing segments, damaged base images — one failure mode per test.
// What must hold everywhere: Open never crashes, never returns a damaged
// value, and names what it found; the default mode never drops data silently.
#include "engine/recovery.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "engine/keyspace.h"
#include "engine/test_util.h"
#include "walnut/check.h"
#include "walnut/db.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::FileSize;
using testing::NewestSegment;
using testing::ReadAll;
using testing::ScratchDir;
using testing::WriteAll;

Options Quiet(RecoveryMode mode = RecoveryMode::kStrict) {
  Options o;
  o.fsync = FsyncMode::kNo;
  o.recovery = mode;
  o.logger = [](LogLevel, std::string_view) {};
  return o;
}

std::string Value(int i) { return "value-" + std::to_string(i) + std::string(size_t(i % 7), '#'); }

// Writes keys k0..k{n-1} one record each; returns the segment offsets at
// which each record starts (in the single segment) and the file size.
std::vector<uint64_t> WriteRecords(const std::string& dir, int n, Options o = Quiet()) {
  auto db = DB::Open(dir, o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  std::vector<uint64_t> starts;
  for (int i = 0; i < n; i++) {
    // The logical size: while open, the segment file is preallocated.
    starts.push_back((*db)->Stats().log_bytes);
    EXPECT_TRUE((*db)->Put("k" + std::to_string(i), Value(i)).ok());
  }
  EXPECT_TRUE((*db)->Close().ok());
  return starts;
}

void CopyDir(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
  fs::remove(to + "/LOCK");
}

// Every value Open returns must be exactly what was written for that key.
void ExpectNoDamagedValues(DB* db, int n, int* present) {
  *present = 0;
  for (int i = 0; i < n; i++) {
    auto v = db->Get("k" + std::to_string(i));
    if (v.ok()) {
      EXPECT_EQ(*v, Value(i)) << "k" << i;
      (*present)++;
    } else {
      EXPECT_TRUE(v.status().IsNotFound());
    }
  }
}

TEST(Recovery, TornTailAtEveryByteOfTheLastRecordIsCut) {
  ScratchDir src("src"), work("work");
  const int n = 10;
  auto starts = WriteRecords(src.path(), n);
  std::string seg_name = fs::path(NewestSegment(src.path())).filename();
  uint64_t full = FileSize(src.Sub(seg_name));
  const std::string bytes = ReadAll(src.Sub(seg_name));
  for (uint64_t cut = starts.back(); cut < full; cut++) {
    // Zero bytes at the very end of a torn record cannot be told from a
    // preallocated segment's unused space, so they are not counted as torn.
    uint64_t torn_end = cut;
    while (torn_end > starts.back() && bytes[torn_end - 1] == 0) torn_end--;
    std::string dir = work.Sub("c" + std::to_string(cut));
    CopyDir(src.path(), dir);
    fs::resize_file(dir + "/" + seg_name, cut);
    auto db = DB::Open(dir, Quiet());
    ASSERT_TRUE(db.ok()) << "cut at " << cut << ": " << db.status().ToString();
    int present;
    ExpectNoDamagedValues(db->get(), n, &present);
    EXPECT_EQ(present, n - 1) << "cut at " << cut;
    auto st = (*db)->Stats();
    EXPECT_EQ(st.recovery.torn_tail_bytes, torn_end - starts.back()) << cut;
    if (cut > starts.back()) {
      ASSERT_FALSE(st.recovery.notes.empty());
      EXPECT_NE(st.recovery.notes[0].find(seg_name + " at offset " + std::to_string(starts.back())),
                std::string::npos)
          << st.recovery.notes[0];
      EXPECT_TRUE(fs::exists(dir + "/damaged")) << "cut bytes must be saved";
    }
    // The log is clean again: the key can be written and survives.
    ASSERT_OK((*db)->Put("k" + std::to_string(n - 1), Value(n - 1)));
    ASSERT_OK((*db)->Close());
    auto again = DB::Open(dir, Quiet());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    ExpectNoDamagedValues(again->get(), n, &present);
    EXPECT_EQ(present, n);
  }
}

// Zeros from a record boundary to the end of the file are a preallocated
// segment's unused space: a clean end, nothing cut (prealloc_test.cc).
TEST(Recovery, GarbageAppendedIsATornTailAndZerosACleanEnd) {
  std::mt19937_64 rng(testing::TestSeed());
  for (int variant = 0; variant < 2; variant++) {
    ScratchDir dir;
    WriteRecords(dir.path(), 20);
    std::string seg = NewestSegment(dir.path());
    std::string data = ReadAll(seg);
    // Garbage of non-zero bytes: a zero byte at its end would count as the
    // start of a clean zero tail (unwritten preallocated space), and the
    // torn tail would be shorter than 3000 (seen with 1 seed in 256).
    for (int i = 0; i < 3000; i++) data.push_back(variant == 0 ? char(1 + rng() % 255) : '\0');
    WriteAll(seg, data);
    auto db = DB::Open(dir.path(), Quiet());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    int present;
    ExpectNoDamagedValues(db->get(), 20, &present);
    EXPECT_EQ(present, 20);
    EXPECT_EQ((*db)->Stats().recovery.torn_tail_bytes, variant == 0 ? 3000u : 0u);
    EXPECT_EQ(fs::exists(dir.Sub("damaged")), variant == 0);
  }
}

TEST(Recovery, BitFlipInTheMiddleFailsStrictOpenNamingFileAndOffset) {
  ScratchDir dir;
  auto starts = WriteRecords(dir.path(), 20);
  std::string seg = NewestSegment(dir.path());
  std::string data = ReadAll(seg);
  uint64_t victim = starts[5] + 20;  // inside record 5's body
  data[victim] ^= 0x10;
  WriteAll(seg, data);
  auto db = DB::Open(dir.path(), Quiet());
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsCorruption());
  const std::string& m = db.status().message();
  EXPECT_NE(m.find(fs::path(seg).filename().string() + " at offset " + std::to_string(starts[5])),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("checksum"), std::string::npos) << m;
  EXPECT_NE(m.find("point-in-time"), std::string::npos) << "the error says what to do: " << m;
  // Nothing was changed by the failed open.
  EXPECT_EQ(ReadAll(seg), data);
}

TEST(Recovery, PointInTimeKeepsThePrefixAndSavesTheRest) {
  ScratchDir dir;
  auto starts = WriteRecords(dir.path(), 20);
  std::string seg = NewestSegment(dir.path());
  std::string data = ReadAll(seg);
  data[starts[5] + 20] ^= 0x01;
  WriteAll(seg, data);
  {
    auto db = DB::Open(dir.path(), Quiet(RecoveryMode::kPointInTime));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int i = 0; i < 20; i++) {
      EXPECT_EQ((*db)->Get("k" + std::to_string(i)).ok(), i < 5) << i;
    }
    EXPECT_GT((*db)->Stats().recovery.skipped_bytes, 0u);
  }
  EXPECT_TRUE(fs::exists(dir.Sub("damaged")));
  // The log was rewritten: a strict open is clean now.
  auto db = DB::Open(dir.path(), Quiet());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE((*db)->Get("k4").ok());
}

TEST(Recovery, SkipCorruptedLosesOnlyTheDamagedRecord) {
  ScratchDir dir;
  auto starts = WriteRecords(dir.path(), 20);
  std::string seg = NewestSegment(dir.path());
  std::string data = ReadAll(seg);
  data[starts[7] + 20] ^= 0x01;
  WriteAll(seg, data);
  auto db = DB::Open(dir.path(), Quiet(RecoveryMode::kSkipCorrupted));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  int present;
  ExpectNoDamagedValues(db->get(), 20, &present);
  EXPECT_EQ(present, 19);
  EXPECT_TRUE((*db)->Get("k7").status().IsNotFound());
}

// Writes 600 records with small segments; returns the segment paths in order.
std::vector<std::string> WriteManySegments(const std::string& dir, const Options& o) {
  {
    auto db = DB::Open(dir, o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    for (int i = 0; i < 600; i++) EXPECT_TRUE((*db)->Put("k" + std::to_string(i), Value(i)).ok());
  }
  std::vector<std::string> segs;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("wal-", 0) == 0) segs.push_back(e.path());
  }
  std::sort(segs.begin(), segs.end());
  return segs;
}

TEST(Recovery, DamageInASealedSegmentIsNeverATornTail) {
  ScratchDir dir;
  Options o = Quiet();
  o.segment_size = 4096;
  std::vector<std::string> segs = WriteManySegments(dir.path(), o);
  ASSERT_GT(segs.size(), 3u);
  // Cut the end of the first (sealed) segment: a torn tail would be
  // accepted only in the newest segment.
  fs::resize_file(segs[0], FileSize(segs[0]) - 3);
  auto db = DB::Open(dir.path(), o);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsCorruption()) << db.status().ToString();
  EXPECT_NE(db.status().message().find(fs::path(segs[0]).filename().string()), std::string::npos);
}

TEST(Recovery, MissingMiddleSegmentIsDetected) {
  ScratchDir dir;
  Options o = Quiet();
  o.segment_size = 4096;
  std::vector<std::string> segs = WriteManySegments(dir.path(), o);
  ASSERT_GT(segs.size(), 3u);
  fs::remove(segs[2]);
  auto db = DB::Open(dir.path(), o);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("missing"), std::string::npos) << db.status().ToString();
}

// Found by the corruption campaign (tests/corruption_test.cc): with the
// first segment gone (or the base image, below), the rest of the log is
// intact and consistent with itself, so only its starting sequence shows
// that records are missing. Before the check on it, Open served the later
// keys alone and `walnut check` said "clean".
TEST(Recovery, MissingFirstSegmentIsDetected) {
  ScratchDir dir;
  Options o = Quiet();
  o.segment_size = 4096;
  std::vector<std::string> segs = WriteManySegments(dir.path(), o);
  ASSERT_GT(segs.size(), 2u);
  fs::remove(segs[0]);
  auto check = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_TRUE(check->damaged);
  EXPECT_FALSE(check->torn_tail);
  EXPECT_NE(check->first_damage.find("no base image"), std::string::npos) << check->first_damage;
  auto db = DB::Open(dir.path(), o);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find(fs::path(segs[1]).filename().string() + " at offset 0"),
            std::string::npos)
      << db.status().ToString();
  // skip-corrupted keeps every remaining segment: what is lost lies before them.
  Options skip = o;
  skip.recovery = RecoveryMode::kSkipCorrupted;
  auto s = DB::Open(dir.path(), skip);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->Get("k599").ok());
  EXPECT_TRUE((*s)->Get("k0").status().IsNotFound());
}

TEST(Recovery, MissingBaseImageIsDetected) {
  ScratchDir dir;
  {
    auto db = DB::Open(dir.path(), Quiet());
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 50; i++) ASSERT_OK((*db)->Put("k" + std::to_string(i), Value(i)));
    ASSERT_TRUE((*db)->Compact().ok());
    ASSERT_OK((*db)->Put("after", "x"));
  }
  for (auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("base-", 0) == 0) fs::remove(e.path());
  }
  auto check = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_TRUE(check->damaged);
  auto db = DB::Open(dir.path(), Quiet());
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("no base image"), std::string::npos)
      << db.status().ToString();
}

// Point-in-time recovery keeps a prefix of the log. A damaged base image is
// the log's start, so the only consistent prefix is empty: replaying the
// later segments alone (as it once did) served "after" without the 50 keys
// written before it — a state that never existed.
TEST(Recovery, PointInTimeWithADamagedBaseImageKeepsNothing) {
  ScratchDir dir;
  {
    auto db = DB::Open(dir.path(), Quiet());
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 50; i++) ASSERT_OK((*db)->Put("k" + std::to_string(i), Value(i)));
    ASSERT_TRUE((*db)->Compact().ok());
    ASSERT_OK((*db)->Put("after", "x"));
  }
  for (auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("base-", 0) == 0) {
      std::string data = ReadAll(e.path());
      data[data.size() / 2] ^= 0x40;
      WriteAll(e.path(), data);
    }
    // Without its snapshot, start-up reads the image (snapshot_test.cc covers
    // a damaged image read through a snapshot).
    if (e.path().filename().string().rfind("hint-", 0) == 0) fs::remove(e.path());
  }
  {
    auto db = DB::Open(dir.path(), Quiet(RecoveryMode::kPointInTime));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->KeyCount(0), 0u);
    EXPECT_TRUE((*db)->Get("after").status().IsNotFound());
  }
  // Nothing destroyed: the base and the segment were moved to damaged/.
  int saved = 0;
  for (auto& e : fs::directory_iterator(dir.Sub("damaged"))) {
    std::string n = e.path().filename();
    saved += n.rfind("base-", 0) == 0 || n.rfind("wal-", 0) == 0;
  }
  EXPECT_GE(saved, 2);
  // And the rewritten log opens cleanly in the default mode.
  auto again = DB::Open(dir.path(), Quiet());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

TEST(Recovery, EveryBitFlipIsDetectedOrHarmless) {
  ScratchDir src("src"), work("work");
  const int n = 12;
  WriteRecords(src.path(), n);
  std::string seg_name = fs::path(NewestSegment(src.path())).filename();
  std::string data = ReadAll(src.Sub(seg_name));
  int failed_opens = 0;
  for (size_t pos = 0; pos < data.size(); pos++) {
    std::string dir = work.Sub("f");
    CopyDir(src.path(), dir);
    std::string bad = data;
    bad[pos] ^= char(1 << (pos % 8));
    WriteAll(dir + "/" + seg_name, bad);
    auto db = DB::Open(dir, Quiet());
    if (!db.ok()) {
      EXPECT_TRUE(db.status().IsCorruption()) << pos << ": " << db.status().ToString();
      failed_opens++;
      continue;
    }
    int present;
    ExpectNoDamagedValues(db->get(), n, &present);
    // Only a flip in the last record may be taken for a torn tail.
    EXPECT_GE(present, n - 1) << "flip at " << pos;
  }
  EXPECT_GT(failed_opens, 0);
}

TEST(Recovery, LeftoverTempFilesAreRemoved) {
  ScratchDir dir;
  WriteRecords(dir.path(), 3);
  WriteAll(dir.Sub("wal-00000000000000000099.log.tmp"), "half a header");
  auto db = DB::Open(dir.path(), Quiet());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_FALSE(fs::exists(dir.Sub("wal-00000000000000000099.log.tmp")));
  EXPECT_TRUE((*db)->Get("k2").ok());
}

TEST(Recovery, DamagedBaseImageIsNeverLoaded) {
  ScratchDir dir;
  {
    auto db = DB::Open(dir.path(), Quiet());
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 50; i++) ASSERT_OK((*db)->Put("k" + std::to_string(i), Value(i)));
    ASSERT_TRUE((*db)->Compact().ok());
    ASSERT_OK((*db)->Put("after", "x"));
  }
  std::string base;
  for (auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("base-", 0) == 0) base = e.path();
    // Without its snapshot, start-up reads the image (snapshot_test.cc covers
    // a damaged image read through a snapshot).
    if (e.path().filename().string().rfind("hint-", 0) == 0) fs::remove(e.path());
  }
  ASSERT_FALSE(base.empty());
  std::string data = ReadAll(base);
  data[data.size() / 2] ^= 0x40;
  WriteAll(base, data);
  auto db = DB::Open(dir.path(), Quiet());
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("base-"), std::string::npos) << db.status().ToString();
  auto skip = DB::Open(dir.path(), Quiet(RecoveryMode::kSkipCorrupted));
  ASSERT_TRUE(skip.ok()) << skip.status().ToString();
  int present;
  ExpectNoDamagedValues(skip->get(), 50, &present);
  EXPECT_EQ(present, 0);  // the compacted keys lived only in the base
  EXPECT_TRUE((*skip)->Get("after").ok());
}

TEST(Recovery, CrashBetweenBaseInstallAndSegmentDeletionIsHarmless) {
  ScratchDir dir, saved("saved");
  {
    auto db = DB::Open(dir.path(), Quiet());
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 30; i++) ASSERT_OK((*db)->Put("k" + std::to_string(i), Value(i)));
    ASSERT_OK((*db)->Close());
  }
  // Keep the pre-compaction segments, compact, then put them back: the state
  // a crash after the rename but before the deletions leaves.
  CopyDir(dir.path(), saved.Sub("old"));
  {
    auto db = DB::Open(dir.path(), Quiet());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Compact().ok());
    ASSERT_OK((*db)->Put("k0", "newer"));
  }
  for (auto& e : fs::directory_iterator(saved.Sub("old"))) {
    if (e.path().filename().string().rfind("wal-", 0) == 0) {
      fs::copy_file(e.path(), dir.Sub(e.path().filename()), fs::copy_options::skip_existing);
    }
  }
  auto db = DB::Open(dir.path(), Quiet());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->Get("k0"), "newer");
  EXPECT_EQ(*(*db)->Get("k29"), Value(29));
}

// Replay makes each put's entry some puts before inserting it
// (replay_inserter.h), with one log on a second thread, and sizes the index
// from the first 1/16 of the log (Presizer). None of it may change what
// replay rebuilds: a seeded random mix of every kind of op over two
// databases and a small key set (so keys are overwritten, deleted and moved
// often, right next to each other in the log), over several segments, must
// reopen to exactly what the live database held; and so must the base image
// a compaction makes of it, loaded without its snapshot.
void ExpectReplayRebuildsTheLiveState(uint32_t partitions) {
  ScratchDir dir("replay-mix");
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  Options o = Quiet();
  o.auto_compact = false;
  o.segment_size = 1 << 20;
  o.num_databases = 2;
  o.partitions = partitions;
  const int64_t later = 4102444800000;  // 2100-01-01: nothing expires during the test
  auto key = [](uint64_t i) { return "key-" + std::to_string(i); };
  using State = std::map<std::pair<uint32_t, std::string>, std::pair<std::string, int64_t>>;
  auto state_of = [&](DB* db) {
    State st;
    for (uint32_t d = 0; d < 2; d++) {
      for (uint64_t i = 0; i < 300; i++) {
        (void)db->Read(
            d, key(i),
            [&](std::string_view v, int64_t exp) {
              st[{d, key(i)}] = {std::string(v), exp};
            },
            /*touch=*/false);
      }
    }
    return st;
  };
  State live;
  {
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int n = 0; n < 40000; n++) {
      WriteBatch b;
      const uint32_t d = uint32_t(rng() % 2);
      const uint64_t r = rng() % 1000;
      if (r < 700) {
        b.Put(d, key(rng() % 300), std::string(100 + rng() % 200, char('a' + n % 26)),
              r < 100 ? later + int64_t(rng() % 1000) : 0);
      } else if (r < 900) {
        b.Delete(d, key(rng() % 300));
      } else if (r < 990) {
        b.SetExpiry(d, key(rng() % 300), rng() % 2 ? later : 0);
      } else if (r < 996) {
        b.SwapDb(0, 1);
      } else {
        b.FlushDb(d);
      }
      ASSERT_TRUE((*db)->Write(b).ok());
    }
    live = state_of(db->get());
    ASSERT_TRUE((*db)->Close().ok());
  }
  size_t segments = 0;
  for (auto& f : fs::recursive_directory_iterator(dir.path())) {
    segments += f.path().filename().string().rfind("wal-", 0) == 0;
  }
  ASSERT_GT(segments, 4u) << "the log should span several segments";
  {
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_TRUE(state_of(db->get()) == live) << "seed " << seed;
    EXPECT_EQ((*db)->KeyCount(0) + (*db)->KeyCount(1), live.size()) << "seed " << seed;
    ASSERT_TRUE((*db)->Compact().ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  // The base image itself, every value read from it.
  for (auto& f : fs::recursive_directory_iterator(dir.path())) {
    if (f.path().filename().string().rfind("hint-", 0) == 0) fs::remove(f.path());
  }
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE(state_of(db->get()) == live) << "base image, seed " << seed;
  EXPECT_EQ((*db)->KeyCount(0) + (*db)->KeyCount(1), live.size()) << "seed " << seed;
}

// One log: on a machine with more than one core, start-up applies the ops
// on a second thread (DB::Open).
TEST(Recovery, ReplayRebuildsExactlyTheLiveStateForEveryKindOfOpOneLog) {
  ExpectReplayRebuildsTheLiveState(1);
}

TEST(Recovery, ReplayRebuildsExactlyTheLiveStateForEveryKindOfOpPartitioned) {
  ExpectReplayRebuildsTheLiveState(2);
}

// A log that keeps overwriting the keys its first part created makes the
// presizing guess high (every early record added a key). Recovery then
// shrinks the table to what growth alone gives the keys, so memory after
// start-up does not depend on the guess; and every key is there.
TEST(Recovery, IndexGuessedTooLargeFromTheLogIsShrunk) {
  ScratchDir dir("presize");
  Options o = Quiet();
  o.auto_compact = false;
  o.segment_size = 1 << 20;
  {
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok());
    const std::string value(200, 'v');
    // ~9 MiB of log: 2000 keys made in the first 1/16, then overwritten.
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 2000; i++) {
        ASSERT_TRUE((*db)->Put("k" + std::to_string(i), value + std::to_string(round)).ok());
      }
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
  Keyspace ks(o.num_databases);
  RecoveryParams p;
  p.env = Env::Default();
  p.dir = dir.path();
  p.modify_files = false;
  RecoveryOutcome out;
  ASSERT_TRUE(Recover(p, &ks, &out).ok());
  EXPECT_EQ(ks.keys(0), 2000u);
  EXPECT_EQ(ks.db(0).capacity(), 4096u);  // 2000 keys fit 3/4 of 4096 slots, not of 2048
  for (int i = 0; i < 2000; i++) {
    std::string k = "k" + std::to_string(i);
    Entry* e = ks.Find(0, k, 0);
    ASSERT_NE(e, nullptr) << k;
    EXPECT_EQ(e->value(), std::string(200, 'v') + "19") << k;
  }
}

TEST(Check, ReportsCountsAndFixesOnlyTornTails) {
  ScratchDir dir;
  auto starts = WriteRecords(dir.path(), 10);
  auto clean = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_FALSE(clean->damaged);
  EXPECT_EQ(clean->records, 10u);
  EXPECT_EQ(clean->live_keys, 10u);

  std::string seg = NewestSegment(dir.path());
  fs::resize_file(seg, FileSize(seg) - 4);
  auto torn = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(torn.ok());
  EXPECT_TRUE(torn->damaged);
  EXPECT_TRUE(torn->torn_tail);
  EXPECT_NE(torn->first_damage.find("offset " + std::to_string(starts[9])), std::string::npos);
  auto fixed = CheckDirectory(dir.path(), true);
  ASSERT_TRUE(fixed.ok());
  EXPECT_NE(fixed->fixed.find("cut a torn tail"), std::string::npos) << fixed->fixed;
  EXPECT_EQ(FileSize(seg), starts[9]);
  EXPECT_FALSE(CheckDirectory(dir.path(), false)->damaged);

  std::string data = ReadAll(seg);
  data[starts[3] + 20] ^= 1;
  WriteAll(seg, data);
  auto mid = CheckDirectory(dir.path(), true);
  ASSERT_TRUE(mid.ok());
  EXPECT_TRUE(mid->damaged);
  EXPECT_FALSE(mid->torn_tail);
  EXPECT_NE(mid->fixed.find("nothing"), std::string::npos);
  EXPECT_EQ(ReadAll(seg), data);  // untouched
}

}  // namespace
}  // namespace walnut
