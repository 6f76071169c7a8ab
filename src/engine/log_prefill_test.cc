// Log space reserved with written zeros (Options::log_prefill, "Reserved
// ahead" in db_impl_segments.cc): the file system really holds written
// blocks, not unwritten extents; the background thread grows the active
// segment's reservation ahead of the writers; and writing zeros into the
// file the writers append to never costs a record, with concurrent writers,
// across rollovers, and after a crash.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "engine/test_util.h"
#include "env/fault_env.h"
#include "walnut/db.h"
#include "walnut/env.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// Bytes of [0, len) of `path` that the file system keeps as unwritten
// extents (fallocated, never written), or -1 if it cannot tell (FIEMAP
// unsupported, e.g. on tmpfs).
int64_t UnwrittenBytes(const std::string& path, uint64_t len) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  constexpr int kExtents = 256;
  std::vector<char> buf(sizeof(fiemap) + kExtents * sizeof(fiemap_extent));
  auto* fm = reinterpret_cast<fiemap*>(buf.data());
  int64_t unwritten = 0;
  uint64_t start = 0;
  for (;;) {
    std::fill(buf.begin(), buf.end(), 0);
    fm->fm_start = start;
    fm->fm_length = len - start;
    fm->fm_flags = FIEMAP_FLAG_SYNC;
    fm->fm_extent_count = kExtents;
    if (::ioctl(fd, FS_IOC_FIEMAP, fm) != 0) {
      ::close(fd);
      return -1;
    }
    if (fm->fm_mapped_extents == 0) break;
    bool last = false;
    for (uint32_t i = 0; i < fm->fm_mapped_extents; i++) {
      const fiemap_extent& e = fm->fm_extents[i];
      const uint64_t a = std::max<uint64_t>(e.fe_logical, 0);
      const uint64_t b = std::min<uint64_t>(e.fe_logical + e.fe_length, len);
      if ((e.fe_flags & FIEMAP_EXTENT_UNWRITTEN) && b > a) unwritten += int64_t(b - a);
      start = e.fe_logical + e.fe_length;
      if (e.fe_flags & FIEMAP_EXTENT_LAST) last = true;
    }
    if (last || start >= len) break;
  }
  ::close(fd);
  return unwritten;
}

// Whether this file system keeps fallocated space as unwritten extents (ext4
// and xfs do); the tests that look at extents are skipped where it does not.
bool FileSystemHasUnwrittenExtents(const std::string& dir) {
  const std::string p = dir + "/probe";
  auto f = Env::Default()->NewWritableFile(p, true);
  if (!f.ok() || !(*f)->Allocate(1 << 20).ok() || !(*f)->Sync().ok()) return false;
  const bool has = UnwrittenBytes(p, 1 << 20) > 0;
  (void)Env::Default()->RemoveFile(p);
  return has;
}

Options Opts(FsyncMode mode, LogPrefill prefill) {
  Options o;
  o.fsync = mode;
  o.log_prefill = prefill;
  o.segment_size = 1 << 20;
  o.preallocate_bytes = 64 * 1024;
  o.auto_compact = false;
  o.logger = [](LogLevel, std::string_view) {};
  return o;
}

