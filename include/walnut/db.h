// walnut::DB — the embeddable storage engine.
//
// A DB is a directory holding a checksummed, segmented write-ahead log. Every
// change is a log record before it is visible to a caller as done; Open
// replays the log into an in-memory hash index. See docs/wal_format.md for
// the bytes and docs/recovery.md for what happens after a crash.
//
// Thread safety: every method may be called from any thread at once.
// Errors: every fallible call returns Status or Result<T>; nothing throws.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "walnut/options.h"
#include "walnut/status.h"
#include "walnut/write_batch.h"

namespace walnut {

struct RecoveryReport {
  uint64_t segments = 0;           // segment files replayed
  uint64_t records = 0;            // log records replayed
  uint64_t bytes = 0;              // log bytes replayed
  uint64_t keys = 0;               // live keys after replay
  double seconds = 0;              // wall time of the replay
  uint64_t torn_tail_bytes = 0;    // bytes cut from the newest segment's end
  uint64_t skipped_bytes = 0;      // bytes dropped by kPointInTime/kSkipCorrupted
  uint64_t snapshot_keys = 0;      // keys loaded from a snapshot, values left on disk
  std::vector<std::string> notes;  // one line per damage found and handled
};

struct DbStats {
  std::vector<uint64_t> keys_per_db;       // live keys (expired-but-unswept included)
  std::vector<uint64_t> expires_per_db;    // keys with an expiry
  std::vector<int64_t> avg_ttl_ms_per_db;  // their mean remaining TTL (0: none)
  uint64_t last_seq = 0;                   // sequence of the newest record
  uint64_t written_seq = 0;                // newest record handed to the OS
  uint64_t synced_seq = 0;                 // newest record known to be on disk
  uint64_t log_bytes = 0;                  // bytes of all segment files
  uint64_t segments = 0;                   // number of segment files
  uint64_t rollovers = 0;                  // segments sealed since open
  uint64_t rollovers_made_ahead = 0;       // of which to a next file made ahead
  uint64_t rollover_usec = 0;              // writers' total wait on rollovers
  uint64_t rollover_usec_max = 0;          // the longest one
  uint64_t next_segments_ready = 0;        // next-segment files made ahead, unused
  bool log_zero_fill = false;              // reserved with written zeros (Options::log_prefill)
  uint64_t reserved_ahead = 0;             // reservation steps the background thread made
  uint64_t reserved_inline = 0;            // reservation steps a writer made itself
  uint64_t live_bytes = 0;                 // key+value bytes in the index
  uint64_t index_resizing = 0;             // hash tables being resized (incrementally) now
  uint64_t syncs = 0;                      // fdatasync calls made
  uint64_t writes = 0;                     // write batches committed
  uint64_t bytes_written = 0;              // log bytes written since open
  uint64_t compactions = 0;                // compactions completed since open
  uint64_t auto_compactions = 0;           // of which started by the policy
  uint64_t dead_bytes_estimate = 0;        // log bytes not needed for the live data (approx.)
  bool compacting = false;                 // a compaction is running now
  int64_t last_sync_ms = 0;                // wall time of the last good sync
  std::string write_error;                 // non-empty: writes are refused until reopened
  // Keys whose value is only on disk: loaded from a snapshot and not read
  // yet, or evicted under Options::max_memory_bytes.
  uint64_t values_on_disk = 0;
  uint64_t max_memory = 0;             // Options::max_memory_bytes (0: off)
  uint64_t value_bytes_in_memory = 0;  // bytes of the values held in memory
  uint64_t value_evictions = 0;        // cached values dropped (kept on disk) since open
  uint64_t value_disk_reads = 0;       // values read from disk on demand since open
  uint64_t value_disk_read_bytes = 0;  // and their bytes
  // The disk had no room for the log: writes are refused up front (nothing
  // is changed) and resume on their own once space is freed; reads go on.
  bool disk_full = false;
  std::string disk_full_error;  // why, while disk_full
  uint32_t partitions = 1;      // independent logs (Options::partitions)
  RecoveryReport recovery;
};

struct CompactionReport {
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  uint64_t keys_written = 0;
  double seconds = 0;
};

class DB {
 public:
  // Opens (creating if allowed) the database in `dir`. Fails with kBusy if
  // another process holds the directory (the message names its pid), with
  // kCorruption (naming file, offset and cause) if the log is damaged beyond
  // what options.recovery accepts.
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, Options options);

  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the database (see Close); errors are logged.
  virtual ~DB() = default;

  // Writes and syncs what is pending, stops background threads and releases
  // the directory lock. Later calls fail with kClosed.
  virtual Status Close() = 0;

