// DBImpl and snapshots (snapshot.h): entries loaded from a hint file keep
// their values in the base image. A value is read, checked against the
// checksum the hint recorded, and kept in memory the first time anything
// needs it (db_impl_values.cc); meanwhile a background loader reads the
// whole image once, sequentially, and fills in the rest, so that after a few
// seconds the database is exactly what it would be had it loaded the image
// itself. Under max-memory the loader stops once the budget is full; the
// rest stays on disk.
#include "common/hash.h"
#include "common/thread_priority.h"
#include "engine/db_impl.h"
#include "engine/snapshot.h"
#include "engine/wal_format.h"
#include "engine/wal_reader.h"
#include "engine/write_batch_internal.h"

namespace walnut {

void DBImpl::LoaderMain() {
  LowerThreadPriority(opts_.background_nice);  // background work: after the foreground
  const auto start = std::chrono::steady_clock::now();
  auto opened = wal::SegmentReader::Open(env_, loader_path_);
  if (!opened.ok()) {
    Log(LogLevel::kError, "snapshot loader: " + opened.status().ToString());
    return;
  }
  wal::SegmentReader& r = **opened;
  uint64_t loaded = 0;
  bool full = false;
  std::vector<DecodedOp> ops;
  std::vector<uint64_t> hashes;
  uint64_t fg_seen = 0;
  for (;;) {
    if (closing_) return;
    YieldToForeground(&fg_seen);  // requests waiting for mu_ go first (db_impl.h)
    wal::Record rec;
    Status io;
    auto outcome = r.Next(&rec, &io);
    if (!io.ok() || outcome == wal::SegmentReader::Outcome::kDamage) {
      // The values still on disk stay there; each is checked when read.
      Log(LogLevel::kError, "snapshot loader stopped at " + loader_path_ + " offset " +
                                std::to_string(r.offset()) + ": " +
                                (io.ok() ? wal::ParseStatusText(r.damage()) : io.ToString()));
      return;
    }
    if (outcome == wal::SegmentReader::Outcome::kEnd || rec.count == 0) break;
    // File offset of the record's first op byte, to match values to the
    // locations the hint gave.
    const uint64_t ops_at = r.offset() - rec.size + wal::kRecordHeaderSize + wal::kBatchPrefixSize;
    // Decode and hash outside the lock; ops up to the first that does not
    // decode, as before.
    std::string_view in = rec.ops;
    ops.clear();
    hashes.clear();
    for (uint32_t k = 0; k < rec.count; k++) {
      DecodedOp op;
      if (!DecodeOp(&in, &op).ok() || op.db >= ks_.num_dbs()) break;
      ops.push_back(op);
      hashes.push_back(HashKey(op.key));
    }
    Lock lk(mu_);
    const uint64_t budget = opts_.max_memory_bytes;
    if (closed_ || ks_.on_disk() == 0 || (budget > 0 && ks_.cached_bytes() >= budget)) break;
    // Each lookup is two cache misses in a row (the slot, then the entry):
    // fetch the slot 16 ops ahead and, once it has arrived, the entry 8 ops
    // ahead, so that Find finds both in the cache.
    constexpr size_t kSlotAhead = 16, kEntryAhead = 8;
    const size_t n = ops.size();
    for (size_t k = 0; k < n && k < kSlotAhead; k++) ks_.db(ops[k].db).Prefetch(hashes[k]);
    for (size_t k = 0; k < n; k++) {
      if (k + kSlotAhead < n) ks_.db(ops[k + kSlotAhead].db).Prefetch(hashes[k + kSlotAhead]);
      if (k + kEntryAhead < n)
        ks_.db(ops[k + kEntryAhead].db).PrefetchEntry(hashes[k + kEntryAhead]);
      const DecodedOp& op = ops[k];
      const uint64_t value_at = ops_at + uint64_t(op.value.data() - rec.ops.data());
      Entry* e = ks_.db(op.db).Find(op.key, hashes[k]);
      // Only an entry still pointing at exactly this value: a key written
      // since start-up already has its own (newer) value in memory, and one
      // a compaction moved since points into another file.
      if (!e || !e->on_disk() || e->loc().file != loader_file_ || e->loc().offset != value_at) {
        continue;
      }
      // And only a value of exactly the entry's length and checksum: a hint
      // could name this offset with another length (forged: its checksums
      // are right), and filling that in would serve what a read refuses and
      // leave the entry's byte count wrong. A read says what is wrong.
      if (op.value.size() != e->value_len || ValueChecksum(op.value) != e->loc().checksum) {
        continue;
      }
      if (budget > 0 && ks_.cached_bytes() + op.value.size() > budget) {
        full = true;  // max-memory: the budget is full, the rest stays on disk
        break;
      }
      Entry* fresh =
          budget > 0 ? Entry::MakeLocated(e->hash, e->key(), op.value, e->expire_at_ms, e->loc())
                     : Entry::Make(e->hash, e->key(), op.value, e->expire_at_ms);
      fresh->access_s = e->access_s;
      ks_.Materialized(op.db, e, fresh);
      loaded++;
    }
    if (ks_.on_disk() == 0) {
      for (auto& [no, vf] : value_files_) vf.reader.reset();  // every value is in memory
      break;
    }
    if (full) break;
  }
  char line[160];
  std::snprintf(line, sizeof(line), "snapshot loader: %llu values read into memory in %.3f s",
                (unsigned long long)loaded,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  Log(LogLevel::kInfo, line);
}

}  // namespace walnut
