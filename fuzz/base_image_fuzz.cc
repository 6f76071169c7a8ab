// Fuzz target: the snapshot loader — loading a base image (base-<seq>.dat,
// the compacted data compaction writes) at DB::Open.
//
// The input is a recipe for one base image, built here with valid record
// checksums so the loader's own checks are reached rather than stopped at
// the first checksum:
//   byte 0 (flags): bits 0-1 header (0 valid, 1 says "log segment", 2 names
//                   another sequence than the file name, 3 the whole file is
//                   raw fuzz bytes); bit 2 end marker; bit 3 raw bytes after
//                   the records; bit 4 a valid log segment follows the base;
//                   bit 5 a record out of sequence.
//   byte 1:         the sequence the image covers (its file name).
//   then records:   a byte t, then for t%4 == 0 a record of raw op bytes
//                   (an op count and up to 64 bytes: the op decoder fuzzed),
//                   otherwise t%4 puts of fuzzed keys and values (database
//                   t>>5, which may be past the 4 configured, and an expiry
//                   when bit 2 of t is set).
// The directory is opened in each recovery mode, each time from the same
// files. What must hold: nothing crashes; an open fails only with
// Corruption or NotSupported and a message; a well-formed image opens in
// every mode with exactly the keys the recipe put (expired ones dropped) and
// the following segment's key; an image with a missing end marker, a wrong
// header, a record out of sequence, a database out of range or bytes after
// the end is refused by a strict open, skip-corrupted then serves the
// segment alone and point-in-time nothing; every open that succeeds leaves
// a directory that then opens strictly with the same keys.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>

#include "engine/wal_format.h"
#include "engine/wal_record.h"
#include "engine/write_batch_internal.h"
#include "fuzz_support.h"
#include "walnut/db.h"
#include "walnut/write_batch.h"

