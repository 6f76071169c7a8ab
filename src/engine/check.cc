// CheckDirectory: the offline verifier behind `walnut check`.
//
// It runs the same recovery code as Open, read-only and in skip-corrupted
// mode so that it can count past damage, and reports the first damage. With
// --fix it repairs only what Open itself would repair on its own — a torn
// tail of the newest segment, saved to damaged/ before the cut — and never
// touches damage that could mean lost data: that needs a person's decision
// (--recovery point-in-time or skip-corrupted at start-up).
#include "walnut/check.h"

#include "engine/keyspace.h"
#include "engine/partition_layout.h"
#include "engine/recovery.h"
#include "engine/snapshot.h"
#include "walnut/env.h"

namespace walnut {
namespace {

Status ScanDir(Env* env, const std::string& dir, bool modify, RecoveryMode mode,
               CheckReport* report, RecoveryOutcome* out) {
  // Databases beyond the default are checked too: the op decoder accepts any
  // index below this bound.
  Keyspace ks(1u << 16);
  RecoveryParams p;
  p.env = env;
  p.dir = dir;
  p.mode = mode;
  p.modify_files = modify;
  p.use_hints = false;  // verify the base image itself, every byte
  Status s = Recover(p, &ks, out);
  if (!s.ok()) return s;
  report->records = out->report.records;
  report->operations = out->ops;
  report->segments = out->report.segments;
  report->live_keys = 0;
  for (uint32_t i = 0; i < ks.num_dbs(); i++) report->live_keys += ks.keys(i);
  report->live_bytes = ks.live_bytes();
  report->damaged = !out->first_damage.empty();
  report->first_damage = out->first_damage;
  report->torn_tail = report->damaged && out->only_torn_tail;
  return Status::OK();
}

// One single-log directory (a whole data directory, or one partition).
Result<CheckReport> CheckLog(Env* env, const std::string& dir, bool fix) {
  // Refuse to look at (let alone fix) a directory a live process is writing.
  auto lock = env->LockFile(dir + "/LOCK");
  if (!lock.ok()) return lock.status();

  CheckReport report;
  RecoveryOutcome out;
  Status s = ScanDir(env, dir, /*modify=*/false, RecoveryMode::kSkipCorrupted, &report, &out);
  if (!s.ok()) return s;
  auto segs = ListSegments(env, dir);
  if (!segs.ok()) return segs.status();
  // Logical sizes, as replay found them: a preallocated segment's unused
  // zero tail is reserved space, not log (and not damage).
  report.log_bytes = out.base_bytes;
  for (const auto& seg : *segs) {
    uint64_t size = seg.size;
    for (const auto& kept : out.segments) {
      if (kept.id == seg.id) size = kept.size;
    }
    report.log_bytes += size;
  }
  // The snapshot of the base image, if there is one: read and checked in
  // full (every chunk's checksum, the end chunk, that it describes this very
  // image), as start-up would before trusting it.
  if (out.base_seq != 0) {
    const std::string hint = dir + "/" + HintFileName(out.base_seq);
    if (env->FileExists(hint)) {
      HintLoadResult hr;
      Status hs = ReadHint(
          env, hint, out.base_seq, out.base_bytes, 1u << 16,
          [](const std::vector<HintEntry>&) { return Status::OK(); }, &hr);
      if (hs.ok()) {
        report.snapshots = 1;
        report.snapshot_keys = hr.entries;
      } else {
        report.snapshot_damage = hs.message();
      }
    }
  }
  // Roughly what a compacted log needs: payload plus a few bytes per key.
  uint64_t needed = report.live_bytes + report.live_keys * 8;
  report.dead_bytes = report.log_bytes > needed ? report.log_bytes - needed : 0;

  if (fix && report.damaged) {
    if (!report.torn_tail) {
      report.fixed =
          "nothing: the damage is not a torn tail, so cutting it could lose acknowledged data. "
          "Start the server with --recovery point-in-time or skip-corrupted to accept the loss";
      return report;
    }
    CheckReport again;
    RecoveryOutcome out2;
    s = ScanDir(env, dir, /*modify=*/true, RecoveryMode::kStrict, &again, &out2);
    if (!s.ok()) return s;
    report.fixed = "cut a torn tail of " + std::to_string(out2.report.torn_tail_bytes) +
                   " bytes (saved under " + dir + "/damaged/)";
  }
  return report;
}

}  // namespace

Result<CheckReport> CheckDirectory(const std::string& dir, bool fix) {
  Env* env = Env::Default();
  if (!env->FileExists(dir)) return Status::NotFound("no such directory: " + dir);
  if (!env->FileExists(dir + "/" + kPartitionsFile)) return CheckLog(env, dir, fix);

  // Partitioned (partition_layout.h): check every partition's log.
  auto lock = env->LockFile(dir + "/LOCK");
  if (!lock.ok()) return lock.status();
  auto layout = ReadPartitionLayout(env, dir);
  if (!layout.ok()) return layout.status();
  CheckReport total;
  total.partitions = layout->count;
  bool all_torn = true;
  for (const auto& pdir : PartitionDirs(dir, *layout)) {
    auto r = CheckLog(env, pdir, fix);
    if (!r.ok()) return r.status();
    total.segments += r->segments;
    total.records += r->records;
    total.operations += r->operations;
    total.live_keys += r->live_keys;
    total.log_bytes += r->log_bytes;
    total.live_bytes += r->live_bytes;
    total.dead_bytes += r->dead_bytes;
    total.snapshots += r->snapshots;
    total.snapshot_keys += r->snapshot_keys;
    if (total.snapshot_damage.empty()) total.snapshot_damage = r->snapshot_damage;
    if (r->damaged) {
      total.damaged = true;
      all_torn = all_torn && r->torn_tail;
      if (total.first_damage.empty()) total.first_damage = r->first_damage;
    }
    if (!r->fixed.empty()) total.fixed += (total.fixed.empty() ? "" : "; ") + r->fixed;
  }
  total.torn_tail = total.damaged && all_torn;
  return total;
}

}  // namespace walnut
