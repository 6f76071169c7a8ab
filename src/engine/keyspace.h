// Keyspace: the numbered databases (Redis's SELECT 0..N-1) and how a log op
// changes them. The live DB, recovery and the offline check tool all apply
// ops through Apply(), so replay rebuilds exactly what the live process held.
//
// Expiry and replay: expiry times are absolute, so an expired key needs no
// log record to stay dead. For replay to reproduce the live state, every
// logged op must have the same effect whatever the clock says at replay. Put,
// Delete, FlushDb, FlushAll and SwapDb are blind and qualify. SetExpiry
// depends on the key existing, so the live DB logs it only when the key
// exists (and has not expired) at that moment; replay then applies ops
// literally (now_ms = 0: no expiry checks) and drops expired keys once at the
// end.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/hash.h"
#include "engine/hash_index.h"
#include "engine/write_batch_internal.h"

namespace walnut {

class Keyspace {
 public:
  explicit Keyspace(uint32_t num_dbs);

  uint32_t num_dbs() const { return uint32_t(dbs_.size()); }
  HashIndex& db(uint32_t i) { return dbs_[i].index; }

  // Looks a key up; when now_ms > 0 an expired entry is removed and null
  // returned (lazy expiry).
  Entry* Find(uint32_t db, std::string_view key, int64_t now_ms) {
    return Find(db, key, HashKey(key), now_ms);
  }
  // The same for a key whose hash (HashKey) the caller has.
  Entry* Find(uint32_t db, std::string_view key, uint64_t hash, int64_t now_ms);

  // Applies one op. now_ms > 0: live mode (SetExpiry on a missing or expired
  // key does nothing and returns false so it is not logged). now_ms == 0:
  // literal replay. Returns whether the op changed anything worth logging.
  bool Apply(const DecodedOp& op, int64_t now_ms);

  // Removes the entry from its db and frees it.
  void Erase(uint32_t db, Entry* e);
  // Removes every expired key (after replay).
  uint64_t DropExpired(int64_t now_ms);
  // Sweeps up to `slots` slots (rotating across dbs) for expired keys.
  uint64_t Sweep(int64_t now_ms, size_t slots);

  // Moves up to `slots` slots of each db's resize under way, if any
  // (HashIndex::ResizeStep); returns whether one is still under way.
  bool ResizeStep(size_t slots) {
    bool resizing = false;
    for (auto& d : dbs_) {
      d.index.ResizeStep(slots);
      resizing |= d.index.resizing();
    }
    return resizing;
  }
  bool resizing() const {
    for (const auto& d : dbs_) {
      if (d.index.resizing()) return true;
    }
    return false;
  }
  uint64_t slots_moved() const {
    uint64_t n = 0;
    for (const auto& d : dbs_) n += d.index.slots_moved();
    return n;
  }

