// Compaction: rewrites the log as a base image of the live keys.
//
// Steps, and why a crash at any point loses nothing:
//  1. Seal: flush and roll over, so every record <= X sits in sealed
//     segments and new writes go to a segment starting at X+1.
//  2. Image: walk the index in small locked steps (reads and writes go on
//     between steps) and write every live key to base-X.dat.tmp, then an end
//     marker; fsync. A crash here leaves a .tmp file that the next open
//     deletes; the old segments are intact.
//  3. Install: rename to base-X.dat and fsync the directory. From now on
//     recovery loads the image and replays only sequences > X; a crash before
//     the old files are deleted is harmless (recovery skips records <= X and
//     finishes the deletion).
//  4. Delete the old segments and the previous base; fsync the directory.
// The image is fuzzy — a key may be captured after a write with sequence > X
// — which is safe because replaying any op over a state that already
// reflects it, followed by all later ops, ends in the same state (see
// keyspace.h). SWAPDB is the one op for which that fails, so a compaction
// that sees one start under it restarts.
//
// Values on disk (db_impl_values.cc, docs/memory.md). A value the index
// holds only as a location is copied into the image by reading it (checked
// against its checksum; a mismatch fails the compaction, the log stays)
// without the lock, in file order, and without caching it: under max-memory
// compaction never pulls the data set into memory. Without max-memory such
// values (a snapshot's, not loaded yet) are read into memory, as the loader
// would.
// At install, every entry whose value lies in a file the image replaces gets
// its place in the new image instead, from the image's snapshot, a few
// hundred keys per turn of the lock; readers meanwhile read the old files,
// which stay until no entry names them (Keyspace::FileRefs), and stay open
// for a reader that holds one. Why the new location holds the entry's very
// bytes: a location in a replaced file is never given after the seal (new
// records go to the new segment; caching and evicting keep a location as it
// is), and a write replaces an entry by one without a location. So an entry
// that still names a replaced file at install has had that value since
// before the seal, under the same key, and in the same db except for
// SWAPDBs after the scan (a SWAPDB during the scan restarts it), which are
// recorded and followed. It was therefore in the scanned table for the whole
// scan, which captures every such key (HashIndex::Scan), with this value;
// every capture of its key was of this value; and the snapshot says where
// the image put it. Length and checksum are compared as well. An entry the
// relocation does not reach (the snapshot could not be written) keeps its
// old file alive, to be moved by the next compaction.
// Expired keys the scan meets are removed from the index (they are dead: no
// log record is needed), so that none is left pointing into a removed file.
#include <algorithm>
#include <chrono>
#include <thread>

#include "common/coding.h"
#include "engine/db_impl.h"
#include "engine/snapshot.h"
#include "engine/wal_format.h"
#include "engine/wal_record.h"

