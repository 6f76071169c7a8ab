// Data larger than memory (Options::max_memory_bytes, docs/memory.md):
// values beyond the budget stay in the log or the base image and are read
// back with pread; memory stays near the budget; compaction moves the
// locations of evicted values into its new image and removes the old files;
// a damaged byte under an evicted value is an error, never another value;
// readers, writers and compactions run together; a partitioned database
// shares the budget out; recently read values stay cached (CLOCK).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "engine/db_impl.h"
#include "engine/test_util.h"
#include "walnut/db.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

constexpr uint64_t kBudget = 64 << 10;

// A value that names its key and version, so a wrong one is recognisable.
std::string ValueFor(const std::string& key, int version, size_t len) {
  std::string v = key + "=" + std::to_string(version) + ";";
  while (v.size() < len) v += char('a' + (v.size() * 7 + size_t(version)) % 26);
  return v;
}

// Flips one byte of `path` in place (the same inode: an open reader sees it).
void FlipByte(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c;
  ASSERT_EQ(::pread(fd, &c, 1, off_t(offset)), 1);
  c ^= 0x20;
  ASSERT_EQ(::pwrite(fd, &c, 1, off_t(offset)), 1);
  ::close(fd);
}

struct MaxMemoryTest : ::testing::Test {
  ScratchDir dir{"maxmem"};
  Options opts;
  std::map<std::string, std::string> model;

  std::mutex log_mu;
  std::vector<std::string> log;  // guarded by log_mu
  // Declared after the log: destroyed first, so the engine's threads (the
  // snapshot loader logs when it ends) are joined before the log goes away.
  std::unique_ptr<DB> db;

