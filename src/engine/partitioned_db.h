// PartitionedDB: a DB split into N partitions by a hash of the key, each a
// DBImpl with its own log, index, lock and background threads in its own
// subdirectory. Recovery runs the partitions in parallel; writes to different
// partitions never share a lock or a file.
//
// A write that touches several partitions (MSET, DEL k1 k2, EXEC, FLUSHALL)
// must stay all-or-nothing across a crash although it lands in several logs.
// The protocol (docs/partitions.md):
//  - Under the cross lock (one multi-partition write at a time) the
//    participants' locks are taken in partition order, each partition's next
//    record sequence is read, and every participant appends its part as ONE
//    record whose first op (kTxn) names the write's id and the sequence of
//    every part. Then the locks are released.
//  - A multi-partition write is acknowledged only after every participant has
//    written (and in fsync=always, synced) its part.
//  - Recovery replays all partitions in parallel and collects the kTxn
//    records. A part is whole when every other part is present in its
//    partition (same sequence, same id) or covered by that partition's base
//    image. A part whose write is not whole was never acknowledged; it is not
//    applied, in any partition, and those partitions' logs are rewritten
//    before the database opens, so the lost write can never come back.
//  - Compaction may fold a part into a base image only once every partition
//    has been synced (the before-install hook): a folded part is then known
//    to be whole forever.
// Reads, single-partition writes and maintenance are routed to one partition
// or fanned out to all. Automatic compaction is run here, not by each
// partition: one compaction at a time, the partition with the most dead
// bytes first (CompactionPolicyMain).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/db_impl.h"
#include "engine/parallel_runner.h"
#include "engine/partition_layout.h"
#include "walnut/db.h"

namespace walnut {

class PartitionedDB final : public DB {
 public:
  // Opens `dir` as DB::Open does when options.partitions != 1 or the
  // directory is already partitioned; `count` is the partition count wanted
  // (0: keep what the directory has, or choose for this machine).
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, const Options& options);
  // The count Options::partitions = 0 chooses for a new directory: one per
  // CPU core (at most 16), or 1 with FsyncMode::kAlways.
  static uint32_t DefaultCount(const Options& options);

  ~PartitionedDB() override;

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
  Status ReadMany(uint32_t db, std::span<const std::string_view> keys,
                  const ReadManyFn& fn) override;
  bool Exists(uint32_t db, std::string_view key) override;
  void Prefetch(uint32_t db, std::span<const std::string_view> keys) override;
  // Prefetch of keys whose hashes (HashKey) the caller has.
  void PrefetchHashes(uint32_t db, std::span<const uint64_t> hashes);
  Result<uint64_t> IdleSeconds(uint32_t db, std::string_view key) override;
  uint64_t KeyCount(uint32_t db) override;
  uint64_t Scan(
      uint32_t db, uint64_t cursor, size_t count,
      const std::function<void(std::string_view, std::string_view, int64_t)>& fn) override;
  Result<std::string> RandomKey(uint32_t db) override;
  uint64_t SweepExpired(size_t budget) override;
  Result<CompactionReport> Compact() override;
  DbStats Stats() override;
  const Options& options() const override { return opts_; }
  const std::string& dir() const override { return dir_; }
  int64_t NowMs() const override { return parts_[0]->NowMs(); }

  uint32_t partition_count() const { return uint32_t(parts_.size()); }
  uint32_t PartitionOf(std::string_view key) const;
  uint32_t PartitionOfHash(uint64_t hash) const;  // hash: HashKey(key)
  // For tests: one partition, and its directory.
  DBImpl* partition(uint32_t i) { return parts_[i].get(); }