  // ---- Writes. Each returns once its record is written to the OS (and, in
  // FsyncMode::kAlways or with WriteOptions::sync, synced to disk).
  virtual Status Put(std::string_view key, std::string_view value,
                     const WriteOptions& wo = {}) = 0;  // database 0, no expiry
  virtual Status Delete(std::string_view key, const WriteOptions& wo = {}) = 0;
  // All of the batch or none of it, also across a crash.
  virtual Status Write(const WriteBatch& batch, const WriteOptions& wo = {}) = 0;

  // ---- Deferred writes, for an event loop that acknowledges many requests
  // at once. The batch is applied to the index and appended to the in-memory
  // log buffer, but not yet written: the caller must not acknowledge it
  // before a later FlushLog() returns OK. Returns the record's sequence.
  //
  // more_follows=true opens an atomic group (MULTI/EXEC): this batch and the
  // following deferred batches are applied to the index at once, so later
  // commands of the group read earlier ones' effects, but they reach the log
  // as ONE record, written when a call with more_follows=false closes the
  // group. Other writers wait while a group is open; the thread that opened
  // it must close it and must not call Write/Put/Delete meanwhile.
  virtual Result<uint64_t> WriteDeferred(const WriteBatch& batch, bool more_follows = false) = 0;
  // Writes every pending record to the OS, and syncs them if the fsync mode
  // is kAlways or `sync` is true. One call covers all pending writers.
  virtual Status FlushLog(bool sync = false) = 0;
  // Syncs everything written so far (WAITAOF).
  virtual Status Sync() = 0;

  // ---- Reads. Expired keys are never returned.
  virtual Result<std::string> Get(std::string_view key) = 0;  // database 0
  // Calls fn(value, expire_at_ms) under the engine's lock, if the key exists;
  // fn must not call back into the DB. Returns NotFound otherwise. With
  // touch=false the read does not count as an access (OBJECT, TTL).
  virtual Status Read(uint32_t db, std::string_view key,
                      const std::function<void(std::string_view value, int64_t expire_at_ms)>& fn,
                      bool touch = true) = 0;
  // Reads several keys of one database, each as Read does (touching it):
  // calls fn(i, value, expire_at_ms) for each keys[i] that exists, in
  // increasing i, under the engine's lock; fn must not call back into the DB.
  // Each key is hashed once, the keys' index memory is fetched together
  // (as Prefetch does), and the lock is taken once per kMaxPrefetch keys
  // (once per run of keys in one partition) instead of once per key. A key
  // whose value is on disk and cannot be read is skipped like a missing one,
  // the others still read; the first such error is returned.
  using ReadManyFn = std::function<void(size_t i, std::string_view value, int64_t expire_at_ms)>;
  virtual Status ReadMany(uint32_t db, std::span<const std::string_view> keys,
                          const ReadManyFn& fn) = 0;
  virtual bool Exists(uint32_t db, std::string_view key) = 0;
  // A hint from a caller about to look keys up one after another (a
  // pipeline of requests): starts fetching the index memory those lookups
  // will read, so that they wait for memory together rather than once per
  // key. Changes nothing; keys beyond kMaxPrefetch are ignored.
  static constexpr size_t kMaxPrefetch = 16;
  virtual void Prefetch(uint32_t db, std::span<const std::string_view> keys) = 0;
  // Seconds since the key was last read or written (OBJECT IDLETIME), without
  // counting as an access. Keys untouched since start-up count from the open.
  virtual Result<uint64_t> IdleSeconds(uint32_t db, std::string_view key) = 0;
  virtual uint64_t KeyCount(uint32_t db) = 0;
  // Resumable iteration in Redis SCAN's manner: start with cursor 0, call
  // again with the returned cursor until it is 0. Every key present for the
  // whole scan is visited at least once (possibly more), even across resizes.
  // Visits about `count` keys per call. fn runs under the engine's lock and
  // must not call back into the DB.
  virtual uint64_t Scan(uint32_t db, uint64_t cursor, size_t count,
                        const std::function<void(std::string_view key, std::string_view value,
                                                 int64_t expire_at_ms)>& fn) = 0;
  // A uniformly chosen live key, or NotFound when the database is empty.
  virtual Result<std::string> RandomKey(uint32_t db) = 0;

  // ---- Maintenance.
  // Walks about 4*budget index slots from where the last call stopped,
  // removing the expired keys it meets; returns how many it removed. Expiry
  // needs no log record: expiry times in the log are absolute.
  virtual uint64_t SweepExpired(size_t budget) = 0;
  // Rewrites the log so that it holds only live data. Reads and writes go on
  // meanwhile.
  virtual Result<CompactionReport> Compact() = 0;
  virtual DbStats Stats() = 0;
  virtual const Options& options() const = 0;
  virtual const std::string& dir() const = 0;
  // Current time as the engine sees it (Options::clock_ms or the system clock).
  virtual int64_t NowMs() const = 0;

 protected:
  DB() = default;
};

}  // namespace walnut
