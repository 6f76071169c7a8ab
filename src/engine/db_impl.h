// DBImpl: the engine behind walnut::DB — index, write path with group
// commit, the background syncer, and compaction.
//
// The write path (why acknowledged writes survive):
//  1. Under mu_, a batch is validated as a whole, applied to the index, and
//     encoded as one record appended to pending_ (memory), with the next
//     sequence number.
//  2. A writer that needs its record written becomes the flush leader if
//     none is active: it takes all of pending_ (its own record and everyone
//     else's), writes it with one write() outside the lock, and with fsync
//     always also one fdatasync — group commit. The others wait on cv_ and
//     find their records covered when the leader publishes written_seq_ /
//     synced_seq_.
//  3. Only then does Write return. So a SIGKILL after a return cannot lose
//     the record (it is in the kernel), and with kAlways neither can a power
//     loss (it is on disk).
// A failed write or sync is sticky: every later write fails with it. After a
// failed fsync the kernel may have dropped the dirty pages, so retrying and
// then reporting success would be a lie (the PostgreSQL fsync lesson).
//
// Space is reserved before a write is accepted (the full-disk invariant):
// the active segment is preallocated, and before a batch touches the index
// the engine makes sure the segment has room reserved for every byte already
// accepted plus this record (growing the reservation or rolling over early
// if not). If the disk cannot give that room, the batch is refused with
// NoSpace before anything changed, and the engine is "disk full": writes are
// refused up front, reads go on, and the reservation is retried about once a
// second (by the background thread, or by a write) until it succeeds, when
// writes are accepted again. Nothing is sticky about that: no write failed.
// A write can therefore not fail for want of space once accepted; if one
// fails anyway (EIO, or ENOSPC on a file system that lied about the
// reservation), that is the sticky write error above.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "engine/keyspace.h"
#include "engine/recovery.h"
#include "walnut/db.h"
#include "walnut/env.h"

namespace walnut {

class DBImpl final : public DB {
 public:
  DBImpl(std::string dir, Options options);
  ~DBImpl() override;

  Status OpenImpl();

  // ---- For PartitionedDB (partitioned_db.h), which runs one DBImpl per
  // partition. Open comes in two steps so that every partition's recovery
  // finishes (in parallel) before any of them accepts a write:
  // RecoverPhase replays the log, not applying the records in `skip`, and may
  // run again with a larger skip set; StartPhase opens the active segment and
  // starts the background threads, rewriting the log first when `rewrite`.
  Status RecoverPhase(const std::unordered_set<uint64_t>* skip, RecoveryOutcome* out);
  Status StartPhase(bool rewrite);
  // Multi-partition writes (db_impl_cross.cc). The caller locks every
  // participant with LockForCross, in partition order, while holding the
  // PartitionedDB's cross lock (so no atomic group is open anywhere).
  std::unique_lock<std::mutex> LockForCross() { return LockForeground(); }
  // Space for multi-partition parts. A part is one record: its frame, the
  // kTxn op, and `ops_bytes` of ops; like any record it is placed only below
  // the reservation (the full-disk invariant in the class comment, and what
  // keeps the zeros written ahead off records: db_impl_segments.cc).
  // Whether such a part fits now, without waiting: *room is false while the
  // partition is full, rolling over or short of reserved room. Fails only if
  // the partition refuses writes for good. Requires mu_ (LockForCross).
  Status RoomForCrossLocked(uint64_t ops_bytes, bool* room);
  // Makes that room, as a write does (may wait, may roll over, may enter or
  // leave the disk-full state; NoSpace: refused up front). Takes mu_.
  Status ReserveForCross(uint64_t ops_bytes);
  // Makes room for `bytes` more ops in this thread's open atomic group (its
  // frame is already counted), as a write does; NoSpace: refused up front.
  // Takes mu_.
  Status ReserveInGroup(uint64_t bytes);
  // This partition belongs to a directory of `partitions` partitions: every
  // record frame it reserves counts a kTxn op for that many, so that any
  // record, or an atomic group's, can become a part of a cross write.
  void SetCrossPartitions(uint32_t partitions);
  uint64_t NextSeqLocked() const { return last_seq_ + 1; }
  // Checks a batch as Write would, without applying it.
  Status ValidateBatch(const WriteBatch& batch) const;
  // Decodes and checks every op of a batch as Write would (all or nothing).
  // Every partition has the same limits, so one partition's check of a whole
  // multi-partition batch is the check of each of its parts.
  Status DecodeBatch(const WriteBatch& batch, std::vector<DecodedOp>* ops) const;
  // In AppendCrossLocked's `dest`: an op without a key, which every part has.
  static constexpr uint32_t kEveryPartition = UINT32_MAX;
  // Applies this partition's part of a decoded, validated multi-partition
  // write (the ops whose dest is `self` or kEveryPartition, in order) and
  // appends it as one record that starts with txn_op, even if no op changed
  // anything: recovery looks for every part.
  uint64_t AppendCrossLocked(std::span<const DecodedOp> ops, std::span<const uint32_t> dest,
                             uint32_t self, std::string_view txn_op);
  // Closes this thread's open atomic group as one part of a cross write.
  void CloseGroupCrossLocked(std::string_view txn_op);
  // Drops this thread's open group without logging it (its ops stay applied
  // in memory: only for a group that failed in another partition).
  void AbortGroup();
  // FlushLog(sync=true) for a background caller: writes what is pending
  // (holding the flush token for the write only) and then syncs what is
  // written without the token, so writers go on during the fdatasync.
  Status SyncBesideWriters();
  // Whether FlushLog(sync) would have anything to do.
  bool NeedsFlush(bool sync);
  // Run by compaction after its image is durable and before it is installed
  // (compaction.cc explains why PartitionedDB syncs every partition there).
  void SetBeforeInstall(std::function<Status()> fn) { before_install_ = std::move(fn); }
  // Start-up applies the replayed ops on a second thread (RecoveryParams::
  // replay_thread): for a partition that does not need every core for itself.
  void SetReplayThread(bool on) { replay_thread_ = on; }
  // The caller already holds DIR/LOCK (re-partitioning a single-log directory).
  void SkipDirLock() { lock_dir_ = false; }