  MaxMemoryTest() {
    opts.fsync = FsyncMode::kNo;
    opts.auto_compact = false;
    opts.partitions = 1;
    opts.max_memory_bytes = kBudget;
    opts.logger = [this](LogLevel, std::string_view m) {
      std::lock_guard<std::mutex> g(log_mu);
      log.emplace_back(m);
    };
  }
  // Waits (up to 30 s) until the engine has logged a line starting with prefix.
  bool WaitForLog(const std::string& prefix) {
    for (int i = 0; i < 3000; i++) {
      {
        std::lock_guard<std::mutex> g(log_mu);
        for (const auto& l : log) {
          if (l.rfind(prefix, 0) == 0) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
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
  void Fill(int n, int version, size_t len = 1000) {
    for (int i = 0; i < n; i++) {
      std::string k = "key:" + std::to_string(i);
      std::string v = ValueFor(k, version, len + size_t(i % 50));
      ASSERT_OK(db->Put(k, v));
      model[k] = v;
    }
  }
  void ExpectModel() {
    EXPECT_EQ(db->KeyCount(0), model.size());
    for (auto& [k, v] : model) {
      auto got = db->Get(k);
      ASSERT_TRUE(got.ok()) << k << ": " << got.status().ToString();
      ASSERT_EQ(*got, v) << k;
    }
  }
  // Memory for values stays within the budget and a value's slack. Writes and
  // reads evict within a bounded number of index slots and a background pass
  // catches up once a second, so this waits (up to 5 s) for that.
  void ExpectWithinBudget(uint64_t budget = kBudget) {
    DbStats st = db->Stats();
    for (int i = 0; i < 500 && st.value_bytes_in_memory > budget + 2048; i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      st = db->Stats();
    }
    EXPECT_LE(st.value_bytes_in_memory, budget + 2048) << "values on disk: " << st.values_on_disk;
  }
  int Count(const std::string& prefix) {
    int n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir.path())) {
      n += e.path().filename().string().rfind(prefix, 0) == 0;
    }
    return n;
  }
  // The file holding `needle` (a unique value), and where.
  std::pair<std::string, uint64_t> Find(const std::string& prefix, const std::string& needle) {
    for (auto& e : fs::directory_iterator(dir.path())) {
      if (e.path().filename().string().rfind(prefix, 0) != 0) continue;
      std::string data = testing::ReadAll(e.path());
      size_t at = data.find(needle);
      if (at != std::string::npos) return {e.path(), at};
    }
    return {"", 0};
  }
};

TEST_F(MaxMemoryTest, ValuesBeyondTheBudgetAreReadFromDisk) {
  Open();
  Fill(2000, 1);  // about 2 MB of values against a 64 KiB budget
  DbStats st = db->Stats();
  EXPECT_EQ(st.max_memory, kBudget);
  EXPECT_GT(st.values_on_disk, 1800u);
  EXPECT_GT(st.value_evictions, 1800u);
  ExpectWithinBudget();
  const uint64_t reads_before = st.value_disk_reads;
  ExpectModel();
  st = db->Stats();
  EXPECT_GT(st.value_disk_reads - reads_before, 1800u);
  ExpectWithinBudget();
  // Scans read values without caching them.
  uint64_t seen = 0, cursor = 0;
  do {
    cursor = db->Scan(0, cursor, 100, [&](std::string_view k, std::string_view v, int64_t) {
      EXPECT_EQ(model[std::string(k)], v);
      seen++;
    });
  } while (cursor != 0);
  EXPECT_GE(seen, model.size());
  ExpectWithinBudget();
}

TEST_F(MaxMemoryTest, WithoutTheFlagEveryValueStaysInMemory) {
  opts.max_memory_bytes = 0;
  Open();
  Fill(500, 1);
  DbStats st = db->Stats();
  EXPECT_EQ(st.values_on_disk, 0u);
  EXPECT_EQ(st.value_evictions, 0u);
  EXPECT_GT(st.value_bytes_in_memory, 500u * 1000);
  ExpectModel();
  EXPECT_EQ(db->Stats().value_disk_reads, 0u);
}

TEST_F(MaxMemoryTest, RestartsLoadKeysAndLocationsWithinTheBudget) {
  Open();
  Fill(2000, 1);
  Reopen();  // replays the log: values beyond the budget stay in the segments
  ExpectWithinBudget();
  EXPECT_GT(db->Stats().values_on_disk, 1800u);
  ExpectModel();
  ASSERT_TRUE(db->Compact().ok());
  {
    std::lock_guard<std::mutex> g(log_mu);
    log.clear();
  }
  Reopen();  // a snapshot start-up; the loader stops at the budget
  ASSERT_TRUE(WaitForLog("snapshot loader: "));
  ExpectWithinBudget();
  EXPECT_GT(db->Stats().value_bytes_in_memory, kBudget / 2);  // it did fill the budget
  ExpectModel();
  ASSERT_OK(db->Close());
  // Without the snapshot: the base image itself, within the budget too.
  for (auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("hint-", 0) == 0) fs::remove(e.path());
  }
  Open();
  ExpectWithinBudget();
  EXPECT_GT(db->Stats().values_on_disk, 1800u);
  ExpectModel();
}

TEST_F(MaxMemoryTest, ReadsOfEvictedValuesAfterCompactionMovedThem) {
  std::atomic<int64_t> now{1'000'000'000'000};
  opts.clock_ms = [&] { return now.load(); };
  Open();
  Fill(2000, 1);
  // Keys that expire before the compaction: no value of theirs may keep a
  // replaced file alive.
  for (int i = 0; i < 50; i++) {
    WriteBatch b;
    b.Put(0, "short:" + std::to_string(i), std::string(900, 's'), now + 1000);
    ASSERT_OK(db->Write(b));
  }
  now += 5000;
  ASSERT_GT(Count("wal-"), 0);
  // The log is compacted into a base image; every evicted value now lies in
  // the image, and the segments it was in are gone.
  ASSERT_TRUE(db->Compact().ok());
  EXPECT_EQ(Count("base-"), 1);
  EXPECT_EQ(Count("wal-"), 1);  // only the segment new writes go to
  EXPECT_GT(db->Stats().values_on_disk, 1800u);
  ExpectModel();
  ExpectWithinBudget();
  // Again, with a part overwritten and a part deleted: the second image
  // replaces the first, whose values were all moved.
  for (int i = 0; i < 2000; i += 3) {
    std::string k = "key:" + std::to_string(i);
    model[k] = ValueFor(k, 2, 700);
    ASSERT_OK(db->Put(k, model[k]));
  }
  for (int i = 1; i < 2000; i += 10) {
    std::string k = "key:" + std::to_string(i);
    ASSERT_OK(db->Delete(k));
    model.erase(k);
  }
  ASSERT_TRUE(db->Compact().ok());
  EXPECT_EQ(Count("base-"), 1);
  EXPECT_EQ(Count("wal-"), 1);
  ExpectModel();
  ExpectWithinBudget();
  Reopen();
  ExpectModel();
}

TEST_F(MaxMemoryTest, AValueOverwrittenBeforeItsRecordIsWrittenGetsItsOwnLocation) {
  opts.max_memory_bytes = 1;  // every value is read from disk
  Open();
  // Two values of one key in one record, and in two records written out
  // together (as the server does): the key must end up at the second.
  for (int i = 0; i < 200; i++) {
    std::string k = "key:" + std::to_string(i);
    std::string v1 = ValueFor(k, 1, 300), v2 = ValueFor(k, 2, 300);
    WriteBatch b;
    b.Put(0, k, v1);
    b.Put(0, k, v2);
    if (i % 2 == 0) {
      ASSERT_OK(db->Write(b));
    } else {
      WriteBatch first, second;
      first.Put(0, k, v1);
      second.Put(0, k, v2);
      ASSERT_TRUE(db->WriteDeferred(first, false).ok());
      ASSERT_TRUE(db->WriteDeferred(second, false).ok());
    }
    model[k] = v2;
  }
  ASSERT_OK(db->FlushLog(false));
  ExpectModel();
  EXPECT_GT(db->Stats().value_disk_reads, 150u);
  Reopen();
  ExpectModel();
}

TEST_F(MaxMemoryTest, SwapDbAfterTheScanIsFollowedByTheRelocation) {
  opts.num_databases = 2;
  Open();
  std::map<std::pair<uint32_t, std::string>, std::string> dbs;
  for (int i = 0; i < 1000; i++) {
    for (uint32_t d = 0; d < 2; d++) {
      std::string k = "key:" + std::to_string(i);
      std::string v = ValueFor(k + "@" + std::to_string(d), i, 600);
      WriteBatch b;
      b.Put(d, k, v);
      ASSERT_OK(db->Write(b));
      dbs[{d, k}] = v;
    }
  }
  // The image is written, the databases are swapped, then it is installed.
  auto* impl = dynamic_cast<DBImpl*>(db.get());
  ASSERT_NE(impl, nullptr);
  bool swapped = false;
  impl->SetBeforeInstall([&]() {
    if (swapped) return Status::OK();
    swapped = true;
    WriteBatch b;
    b.SwapDb(0, 1);
    return db->Write(b);
  });
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_TRUE(swapped);
  EXPECT_EQ(Count("wal-"), 1);  // every location was moved
  for (auto& [dk, v] : dbs) {
    std::string got;
    ASSERT_OK(db->Read(1 - dk.first, dk.second, [&](std::string_view x, int64_t) { got = x; }));
    ASSERT_EQ(got, v) << dk.second;
  }
  impl->SetBeforeInstall(nullptr);
}

TEST_F(MaxMemoryTest, DamageUnderAnEvictedValueIsAnErrorNotWrongData) {
  opts.max_memory_bytes = 1;  // every value is read from disk
  Open();
  Fill(2000, 1);
  // A value in a log segment, evicted: flip a byte of it on disk.
  const std::string victim = "key:17";
  auto [seg, at] = Find("wal-", model[victim]);
  ASSERT_FALSE(seg.empty());
  FlipByte(seg, at + 5);
  auto got = db->Get(victim);
  ASSERT_FALSE(got.ok()) << "served " << *got;
  EXPECT_TRUE(got.status().IsCorruption()) << got.status().ToString();
  EXPECT_NE(got.status().message().find(victim), std::string::npos);
  // A compaction refuses to copy it (the log stays as it is).
  EXPECT_FALSE(db->Compact().ok());
  FlipByte(seg, at + 5);  // repaired
  ASSERT_TRUE(db->Compact().ok());
  // Now in the base image.
  const std::string victim2 = "key:1234";
  auto [base, at2] = Find("base-", model[victim2]);
  ASSERT_FALSE(base.empty());
  FlipByte(base, at2 + 3);
  got = db->Get(victim2);
  ASSERT_FALSE(got.ok()) << "served " << *got;
  EXPECT_TRUE(got.status().IsCorruption());
  for (auto& [k, v] : model) {
    if (k != victim2) {
      ASSERT_EQ(*db->Get(k), v) << k;
    }
  }
}

// ReadMany reads values on disk as Read does, and a damaged one is skipped
// with its error while the keys around it are still read.
TEST_F(MaxMemoryTest, ReadManyReadsEvictedValuesAndReportsDamage) {
  opts.max_memory_bytes = 1;  // every value is read from disk
  Open();
  Fill(100, 1);
  std::vector<std::string> names;
  for (int i = 0; i < 100; i++) names.push_back("key:" + std::to_string(i));
  std::vector<std::string_view> keys(names.begin(), names.end());
  const uint64_t reads_before = db->Stats().value_disk_reads;
  std::vector<std::string> got(keys.size());
  ASSERT_OK(db->ReadMany(0, keys, [&](size_t i, std::string_view v, int64_t) { got[i] = v; }));
  EXPECT_GE(db->Stats().value_disk_reads - reads_before, 90u);
  for (size_t i = 0; i < keys.size(); i++) EXPECT_EQ(got[i], model[names[i]]) << names[i];

  const std::string victim = "key:17";
  auto [seg, at] = Find("wal-", model[victim]);
  ASSERT_FALSE(seg.empty());
  FlipByte(seg, at + 5);
  got.assign(keys.size(), "<none>");
  Status s = db->ReadMany(0, keys, [&](size_t i, std::string_view v, int64_t) { got[i] = v; });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  for (size_t i = 0; i < keys.size(); i++) {
    EXPECT_EQ(got[i], names[i] == victim ? "<none>" : model[names[i]]) << names[i];
  }
}

TEST_F(MaxMemoryTest, RecentlyReadValuesStayCached) {
  // Room for about 60 values of ~1 KB: 20 hot keys read every round stay,
  // while 10 cold keys a round stream through.
  opts.max_memory_bytes = 60 * 1100;
  Open();
  Fill(2000, 1);
  std::vector<std::string> hot;
  for (int i = 0; i < 20; i++) hot.push_back("key:" + std::to_string(i * 37));
  const uint64_t before = db->Stats().value_disk_reads;
  int cold = 1000;
  const int rounds = 100;
  for (int r = 0; r < rounds; r++) {
    for (auto& k : hot) ASSERT_EQ(*db->Get(k), model[k]);
    for (int c = 0; c < 10; c++, cold++) {
      std::string k = "key:" + std::to_string(cold % 2000);
      ASSERT_EQ(*db->Get(k), model[k]);
    }
  }
  const uint64_t reads = db->Stats().value_disk_reads - before;
  // Each cold read misses; the hot keys miss about once each (plus a few
  // of them when the cold stream pushes between two rounds of reads).
  EXPECT_LE(reads, uint64_t(rounds * 10 + 20 + 40)) << reads;
}

TEST_F(MaxMemoryTest, ConcurrentReadersAndWritersWhileCompacting) {
  opts.fsync = FsyncMode::kEverySec;
  Open();
  const uint64_t seed = testing::TestSeed();
  constexpr int kWriters = 3, kKeys = 300;
  std::atomic<bool> failed{false}, stop{false};
  std::atomic<uint64_t> reads{0}, compactions{0};
  // Each writer owns its keys; a value names its key, so a reader can tell
  // a value of another key (a wrong location) from the right one.
  auto key_of = [](int t, int k) { return "w" + std::to_string(t) + ":" + std::to_string(k); };
  auto valid = [](const std::string& key, std::string_view v) {
    return v.substr(0, key.size() + 1) == key + "=";
  };
  std::vector<std::map<std::string, std::string>> finals(kWriters);
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; t++) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + uint64_t(t));
      // At least 1500 writes each, and on until two compactions ran alongside.
      for (int i = 0; i < 1500 || (compactions < 2 && i < 1'000'000); i++) {
        std::string k = key_of(t, int(rng() % kKeys));
        if (rng() % 10 == 0) {
          if (!db->Delete(k).ok()) failed = true;
          finals[size_t(t)].erase(k);
        } else {
          std::string v = ValueFor(k, i, 200 + size_t(rng() % 800));
          if (!db->Put(k, v).ok()) failed = true;
          finals[size_t(t)][k] = v;
        }
      }
    });
  }
  for (int r = 0; r < 2; r++) {
    threads.emplace_back([&, r] {
      std::mt19937_64 rng(seed + 100 + uint64_t(r));
      while (!stop) {
        std::string k = key_of(int(rng() % kWriters), int(rng() % kKeys));
        Status s = db->Read(0, k, [&](std::string_view v, int64_t) {
          if (!valid(k, v)) failed = true;
        });
        if (!s.ok() && !s.IsNotFound()) {
          ADD_FAILURE() << s.ToString();
          failed = true;
        }
        db->Scan(0, rng() % 1024, 8, [&](std::string_view key, std::string_view v, int64_t) {
          if (!valid(std::string(key), v)) failed = true;
        });
        // Several keys at once (MGET): each value its own key's, in order,
        // though reads from disk let go of the lock between keys.
        std::vector<std::string> many;
        for (int j = 0; j < 20; j++)
          many.push_back(key_of(int(rng() % kWriters), int(rng() % kKeys)));
        std::vector<std::string_view> views(many.begin(), many.end());
        size_t next = 0;
        s = db->ReadMany(0, views, [&](size_t i, std::string_view v, int64_t) {
          if (i < next || i >= many.size() || !valid(many[i], v)) failed = true;
          next = i + 1;
        });
        if (!s.ok()) {
          ADD_FAILURE() << s.ToString();
          failed = true;
        }
        reads++;
      }
    });
  }
  threads.emplace_back([&] {
    while (!stop) {
      auto c = db->Compact();
      if (!c.ok()) {
        ADD_FAILURE() << c.status().ToString();
        failed = true;
      }
      compactions++;
    }
  });
  for (int t = 0; t < kWriters; t++) threads[size_t(t)].join();
  for (int i = 0; i < 3000 && reads < 100; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (size_t i = kWriters; i < threads.size(); i++) threads[i].join();
  EXPECT_FALSE(failed);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(compactions.load(), 0u);
  std::fprintf(stderr, "%llu reads, %llu compactions, %llu values read from disk\n",
               (unsigned long long)reads.load(), (unsigned long long)compactions.load(),
               (unsigned long long)db->Stats().value_disk_reads);
  for (auto& f : finals) model.insert(f.begin(), f.end());
  ExpectModel();
  ExpectWithinBudget();
  ASSERT_TRUE(db->Compact().ok());
  EXPECT_EQ(Count("wal-"), 1);
  ExpectModel();
  Reopen();
  ExpectModel();
}

TEST_F(MaxMemoryTest, PartitionsShareTheBudget) {
  opts.partitions = 4;
  opts.max_memory_bytes = 128 << 10;
  Open();
  Fill(3000, 1, 500);
  DbStats st = db->Stats();
  EXPECT_EQ(st.max_memory, 128u << 10);
  EXPECT_GT(st.values_on_disk, 2000u);
  ExpectWithinBudget(128 << 10);
  ExpectModel();
  ASSERT_TRUE(db->Compact().ok());
  ExpectModel();
  Reopen();
  ExpectWithinBudget(128 << 10);
  ExpectModel();
}

}  // namespace
}  // namespace walnut