bool WaitFor(const std::function<bool()>& cond) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(LogPrefill, AllocateWrittenLeavesNoUnwrittenExtentsWhereAllocateDoes) {
  ScratchDir dir("prefill");
  if (!FileSystemHasUnwrittenExtents(dir.path())) {
    GTEST_SKIP() << "the file system under " << dir.path() << " has no unwritten extents";
  }
  Env* env = Env::Default();
  auto a = env->NewWritableFile(dir.Sub("fallocated"), true);
  auto w = env->NewWritableFile(dir.Sub("written"), true);
  ASSERT_TRUE(a.ok() && w.ok());
  for (auto* f : {a->get(), w->get()}) ASSERT_OK(f->Append("header"));
  ASSERT_OK((*a)->Allocate(1 << 20));
  ASSERT_OK((*w)->AllocateWritten(1 << 20));
  ASSERT_OK((*a)->Sync());
  EXPECT_GT(UnwrittenBytes(dir.Sub("fallocated"), 1 << 20), 0);
  EXPECT_EQ(UnwrittenBytes(dir.Sub("written"), 1 << 20), 0);
  // Both are a reservation: the logical end stays, the size grows, the rest
  // reads as zeros, and appends overwrite it in place.
  EXPECT_EQ((*w)->Size(), 6u);
  EXPECT_EQ(testing::FileSize(dir.Sub("written")), 1u << 20);
  ASSERT_OK((*w)->Append("record"));
  ASSERT_OK((*w)->Sync());
  const std::string all = testing::ReadAll(dir.Sub("written"));
  ASSERT_EQ(all.size(), 1u << 20);
  EXPECT_EQ(all.substr(0, 12), "headerrecord");
  EXPECT_EQ(all.find_first_not_of('\0', 12), std::string::npos);
  // Growing again writes only past what is allocated.
  ASSERT_OK((*w)->AllocateWritten(2 << 20));
  EXPECT_EQ(testing::ReadAll(dir.Sub("written")).substr(0, 12), "headerrecord");
  EXPECT_EQ(testing::FileSize(dir.Sub("written")), 2u << 20);
}

TEST(LogPrefill, AutoMeansZerosWithFsyncAlwaysOnly) {
  struct Case {
    FsyncMode mode;
    LogPrefill prefill;
    bool zeros;
  };
  for (Case c : {Case{FsyncMode::kAlways, LogPrefill::kAuto, true},
                 Case{FsyncMode::kEverySec, LogPrefill::kAuto, false},
                 Case{FsyncMode::kNo, LogPrefill::kAuto, false},
                 Case{FsyncMode::kAlways, LogPrefill::kFallocate, false},
                 Case{FsyncMode::kEverySec, LogPrefill::kZeros, true}}) {
    ScratchDir dir("prefill");
    Options o = Opts(c.mode, c.prefill);
    o.partitions = 1;
    auto db = DB::Open(dir.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->Stats().log_zero_fill, c.zeros) << int(c.mode) << " " << int(c.prefill);
  }
}

// The background thread makes the next step of the reservation once less
// than half a step is left, so the writer never has to; and the step it
// made is written zeros on disk.
TEST(LogPrefill, TheBackgroundThreadReservesAheadOfTheWriter) {
  ScratchDir dir("prefill");
  Options o = Opts(FsyncMode::kAlways, LogPrefill::kAuto);
  o.partitions = 1;
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok());
  const std::string value(1000, 'v');
  int n = 0;
  // Past half of the first step (64 KiB): the next write asks for the next.
  while ((*db)->Stats().log_bytes < 40 * 1024) {
    ASSERT_OK((*db)->Put("k" + std::to_string(n++), value));
  }
  ASSERT_TRUE(WaitFor([&] { return (*db)->Stats().reserved_ahead >= 1; }));
  const std::string seg = testing::SegmentFiles(dir.path()).back();
  EXPECT_EQ(testing::FileSize(seg), 40u + 2 * 64 * 1024);
  // Writing on, in pauses that give the thread time, every step is made
  // ahead and none by a writer.
  for (int step = 0; step < 4; step++) {
    const uint64_t ahead = (*db)->Stats().reserved_ahead;
    const uint64_t target = (*db)->Stats().log_bytes + 64 * 1024;
    while ((*db)->Stats().log_bytes < target) {
      ASSERT_OK((*db)->Put("k" + std::to_string(n++), value));
    }
    ASSERT_TRUE(WaitFor([&] { return (*db)->Stats().reserved_ahead > ahead; }));
  }
  EXPECT_EQ((*db)->Stats().reserved_inline, 0u);
  if (FileSystemHasUnwrittenExtents(dir.path())) {
    EXPECT_EQ(UnwrittenBytes(seg, testing::FileSize(seg)), 0);
  }
  ASSERT_OK((*db)->Close());
  auto again = DB::Open(dir.path(), o);
  ASSERT_TRUE(again.ok());
  for (int i = 0; i < n; i++) ASSERT_TRUE((*again)->Get("k" + std::to_string(i)).ok()) << i;
}