  Status Close() override;
  Status Put(std::string_view key, std::string_view value, const WriteOptions& wo) override;
  Status Delete(std::string_view key, const WriteOptions& wo) override;
  Status Write(const WriteBatch& batch, const WriteOptions& wo) override;
  Result<uint64_t> WriteDeferred(const WriteBatch& batch, bool more_follows) override;
  Status FlushLog(bool sync) override;
  Status Sync() override;
  Result<std::string> Get(std::string_view key) override;
  Status Read(uint32_t db, std::string_view key,
              const std::function<void(std::string_view, int64_t)>& fn, bool touch) override;
  // Read of a key whose hash (HashKey) the caller has: PartitionedDB hashes
  // once, for the route and the lookup.
  Status ReadHashedOne(uint32_t db, std::string_view key, uint64_t hash,
                       const std::function<void(std::string_view, int64_t)>& fn, bool touch);
  Status ReadMany(uint32_t db, std::span<const std::string_view> keys,
                  const ReadManyFn& fn) override;
  // ReadMany of keys[k] (hash hashes[k]) under one lock, at most kMaxPrefetch
  // of them; fn is given index[k]. PartitionedDB hands each partition its
  // runs of keys this way, hashed once for routing and lookup alike.
  // prefetch: fetch the keys' index memory first (PartitionedDB has done it
  // for all of a command's keys before handing out the runs).
  Status ReadHashed(uint32_t db, std::span<const std::string_view> keys, const uint64_t* hashes,
                    const size_t* index, bool prefetch, const ReadManyFn& fn);
  bool Exists(uint32_t db, std::string_view key) override;
  void Prefetch(uint32_t db, std::span<const std::string_view> keys) override;
  // Prefetch with the keys' hashes already computed (PartitionedDB routes
  // by the same hash); at most kMaxPrefetch of them.
  void PrefetchHashes(uint32_t db, std::span<const uint64_t> hashes);
  Result<uint64_t> IdleSeconds(uint32_t db, std::string_view key) override;
  uint64_t KeyCount(uint32_t db) override;
  uint64_t Scan(
      uint32_t db, uint64_t cursor, size_t count,
      const std::function<void(std::string_view, std::string_view, int64_t)>& fn) override;
  Result<std::string> RandomKey(uint32_t db) override;
  uint64_t SweepExpired(size_t budget) override;
  Result<CompactionReport> Compact() override;
  // The automatic compaction policy (Options::auto_compact), for whoever
  // runs it (this partition's thread, or PartitionedDB's for all of them):
  // the bytes a compaction would reclaim if the policy says one is due now
  // (log past compact_min_log_bytes and at least compact_garbage_ratio of it
  // dead), else 0.
  uint64_t CompactionDue();
  // Compact() on the policy's behalf: counted in DbStats::auto_compactions,
  // and logged, with why it failed if it did.
  Result<CompactionReport> CompactForPolicy();
  // Makes a running compaction give up soon, ahead of Close(): a thread
  // outside this object may be in Compact() and must be joined first.
  void BeginClose() { closing_ = true; }
  // Tests only: called by a compaction with mu_ held at the end of each step
  // of its copy (see YieldToForeground).
  void SetCompactionStepHookForTest(std::function<void()> hook) { step_hook_ = std::move(hook); }
  // Tests only: the newest record encoded, read without mu_ (call it from a
  // step hook, which holds mu_).
  uint64_t LastSeqForTest() const { return last_seq_; }
  // Tests only: how many callers wait for mu_ in LockForeground.
  uint32_t ForegroundWaitingForTest() const { return fg_waiting_.load(); }
  DbStats Stats() override;
  const Options& options() const override { return opts_; }
  const std::string& dir() const override { return dir_; }
  int64_t NowMs() const override;

