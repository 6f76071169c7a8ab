// Recovery: replays a directory's segments, in order, into a Keyspace, and
// decides what each damaged record means under the chosen RecoveryMode.
//
// The rules (docs/recovery.md):
//  - Segments are replayed in id order; record sequences must increase by one
//    across them. A gap or a repeat is damage, not something to paper over.
//  - Damage in the newest segment with no intact record after it is a torn
//    tail: the writer died mid-write. It is cut off (the cut bytes are first
//    saved under DIR/damaged/) and logged with file and offset, in every mode.
//  - Any other damage fails recovery in kStrict, naming file, offset and
//    cause; kPointInTime cuts the log there (saving what it cuts);
//    kSkipCorrupted drops just the damaged bytes and resynchronises.
//  - Replay never writes records: it only reads (and, when allowed, cuts).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/keyspace.h"
#include "engine/write_batch_internal.h"
#include "walnut/db.h"
#include "walnut/env.h"
#include "walnut/options.h"

namespace walnut {

struct SegmentFile {
  uint64_t id = 0;
  std::string path;
  uint64_t size = 0;  // valid bytes (after any cut)
  uint64_t first_seq = 0;
};

// A record that is one part of a multi-partition write (its first op is kTxn).
struct CrossRecord {
  uint64_t seq = 0;  // this record's sequence in its own partition
  uint64_t txn_id = 0;
  std::vector<TxnPart> parts;  // every part, this one included
};

struct RecoveryOutcome {
  std::vector<SegmentFile> segments;  // what remains, in order
  uint64_t last_seq = 0;              // sequence of the last record applied
  uint64_t max_segment_id = 0;        // highest id seen, including moved-away files
  uint64_t ops = 0;
  uint64_t base_seq = 0;  // sequence covered by the loaded base image (0: none)
  std::string base_path;
  uint64_t base_bytes = 0;
  uint64_t hint_entries = 0;   // keys loaded from a snapshot (values left on disk)
  std::string first_damage;    // "path at offset N: cause"
  bool only_torn_tail = true;  // every damage found was a torn tail
  // Multi-partition parts replayed from the segments (records covered by the
  // base image are not listed: compaction only covers whole writes).
  std::vector<CrossRecord> cross;
  RecoveryReport report;
};

struct RecoveryParams {
  Env* env = nullptr;
  std::string dir;
  RecoveryMode mode = RecoveryMode::kStrict;
  // False: read only (walnut check); nothing is cut, moved or removed.
  bool modify_files = true;
  std::function<void(LogLevel, std::string_view)> log;
  // Records with these sequences are read and checked but not applied: parts
  // of multi-partition writes that a crash left incomplete (partitioned_db.cc).
  const std::unordered_set<uint64_t>* skip_seqs = nullptr;
  // Load a base image's keys from its snapshot when there is a valid one
  // (the check tool reads the image itself, to verify all of it).
  bool use_hints = true;
  // max-memory (docs/memory.md). When value_budget > 0, each value loaded
  // from the base image or replayed from a segment keeps its location
  // (DiskLoc::file: base_file, or the segment's id), and stays in memory only
  // while fewer than value_budget value bytes are; the others are left on
  // disk. 0: every value in memory (except those a snapshot leaves on disk).
  uint64_t value_budget = 0;
  // Apply the replayed ops on a second thread while this one reads and
  // decodes the log (replay_inserter.h); ignored under a value budget.
  // For a partition that has a core of its own to spare.
  bool replay_thread = false;
  // DiskLoc::file of the base image's values, with or without a budget.
  uint32_t base_file = kBaseFileTag;
};

Status Recover(const RecoveryParams& params, Keyspace* keyspace, RecoveryOutcome* out);

// The segment files of dir, sorted by id.
Result<std::vector<SegmentFile>> ListSegments(Env* env, const std::string& dir);

}  // namespace walnut
