// Offline verification of a data directory (the `walnut check` tool).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "walnut/status.h"

namespace walnut {

struct CheckReport {
  uint32_t partitions = 1;  // a partitioned directory: figures are summed
  uint64_t segments = 0;
  uint64_t records = 0;     // valid records read
  uint64_t operations = 0;  // operations inside them
  uint64_t live_keys = 0;   // keys alive after replaying everything
  uint64_t log_bytes = 0;   // total size of the segment files
  uint64_t live_bytes = 0;  // key+value bytes of the live keys
  uint64_t dead_bytes = 0;  // log_bytes not needed to rebuild the live keys (approx.)
  bool damaged = false;
  bool torn_tail = false;    // damage limited to the newest segment's tail
  std::string first_damage;  // "file at offset N: cause", empty if none
  std::string fixed;         // what --fix did, empty if nothing
  // Snapshots (hint files) of the base images: how many are sound, and the
  // first problem found with one. A damaged snapshot loses nothing (start-up
  // loads the base image instead), so it does not make `damaged` true.
  uint64_t snapshots = 0;
  uint64_t snapshot_keys = 0;
  std::string snapshot_damage;
};

// Reads every segment of `dir` and verifies every checksum, without opening
// the database (the directory must not be in use). With fix=true, a torn tail
// of the newest segment is cut after copying the cut bytes to
// DIR/damaged/<segment>.<offset>.tail; other damage is never "fixed".
// A partitioned directory is checked partition by partition.
Result<CheckReport> CheckDirectory(const std::string& dir, bool fix);

}  // namespace walnut