 private:
  using Lock = std::unique_lock<std::mutex>;

  // Foreground first. A std::mutex is not fair: a thread that releases it
  // and takes it again at once almost always beats a waiter, which must
  // first be woken and scheduled. Background work that holds mu_ in a loop
  // of short steps (compaction's copy of the keyspace, the snapshot loader)
  // would so keep the threads serving requests waiting for most of its
  // run: during a 10M-key compaction, foreground SETs fell to 20-30% of
  // their idle rate with a p99 of 18-22 ms. Calls made for requests take
  // mu_ with LockForeground, which counts them while they wait; background
  // loops call YieldToForeground between steps (mu_ not held), which lets
  // the waiters take it first. Only an ordering among lockers: what mu_
  // guards is unchanged.
  Lock LockForeground() const {
    fg_waiting_.fetch_add(1, std::memory_order_relaxed);
    Lock lk(mu_);
    fg_waiting_.fetch_sub(1, std::memory_order_release);
    fg_locks_.fetch_add(1, std::memory_order_relaxed);
    return lk;
  }
  // Called between steps, mu_ not held. If requests used mu_ since the last
  // call (*seen: the count then) or wait for it now, returns once every
  // waiter has taken it (at most kYieldLimit, so that the background work
  // always progresses), and then after kBackoff more: a request takes mu_
  // several times (an event-loop turn: once per command), and handing it
  // over once per step would still make each of those wait for a step.
  void YieldToForeground(uint64_t* seen) const;
  static constexpr std::chrono::milliseconds kYieldLimit{50};
  static constexpr std::chrono::microseconds kBackoff{100};

  void Log(LogLevel level, std::string_view msg) const;
  Status PrepareDir();           // creates and locks the directory, removes temp files
  Status CheckWritable() const;  // requires mu_
  // Waits until no other thread's atomic group is open. Requires mu_.
  Status WaitForGroup(Lock& lk);
  // Validates, applies and encodes a batch (see the class comment).
  Status AppendLocked(Lock& lk, const WriteBatch& batch, bool more_follows, uint64_t* seq);
  Status ValidateAndApplyLocked(const WriteBatch& batch, bool more_follows, uint64_t* seq);
  // Ends the open atomic group; with log_it its ops become one record.
  void CloseGroupLocked(bool log_it);
  // Returns once records up to `target` are written (and synced if asked).
  Status FlushLocked(Lock& lk, uint64_t target, bool sync);
  // Writes pending_ to the active segment (and syncs it if asked); a failure
  // is sticky (write_error_). Requires mu_ and the flush token (flushing_);
  // releases mu_ during I/O.
  Status WriteOutLocked(Lock& lk, bool sync);
  // Seals the active segment and starts the next, with room reserved for
  // what is pending plus `need` bytes. Requires mu_ and the flush token;
  // releases mu_ during I/O. NoSpace (not sticky): the next segment could not
  // be created, and the active one stays as it was, reservation and all.
  Status RollOverLocked(Lock& lk, uint64_t need);
  // Creates segment `id` with `reserve` bytes preallocated (header included).
  Result<std::shared_ptr<WritableFile>> CreateSegment(uint64_t id, uint64_t first_seq,
                                                      uint64_t reserve);
  // The two halves of CreateSegment (db_impl_segments.cc). MakeSegmentFile
  // writes a temp file of `reserve` bytes, all zeros, synced; PublishSegment
  // gives it its header, syncs, renames it to segment `id` and syncs the
  // directory, and returns it open for appending after the header.
  Status MakeSegmentFile(const std::string& tmp, uint64_t reserve);
  Result<std::shared_ptr<WritableFile>> PublishSegment(const std::string& tmp, uint64_t id,
                                                       uint64_t first_seq);
  // Makes the next segment's file ahead of need (next_segment_), so that a
  // rollover only has to publish it. Run by the background threads; takes mu_.
  void PrepareNextSegment();
  // Cuts sealed segments to their logical size (untrimmed_), after the
  // rollover that sealed them let writers go on. Takes mu_.
  void TrimSealedSegments();
  // Syncs what is written to the active segment without holding the flush
  // token, so writers go on meanwhile: the everysec syncer, and ahead of a
  // seal so that it has little left to sync. Takes mu_.
  void SyncWrittenNow();
  // Bytes written but not synced beyond which the background thread syncs
  // them ahead (modes other than always), so that a seal never has a whole
  // segment of dirty pages to sync while writers wait.
  static constexpr uint64_t kSyncAheadBytes = 8ull << 20;

