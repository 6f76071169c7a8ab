// Options: how a Walnut database is opened, written and read.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace walnut {

class Env;

// When a write's log record reaches stable storage.
enum class FsyncMode {
  // Acknowledged only after its record is fdatasync'ed. Concurrent writers
  // share one sync (group commit). Survives power loss.
  kAlways,
  // Written to the OS at once (survives a process crash), synced by a
  // background thread about every second: a power loss can lose ~1-2 s.
  kEverySec,
  // Written to the OS at once; the OS decides when it reaches the disk.
  kNo,
};

// How the log's space is reserved ahead of the appends (docs/recovery.md,
// "Reserved ahead").
enum class LogPrefill {
  // kZeros with FsyncMode::kAlways, where every write waits for a sync;
  // kFallocate otherwise, where a sync happens about once a second.
  kAuto,
  // Written zeros, synced, made by the background thread ahead of the
  // appends: a sync after an append then flushes the data alone. Each log
  // byte is written twice (zeros first).
  kZeros,
  // fallocate: instant, but the blocks stay "unwritten" until an append
  // fills them, and the first sync after that also commits the file
  // system's journal.
  kFallocate,
};

// What Open does with a damaged record (see docs/wal_format.md).
enum class RecoveryMode {
  // Default. A torn tail of the newest segment (a crash mid-write: an
  // incomplete or damaged last record with nothing valid after it) is cut off
  // and logged. Damage anywhere else fails Open with file, offset and cause.
  kStrict,
  // Stop at the first damaged record anywhere; everything after it is cut
  // (saved under DIR/damaged/ first) and Open succeeds. The log is a prefix
  // of what was written: a consistent point in time.
  kPointInTime,
  // Skip damaged records, resynchronise on the next valid one and go on.
  // Loses exactly the damaged records; may break batch atomicity across them
  // only if the damage itself spans records (each record is atomic).
  kSkipCorrupted,
};

enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct Options {
  FsyncMode fsync = FsyncMode::kEverySec;
  RecoveryMode recovery = RecoveryMode::kStrict;
  bool create_if_missing = true;
  // The active segment is sealed and a new one started past this size.
  uint64_t segment_size = 64ull << 20;
  // The active segment's disk space is reserved (fallocate) ahead of the
  // writes in steps of this many bytes (0: the whole segment at once), so
  // that fdatasync need not record a size change on every write and a full
  // disk is found before a write is accepted (docs/recovery.md).
  uint64_t preallocate_bytes = 4ull << 20;
  LogPrefill log_prefill = LogPrefill::kAuto;
  // Redis's limits: 512 MiB per key and per value.
  uint64_t max_key_size = 512ull << 20;
  uint64_t max_value_size = 512ull << 20;
  // Automatic compaction (the original design's "when to compact"): a
  // background thread rewrites the log when it has grown past
  // compact_min_log_bytes AND at least compact_garbage_ratio of it is
  // estimated dead (overwritten, deleted or expired data). The defaults
  // bound the log at about twice the live data.
  bool auto_compact = true;
  uint64_t compact_min_log_bytes = 16ull << 20;
  double compact_garbage_ratio = 0.5;
  // Upper bound on the rate at which compaction writes its image, so that
  // foreground writes keep the disk; 0 means unlimited.
  uint64_t compact_rate_bytes_per_sec = 256ull << 20;
  // Nice increment (0..19) for the threads that compact and that load a
  // snapshot's values in the background, so that on a busy CPU the threads
  // serving requests come first; 0 runs them at the caller's priority. On an
  // idle core they run at full speed either way.
  int background_nice = 10;
  // Number of numbered databases (Redis SELECT). Fixed for the life of the
  // directory's data: records naming a db >= this fail Open.
  uint32_t num_databases = 16;
  // Partitions (docs/partitions.md): the keyspace is split by a hash of the
  // key into this many independent logs, each in its own subdirectory,
  // recovered in parallel. 0 means: the count the directory already has, or
  // for a new directory one per CPU core (at most 16), or 1 with
  // FsyncMode::kAlways (PartitionedDB::DefaultCount). 1 keeps the single-log
  // layout (the log files directly in the directory). A directory holding a
  // different count is re-partitioned when it is opened.
  uint32_t partitions = 1;
  // Data larger than memory (docs/memory.md). 0 (the default): every value
  // is kept in memory. Otherwise at most about this many bytes of values are
  // cached in memory; the others stay in the log segments and the base
  // image, where the index keeps their location (file, offset, checksum),
  // and are read with pread when needed (checked against the checksum; a
  // mismatch is an error, never wrong data). Keys, expiry times and the
  // index always stay in memory. Values read lately are kept first (CLOCK).
  // A partitioned database gives each partition an equal share.
  uint64_t max_memory_bytes = 0;
  // Where the engine reports what it does (recovery progress, cut tails,
  // sync errors). Null: messages at kWarning and above go to stderr.
  std::function<void(LogLevel, std::string_view)> logger;
  // Wall clock in Unix milliseconds, used for expiry. Null: the system clock.
  // Tests replace it to make expiry deterministic.
  std::function<int64_t()> clock_ms;
  // File-system access; null means Env::Default(). Not owned; must outlive the DB.
  Env* env = nullptr;
};

struct WriteOptions {
  // Wait until the record is durable regardless of the fsync mode.
  bool sync = false;
};

}  // namespace walnut