namespace walnut {

Result<CompactionReport> DBImpl::Compact() {
  std::lock_guard<std::mutex> cg(compact_mu_);
  compacting_ = true;
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{compacting_};
  CompactionReport report;
  for (int attempt = 0; attempt < 5; attempt++) {
    bool retry = false;
    Status s = CompactOnce(&report, &retry);
    if (!s.ok()) return s;
    if (!retry) return report;
  }
  return Status::Busy("compaction kept being interrupted by SWAPDB; try again");
}

Status DBImpl::CompactOnce(CompactionReport* report, bool* retry) {
  const auto start = std::chrono::steady_clock::now();
  const bool located = opts_.max_memory_bytes > 0;
  uint64_t covered, epoch;
  std::vector<SegmentFile> old_segments;
  uint64_t old_base;
  std::vector<uint32_t> old_files;  // value files the image replaces (sorted)
  struct StopTracking {
    DBImpl* db;
    ~StopTracking() {
      Lock lk(db->mu_);
      db->track_swaps_ = false;
      db->swaps_.clear();
    }
  } stop_tracking{this};
  // Shorten the seal below, during which writers wait: its next segment's
  // file made ahead, and most of its sync done now while they go on.
  PrepareNextSegment();
  SyncWrittenNow();
  {
    Lock lk(mu_);
    Status s = CheckWritable();
    if (!s.ok()) return s;
    while (flushing_) cv_.wait(lk);
    s = CheckWritable();
    if (!s.ok()) return s;
    report->bytes_before = LogBytesLocked();
    if (last_seq_ == 0 || (segments_.size() == 1 && last_seq_ == base_seq_)) {
      report->bytes_after = report->bytes_before;  // nothing was ever written since
      return Status::OK();
    }
    flushing_ = true;  // the flush token: we roll over ourselves
    // Write what is pending into the current segment, then seal it. A write
    // or sync failure is sticky (set by these calls); no room for the next
    // segment only fails this compaction — the active segment goes on with
    // its reservation, and the database stays writable.
    s = WriteOutLocked(lk, /*sync=*/false);
    if (s.ok()) s = RollOverLocked(lk, 0);
    flushing_ = false;
    cv_.notify_all();
    if (!s.ok()) return s;
    covered = segments_.back().first_seq - 1;
    old_segments.assign(segments_.begin(), segments_.end() - 1);
    old_base = base_seq_;
    epoch = swap_epoch_;
    // Every file values may lie in, except the segment new writes go to.
    for (auto& [no, vf] : value_files_) {
      if (no != segments_.back().id) old_files.push_back(no);
      // Open what entries still point into: if this image takes the old
      // image's name (nothing was written since), the old bytes stay readable.
      if (ks_.FileRefs(no) > 0 && !vf.reader) {
        std::string path;
        (void)ValueFileLocked(no, &path);
      }
    }
    swaps_.clear();
    track_swaps_ = located;
  }
  TrimSealedSegments();  // the segment just sealed, now that writers go on

  // ---- 2. The image.
  const std::string final_path = dir_ + "/" + wal::BaseFileName(covered);
  const std::string tmp_path = final_path + ".tmp";
  auto created = env_->NewWritableFile(tmp_path, /*exclusive=*/false);
  if (!created.ok()) return created.status();
  std::unique_ptr<WritableFile> out = std::move(*created);
  // The snapshot of this image (snapshot.h), written alongside. It is an
  // optimisation: if it cannot be written, the image is installed without.
  const std::string hint_final = dir_ + "/" + HintFileName(covered);
  const std::string hint_tmp = hint_final + ".tmp";
  std::unique_ptr<WritableFile> hint_file;
  std::unique_ptr<HintWriter> hint;
  {
    auto hf = env_->NewWritableFile(hint_tmp, /*exclusive=*/false);
    if (hf.ok()) {
      hint_file = std::move(*hf);
      hint = std::make_unique<HintWriter>(hint_file.get(), covered);
    } else {
      Log(LogLevel::kWarning, "compaction: no snapshot: " + hf.status().ToString());
    }
  }
  auto drop_hint = [&] {
    if (!hint_file) return;
    (void)hint_file->Close();
    (void)env_->RemoveFile(hint_tmp);
    hint.reset();
    hint_file.reset();
  };

  auto fail = [&](Status s) {
    (void)out->Close();
    (void)env_->RemoveFile(tmp_path);
    drop_hint();
    return s;
  };
  wal::SegmentHeader h;
  h.kind = wal::kKindBase;
  h.first_seq = covered;
  Status s = out->Append(wal::EncodeSegmentHeader(h));
  if (!s.ok()) return fail(s);

  std::string rec;
  uint64_t rec_seq = 0;
  uint32_t rec_count = 0;
  size_t rec_start = wal::BeginRecord(&rec);
  auto emit = [&]() -> Status {
    wal::FinishRecord(&rec, rec_start, ++rec_seq, rec_count);
    if (hint && !hint->RecordPlaced(out->Size()).ok()) {
      Log(LogLevel::kWarning, "compaction: no snapshot: " + hint->status().ToString());
      drop_hint();
    }
    Status es = out->Append(rec);
    rec.clear();
    rec_count = 0;
    rec_start = wal::BeginRecord(&rec);
    return es;
  };
  uint64_t keys = 0;
  // A value captured as a location, read after the lock is let go.
  struct DiskValue {
    std::string key;
    int64_t expire_at_ms;
    uint32_t len;
    DiskLoc loc;
    std::shared_ptr<RandomAccessFile> file;
    std::string path;
  };
  std::vector<DiskValue> disk_values;
  std::vector<std::string> expired;
  std::string value;
  auto put_op = [&](uint32_t db, std::string_view key, int64_t expire_at_ms, std::string_view v,
                    uint32_t checksum) {
    rec.push_back(char(expire_at_ms ? wal::kPutExpire : wal::kPut));
    PutVarint64(&rec, db);
    PutLengthPrefixed(&rec, key);
    PutVarint64(&rec, v.size());
    if (hint) hint->Add(db, key, expire_at_ms, rec.size(), uint32_t(v.size()), checksum);
    rec.append(v);
    if (expire_at_ms) PutFixed64(&rec, uint64_t(expire_at_ms));
    rec_count++;
    keys++;
  };
  uint64_t fg_seen = 0;  // YieldToForeground's count of request locks
  for (uint32_t db = 0; db < opts_.num_databases; db++) {
    uint64_t cursor = 0;
    do {
      {
        Lock lk(mu_);
        if (closed_ || closing_)
          return fail(Status::Closed("compaction stopped: database closing"));
        if (swap_epoch_ != epoch) {
          *retry = true;
          return fail(Status::OK());
        }
        int64_t now = NowMs();
        Status read_error;
        disk_values.clear();
        expired.clear();
        cursor = ks_.db(db).Scan(cursor, 512, [&](Entry* e) {
          if (!read_error.ok()) return;
          if (e->ExpiredAt(now)) {
            expired.emplace_back(e->key());
            return;
          }
          if (e->on_disk() && located) {
            DiskValue dv{
                std::string(e->key()), e->expire_at_ms, e->value_len, e->loc(), nullptr, ""};
            auto f = ValueFileLocked(dv.loc.file, &dv.path);
            if (!f.ok()) {
              read_error = f.status();
              return;
            }
            dv.file = *f;
            disk_values.push_back(std::move(dv));
            return;
          }
          if (e->on_disk()) {
            // A snapshot entry whose value the loader has not read yet.
            auto m = MaterializeLocked(db, e);
            if (!m.ok()) {
              read_error = m.status();
              return;
            }
            e = *m;
          }
          const uint32_t checksum = e->has_loc() ? e->loc().checksum : ValueChecksum(e->value());
          put_op(db, e->key(), e->expire_at_ms, e->value(), checksum);
        });
        if (!read_error.ok()) {
          // Never write an image that silently lacks a key: stop, keep the log.
          return fail(read_error);
        }
        // Dead keys leave the index (see the file comment); Find removes them.
        for (const std::string& k : expired) (void)ks_.Find(db, k, now);
        if (step_hook_) step_hook_();
      }
      // Requests waiting for mu_ go before the next step (db_impl.h).
      YieldToForeground(&fg_seen);
      auto flush_rec = [&]() -> Status {
        if (rec.size() < (1u << 20)) return Status::OK();
        Status es = emit();
        if (!es.ok()) return es;
        // Rate limit: stay at or below compact_rate_bytes_per_sec so that
        // foreground writes keep most of the disk.
        if (opts_.compact_rate_bytes_per_sec > 0) {
          double should_take = double(out->Size()) / double(opts_.compact_rate_bytes_per_sec);
          auto ahead = std::chrono::duration<double>(should_take) -
                       (std::chrono::steady_clock::now() - start);
          if (ahead.count() > 0) std::this_thread::sleep_for(ahead);
        }
        return Status::OK();
      };
      // Values captured as locations: read in file order, checked, copied.
      // The bytes at a location never change, and the file stays open.
      std::sort(disk_values.begin(), disk_values.end(), [](const DiskValue& a, const DiskValue& b) {
        return a.loc.file != b.loc.file ? a.loc.file < b.loc.file : a.loc.offset < b.loc.offset;
      });
      for (const DiskValue& dv : disk_values) {
        s = ReadValueAt(*dv.file, dv.path, dv.loc, dv.len, dv.key, &value);
        if (!s.ok()) return fail(s);
        put_op(db, dv.key, dv.expire_at_ms, value, dv.loc.checksum);
        s = flush_rec();
        if (!s.ok()) return fail(s);
      }
      s = flush_rec();
      if (!s.ok()) return fail(s);
    } while (cursor != 0);
  }
  if (rec_count > 0) {
    s = emit();
    if (!s.ok()) return fail(s);
  }
  s = emit();  // the end marker: an empty record
  if (!s.ok()) return fail(s);
  const uint64_t base_size = out->Size();
  s = out->Sync();  // the image is durable before its name exists
  if (!s.ok()) return fail(s);
  s = out->Close();
  if (!s.ok()) return fail(s);
  if (hint) {
    // The snapshot too is durable before its name exists.
    Status hs = hint->Finish(base_size);
    if (hs.ok()) hs = hint_file->Sync();
    if (hs.ok()) hs = hint_file->Close();
    if (!hs.ok()) {
      Log(LogLevel::kWarning, "compaction: no snapshot: " + hs.ToString());
      drop_hint();
    }
  }

  // ---- 3. Install.
  // In a partitioned database a record <= `covered` may be one part of a
  // multi-partition write. Once the image is installed that record is no
  // longer visible as a part, so recovery could not drop it if a crash had
  // lost another part. The hook syncs every partition first: from then on all
  // parts of every such write are durable, and the write is whole for good.
  if (before_install_) {
    s = before_install_();
    if (!s.ok()) {
      (void)env_->RemoveFile(tmp_path);
      if (hint_file) (void)env_->RemoveFile(hint_tmp);
      return s;
    }
  }
  s = env_->RenameFile(tmp_path, final_path);
  // The snapshot's name appears after the image's: a crash between the two
  // leaves an image without a snapshot (loaded the slow way), never a
  // snapshot without its image.
  bool hint_installed = false;
  if (s.ok() && hint_file) {
    Status hs = env_->RenameFile(hint_tmp, hint_final);
    if (!hs.ok()) {
      Log(LogLevel::kWarning, "compaction: no snapshot: " + hs.ToString());
      (void)env_->RemoveFile(hint_tmp);
    } else {
      hint_installed = true;
    }
  }
  if (s.ok()) s = env_->SyncDir(dir_);
  if (!s.ok()) {
    (void)env_->RemoveFile(tmp_path);
    if (hint_file) (void)env_->RemoveFile(hint_tmp);
    return s;
  }
  uint32_t new_file;
  {
    Lock lk(mu_);
    segments_.erase(segments_.begin(), segments_.begin() + old_segments.size());
    base_seq_ = covered;
    base_bytes_ = base_size;
    compactions_++;
    report->bytes_after = LogBytesLocked();
    new_file = kBaseFileTag | next_base_number_++;
    value_files_[new_file] = ValueFile{final_path, nullptr};
    base_file_ = new_file;
  }
  if (located && hint_installed) {
    // Entries pointing into the replaced files now point into the image (the
    // file comment says why that is safe).
    Status rs = RelocateFromHint(hint_final, covered, base_size, new_file, old_files);
    if (!rs.ok()) Log(LogLevel::kWarning, "compaction: moving value locations: " + rs.ToString());
  }

  // ---- 4. Remove what the image replaced, once no entry points into it.
  std::vector<std::string> doomed;
  uint64_t kept = 0;
  {
    Lock lk(mu_);
    for (uint32_t no : old_files) {
      auto it = value_files_.find(no);
      if (it == value_files_.end()) continue;
      if (ks_.FileRefs(no) > 0) {
        kept += ks_.FileRefs(no);
        continue;
      }
      if (it->second.path != final_path) doomed.push_back(it->second.path);
      value_files_.erase(it);
    }
  }
  for (const auto& seg : old_segments) {
    // A segment id too large for a DiskLoc has no value file (never named).
    if (seg.id >= kBaseFileTag) doomed.push_back(seg.path);
  }
  if (kept > 0) {
    Log(LogLevel::kWarning, "compaction: " + std::to_string(kept) +
                                " values still point into replaced files; those files are kept "
                                "until a later compaction moves them");
  }
  if (old_base != 0 && old_base != covered) {
    (void)env_->RemoveFile(dir_ + "/" + HintFileName(old_base));
  }
  for (const std::string& path : doomed) {
    Status rs = env_->RemoveFile(path);
    if (!rs.ok())
      Log(LogLevel::kWarning, "compaction: could not remove " + path + ": " + rs.ToString());
  }
  s = env_->SyncDir(dir_);
  if (!s.ok()) Log(LogLevel::kWarning, "compaction: directory sync failed: " + s.ToString());

  report->keys_written = keys;
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char line[200];
  std::snprintf(line, sizeof(line), "compaction: %llu keys, %llu -> %llu bytes in %.3f s",
                (unsigned long long)keys, (unsigned long long)report->bytes_before,
                (unsigned long long)report->bytes_after, report->seconds);
  Log(LogLevel::kInfo, line);
  return Status::OK();
}

}  // namespace walnut