  // ---- Space reservation (the full-disk invariant in the class comment).
  // Bytes accepted for the active segment: written, being written, pending,
  // and an open group's ops with the frame they will get.
  uint64_t AcceptedEndLocked() const;
  // The size to reserve the active segment to, growing from `from`.
  uint64_t ReserveTarget(uint64_t from) const;
  // Returns once the active segment has room for `need` more bytes beyond
  // what is accepted and no other thread's group is open, or with the reason
  // it cannot (NoSpace: refused up front, the disk-full state). May release
  // mu_ while it waits or allocates.
  Status ReserveLocked(Lock& lk, uint64_t need);
  // Grows the active segment's reservation, or rolls over, so that `need`
  // more bytes fit. Requires mu_ and the flush token.
  Status MakeRoomLocked(Lock& lk, uint64_t need);
  // Reserves a file's space up to `len` the way Options::log_prefill says:
  // written zeros (zero_fill_) or fallocate.
  Status ReserveFile(WritableFile* file, uint64_t len);
  // With zero_fill_: whether the background thread should grow the active
  // segment's reservation now (less than half a step left, nothing else
  // changing the file). Requires mu_.
  bool ReserveAheadDueLocked() const;
  // Grows the active segment's reservation by a step of written zeros, off
  // the writers' path (db_impl_segments.cc "Reserved ahead"). Takes mu_.
  void ReserveAhead();
  // Takes the flush token and runs MakeRoomLocked, entering or leaving the
  // disk-full state by the outcome.
  Status TryMakeRoomLocked(Lock& lk, uint64_t need);
  void EnterDiskFullLocked(const Status& s, uint64_t need);
  // With zero_fill_: asks the background thread for the next step of the
  // reservation if it is due and not asked for yet. Requires mu_.
  void AskReserveAheadLocked();
  void SyncThreadMain();
  // The automatic compaction policy (Options::auto_compact).
  void CompactThreadMain();
  uint64_t DeadBytesLocked() const;
  uint64_t LogBytesLocked() const;
  Status CompactOnce(CompactionReport* report, bool* retry);

  const std::string dir_;
  const Options opts_;
  Env* const env_;
  const bool zero_fill_;  // Options::log_prefill resolved: reserve with written zeros
  // Bytes every reserved record frame adds for a kTxn op (SetCrossPartitions;
  // 0 outside a partitioned directory).
  uint64_t cross_frame_extra_ = 0;
  // The room a record takes besides its ops, as every reservation counts it:
  // header, batch prefix, and a kTxn op if the record may become a part.
  uint64_t FrameBytes() const;
  std::unique_ptr<FileLock> dir_lock_;

  mutable std::mutex mu_;
  mutable std::atomic<uint32_t> fg_waiting_{0};  // callers blocked in LockForeground
  mutable std::atomic<uint64_t> fg_locks_{0};    // LockForeground calls so far
  std::function<void()> step_hook_;              // SetCompactionStepHookForTest
  std::condition_variable cv_;                   // flushes finished, groups closed
  Keyspace ks_;                                  // guarded by mu_
  std::mt19937_64 rng_{0x5eed};                  // guarded by mu_ (RANDOMKEY)

