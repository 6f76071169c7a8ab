// ReplayInserter: where recovery sends the ops it replays, in log order, and
// Presizer: how big the index is made before the keys arrive.
//
// Start-up is shaped around the index's cache misses (docs/recovery.md,
// "Start-up speed"). An inserter makes each put's entry some puts before it
// inserts it, so the slot it lands in is already being fetched. With
// `own_thread` the work is also split over two cores: the caller (the
// thread that reads, checks and decodes the log) hands the ops to a second
// thread that applies them in the order they came. Making a put's entry —
// its allocation, the copy, the first touch of each new page — is about
// half the cost of a put, and is done by whichever thread is less busy.
// One partition's start-up then uses both cores; with a partition per core
// the partitions already do.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/keyspace.h"
#include "engine/write_batch_internal.h"

namespace walnut {

// Sizes the index once instead of letting it double ~20 times: each
// doubling reads every entry again (for its hash), at random. Once 1/16 of
// a stretch of files (a base image, or the log segments) has been applied,
// each database is reserved for the keys it holds plus what the rest will
// add at the rate seen so far. A base image holds each key once, so the
// guess is close. A log may overwrite and delete, making the guess high (by
// about 2x at most while automatic compaction keeps the log at most about
// half garbage): Recover shrinks any table left larger than its keys need
// at the end, so only the peak during start-up can be higher.
class Presizer {
 public:
  // total: bytes of the stretch; bytes_now: RecoveryReport::bytes before it.
  // Reads the keyspace: make it while no inserter has ops pending.
  Presizer(Keyspace* ks, uint64_t total, uint64_t bytes_now);
  // Called with RecoveryReport::bytes as the ops before it are applied (on
  // the thread that applies them: it reads and resizes the keyspace).
  void Progress(uint64_t bytes_now);

 private:
  Keyspace* ks_;
  uint64_t start_;
  uint64_t total_;
  std::vector<uint64_t> keys_at_start_;
  bool done_;
};

class ReplayInserter {
 public:
  // With own_thread, which thread makes the puts' entries: whichever is
  // less busy at the time, or (for tests) always one of them.
  enum class MakeEntries { kByLoad, kOnCaller, kOnApplier };
  // sizer (may be null) is told the progress, on the applying thread.
  ReplayInserter(Keyspace* ks, Presizer* sizer, bool own_thread,
                 MakeEntries who = MakeEntries::kByLoad);
  // Flush()es, so the caller may use the keyspace afterwards.
  ~ReplayInserter();
  ReplayInserter(const ReplayInserter&) = delete;
  ReplayInserter& operator=(const ReplayInserter&) = delete;

  // Applies op after every op given before it. Its bytes are copied (or
  // made into an entry) before this returns: the caller may reuse them.
  void Apply(const DecodedOp& op);
  // RecoveryReport::bytes once the ops given so far are applied.
  void Progress(uint64_t bytes);
  // Returns when every op given is applied. Nothing but the inserter may
  // touch the keyspace between the first Apply and a Flush.
  void Flush();

 private:
  // ~16 loads in flight hide most of a miss behind making the next entries.
  static constexpr size_t kAhead = 16;
  // With own_thread: ops are handed over in batches (one lock and wake-up
  // per batch, not per op), at most kQueued of them waiting, which bounds
  // how far the reader runs ahead (kBatch x kQueued entries made but not
  // yet in the index).
  static constexpr size_t kBatch = 1024;
  static constexpr size_t kQueued = 8;

  // A put whose entry the caller made (`e`), a put whose key and value
  // were copied into Batch::bytes for the applier to make its entry, or
  // another op, its encoded bytes in Batch::bytes.
  enum class Kind : uint8_t { kEntry, kPut, kOther };
  struct Item {
    Kind kind;
    uint32_t db;
    uint32_t key_len;    // kPut
    uint32_t value_len;  // kPut; kOther: the op's length
    uint64_t hash;       // kEntry, kPut: the key's
    union {
      Entry* e;   // kEntry
      size_t at;  // kPut, kOther: where its bytes start in Batch::bytes
    };
    int64_t expire_at_ms;  // kPut
  };
  struct Batch {
    std::vector<Item> items;
    std::string bytes;
    uint64_t progress = 0;  // RecoveryReport::bytes once applied (0: none)
  };

  // Same thread.
  void ApplyHere(const DecodedOp& op);
  void InsertOldest();
  // Own thread.
  void Submit();
  void ApplierMain();
  void ApplyBatch(Batch* b);

  Keyspace* ks_;
  Presizer* sizer_;
  MakeEntries who_;

  // Same thread: the puts made but not inserted yet.
  struct Pending {
    uint32_t db;
    Entry* e;
  };
  Pending ring_[kAhead];
  size_t head_ = 0;
  size_t pending_ = 0;

  // Own thread: the caller fills cur_; full_ waits for the applier (under
  // mu_), free_ holds emptied batches for reuse.
  std::unique_ptr<Batch> cur_;
  // Whether the caller makes the entries of the batch it is filling: yes
  // while the applier is behind (half the queue waiting), else the
  // applier does. The work splits itself over the two threads by how
  // busy each is, whatever the machine or the sizes of the values.
  bool make_here_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Batch>> full_;
  std::vector<std::unique_ptr<Batch>> free_;
  bool busy_ = false;  // the applier holds a batch
  bool stop_ = false;
  std::thread applier_;
};

}  // namespace walnut
