// DBImpl and values kept on disk (docs/memory.md): entries loaded from a
// snapshot, and under Options::max_memory_bytes every value whose record
// reached a file, know where the value lies (Entry's DiskLoc: file, offset,
// checksum). An on-disk value is read with pread when needed and checked
// against its checksum; a mismatch is reported, never served.
//
// Why a location is always right: a DiskLoc is only ever set to a place
// holding exactly the entry's bytes, and those bytes never change there.
//  - Log segments and base images are append-only, and a byte once written
//    is never rewritten (recovery only cuts torn bytes after the last
//    record, which no location points into: locations are given only to
//    records already written whole).
//  - LocateWrittenLocked gives an entry the place its value was just written
//    only if the entry holds those very bytes (compared), whatever write
//    made it.
//  - An entry's value never changes in place: a write replaces the entry,
//    and the new one starts without a location.
//  - Compaction moves locations to its new image only for entries it knows
//    it copied unchanged (compaction.cc), and a file is deleted only when no
//    entry names it any more (Keyspace::FileRefs). A reader that let go of
//    the lock holds the file open (shared_ptr), so even then it reads the
//    bytes it was pointed at.
#include <algorithm>
#include <cstring>

#include "common/coding.h"
#include "common/hash.h"
#include "engine/db_impl.h"
#include "engine/snapshot.h"
#include "engine/wal_format.h"
#include "engine/write_batch_internal.h"