  // Log state, guarded by mu_.
  std::string pending_;  // encoded records not yet written
  std::string spare_;    // recycled buffer for pending_
  // ValidateAndApplyLocked's decoded ops, kept for the next batch: a vector
  // made per write cost an allocation per SET (~3% of its instructions).
  std::vector<DecodedOp> decoded_;
  uint64_t last_seq_ = 0;        // newest record encoded
  uint64_t written_seq_ = 0;     // newest record written to the OS
  uint64_t synced_seq_ = 0;      // newest record known durable
  bool flushing_ = false;        // a leader is writing, syncing or rolling over
  bool rolling_ = false;         // a rollover is under way: reservations wait for it
  uint64_t inflight_ = 0;        // bytes a leader is writing right now
  uint64_t unsynced_bytes_ = 0;  // written to the active segment, not known synced
  uint64_t reserved_ = 0;        // the active segment's reserved size (its file size)
  // Reserved ahead (zero_fill_): the background thread is writing zeros past
  // reserved_ (growing_), so nothing else may grow, seal or write past
  // reserved_ until it is done; a writer is growing the reservation itself
  // (allocating_), so the background thread must not; the background thread
  // was asked to grow (grow_asked_).
  bool growing_ = false;
  bool allocating_ = false;
  bool grow_asked_ = false;
  Status write_error_;  // sticky; see the class comment
  // The disk-full state (class comment): writes are refused with
  // space_error_ until a reservation of space_need_ more bytes succeeds,
  // tried again no earlier than space_retry_at_.
  bool disk_full_ = false;
  Status space_error_;
  uint64_t space_need_ = 0;
  std::chrono::steady_clock::time_point space_retry_at_;
  bool closed_ = false;

  bool group_open_ = false;
  std::thread::id group_owner_;
  std::string group_ops_;
  uint32_t group_count_ = 0;

  std::shared_ptr<WritableFile> active_;  // shared: the syncer may hold it
  // The next segment's file, made ahead (PrepareNextSegment): a temp file,
  // so that a crash leaves nothing recovery reads (open removes *.tmp).
  struct NextSegment {
    std::string path;
    uint64_t size = 0;
  };
  std::optional<NextSegment> next_segment_;
  bool making_next_ = false;          // a thread is making next_segment_
  uint64_t next_serial_ = 0;          // names the files made ahead
  bool next_failure_logged_ = false;  // log a failure to make one once
  // Sealed segments whose unused reserved tail is not cut yet.
  std::vector<SegmentFile> untrimmed_;
  uint64_t active_id_ = 0;
  std::vector<SegmentFile> segments_;  // every live segment, active last
  uint64_t base_seq_ = 0;              // current base image (0: none)
  uint64_t base_bytes_ = 0;
  uint64_t swap_epoch_ = 0;  // bumped by SWAPDB (compaction restarts)

  // Statistics, guarded by mu_.
  uint64_t syncs_ = 0;
  uint64_t writes_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t compactions_ = 0;
  uint64_t rollovers_ = 0;
  uint64_t rollovers_made_ahead_ = 0;
  uint64_t reserved_ahead_ = 0;   // reservation steps the background thread made
  uint64_t reserved_inline_ = 0;  // reservation steps a writer had to make itself
  uint64_t rollover_usec_ = 0;
  uint64_t rollover_usec_max_ = 0;
  // ks_.slots_moved() at the background thread's last look (SyncThreadMain).
  uint64_t resize_moved_seen_ = 0;
  int64_t last_sync_ms_ = 0;
  RecoveryReport recovery_;
  int64_t opened_ms_ = 0;
  uint64_t max_segment_id_ = 0;  // from recovery: new segments get higher ids
  bool dropped_data_ = false;    // recovery accepted damage: rewrite at start
  uint64_t expired_at_open_ = 0;
  std::function<Status()> before_install_;
  bool replay_thread_ = false;
  bool lock_dir_ = true;
  bool prepared_ = false;  // PrepareDir ran (a second RecoverPhase is a re-run)

  std::mutex compact_mu_;  // one compaction at a time; Close waits for it
  std::atomic<bool> compacting_{false};
  std::atomic<bool> closing_{false};  // makes a running compaction give up
  uint64_t auto_compactions_ = 0;     // guarded by mu_
  std::thread compact_thread_;

