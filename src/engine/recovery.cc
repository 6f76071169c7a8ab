#include "engine/recovery.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "engine/replay_inserter.h"
#include "engine/snapshot.h"
#include "engine/wal_format.h"
#include "engine/wal_reader.h"
#include "engine/wal_record.h"

namespace walnut {
namespace {

using Clock = std::chrono::steady_clock;

std::string Join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

std::string BaseName(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Copies [from, EOF) of `path` to DIR/damaged/<name>.<from>.tail before a
// cut, so that no byte is destroyed by recovery: an operator can inspect it.
Status SaveTail(Env* env, const std::string& dir, const std::string& path, uint64_t from,
                uint64_t size) {
  std::string ddir = Join(dir, "damaged");
  Status s = env->CreateDirIfMissing(ddir);
  if (!s.ok()) return s;
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  std::string buf(size - from, '\0');
  std::string_view got;
  s = (*file)->Read(from, buf.size(), buf.data(), &got);
  if (!s.ok()) return s;
  s = env->WriteFileAtomically(Join(ddir, BaseName(path) + "." + std::to_string(from) + ".tail"),
                               got);
  if (!s.ok()) return s;
  return env->SyncDir(dir);  // the damaged/ entry itself
}

// Saves then cuts: after this the file ends at `at`, durably. Only
// [at, save_end) is saved: past save_end a preallocated file holds nothing
// but zeros, which are not worth keeping (and on a full disk, copying a
// segment's worth of them could make start-up fail).
Status CutAt(Env* env, const std::string& dir, const std::string& path, uint64_t at,
             uint64_t save_end, uint64_t size) {
  if (at >= size) return Status::OK();
  if (save_end > at) {
    Status s = SaveTail(env, dir, path, at, save_end);
    if (!s.ok()) return s;
  }
  return env->TruncateFile(path, at);  // ftruncate + fsync
}

Status MoveAway(Env* env, const std::string& dir, const SegmentFile& seg) {
  std::string ddir = Join(dir, "damaged");
  Status s = env->CreateDirIfMissing(ddir);
  if (s.ok()) s = env->RenameFile(seg.path, Join(ddir, BaseName(seg.path)));
  if (s.ok()) s = env->SyncDir(ddir);
  if (s.ok()) s = env->SyncDir(dir);
  return s;
}

// Applies the ops of a record that starts at file offset `at` of `file` (a
// DiskLoc::file; none if it does not fit one); under a value budget, puts
// keep their values' locations (RecoveryParams::value_budget).
void ApplyRecord(const RecoveryParams& p, Keyspace* ks, ReplayInserter* ins, const wal::Record& rec,
                 const std::vector<DecodedOp>& ops, uint64_t at, std::optional<uint32_t> file) {
  if (p.value_budget == 0 || !file) {
    for (const auto& op : ops) ins->Apply(op);
    return;
  }
  ins->Flush();  // the budget below counts what is inserted
  const uint64_t ops_at = at + wal::kRecordHeaderSize + wal::kBatchPrefixSize;
  for (const auto& op : ops) {
    if (op.code != wal::kPut && op.code != wal::kPutExpire) {
      ks->Apply(op, 0);
      continue;
    }
    const uint64_t value_at = ops_at + uint64_t(op.value.data() - rec.ops.data());
    DiskLoc loc{value_at, ValueChecksum(op.value), *file};
    ks->ApplyLocatedPut(op, loc, ks->cached_bytes() + op.value.size() <= p.value_budget);
  }
}

// Loads a base image into ks. Damage is reported through *problem (the
// caller decides per recovery mode); only I/O errors fail.
Status LoadBase(const RecoveryParams& p, const std::string& path, uint64_t covered, Keyspace* ks,
                RecoveryOutcome* out, std::string* problem) {
  Env* env = p.env;
  auto opened = wal::SegmentReader::Open(env, path);
  if (!opened.ok()) {
    if (opened.status().IsIOError() || opened.status().IsNotSupported()) return opened.status();
    *problem = opened.status().message();
    return Status::OK();
  }
  wal::SegmentReader& r = **opened;
  out->base_bytes = r.file_size();
  if (r.header().kind != wal::kKindBase || r.header().first_seq != covered) {
    *problem =
        path + " at offset 0: header does not describe base image " + std::to_string(covered);
    return Status::OK();
  }
  uint64_t expected = 1;
  bool complete = false;
  // Declared after nothing the caller reads: its destructor inserts the
  // pending puts before LoadBase returns (the caller may Clear on a problem).
  Presizer sizer(ks, r.file_size(), out->report.bytes);
  ReplayInserter ins(ks, &sizer, p.replay_thread && p.value_budget == 0);
  std::vector<DecodedOp> ops;
  for (;;) {
    wal::Record rec;
    Status io;
    auto outcome = r.Next(&rec, &io);
    if (!io.ok()) return io;
    if (outcome == wal::SegmentReader::Outcome::kEnd) break;
    uint64_t at = r.offset();
    if (outcome == wal::SegmentReader::Outcome::kDamage) {
      *problem =
          path + " at offset " + std::to_string(at) + ": " + wal::ParseStatusText(r.damage());
      return Status::OK();
    }
    at -= rec.size;
    if (complete || rec.seq != expected) {
      *problem = path + " at offset " + std::to_string(at) + ": unexpected record in base image";
      return Status::OK();
    }
    expected++;
    if (rec.count == 0) {
      complete = true;  // the end marker
      continue;
    }
    std::string_view in = rec.ops;
    ops.clear();
    for (uint32_t k = 0; k < rec.count; k++) {
      DecodedOp op;
      Status ds = DecodeOp(&in, &op);
      if (ds.ok() && (op.code != wal::kPut && op.code != wal::kPutExpire)) {
        ds = Status::Corruption("base image holds a non-put op");
      }
      if (ds.ok() && op.db >= ks->num_dbs()) {
        ds = Status::Corruption("op names database " + std::to_string(op.db) + " but only " +
                                std::to_string(ks->num_dbs()) + " are configured");
      }
      if (!ds.ok()) {
        return Status::Corruption(path + " at offset " + std::to_string(at) + ": " + ds.message());
      }
      ops.push_back(op);
    }
    ApplyRecord(p, ks, &ins, rec, ops, at, p.base_file);
    out->ops += ops.size();
    out->report.records++;
    out->report.bytes += rec.size;
    ins.Progress(out->report.bytes);
  }
  if (!complete) *problem = path + ": base image is incomplete (no end marker)";
  return Status::OK();
}

}  // namespace

Result<std::vector<SegmentFile>> ListSegments(Env* env, const std::string& dir) {
  auto names = env->GetChildren(dir);
  if (!names.ok()) return names.status();
  std::vector<SegmentFile> segs;
  for (const auto& name : *names) {
    uint64_t id;
    if (!wal::ParseSegmentFileName(name, &id)) continue;
    SegmentFile f;
    f.id = id;
    f.path = Join(dir, name);
    auto size = env->GetFileSize(f.path);
    if (!size.ok()) return size.status();
    f.size = *size;
    segs.push_back(std::move(f));
  }
  std::sort(segs.begin(), segs.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return segs;
}

Status Recover(const RecoveryParams& p, Keyspace* ks, RecoveryOutcome* out) {
  auto log = [&](LogLevel level, const std::string& msg) {
    if (p.log) p.log(level, msg);
  };
  auto listed = ListSegments(p.env, p.dir);
  if (!listed.ok()) return listed.status();
  std::vector<SegmentFile> segs = std::move(*listed);
  for (auto& s : segs) out->max_segment_id = std::max(out->max_segment_id, s.id);

  uint64_t total_bytes = 0;
  for (auto& s : segs) total_bytes += s.size;
  const auto start = Clock::now();
  auto last_progress = start;

  uint64_t expected = 0;  // next sequence we expect; 0 = take the first header's
  bool resync = false;    // after a skip: accept any later sequence
  bool stop = false;      // point-in-time cut made: nothing after counts
  std::vector<SegmentFile> kept;

  auto note = [&](const std::string& what, bool torn) {
    if (out->first_damage.empty()) out->first_damage = what;
    if (!torn) out->only_torn_tail = false;
    out->report.notes.push_back(what);
  };
  // Point-in-time: everything after the cut point goes to damaged/.
  auto drop_rest = [&](size_t from_index) -> Status {
    for (size_t j = from_index; j < segs.size(); j++) {
      out->report.skipped_bytes += segs[j].size;
      if (p.modify_files) {
        Status s = MoveAway(p.env, p.dir, segs[j]);
        if (!s.ok()) return s;
      }
      log(LogLevel::kWarning, "recovery: moved " + segs[j].path + " to damaged/ (after the cut)");
    }
    return Status::OK();
  };

  // ---- The base image (compaction's output), if any: the newest one wins;
  // older ones are leftovers of a crash between installing a new base and
  // deleting the old, and are superseded.
  uint64_t base_seq = 0;
  bool base_loaded = false;
  {
    auto names = p.env->GetChildren(p.dir);
    if (!names.ok()) return names.status();
    std::vector<uint64_t> bases;
    for (const auto& n : *names) {
      uint64_t x;
      if (wal::ParseBaseFileName(n, &x)) bases.push_back(x);
    }
    std::sort(bases.begin(), bases.end());
    if (!bases.empty()) {
      uint64_t x = bases.back();
      std::string path = Join(p.dir, wal::BaseFileName(x));
      std::string problem;
      // A snapshot (snapshot.h) loads the keys without reading the values.
      // Any problem with it means loading the base image itself instead.
      const std::string hint_path = Join(p.dir, HintFileName(x));
      bool by_hint = false;
      if (p.use_hints && p.env->FileExists(hint_path)) {
        auto base_size = p.env->GetFileSize(path);
        HintLoadResult hr;
        Status hs = base_size.ok() ? LoadHint(p.env, hint_path, x, *base_size, p.base_file, ks, &hr,
                                              /*value_room=*/p.value_budget == 0)
                                   : base_size.status();
        if (hs.ok()) {
          by_hint = true;
          out->hint_entries = hr.entries;
          out->base_bytes = *base_size;
          out->report.snapshot_keys = hr.entries;
          out->report.bytes += hr.bytes;
        } else {
          ks->Clear();
          std::string why = "snapshot " + hint_path + " not used: " + hs.message() +
                            "; loading the base image instead";
          out->report.notes.push_back(why);
          log(LogLevel::kWarning, "recovery: " + why);
        }
      }
      Status s = by_hint ? Status::OK() : LoadBase(p, path, x, ks, out, &problem);
      if (!s.ok()) return s;
      if (problem.empty()) {
        base_seq = x;
        base_loaded = true;
        expected = x + 1;
        out->base_seq = x;
        out->base_path = path;
        if (p.modify_files) {
          for (size_t k = 0; k + 1 < bases.size(); k++) {
            (void)p.env->RemoveFile(Join(p.dir, wal::BaseFileName(bases[k])));
          }
          // Snapshots of other images are leftovers of a compaction a crash
          // interrupted; they are never read (the name must match).
          for (const auto& n : *names) {
            uint64_t hx;
            if (ParseHintFileName(n, &hx) && hx != x) (void)p.env->RemoveFile(Join(p.dir, n));
          }
        }
      } else {
        note(problem, false);
        if (p.mode == RecoveryMode::kStrict) {
          return Status::Corruption(
              problem +
              ". The base image holds the compacted data; nothing was changed. Start with "
              "--recovery skip-corrupted to go on without it (its keys are lost)");
        }
        ks->Clear();
        out->report.skipped_bytes += out->base_bytes;
        if (p.modify_files) {
          Status ms = MoveAway(p.env, p.dir, SegmentFile{0, path, 0, 0});
          if (!ms.ok()) return ms;
        }
        resync = true;
        if (p.mode == RecoveryMode::kPointInTime) {
          // The base image is the start of the log: no point in time lies
          // before it, so the consistent prefix is the empty one. Replaying
          // the later segments over nothing would serve a state that never
          // existed (keys not written since the compaction missing, batches
          // seen only in part). Everything goes to damaged/ instead.
          Status ds = drop_rest(0);
          if (!ds.ok()) return ds;
          stop = true;
        }
      }
    }
  }

  // The newest segment may be mostly preallocated zeros: leave it out of the
  // estimate (at worst the table doubles once more).
  uint64_t sized_bytes = 0;
  for (size_t i = 0; i + 1 < segs.size(); i++) sized_bytes += segs[i].size;
  Presizer sizer(ks, sized_bytes, out->report.bytes);
  // Ops given to `ins` are applied before anything else reads ks: at the
  // end of this loop, or by its destructor on a return (declared after the
  // sizer it reports to, so destroyed first).
  ReplayInserter ins(ks, &sizer, p.replay_thread && p.value_budget == 0);
  std::vector<DecodedOp> ops;
  for (size_t i = 0; i < segs.size() && !stop; i++) {
    SegmentFile seg = segs[i];
    const bool newest = (i + 1 == segs.size());
    auto opened = wal::SegmentReader::Open(p.env, seg.path);
    std::string header_problem;
    bool missing_before = false;  // the damage is what precedes this segment
    if (!opened.ok()) {
      if (opened.status().IsNotSupported() || opened.status().IsIOError()) return opened.status();
      header_problem = opened.status().message();
    } else if ((*opened)->header().segment_id != seg.id) {
      header_problem = seg.path + " at offset 0: header names segment " +
                       std::to_string((*opened)->header().segment_id);
    } else if ((*opened)->header().kind != wal::kKindLog) {
      header_problem = seg.path + " at offset 0: not a log segment";
    } else if (expected != 0 && !resync && (*opened)->header().first_seq != expected &&
               !(base_loaded && (*opened)->header().first_seq <= base_seq)) {
      header_problem = seg.path + " at offset 0: segment starts at sequence " +
                       std::to_string((*opened)->header().first_seq) + " but " +
                       std::to_string(expected) + " was expected (a segment is missing or stale)";
    } else if (expected == 0 && !resync && (*opened)->header().first_seq != 1) {
      // No base image, and this is the first segment: a log without a base
      // starts at sequence 1 (a new directory's first segment does, and
      // compaction deletes old segments only after installing a base). So
      // records before this one are missing: a removed base image or first
      // segment. Without this check their loss would pass unnoticed.
      missing_before = true;
      header_problem = seg.path + " at offset 0: the log starts at sequence " +
                       std::to_string((*opened)->header().first_seq) +
                       " but there is no base image, so records 1 to " +
                       std::to_string((*opened)->header().first_seq - 1) +
                       " are missing (a removed base image or segment)";
    }
    if (!header_problem.empty()) {
      note(header_problem, false);
      if (p.mode == RecoveryMode::kStrict) {
        if (missing_before) {
          return Status::Corruption(header_problem +
                                    ". Nothing was changed. Start with --recovery skip-corrupted "
                                    "to go on without the missing records");
        }
        return Status::Corruption(header_problem +
                                  ". Start with --recovery point-in-time to keep the log up to "
                                  "this segment, or skip-corrupted to drop just this segment");
      }
      if (p.mode == RecoveryMode::kPointInTime) {
        Status s = drop_rest(i);
        if (!s.ok()) return s;
        break;
      }
      if (missing_before) {
        // kSkipCorrupted: this segment is intact; what is lost lies before
        // it, so replay it (resynchronising on its first record).
        resync = true;
      }
    }
    if (!header_problem.empty() && !missing_before) {
      // kSkipCorrupted: drop this segment only.
      out->report.skipped_bytes += seg.size;
      if (p.modify_files) {
        Status s = MoveAway(p.env, p.dir, seg);
        if (!s.ok()) return s;
      }
      resync = true;
      continue;
    }
    wal::SegmentReader& r = **opened;
    uint64_t superseded_records = 0;
    const uint64_t records_before = out->report.records;
    seg.first_seq = r.header().first_seq;
    if (expected == 0 || resync) {
      if (expected == 0) expected = seg.first_seq;
    }
    out->report.segments++;

    for (;;) {
      wal::Record rec;
      Status io;
      auto outcome = r.Next(&rec, &io);
      if (!io.ok()) return io;
      if (outcome == wal::SegmentReader::Outcome::kEnd) break;

      std::string cause;
      uint64_t at = r.offset();
      if (outcome == wal::SegmentReader::Outcome::kRecord) {
        at -= rec.size;
        if (base_loaded && rec.seq <= base_seq) {
          // Already in the base image: compaction finished but the old
          // segment was not deleted yet when the process stopped.
          superseded_records++;
          continue;
        }
        bool seq_ok = resync ? rec.seq >= expected : rec.seq == expected;
        if (!seq_ok) {
          cause = "record has sequence " + std::to_string(rec.seq) + ", expected " +
                  std::to_string(expected);
        } else {
          // Decode every op before applying any: a record is all or nothing.
          ops.clear();
          std::string_view in = rec.ops;
          Status ds;
          for (uint32_t k = 0; k < rec.count && ds.ok(); k++) {
            DecodedOp op;
            ds = DecodeOp(&in, &op);
            if (ds.ok() &&
                (op.db >= ks->num_dbs() || (op.code == wal::kSwapDb && op.db2 >= ks->num_dbs()))) {
              ds = Status::Corruption(
                  "op names database " + std::to_string(std::max(op.db, op.db2)) + " but only " +
                  std::to_string(ks->num_dbs()) + " are configured (raise --databases)");
            }
            if (ds.ok()) ops.push_back(op);
          }
          if (ds.ok() && !in.empty()) ds = Status::Corruption("trailing bytes after the ops");
          if (!ds.ok()) {
            // The checksum matched, so these bytes are what was written:
            // a format this build does not understand, never a torn write.
            return Status::Corruption(seg.path + " at offset " + std::to_string(at) + ": " +
                                      ds.message());
          }
          if (!ops.empty() && ops[0].code == wal::kTxn) {
            out->cross.push_back(CrossRecord{rec.seq, ops[0].txn_id, TxnParts(ops[0])});
          }
          if (p.skip_seqs && p.skip_seqs->count(rec.seq)) {
            note(seg.path + " at offset " + std::to_string(at) + ": record " +
                     std::to_string(rec.seq) +
                     " is part of a multi-partition write that another partition lost in a "
                     "crash; not applied",
                 true);
          } else {
            ApplyRecord(
                p, ks, &ins, rec, ops, at,
                seg.id < kBaseFileTag ? std::optional<uint32_t>(uint32_t(seg.id)) : std::nullopt);
          }
          out->ops += ops.size();
          out->report.records++;
          out->report.bytes += rec.size;
          ins.Progress(out->report.bytes);
          expected = rec.seq + 1;
          resync = false;
          if (out->report.records % 65536 == 0 &&
              Clock::now() - last_progress > std::chrono::seconds(2)) {
            last_progress = Clock::now();
            double secs = std::chrono::duration<double>(last_progress - start).count();
            log(LogLevel::kInfo, "recovery: replayed " + std::to_string(out->report.bytes >> 20) +
                                     " of " + std::to_string(total_bytes >> 20) + " MiB, " +
                                     std::to_string(out->report.records) + " records, " +
                                     std::to_string(uint64_t(out->report.records / secs)) +
                                     " records/s");
          }
          continue;
        }
      } else {
        cause = wal::ParseStatusText(r.damage());
      }

      // Damage at offset `at`. Is anything intact after it?
      uint64_t next = 0;
      bool found = r.FindNextValid(at + 1, &next, &io);
      if (!io.ok()) return io;
      // The damaged bytes end where the file's zero tail (unwritten
      // preallocated space) begins, if it has one.
      const uint64_t data_end = r.DataEnd(&io);
      if (!io.ok()) return io;
      const uint64_t damage_end = std::max(at, std::min(seg.size, data_end));
      std::string what = seg.path + " at offset " + std::to_string(at) + ": " + cause;
      // Only unreadable bytes can be a torn write; an intact record with the
      // wrong sequence is something else and never cut silently.
      bool unreadable = outcome == wal::SegmentReader::Outcome::kDamage;
      if (newest && !found && unreadable) {
        // A torn tail: the process or machine died while this was written.
        // No intact record follows, so this is where the log ends. A write
        // is acknowledged only after its record was written whole, so the
        // cut never removes an acknowledged write that reached the OS. Cut it,
        // keeping a copy.
        uint64_t cut = damage_end - at;
        note(what + " (torn tail, " + std::to_string(cut) + " bytes)", true);
        out->report.torn_tail_bytes += cut;
        log(LogLevel::kWarning, "recovery: " + what + "; cutting a torn tail of " +
                                    std::to_string(cut) + " bytes (saved under damaged/)");
        if (p.modify_files) {
          Status s = CutAt(p.env, p.dir, seg.path, at, damage_end, seg.size);
          if (!s.ok()) return s;
        }
        seg.size = at;
        break;
      }
      note(what, false);
      if (p.mode == RecoveryMode::kStrict) {
        std::string why = found ? "; an intact record follows at offset " + std::to_string(next) +
                                      ", so this is not a torn tail"
                                : "; this is not the newest segment, so it is not a torn tail";
        return Status::Corruption(
            what + why +
            ". Nothing was changed. Start with --recovery point-in-time to keep everything "
            "before this point (the rest is saved under damaged/), or --recovery "
            "skip-corrupted to drop only the damaged bytes");
      }
      if (p.mode == RecoveryMode::kPointInTime) {
        out->report.skipped_bytes += damage_end - at;
        log(LogLevel::kWarning, "recovery: " + what + "; point-in-time recovery cuts the log here");
        if (p.modify_files) {
          Status s = CutAt(p.env, p.dir, seg.path, at, damage_end, seg.size);
          if (!s.ok()) return s;
        }
        seg.size = at;
        Status s = drop_rest(i + 1);
        if (!s.ok()) return s;
        stop = true;
        break;
      }
      // kSkipCorrupted
      uint64_t resume = found ? next : damage_end;
      out->report.skipped_bytes += resume - at;
      log(LogLevel::kWarning,
          "recovery: " + what + "; skipping " + std::to_string(resume - at) + " bytes");
      resync = true;
      if (!found) {
        if (newest && p.modify_files) {
          Status s = CutAt(p.env, p.dir, seg.path, at, damage_end, seg.size);
          if (!s.ok()) return s;
          seg.size = at;
        }
        break;
      }
      r.Seek(next);
    }
    if (r.zero_tail() && r.offset() < seg.size) {
      // The segment ends in preallocated space never written: its logical
      // size is where the zeros start, and the newest segment is appended to
      // from there. A non-newest segment is truncated when it is sealed; it
      // still has its zeros only if the machine stopped between creating the
      // next segment and that truncation becoming durable. That is a clean
      // end too — the seal synced every record before the next segment was
      // created — and had records been lost here after all, the next
      // segment's first sequence would not continue this one's last and
      // replay would stop at it (the sequence check above). Finish the seal.
      seg.size = r.offset();
      if (!newest && p.modify_files) {
        Status s = p.env->TruncateFile(seg.path, seg.size);
        if (!s.ok()) return s;
        log(LogLevel::kInfo,
            "recovery: " + seg.path + " was sealed but not yet trimmed; trimmed its unused space");
      }
    }
    if (base_loaded && !newest && superseded_records > 0 && out->report.records == records_before) {
      // Wholly covered by the base image: finish the deletion compaction
      // could not (the base is durable, so this loses nothing).
      if (p.modify_files) {
        Status s = p.env->RemoveFile(seg.path);
        if (s.ok()) s = p.env->SyncDir(p.dir);
        if (!s.ok()) return s;
      }
      continue;
    }
    kept.push_back(seg);
  }

  ins.Flush();
  ks->ShrinkToFit();  // a presized table that got fewer keys than guessed
  out->segments = std::move(kept);
  out->last_seq = expected == 0 ? 0 : expected - 1;
  out->report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return Status::OK();
}

}  // namespace walnut
