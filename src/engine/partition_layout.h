// The on-disk layout of a partitioned data directory:
//
//   DIR/LOCK         held by the process that has the directory open
//   DIR/PARTITIONS   "walnut-partitions 1\ncount N\ngeneration G\n" + checksum
//   DIR/gG-pXXX/     partition XXX of generation G: a complete single-log
//                    directory (segments, base image, its own LOCK)
//
// PARTITIONS is the one source of truth: it is replaced atomically (temp +
// fsync + rename + directory fsync), so a re-partitioning builds generation
// G+1 beside G and switches by rewriting this file; a crash on either side of
// the rename leaves one complete generation in charge. Directories of other
// generations, and single-log files beside a PARTITIONS file, are leftovers
// of a switch whose clean-up a crash interrupted, and are removed at open.
// A directory without PARTITIONS is either new or a single-log directory
// (the log files directly in DIR).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "walnut/env.h"
#include "walnut/status.h"

namespace walnut {

struct PartitionLayout {
  uint32_t count = 0;       // 0: no PARTITIONS file
  uint64_t generation = 0;  // of the partition directories
  bool single_log = false;  // no PARTITIONS file, but single-log files in DIR
};

inline constexpr char kPartitionsFile[] = "PARTITIONS";

// Reads DIR's layout; Corruption if PARTITIONS exists but is damaged.
Result<PartitionLayout> ReadPartitionLayout(Env* env, const std::string& dir);
// Creates the partition directories of `layout`, then (the switch) writes
// PARTITIONS atomically.
Status CreatePartitionDirs(Env* env, const std::string& dir, const PartitionLayout& layout);
Status WritePartitionsFile(Env* env, const std::string& dir, const PartitionLayout& layout);
std::vector<std::string> PartitionDirs(const std::string& dir, const PartitionLayout& layout);
// Removes what a crash during a re-partitioning's clean-up left behind.
Status RemoveStalePartitionFiles(Env* env, const std::string& dir, const PartitionLayout& layout);
// Removes a generation's partition directories (best effort, logged by caller).
Status RemoveGeneration(const std::string& dir, uint64_t generation);

}  // namespace walnut
