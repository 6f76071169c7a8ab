// Preallocated log segments: the active segment is reserved ahead of writes
// (its tail reads as zeros until written), a sealed one is trimmed to its
// logical size, and recovery and `walnut check` read a zero tail as a clean
// end — in the newest segment and in a sealed one — while any non-zero byte
// after the last record is still damage.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "engine/test_util.h"
#include "walnut/check.h"
#include "walnut/db.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::FileSize;
using testing::ReadAll;
using testing::ScratchDir;
using testing::WriteAll;

constexpr uint64_t kSegment = 64 * 1024;

Options Opts() {
  Options o;
  o.fsync = FsyncMode::kNo;
  o.segment_size = kSegment;
  o.auto_compact = false;
  o.logger = [](LogLevel, std::string_view) {};
  return o;
}

std::string Key(int i) { return "k" + std::to_string(i); }
std::string Value(int i) { return "value-" + std::to_string(i) + std::string(size_t(i % 50), '#'); }

void ExpectKeys(DB* db, int n) {
  for (int i = 0; i < n; i++) {
    auto v = db->Get(Key(i));
    ASSERT_TRUE(v.ok()) << Key(i) << ": " << v.status().ToString();
    EXPECT_EQ(*v, Value(i));
  }
}

// Writes n keys and, like a crash, leaves the files as they are while open:
// the directory is copied before Close trims the active segment.
int WriteAndSnapshot(const std::string& dir, const std::string& snapshot, int n,
                     uint64_t* logical_end) {
  auto db = DB::Open(dir, Opts());
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  for (int i = 0; i < n; i++) EXPECT_OK((*db)->Put(Key(i), Value(i)));
  EXPECT_OK((*db)->FlushLog(true));
  DbStats st = (*db)->Stats();
  uint64_t sealed = 0;
  auto segs = testing::SegmentFiles(dir);
  for (size_t i = 0; i + 1 < segs.size(); i++) sealed += FileSize(segs[i]);
  *logical_end = st.log_bytes - sealed;  // of the newest segment
  fs::copy(dir, snapshot, fs::copy_options::recursive);
  fs::remove(snapshot + "/LOCK");
  EXPECT_OK((*db)->Close());
  return n;
}

TEST(Prealloc, ActiveSegmentIsReservedAndSealedOnesAreTrimmed) {
  ScratchDir dir;
  auto db = DB::Open(dir.path(), Opts());
  ASSERT_TRUE(db.ok());
  auto segs = testing::SegmentFiles(dir.path());
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(FileSize(segs[0]), kSegment);  // reserved up front
  int n = 0;
  while (testing::SegmentFiles(dir.path()).size() < 3) {
    ASSERT_OK((*db)->Put(Key(n), Value(n)));
    n++;
  }
  segs = testing::SegmentFiles(dir.path());
  // A sealed segment holds exactly its records: trimmed, and never larger
  // than the segment size (records that did not fit went to the next one).
  EXPECT_LE(FileSize(segs[0]), kSegment);
  EXPECT_GT(FileSize(segs[0]), kSegment - 200);
  EXPECT_EQ(FileSize(segs[2]), kSegment);
  // Stats count the log, not the reservation.
  EXPECT_LT((*db)->Stats().log_bytes, FileSize(segs[0]) + FileSize(segs[1]) + kSegment);
  ASSERT_OK((*db)->Close());
  // Close gives the unused reservation back.
  EXPECT_LT(FileSize(segs[2]), kSegment);
  auto again = DB::Open(dir.path(), Opts());
  ASSERT_TRUE(again.ok());
  ExpectKeys(again->get(), n);
}