 private:
  PartitionedDB(std::string dir, Options options);
  Status OpenPartitions(const std::vector<std::string>& dirs);
  // Rewrites the directory's data into `count` partitions of the next
  // generation and switches PARTITIONS to them (repartition.cc).
  Result<PartitionLayout> Repartition(const PartitionLayout& from, uint32_t count);
  // The partition all of the batch's ops go to, or -1 (several, or an op
  // without a key, a malformed batch, or 8 ops or more, which Route takes).
  int OnlyPartition(const WriteBatch& batch) const;
  // Splits a batch into one batch per partition (ops without a key go to
  // all). Fails on a malformed batch.
  Status Split(const WriteBatch& batch, std::vector<WriteBatch>* parts,
               std::vector<uint32_t>* touched) const;
  // A batch decoded and checked once, for a multi-partition write: its ops,
  // the partition each goes to (DBImpl::kEveryPartition for an op without a
  // key), and the partitions it touches, in order. The ops point into the
  // batch. Routing and writing from this, instead of from one copied batch
  // per partition, decodes each op once and hashes each key once here.
  struct RoutedBatch {
    std::vector<DecodedOp> ops;
    std::vector<uint32_t> dest;
    std::vector<uint32_t> touched;
    // AppendCross's room: each partition's bytes of ops, the participants'
    // locks, their parts' sequences, the encoded kTxn op.
    std::vector<uint64_t> bytes;
    std::vector<std::unique_lock<std::mutex>> locks;
    std::vector<TxnPart> where;
    std::string txn_op;
  };
  Status Route(const WriteBatch& batch, RoutedBatch* out) const;
  // Appends a routed batch as one multi-partition write (touching at least
  // two partitions). Requires cross_mu_; holds no partition lock on return.
  Status AppendCross(RoutedBatch* batch, uint64_t* txn);
  // This thread's RoutedBatch, reused from write to write so that a
  // multi-key write allocates nothing to route; the room a large batch took
  // is given back when its write is done.
  class ScratchRoute {
   public:
    ScratchRoute();
    ~ScratchRoute();
    ScratchRoute(const ScratchRoute&) = delete;
    ScratchRoute& operator=(const ScratchRoute&) = delete;
    RoutedBatch& get() { return b_; }

   private:
    static RoutedBatch& Mine();
    RoutedBatch& b_;
  };
  // Closes the open group in every partition it touched. Requires cross_mu_.
  Status CloseGroup();
  // Flushes the given partitions, in parallel when they must sync.
  Status FlushParts(const std::vector<uint32_t>& which, bool sync);
  Status SyncAll();
  // Before a partition's compaction installs its image: SyncAll, but each
  // partition holds its flush token only for the write, not the fdatasync
  // (DBImpl::SyncBesideWriters), so writers are not held up meanwhile.
  Status SyncAllBesideWriters();
  // A failed write or sync in one partition stops writes in all of them: the
  // directory's log as a whole is unhealthy (DBImpl's class comment says why
  // this is sticky). Returns s, after noting it.
  Status Note(Status s);
  Status Healthy();
  // The automatic compaction policy for the whole directory (see the class
  // comment); runs until Close.
  void CompactionPolicyMain();

  const std::string dir_;
  const Options opts_;
  Env* const env_;
  std::unique_ptr<FileLock> dir_lock_;
  std::vector<std::unique_ptr<DBImpl>> parts_;
  std::unique_ptr<ParallelRunner> runner_;
  bool closed_ = false;

  // One multi-partition write or atomic group at a time. A group holds it
  // from its first batch to its last (the same thread, per the DB contract).
  std::mutex cross_mu_;
  std::unique_lock<std::mutex> group_lock_;
  std::atomic<std::thread::id> group_owner_{};
  std::vector<char> group_touched_;  // per partition, guarded by cross_mu_
  std::atomic<uint64_t> next_txn_{1};

  std::atomic<bool> failed_{false};
  std::mutex failed_mu_;
  Status failed_status_;  // guarded by failed_mu_

  std::mutex rng_mu_;
  std::mt19937_64 rng_{0x9a27};
  std::atomic<uint32_t> sweep_next_{0};

  std::thread policy_thread_;
  std::mutex policy_mu_;
  std::condition_variable policy_cv_;
  bool stop_policy_ = false;  // guarded by policy_mu_
};

}  // namespace walnut
