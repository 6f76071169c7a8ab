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
#include <vector>

#include "engine/keyspace.h"
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

struct RecoveryOutcome {
  std::vector<SegmentFile> segments;  // what remains, in order
  uint64_t last_seq = 0;              // sequence of the last record applied
  uint64_t max_segment_id = 0;        // highest id seen, including moved-away files
  uint64_t ops = 0;
  uint64_t base_seq = 0;  // sequence covered by the loaded base image (0: none)
  std::string base_path;
  uint64_t base_bytes = 0;
  std::string first_damage;    // "path at offset N: cause"
  bool only_torn_tail = true;  // every damage found was a torn tail
  RecoveryReport report;
};

struct RecoveryParams {
  Env* env = nullptr;
  std::string dir;
  RecoveryMode mode = RecoveryMode::kStrict;
  // False: read only (walnut check); nothing is cut, moved or removed.
  bool modify_files = true;
  std::function<void(LogLevel, std::string_view)> log;
};

Status Recover(const RecoveryParams& params, Keyspace* keyspace, RecoveryOutcome* out);

// The segment files of dir, sorted by id.
Result<std::vector<SegmentFile>> ListSegments(Env* env, const std::string& dir);

}  // namespace walnut