namespace {

namespace fs = std::filesystem;
using namespace walnut;

constexpr uint32_t kDbs = 4;
constexpr int64_t kNow = 1'000'000;

using Reader = walnut::fuzz::FuzzInput;

std::string Scratch() { return walnut::fuzz::ScratchPath("walnut-base-fuzz"); }

Options Opts(RecoveryMode mode) {
  Options o;
  o.fsync = FsyncMode::kNo;
  o.recovery = mode;
  o.auto_compact = false;
  o.num_databases = kDbs;
  o.logger = [](LogLevel, std::string_view) {};
  o.clock_ms = [] { return kNow; };
  return o;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
}

using Contents = std::map<std::pair<uint32_t, std::string>, std::string>;

Contents ReadAll(DB& db) {
  Contents all;
  for (uint32_t d = 0; d < kDbs; d++) {
    uint64_t cursor = 0;
    do {
      cursor = db.Scan(d, cursor, 100, [&](std::string_view k, std::string_view v, int64_t) {
        all[{d, std::string(k)}] = std::string(v);
      });
    } while (cursor != 0);
  }
  return all;
}

std::string Record(uint64_t seq, uint32_t count, std::string_view ops) {
  std::string buf;
  size_t start = wal::BeginRecord(&buf);
  buf += ops;
  wal::FinishRecord(&buf, start, seq, count);
  return buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Reader in{data, size};
  const uint8_t flags = in.Byte();
  const uint64_t covered = 1 + in.Byte();
  const int header = flags & 3;

  // ---- Build the image and the model of what it holds.
  std::string file;
  Contents model;           // (db, key) -> value, last put wins
  bool raw_ops = false;     // a record of raw op bytes: its effect is unknown
  bool well_formed = true;  // what a strict open must accept
  if (header == 3) {
    file = std::string(reinterpret_cast<const char*>(in.p), in.n);
    in.n = 0;
    well_formed = false;
  } else {
    wal::SegmentHeader h;
    h.kind = header == 1 ? wal::kKindLog : wal::kKindBase;
    h.first_seq = header == 2 ? covered + 1 : covered;
    file = wal::EncodeSegmentHeader(h);
    if (header != 0) well_formed = false;
    uint64_t seq = 1;
    for (int r = 0; r < 32 && !in.empty(); r++) {
      uint8_t t = in.Byte();
      uint64_t rec_seq = seq++;
      if ((flags & 32) && r == 1) {
        rec_seq += 1 + t % 3;  // a gap
        well_formed = false;
      }
      if (t % 4 == 0) {
        uint32_t count = in.Byte() % 4;
        file += Record(rec_seq, count, in.Str(64));
        raw_ops = true;
        if (count == 0) well_formed = false;  // an early end marker, records after it
        continue;
      }
      WriteBatch b;
      for (int k = 0; k < t % 4; k++) {
        uint32_t db = t >> 5;
        std::string key = in.Str(8), value = in.Str(24);
        int64_t expire = (t & 4) ? kNow - 500 + int64_t(in.Byte()) * 4 : 0;
        b.Put(db, key, value, expire);
        if (db >= kDbs) well_formed = false;
        if (expire == 0 || expire > kNow) {
          model[{db, key}] = value;
        } else {
          model.erase({db, key});
        }
      }
      file += Record(rec_seq, b.Count(), internal::WriteBatchAccess::Rep(b));
    }
    if (flags & 4) {
      file += Record(seq, 0, "");
    } else {
      well_formed = false;
    }
    if (flags & 8) {
      std::string tail(reinterpret_cast<const char*>(in.p), in.n);
      if (!tail.empty()) well_formed = false;
      file += tail;
    }
  }
  if (raw_ops) well_formed = false;
  // The segment after the base continues the sequence it covers.
  std::string segment;
  if (flags & 16) {
    wal::SegmentHeader h;
    h.kind = wal::kKindLog;
    h.segment_id = 1;
    h.first_seq = covered + 1;
    WriteBatch b;
    b.Put(0, "after-base", "segment");
    segment =
        wal::EncodeSegmentHeader(h) + Record(covered + 1, 1, internal::WriteBatchAccess::Rep(b));
  }

  // ---- Open it in every mode, from the same files each time.
  const std::string dir = Scratch();
  for (auto mode :
       {RecoveryMode::kStrict, RecoveryMode::kSkipCorrupted, RecoveryMode::kPointInTime}) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    WriteFile(dir + "/" + wal::BaseFileName(covered), file);
    if (!segment.empty()) WriteFile(dir + "/" + wal::SegmentFileName(1), segment);
    Contents got;
    {
      auto db = DB::Open(dir, Opts(mode));
      if (!db.ok()) {
        // Say why before failing: the status is the evidence.
        if (!(db.status().IsCorruption() || db.status().IsNotSupported()) || well_formed) {
          std::fprintf(stderr, "open in mode %d failed: %s\n", int(mode),
                       db.status().ToString().c_str());
        }
        Check((db.status().IsCorruption() || db.status().IsNotSupported()) &&
              !db.status().message().empty());
        Check(!well_formed);
        continue;
      }
      if (mode == RecoveryMode::kStrict && !raw_ops) Check(well_formed);
      got = ReadAll(**db);
      Contents segment_only;
      if (!segment.empty()) segment_only[{0, "after-base"}] = "segment";
      if (well_formed) {
        Contents expect = model;
        if (!segment.empty()) expect[{0, "after-base"}] = "segment";
        Check(got == expect);
      } else if (!raw_ops) {
        // The image was refused (a strict open failed above): skip-corrupted
        // goes on with the segments alone; point-in-time keeps nothing, as
        // no point in time lies before the base image.
        Check(got == (mode == RecoveryMode::kPointInTime ? Contents{} : segment_only));
      } else if (!segment.empty()) {
        // Unknown whether the image was accepted; the segment is replayed
        // unless point-in-time refused the image and kept nothing.
        auto v = (*db)->Get("after-base");
        Check((v.ok() && *v == "segment") || (mode == RecoveryMode::kPointInTime && got.empty()));
      }
      Check((*db)->Close().ok());
    }
    // What an open accepted, the next strict open accepts as it is.
    auto again = DB::Open(dir, Opts(RecoveryMode::kStrict));
    Check(again.ok());
    Check(ReadAll(**again) == got);
  }
  fs::remove_all(dir);
  return 0;
}