// A crash leaves the newest segment preallocated: its zero tail is a clean
// end — nothing reported, nothing saved — and appends continue right after
// the last record, overwriting the zeros.
// Space is reserved a step at a time (Options::preallocate_bytes), so an
// idle or lightly written segment does not hold a whole segment of disk.
TEST(Prealloc, ReservationGrowsInStepsUpToTheSegmentSize) {
  ScratchDir dir;
  Options o = Opts();
  o.segment_size = 1 << 20;
  o.preallocate_bytes = 64 * 1024;
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok());
  std::string seg = testing::SegmentFiles(dir.path()).back();
  EXPECT_EQ(FileSize(seg), 40u + 64 * 1024);  // the header and one step, not the segment
  int n = 0;
  while ((*db)->Stats().log_bytes < 200 * 1024) {
    ASSERT_OK((*db)->Put(Key(n), Value(n)));
    n++;
  }
  const uint64_t logical = (*db)->Stats().log_bytes;
  EXPECT_GE(FileSize(seg), logical);                     // always reserved ahead
  EXPECT_LE(FileSize(seg), logical + 64 * 1024 + 1024);  // by at most a step
  ASSERT_OK((*db)->Close());
  auto again = DB::Open(dir.path(), o);
  ASSERT_TRUE(again.ok());
  ExpectKeys(again->get(), n);
}

TEST(Prealloc, ZeroTailOfTheNewestSegmentIsACleanEnd) {
  ScratchDir dir, crashed("crashed");
  fs::remove(crashed.path());
  uint64_t end;
  int n = WriteAndSnapshot(dir.path(), crashed.path(), 30, &end);
  std::string seg = testing::SegmentFiles(crashed.path()).back();
  ASSERT_EQ(FileSize(seg), kSegment);
  ASSERT_LT(end, kSegment);

  auto check = CheckDirectory(crashed.path(), false);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_FALSE(check->damaged) << check->first_damage;
  EXPECT_LE(check->log_bytes, end + 100);  // logical sizes, not the reservation

  {
    auto db = DB::Open(crashed.path(), Opts());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ExpectKeys(db->get(), n);
    DbStats st = (*db)->Stats();
    EXPECT_EQ(st.recovery.torn_tail_bytes, 0u);
    EXPECT_TRUE(st.recovery.notes.empty());
    EXPECT_FALSE(fs::exists(crashed.Sub("damaged")));
    EXPECT_EQ(st.segments, 1u);  // the newest segment is reused
    for (int i = n; i < n + 10; i++) ASSERT_OK((*db)->Put(Key(i), Value(i)));
    ASSERT_OK((*db)->Close());
  }
  // The new records went at the logical end: the file reads as one log.
  std::string data = ReadAll(seg);
  EXPECT_NE(data[end], 0) << "the next record starts where the old log ended";
  auto db = DB::Open(crashed.path(), Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ExpectKeys(db->get(), n + 10);
  EXPECT_EQ((*db)->Stats().recovery.torn_tail_bytes, 0u);
}

// A crash between creating the next segment and trimming the sealed one
// leaves a zero tail in a segment that is not the newest: also a clean end,
// and recovery finishes the trim.
TEST(Prealloc, ZeroTailOfASealedSegmentIsACleanEndAndIsTrimmed) {
  ScratchDir dir;
  {
    auto db = DB::Open(dir.path(), Opts());
    ASSERT_TRUE(db.ok());
    for (int i = 0; testing::SegmentFiles(dir.path()).size() < 2; i++)
      ASSERT_OK((*db)->Put(Key(i), Value(i)));
    ASSERT_OK((*db)->Put("last", "1"));
    ASSERT_OK((*db)->Close());
  }
  auto segs = testing::SegmentFiles(dir.path());
  const uint64_t logical = FileSize(segs[0]);
  fs::resize_file(segs[0], kSegment);  // as if the trim never reached the disk
  auto check = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->damaged) << check->first_damage;
  EXPECT_EQ(FileSize(segs[0]), kSegment);  // check only reads
  auto db = DB::Open(dir.path(), Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->Get("last"), "1");
  EXPECT_TRUE((*db)->Stats().recovery.notes.empty());
  EXPECT_EQ(FileSize(segs[0]), logical);
}