// Writers on several threads race the thread that writes zeros past them,
// through many steps and rollovers. The directory is copied before Close, as
// a crash would leave it (the active segment untrimmed, perhaps with zeros
// being written past its end), and reopened; so is the closed directory.
// Every write must be in both: a zero written over a record would show as a
// missing key or as damage, which the default recovery refuses.
// Writers race a zero-writer whose zeros land late; every write must be
// found after a crash copy and after a clean close. `partitions` > 1 with
// `keys_per_write` > 1 makes most writes multi-partition ones (MSET), whose
// parts must also stay below each partition's reservation.
void RaceTheZeros(uint32_t partitions, int keys_per_write) {
  const uint64_t seed = testing::TestSeed();  // printed; WALNUT_TEST_SEED repeats a run
  SCOPED_TRACE("seed " + std::to_string(seed));
  ScratchDir dir("prefill");
  // The zeros are written 3 ms after the step begins: a writer that wrote
  // past the old reservation meanwhile (it must wait instead) would have its
  // records zeroed.
  FaultEnv env(Env::Default());
  env.allocate_written_delay_ms = 3;
  Options o = Opts(FsyncMode::kAlways, LogPrefill::kZeros);
  o.env = &env;
  o.partitions = partitions;
  o.preallocate_bytes = 16 * 1024;  // many steps per segment
  o.segment_size = 256 * 1024;
  auto db = DB::Open(dir.path(), o);
  ASSERT_TRUE(db.ok());
  constexpr int kThreads = 4;
  const int per_thread = 1500 / keys_per_write;
  auto key = [](int t, int i, int k) {
    return "t" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(k);
  };
  auto value = [seed](int t, int i, int k) {
    return std::string(
        size_t((seed + uint64_t(t) * 7919 + uint64_t(i) * 104729 + uint64_t(k) * 31) % 900 + 1),
        char('a' + (t + i + k) % 26));
  };
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; t++) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; i++) {
        WriteBatch b;
        for (int k = 0; k < keys_per_write; k++) b.Put(0, key(t, i, k), value(t, i, k));
        ASSERT_OK((*db)->Write(b));
      }
    });
  }
  for (auto& w : writers) w.join();
  const DbStats st = (*db)->Stats();
  EXPECT_TRUE(st.log_zero_fill);
  EXPECT_GT(st.reserved_ahead, 0u);
  EXPECT_GT(st.rollovers, 3u);
  std::printf("steps reserved ahead %llu, by a writer %llu, rollovers %llu\n",
              (unsigned long long)st.reserved_ahead, (unsigned long long)st.reserved_inline,
              (unsigned long long)st.rollovers);
  const std::string copy = dir.Sub("copy");
  fs::create_directory(copy);
  for (auto& e : fs::recursive_directory_iterator(dir.path())) {
    const std::string rel = fs::relative(e.path(), dir.path()).string();
    if (rel.rfind("copy", 0) == 0) continue;
    if (e.is_directory()) {
      fs::create_directories(copy + "/" + rel);
    } else if (e.is_regular_file() && e.path().filename() != "LOCK") {
      fs::copy_file(e.path(), copy + "/" + rel);
    }
  }
  ASSERT_OK((*db)->Close());

  for (const std::string& path : {copy, dir.path()}) {
    auto r = DB::Open(path, o);
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    EXPECT_EQ((*r)->Stats().recovery.torn_tail_bytes, 0u) << path;
    EXPECT_TRUE((*r)->Stats().recovery.notes.empty()) << path;
    for (int t = 0; t < kThreads; t++) {
      for (int i = 0; i < per_thread; i++) {
        for (int k = 0; k < keys_per_write; k++) {
          auto v = (*r)->Get(key(t, i, k));
          ASSERT_TRUE(v.ok()) << path << " " << key(t, i, k);
          ASSERT_EQ(*v, value(t, i, k)) << path << " " << key(t, i, k);
        }
      }
    }
    ASSERT_OK((*r)->Close());
  }
}

TEST(LogPrefill, ConcurrentWritersLoseNothingToTheZeros) { RaceTheZeros(1, 1); }

TEST(LogPrefill, MultiPartitionWritesLoseNothingToTheZeros) { RaceTheZeros(2, 4); }

}  // namespace
}  // namespace walnut
