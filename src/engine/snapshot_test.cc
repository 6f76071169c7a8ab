// Snapshots (hint files): compaction writes one beside its base image;
// start-up loads keys from it without reading values; a damaged or
// mismatched snapshot is never trusted (start-up loads the image instead);
// a value damaged on disk is refused, never served; writes, deletes and
// compactions after a snapshot start-up keep everything right.
#include "engine/snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "engine/test_util.h"
#include "walnut/check.h"
#include "walnut/db.h"
#include "walnut/env.h"

namespace walnut {
namespace {

namespace fs = std::filesystem;
using testing::ReadAll;
using testing::ScratchDir;
using testing::WriteAll;

struct SnapshotTest : ::testing::Test {
  ScratchDir dir{"snapshot"};
  Options opts;
  std::unique_ptr<DB> db;
  std::map<std::string, std::string> model;

  SnapshotTest() {
    opts.fsync = FsyncMode::kNo;
    opts.auto_compact = false;
    opts.logger = [](LogLevel, std::string_view) {};
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
  void Fill(int n, const std::string& tag) {
    for (int i = 0; i < n; i++) {
      std::string k = "key:" + std::to_string(i);
      std::string v = tag + "-" + std::to_string(i) + std::string(size_t(i % 300), 'x');
      ASSERT_OK(db->Put(k, v));
      model[k] = v;
    }
  }
  void ExpectModel() {
    EXPECT_EQ(db->KeyCount(0), model.size());
    for (auto& [k, v] : model) {
      auto got = db->Get(k);
      ASSERT_TRUE(got.ok()) << k << ": " << got.status().ToString();
      EXPECT_EQ(*got, v) << k;
    }
  }
  std::string Only(const std::string& prefix) {
    std::string found;
    for (auto& e : fs::directory_iterator(dir.path())) {
      if (e.path().filename().string().rfind(prefix, 0) == 0) found = e.path();
    }
    return found;
  }
};

TEST_F(SnapshotTest, CompactionWritesOneAndStartUpLoadsKeysFromIt) {
  Open();
  Fill(3000, "a");
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_FALSE(Only("hint-").empty());
  Reopen();
  DbStats st = db->Stats();
  EXPECT_EQ(st.recovery.snapshot_keys, 3000u);
  ExpectModel();  // reads whatever the loader has not read yet from disk
  // The background loader reads every value in.
  for (int i = 0; i < 500 && db->Stats().values_on_disk > 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(db->Stats().values_on_disk, 0u);
  ExpectModel();
}

TEST_F(SnapshotTest, WritesDeletesAndExpiryAfterASnapshotStartUp) {
  Open();
  Fill(2000, "a");
  ASSERT_TRUE(db->Compact().ok());
  Reopen();
  for (int i = 0; i < 2000; i += 3) {
    std::string k = "key:" + std::to_string(i);
    ASSERT_OK(db->Put(k, "b"));
    model[k] = "b";
  }
  for (int i = 1; i < 2000; i += 7) {
    std::string k = "key:" + std::to_string(i);
    ASSERT_OK(db->Delete(k));
    model.erase(k);
  }
  WriteBatch b;
  b.SetExpiry(0, "key:5", 4'000'000'000'000);
  ASSERT_OK(db->Write(b));
  ExpectModel();
  Reopen();  // the snapshot, then the log written since
  ExpectModel();
  ASSERT_TRUE(db->Compact().ok());  // values still on disk are read into the new image
  Reopen();
  ExpectModel();
  int64_t expiry = 0;
  ASSERT_OK(db->Read(0, "key:5", [&](std::string_view, int64_t e) { expiry = e; }));
  EXPECT_EQ(expiry, 4'000'000'000'000);
  // One image and one snapshot are left.
  int bases = 0, hints = 0;
  for (auto& e : fs::directory_iterator(dir.path())) {
    std::string n = e.path().filename();
    bases += n.rfind("base-", 0) == 0;
    hints += n.rfind("hint-", 0) == 0;
  }
  EXPECT_EQ(bases, 1);
  EXPECT_EQ(hints, 1);
}

TEST_F(SnapshotTest, DamagedSnapshotIsNotUsedAndNothingIsLost) {
  Open();
  Fill(2000, "a");
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_OK(db->Close());
  db.reset();
  const std::string hint = Only("hint-");
  const std::string pristine = ReadAll(hint);
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 30; round++) {
    std::string bytes = pristine;
    switch (round % 3) {
      case 0:  // a flipped bit
        bytes[rng() % bytes.size()] ^= char(1 << (rng() % 8));
        break;
      case 1:  // cut short
        bytes.resize(rng() % bytes.size());
        break;
      case 2:  // garbage after the end
        bytes += "garbage";
        break;
    }
    WriteAll(hint, bytes);
    Open();
    DbStats st = db->Stats();
    EXPECT_EQ(st.recovery.snapshot_keys, 0u) << "round " << round << " seed " << seed;
    bool noted = false;
    for (auto& n : st.recovery.notes) noted = noted || n.find("not used") != std::string::npos;
    EXPECT_TRUE(noted) << "round " << round;
    ExpectModel();
    ASSERT_OK(db->Close());
    db.reset();
  }
}

TEST_F(SnapshotTest, SnapshotOfAnotherImageIsNotUsed) {
  Open();
  Fill(500, "a");
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_OK(db->Close());
  db.reset();
  // The image grows by a byte: the snapshot no longer describes it.
  const std::string base = Only("base-");
  std::string bytes = ReadAll(base);
  WriteAll(base, bytes + std::string(1, '\0'));
  auto r = DB::Open(dir.path(), opts);
  // Whatever the image now says, the snapshot must not have been trusted.
  if (r.ok()) {
    EXPECT_EQ((*r)->Stats().recovery.snapshot_keys, 0u);
  }
}

TEST_F(SnapshotTest, ValueDamagedOnDiskIsRefusedNeverServed) {
  Open();
  Fill(200, "a");
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_OK(db->Close());
  db.reset();
  // Damage the bytes of one value inside the base image (the snapshot still
  // says where it is and what its checksum was).
  const std::string base = Only("base-");
  std::string bytes = ReadAll(base);
  const std::string victim = model["key:77"];
  size_t at = bytes.find(victim);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] ^= 0x01;
  WriteAll(base, bytes);
  Open();
  EXPECT_EQ(db->Stats().recovery.snapshot_keys, 200u);
  auto got = db->Get("key:77");
  EXPECT_TRUE(got.status().IsCorruption()) << got.status().ToString();
  EXPECT_NE(got.status().message().find("checksum"), std::string::npos);
  for (auto& [k, v] : model) {
    if (k == "key:77") continue;
    auto g = db->Get(k);
    ASSERT_TRUE(g.ok()) << k << ": " << g.status().ToString();
    EXPECT_EQ(*g, v);
  }
  // Compaction refuses to write an image without that key.
  ASSERT_OK(db->Put("other", "x"));
  EXPECT_FALSE(db->Compact().ok());
  // walnut check reads the image itself and finds the damage.
  ASSERT_OK(db->Close());
  db.reset();
  auto check = CheckDirectory(dir.path(), false);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->damaged);
}

// A snapshot forged with valid checksums (found by hint_file_fuzz): the
// right key, offset and checksum of a real value, but a length one short.
// The on-demand read refuses it (the bytes it names do not match the
// checksum); the background loader must not fill in the whole value
// instead, or the read would depend on timing and the index's byte count
// (live_bytes) would drift, wrapping below zero once the key is deleted.
TEST_F(SnapshotTest, LoaderFillsInOnlyAValueOfTheEntrysExactLength) {
  Open();
  const std::string value(1000, 'v');
  ASSERT_OK(db->Put("k", value));
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_OK(db->Close());
  db.reset();
  const std::string base = Only("base-"), hint = Only("hint-");
  const std::string image = ReadAll(base);
  const size_t at = image.find(value);
  ASSERT_NE(at, std::string::npos);
  uint64_t covered = 0;
  ASSERT_TRUE(ParseHintFileName(fs::path(hint).filename().string(), &covered));
  fs::remove(hint);
  {
    auto f = Env::Default()->NewWritableFile(hint, /*exclusive=*/true);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    HintWriter w(f->get(), covered);
    w.Add(0, "k", 0, at, uint32_t(value.size() - 1), ValueChecksum(value));
    ASSERT_OK(w.RecordPlaced(0));
    ASSERT_OK(w.Finish(image.size()));
    ASSERT_OK((*f)->Close());
  }
  auto loader_done = std::make_shared<std::atomic<bool>>(false);
  opts.logger = [loader_done](LogLevel, std::string_view m) {
    if (m.rfind("snapshot loader", 0) == 0) *loader_done = true;
  };
  Open();
  ASSERT_EQ(db->Stats().recovery.snapshot_keys, 1u);
  for (int i = 0; i < 1000 && !*loader_done; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(*loader_done);
  auto got = db->Get("k");
  EXPECT_TRUE(got.status().IsCorruption())
      << (got.ok() ? "served " + std::to_string(got->size()) + " bytes" : got.status().ToString());
  // The key and the length the hint gave.
  EXPECT_EQ(db->Stats().live_bytes, 1 + (value.size() - 1));
  ASSERT_OK(db->Delete("k"));
  EXPECT_EQ(db->Stats().live_bytes, 0u);
}

TEST_F(SnapshotTest, PartitionedDirectoriesUseOneSnapshotPerPartition) {
  opts.partitions = 2;
  Open();
  Fill(2000, "p");
  ASSERT_TRUE(db->Compact().ok());
  Reopen();
  EXPECT_EQ(db->Stats().recovery.snapshot_keys, 2000u);
  ExpectModel();
}

}  // namespace
}  // namespace walnut