namespace walnut {
namespace {

// Index slots the CLOCK hand may look at after one write-out or read: enough
// to find victims when most entries can be evicted, bounded when few can
// (the background thread catches up with the rest, SyncThreadMain).
constexpr size_t kEvictSlotsPerStep = 1024;

bool SameLoc(const DiskLoc& a, const DiskLoc& b) {
  return a.file == b.file && a.offset == b.offset && a.checksum == b.checksum;
}

}  // namespace

Result<std::shared_ptr<RandomAccessFile>> DBImpl::ValueFileLocked(uint32_t file,
                                                                  std::string* path) {
  auto it = value_files_.find(file);
  if (it == value_files_.end()) {
    return Status::Corruption("a value names file " + std::to_string(file) +
                              ", which the database does not have");
  }
  *path = it->second.path;
  if (!it->second.reader) {
    auto f = env_->NewRandomAccessFile(it->second.path);
    if (!f.ok()) return f.status();
    it->second.reader = std::shared_ptr<RandomAccessFile>(std::move(*f));
  }
  return it->second.reader;
}

Status DBImpl::ReadValueLocked(const Entry* e, std::string* out) {
  const DiskLoc loc = e->loc();
  std::string path;
  auto f = ValueFileLocked(loc.file, &path);
  if (!f.ok()) return f.status();
  disk_reads_++;
  disk_read_bytes_ += e->value_len;
  return ReadValueAt(**f, path, loc, e->value_len, e->key(), out);
}

Result<Entry*> DBImpl::MaterializeLocked(uint32_t db, Entry* e) {
  if (!e->on_disk()) return e;
  std::string value;
  Status s = ReadValueLocked(e, &value);
  if (!s.ok()) return s;
  return CacheLocked(db, e, value, /*touch=*/false);
}

Entry* DBImpl::CacheLocked(uint32_t db, Entry* e, std::string_view value, bool touch) {
  Entry* fresh;
  if (opts_.max_memory_bytes > 0) {
    // Keep the location: dropping the value again later costs no I/O.
    fresh = Entry::MakeLocated(e->hash, e->key(), value, e->expire_at_ms, e->loc());
    if (touch) fresh->flags |= Entry::kRef;
  } else {
    fresh = Entry::Make(e->hash, e->key(), value, e->expire_at_ms);
  }
  fresh->access_s = e->access_s;
  ks_.Materialized(db, e, fresh);
  if (opts_.max_memory_bytes > 0) {
    EvictLocked(kEvictSlotsPerStep);
  } else if (ks_.on_disk() == 0) {
    // Every value is in memory now (snapshot start-up without max-memory).
    for (auto& [no, vf] : value_files_) vf.reader.reset();
  }
  return fresh;
}

Status DBImpl::ReadFromDisk(Lock& lk, uint32_t db, std::string_view key, Entry* e,
                            const std::function<void(std::string_view, int64_t)>& fn, bool touch,
                            int64_t now) {
  const DiskLoc loc = e->loc();
  const uint32_t len = e->value_len;
  const int64_t expire_at_ms = e->expire_at_ms;
  std::string path;
  auto f = ValueFileLocked(loc.file, &path);
  if (!f.ok()) return f.status();
  std::shared_ptr<RandomAccessFile> file = *f;
  disk_reads_++;
  disk_read_bytes_ += len;
  // The read runs without the lock: writers, compaction and other readers go
  // on meanwhile. The file cannot go away under it (the shared_ptr), and the
  // bytes at loc are the value the entry had when it was looked up, which is
  // what this read returns.
  lk.unlock();
  std::string value;
  Status s = ReadValueAt(*file, path, loc, len, key, &value);
  lk.lock();
  if (!s.ok()) return s;
  if (!closed_) {
    // Keep it in memory if the key still has that very value on disk.
    Entry* cur = ks_.db(db).Find(key, HashKey(key));
    if (cur && cur->on_disk() && SameLoc(cur->loc(), loc) &&
        (opts_.max_memory_bytes == 0 || len <= opts_.max_memory_bytes)) {
      if (touch) cur->access_s = uint32_t(now / 1000);
      CacheLocked(db, cur, value, touch);
    }
  }
  fn(value, expire_at_ms);
  return Status::OK();
}

void DBImpl::LocateWrittenLocked(std::string_view buf, uint64_t id, uint64_t offset) {
  if (id >= kBaseFileTag) return;  // no DiskLoc can name it; the values stay cached
  // buf is whole records as this process encoded them (wal_format.h): a
  // 16-byte header whose bytes 8..12 are the body length, then the sequence,
  // the op count and the ops.
  size_t pos = 0;
  while (pos + wal::kRecordHeaderSize + wal::kBatchPrefixSize <= buf.size()) {
    const size_t body = DecodeFixed32(buf.data() + pos + 8);
    const uint32_t count = DecodeFixed32(buf.data() + pos + wal::kRecordHeaderSize + 8);
    const size_t ops_at = pos + wal::kRecordHeaderSize + wal::kBatchPrefixSize;
    std::string_view in = buf.substr(ops_at, body - wal::kBatchPrefixSize);
    for (uint32_t k = 0; k < count; k++) {
      DecodedOp op;
      if (!DecodeOp(&in, &op).ok()) break;
      if ((op.code != wal::kPut && op.code != wal::kPutExpire) || op.db >= ks_.num_dbs()) continue;
      Entry* e = ks_.db(op.db).Find(op.key, HashKey(op.key));
      // Only an entry holding exactly these bytes: it may be a later write of
      // the same value (then these bytes are its value all the same), and an
      // entry changed since holds other bytes and waits for its own record.
      if (!e || (e->flags & (Entry::kLocSlot | Entry::kHasLoc)) != Entry::kLocSlot ||
          e->value_len != op.value.size() ||
          std::memcmp(e->data() + e->key_len, op.value.data(), op.value.size()) != 0) {
        continue;
      }
      const uint64_t at = offset + uint64_t(op.value.data() - buf.data());
      ks_.SetLoc(e, DiskLoc{at, ValueChecksum(op.value), uint32_t(id)});
    }
    pos += wal::kRecordHeaderSize + body;
  }
  EvictLocked(kEvictSlotsPerStep + buf.size() / 64);
}

void DBImpl::EvictLocked(size_t max_slots) {
  if (opts_.max_memory_bytes == 0 || ks_.cached_bytes() <= opts_.max_memory_bytes) return;
  evictions_ += ks_.Evict(opts_.max_memory_bytes, max_slots);
}

void DBImpl::NoteSwapLocked(const DecodedOp& op) {
  swap_epoch_++;
  if (track_swaps_) swaps_.emplace_back(op.db, op.db2);
}

Status DBImpl::RelocateFromHint(const std::string& hint_path, uint64_t covered, uint64_t base_size,
                                uint32_t new_file, const std::vector<uint32_t>& old_files) {
  HintLoadResult hr;
  uint64_t moved = 0;
  Status s = ReadHint(
      env_, hint_path, covered, base_size, ks_.num_dbs(),
      [&](const std::vector<HintEntry>& chunk) -> Status {
        // A few hundred keys per turn of the lock, so readers and writers
        // wait at most that long.
        for (size_t i = 0; i < chunk.size();) {
          Lock lk(mu_);
          if (closed_ || closing_) return Status::Closed("compaction stopped: database closing");
          for (size_t end = std::min(chunk.size(), i + 256); i < end; i++) {
            const HintEntry& h = chunk[i];
            // The db the image took the key from, after the SWAPDBs since.
            uint32_t db = h.db;
            for (auto [a, b] : swaps_) db = db == a ? b : db == b ? a : db;
            Entry* e = ks_.db(db).Find(h.key, HashKey(h.key));
            if (!e || !e->has_loc() || e->value_len != h.value_len) continue;
            const DiskLoc old = e->loc();
            if (old.checksum != h.checksum ||
                !std::binary_search(old_files.begin(), old_files.end(), old.file)) {
              continue;
            }
            ks_.Relocate(e, DiskLoc{h.offset, h.checksum, new_file});
            moved++;
          }
        }
        return Status::OK();
      },
      &hr);
  char line[160];
  std::snprintf(line, sizeof(line), "compaction: %llu value locations moved to the new image",
                (unsigned long long)moved);
  Log(LogLevel::kDebug, line);
  return s;
}

}  // namespace walnut