  // ---- Values on disk (db_impl_values.cc; docs/memory.md). Entries loaded
  // from a snapshot (snapshot.h), and under max-memory every entry whose
  // value was written to a file, know where the value lies (Entry's
  // DiskLoc); an on-disk entry is read from there when needed.
  struct ValueFile {
    std::string path;
    std::shared_ptr<RandomAccessFile> reader;  // opened on first use
  };
  // The open file a DiskLoc names. Requires mu_. The shared_ptr keeps it
  // readable after compaction removes it (a reader that has let go of mu_).
  Result<std::shared_ptr<RandomAccessFile>> ValueFileLocked(uint32_t file, std::string* path);
  // Reads the on-disk value of e under mu_ (checked; never cached).
  Status ReadValueLocked(const Entry* e, std::string* out);
  // Reads the on-disk value of e and keeps it in memory (MaterializeLocked)
  // and gives the entry that replaced e.
  Result<Entry*> MaterializeLocked(uint32_t db, Entry* e);
  // Replaces on-disk entry e of db by one holding `value` (read from e's
  // location); returns it.
  Entry* CacheLocked(uint32_t db, Entry* e, std::string_view value, bool touch);
  // A read counts as an access: OBJECT IDLETIME's clock, and CLOCK's
  // reference bit under max-memory (keeps the value cached).
  void TouchLocked(Entry* e, int64_t now) {
    e->access_s = uint32_t(now / 1000);
    if (opts_.max_memory_bytes > 0) e->flags |= Entry::kRef;
  }
  // Both rounds of PrefetchHashes, with mu_ held. Always inlined: a call to a
  // function that only prefetches has no effect GCC can see, and it deletes
  // the call (it did, and MGET's lookups waited for memory one by one).
  [[gnu::always_inline]] static void PrefetchLocked(const HashIndex& index,
                                                    std::span<const uint64_t> hashes) {
    // Two rounds, as recovery does it: every home slot first, then each
    // matching entry. The first slot is the only one the second round waits
    // for; the others arrive meanwhile, and the entries arrive while the
    // caller works through its first requests.
    for (uint64_t h : hashes) index.Prefetch(h);
    // Three lines of each entry: its header and key, and a value of up to
    // ~150 bytes, which a GET copies into its reply (measured: 3% less server
    // CPU per GET -P16 with 100-byte values than with one line).
    for (uint64_t h : hashes) index.PrefetchEntry(h, 3);
  }
  // Read() of an on-disk entry: reads the value with mu_ released.
  Status ReadFromDisk(Lock& lk, uint32_t db, std::string_view key, Entry* e,
                      const std::function<void(std::string_view, int64_t)>& fn, bool touch,
                      int64_t now);
  // max-memory: `buf` (whole records) was just written at `offset` of
  // segment `id`; the entries still holding those values learn where they
  // lie, and become evictable.
  void LocateWrittenLocked(std::string_view buf, uint64_t id, uint64_t offset);
  // max-memory: drops cached values (CLOCK) while more than the budget is
  // cached, looking at no more than max_slots index slots.
  void EvictLocked(size_t max_slots);
  // A SWAPDB was applied (compaction restarts, or maps its relocations).
  void NoteSwapLocked(const DecodedOp& op);
  // Compaction under max-memory: entries whose value lies in a file of
  // `old_files` get the location the new image's snapshot gives
  // (compaction.cc explains why this is safe).
  Status RelocateFromHint(const std::string& hint_path, uint64_t covered, uint64_t base_size,
                          uint32_t new_file, const std::vector<uint32_t>& old_files);
  void LoaderMain();
  std::map<uint32_t, ValueFile> value_files_;  // by DiskLoc::file; guarded by mu_
  uint32_t base_file_ = 0;                     // the current base image's DiskLoc::file (0: none)
  uint32_t next_base_number_ = 1;              // for kBaseFileTag | n
  uint32_t loader_file_ = 0;                   // the image LoaderMain reads
  std::string loader_path_;
  std::thread loader_thread_;
  // SWAPDBs applied while a compaction is relocating (compaction.cc).
  bool track_swaps_ = false;
  std::vector<std::pair<uint32_t, uint32_t>> swaps_;
  uint64_t evictions_ = 0;  // statistics, guarded by mu_
  uint64_t disk_reads_ = 0;
  uint64_t disk_read_bytes_ = 0;

  std::thread sync_thread_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stop_sync_ = false;  // guarded by sync_mu_
  bool sync_wake_ = false;  // guarded by sync_mu_: a rollover left work (trim, next file)
};

}  // namespace walnut