// Records lost from the end of a sealed segment (zeros where they were) are
// not a clean end after all: the next segment's first sequence shows it.
TEST(Prealloc, ZerosOverRecordsOfASealedSegmentAreDetected) {
  ScratchDir dir;
  std::vector<uint64_t> ends;  // logical size of segment 1 after each record
  {
    auto db = DB::Open(dir.path(), Opts());
    ASSERT_TRUE(db.ok());
    for (int i = 0; testing::SegmentFiles(dir.path()).size() < 2; i++) {
      ASSERT_OK((*db)->Put(Key(i), Value(i)));
      if (testing::SegmentFiles(dir.path()).size() == 1) ends.push_back((*db)->Stats().log_bytes);
    }
    ASSERT_OK((*db)->Close());
  }
  auto segs = testing::SegmentFiles(dir.path());
  ASSERT_GT(ends.size(), 3u);
  std::string data = ReadAll(segs[0]);
  ASSERT_EQ(data.size(), ends.back());
  // Zero the last two records, from a record boundary to the end.
  std::fill(data.begin() + long(ends[ends.size() - 3]), data.end(), '\0');
  WriteAll(segs[0], data);
  auto check = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->damaged);
  EXPECT_FALSE(check->torn_tail);
  auto db = DB::Open(dir.path(), Opts());
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsCorruption()) << db.status().ToString();
  EXPECT_NE(db.status().message().find("expected"), std::string::npos) << db.status().ToString();
}

// After the zeros, anything non-zero makes it damage again: a torn tail in
// the newest segment (cut, and only the non-zero bytes saved).
TEST(Prealloc, NonZeroBytesAfterTheZerosAreATornTail) {
  ScratchDir dir, crashed("crashed");
  fs::remove(crashed.path());
  uint64_t end;
  int n = WriteAndSnapshot(dir.path(), crashed.path(), 30, &end);
  std::string seg = testing::SegmentFiles(crashed.path()).back();
  std::string data = ReadAll(seg);
  data[kSegment - 5] = 'x';  // far past the last record, in the reserved space
  WriteAll(seg, data);
  auto check = CheckDirectory(crashed.path(), false);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->damaged);
  EXPECT_TRUE(check->torn_tail);
  EXPECT_NE(check->first_damage.find("at offset " + std::to_string(end)), std::string::npos)
      << check->first_damage;
  auto db = DB::Open(crashed.path(), Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ExpectKeys(db->get(), n);
  EXPECT_EQ((*db)->Stats().recovery.torn_tail_bytes, kSegment - 4 - end);
  ASSERT_TRUE(fs::exists(crashed.Sub("damaged")));
  for (auto& e : fs::directory_iterator(crashed.Sub("damaged"))) {
    EXPECT_EQ(fs::file_size(e.path()), kSegment - 4 - end);  // not the zeros after
  }
}

// A record frame whose length field is zero but which has non-zero bytes
// elsewhere (the checksum) is damage, not the start of the zero tail.
TEST(Prealloc, ZeroLengthHeaderWithOtherBytesSetIsDamage) {
  ScratchDir dir, crashed("crashed");
  fs::remove(crashed.path());
  uint64_t end;
  int n = WriteAndSnapshot(dir.path(), crashed.path(), 30, &end);
  std::string seg = testing::SegmentFiles(crashed.path()).back();
  std::string data = ReadAll(seg);
  for (int i = 0; i < 8; i++) data[end + i] = char(0xA5);  // checksum only; length 0
  WriteAll(seg, data);
  auto check = CheckDirectory(crashed.path(), false);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->damaged);
  EXPECT_TRUE(check->torn_tail);
  auto db = DB::Open(crashed.path(), Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ExpectKeys(db->get(), n);
  EXPECT_EQ((*db)->Stats().recovery.torn_tail_bytes, 8u);

  // In a sealed segment the same bytes are corruption (strict Open refuses).
  ScratchDir sealed;
  {
    auto db2 = DB::Open(sealed.path(), Opts());
    ASSERT_TRUE(db2.ok());
    for (int i = 0; testing::SegmentFiles(sealed.path()).size() < 2; i++) {
      ASSERT_OK((*db2)->Put(Key(i), Value(i)));
    }
    ASSERT_OK((*db2)->Close());
  }
  std::string first = testing::SegmentFiles(sealed.path())[0];
  std::string bytes = ReadAll(first);
  const uint64_t logical = bytes.size();
  bytes.resize(kSegment, '\0');
  for (int i = 0; i < 8; i++) bytes[logical + i] = char(0xA5);
  WriteAll(first, bytes);
  auto strict = DB::Open(sealed.path(), Opts());
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("at offset " + std::to_string(logical)),
            std::string::npos)
      << strict.status().ToString();
}

}  // namespace
}  // namespace walnut