  uint64_t keys(uint32_t db) const { return dbs_[db].index.size(); }
  uint64_t expires(uint32_t db) const { return dbs_[db].expires; }
  // Mean remaining time to live of the keys with an expiry (INFO's avg_ttl),
  // 0 when there are none. Exact: the sum of expiry times is kept up to date.
  int64_t AverageTtlMs(uint32_t db, int64_t now_ms) const;
  uint64_t live_bytes() const { return live_bytes_; }
  // Entries whose value is only on disk (Entry::kValueOnDisk): loaded from a
  // snapshot and not read yet, or evicted under max-memory.
  uint64_t on_disk() const { return on_disk_; }
  // Bytes of the values held in memory (of the entries not on_disk()).
  uint64_t cached_bytes() const { return cached_bytes_; }
  // Replaces an on-disk entry of db with `e` (same key, value in memory).
  void Materialized(uint32_t db, Entry* old, Entry* e);
  // Inserts an entry the caller made: loaded from a snapshot, or made by
  // MakeReplayPut.
  void InsertLoaded(uint32_t db, Entry* e) { Insert(db, e); }
  // Replay split in two, so that recovery can fetch a put's index slot into
  // the cache some puts before inserting it (the slot is a random access
  // into a table of up to hundreds of MiB: a cache miss per key otherwise).
  // Makes the entry Apply(op, 0) would insert for a put and starts fetching
  // its slot; InsertLoaded(op.db, e) then inserts it. Inserting the made
  // entries in the order of their ops is the caller's duty.
  Entry* MakeReplayPut(const DecodedOp& op) {
    Entry* e = MakeEntry(HashKey(op.key), op);
    dbs_[op.db].index.Prefetch(e->hash);
    return e;
  }
  // The entry alone, without the fetch (hash: the key's). Reads nothing
  // that changes while ops are applied, so another thread may make entries
  // meanwhile (ReplayInserter with its own thread).
  Entry* MakeEntry(uint64_t hash, const DecodedOp& op) const {
    return MakeEntry(hash, op.key, op.value, op.expire_at_ms);
  }
  Entry* MakeEntry(uint64_t hash, std::string_view key, std::string_view value,
                   int64_t expire_at_ms) const {
    return Entry::Make(hash, key, value, expire_at_ms, loc_slots_);
  }
  [[gnu::always_inline]] void Prefetch(uint32_t db, uint64_t hash) const {
    dbs_[db].index.Prefetch(hash);  // always inlined: see HashIndex::Prefetch
  }
  // Recovery's presizing (HashIndex::Reserve, ShrinkToFit), per database.
  void Reserve(uint32_t db, uint64_t keys) { dbs_[db].index.Reserve(keys); }
  void ShrinkToFit() {
    for (auto& d : dbs_) d.index.ShrinkToFit();
  }

  // ---- Values on disk under max-memory (docs/memory.md).
  // Every in-memory entry made from now on gets room for a DiskLoc
  // (Entry::kLocSlot), so that it can learn where its value was written.
  void set_loc_slots(bool on) { loc_slots_ = on; }
  // Entries whose DiskLoc names `file` (on disk or cached with a location):
  // a file may be deleted only when none do.
  uint64_t FileRefs(uint32_t file) const {
    auto it = file_refs_.find(file);
    return it == file_refs_.end() ? 0 : it->second;
  }
  // e, in memory with a loc slot and no location yet, learns where a copy of
  // its value lies.
  void SetLoc(Entry* e, const DiskLoc& loc);
  // e (has_loc()) now points at another copy of the same bytes.
  void Relocate(Entry* e, const DiskLoc& loc);
  // Applies a put whose value lies at `loc` (recovery under max-memory): the
  // entry keeps the value in memory too when in_memory, else only `loc`.
  void ApplyLocatedPut(const DecodedOp& op, const DiskLoc& loc, bool in_memory);
  // CLOCK eviction: the hand walks the index slots (across dbs); an entry
  // whose cached value has a location loses its reference bit if set, or
  // else its value (it becomes an on-disk entry; no I/O). Stops once at most
  // `budget` value bytes are cached or after `max_slots` slots. Entries with
  // no location (written but not yet in a file) are passed over. Returns how
  // many values were dropped.
  uint64_t Evict(uint64_t budget, size_t max_slots);
  uint64_t expired_removed() const { return expired_removed_; }
  void Clear();

 private:
  struct Db {
    HashIndex index;
    uint64_t expires = 0;     // entries with an expiry
    __int128 expire_sum = 0;  // sum of their expiry times (ms); 128 bits: no overflow
  };
  void Insert(uint32_t db, Entry* e);
  void Removed(uint32_t db, const Entry* e);  // bookkeeping for a removed entry
  void ClearDb(uint32_t db);

  void Ref(const Entry* e) { file_refs_[e->loc().file]++; }
  void Unref(const Entry* e);

  std::vector<Db> dbs_;
  uint64_t live_bytes_ = 0;
  uint64_t on_disk_ = 0;
  uint64_t cached_bytes_ = 0;
  bool loc_slots_ = false;
  absl::flat_hash_map<uint32_t, uint64_t> file_refs_;  // entries per DiskLoc::file
  uint32_t clock_db_ = 0;                              // the CLOCK hand
  size_t clock_pos_ = 0;
  uint64_t expired_removed_ = 0;
  uint32_t sweep_db_ = 0;
  size_t sweep_pos_ = 0;
};

}  // namespace walnut
