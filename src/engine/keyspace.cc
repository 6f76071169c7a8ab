#include "engine/keyspace.h"

#include <utility>

#include "common/hash.h"
#include "engine/wal_format.h"

namespace walnut {

Keyspace::Keyspace(uint32_t num_dbs) : dbs_(num_dbs) {}

Entry* Keyspace::Find(uint32_t db, std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry* e = dbs_[db].index.Find(key, hash);
  if (e && now_ms > 0 && e->ExpiredAt(now_ms)) {
    Erase(db, e);
    expired_removed_++;
    return nullptr;
  }
  return e;
}

int64_t Keyspace::AverageTtlMs(uint32_t db, int64_t now_ms) const {
  const Db& d = dbs_[db];
  if (d.expires == 0) return 0;
  int64_t avg = int64_t(d.expire_sum / __int128(d.expires)) - now_ms;
  return avg > 0 ? avg : 0;
}

void Keyspace::Insert(uint32_t db, Entry* e) {
  Db& d = dbs_[db];
  if (e->expire_at_ms) {
    d.expires++;
    d.expire_sum += e->expire_at_ms;
  }
  live_bytes_ += e->key_len + e->value_len;
  if (e->on_disk()) {
    on_disk_++;
  } else {
    cached_bytes_ += e->value_len;
  }
  if (e->has_loc()) Ref(e);
  if (Entry* old = d.index.Upsert(e)) {
    Removed(db, old);
    Entry::Free(old);
  }
}

void Keyspace::Removed(uint32_t db, const Entry* e) {
  if (e->expire_at_ms) {
    dbs_[db].expires--;
    dbs_[db].expire_sum -= e->expire_at_ms;
  }
  live_bytes_ -= e->key_len + e->value_len;
  if (e->on_disk()) {
    on_disk_--;
  } else {
    cached_bytes_ -= e->value_len;
  }
  if (e->has_loc()) Unref(e);
}

void Keyspace::Unref(const Entry* e) {
  auto it = file_refs_.find(e->loc().file);
  if (--it->second == 0) file_refs_.erase(it);
}

void Keyspace::Materialized(uint32_t db, Entry* old, Entry* e) {
  dbs_[db].index.ReplaceInPlace(old, e);
  if (old->on_disk()) on_disk_--;
  cached_bytes_ += e->value_len;
  if (old->has_loc()) Unref(old);
  if (e->has_loc()) Ref(e);
  Entry::Free(old);
}

void Keyspace::SetLoc(Entry* e, const DiskLoc& loc) {
  e->set_loc(loc);
  Ref(e);
}

void Keyspace::Relocate(Entry* e, const DiskLoc& loc) {
  Unref(e);
  e->set_loc(loc);
  Ref(e);
}

void Keyspace::ApplyLocatedPut(const DecodedOp& op, const DiskLoc& loc, bool in_memory) {
  const uint64_t h = HashKey(op.key);
  Entry* e = in_memory
                 ? Entry::MakeLocated(h, op.key, op.value, op.expire_at_ms, loc)
                 : Entry::MakeOnDisk(h, op.key, uint32_t(op.value.size()), op.expire_at_ms, loc);
  Insert(op.db, e);
}

uint64_t Keyspace::Evict(uint64_t budget, size_t max_slots) {
  uint64_t evicted = 0;
  for (size_t looked = 0; cached_bytes_ > budget && looked < max_slots; looked++) {
    HashIndex& index = dbs_[clock_db_].index;
    if (clock_pos_ >= index.positions()) {
      clock_pos_ = 0;
      clock_db_ = (clock_db_ + 1) % uint32_t(dbs_.size());
      continue;
    }
    Entry* e = index.SlotAt(clock_pos_);
    if (e && (e->flags & Entry::kHasLoc)) {
      if (e->flags & Entry::kRef) {
        e->flags &= ~Entry::kRef;  // read lately: a second chance
      } else {
        // Same key, expiry and location; the value's bytes are on disk
        // (checksummed), so nothing is lost and nothing is written.
        Entry* d = Entry::MakeOnDisk(e->hash, e->key(), e->value_len, e->expire_at_ms, e->loc());
        d->access_s = e->access_s;
        index.SetSlotAt(clock_pos_, d);
        on_disk_++;
        cached_bytes_ -= e->value_len;
        Entry::Free(e);
        evicted++;
      }
    }
    clock_pos_++;
  }
  return evicted;
}

void Keyspace::Erase(uint32_t db, Entry* e) {
  Entry* gone = dbs_[db].index.Remove(e->key(), e->hash);
  if (gone) {
    Removed(db, gone);
    Entry::Free(gone);
  }
}

void Keyspace::ClearDb(uint32_t db) {
  Db& d = dbs_[db];
  d.index.ForEach([&](const Entry* e) {
    live_bytes_ -= e->key_len + e->value_len;
    if (e->on_disk()) {
      on_disk_--;
    } else {
      cached_bytes_ -= e->value_len;
    }
    if (e->has_loc()) Unref(e);
  });
  d.index.Clear();
  d.expires = 0;
  d.expire_sum = 0;
}

void Keyspace::Clear() {
  for (uint32_t i = 0; i < dbs_.size(); i++) ClearDb(i);
}

bool Keyspace::Apply(const DecodedOp& op, int64_t now_ms) {
  auto hash = [&op] { return op.hash != 0 ? op.hash : HashKey(op.key); };
  switch (op.code) {
    case wal::kPut:
    case wal::kPutExpire: {
      Entry* e = Entry::Make(hash(), op.key, op.value, op.expire_at_ms, loc_slots_);
      e->access_s = uint32_t(now_ms / 1000);  // 0 in replay: "since start-up"
      Insert(op.db, e);
      return true;
    }
    case wal::kDelete: {
      Entry* e = Find(op.db, op.key, hash(), now_ms);
      if (!e) return false;  // deleting nothing changes nothing
      Erase(op.db, e);
      return true;
    }
    case wal::kSetExpiry: {
      Entry* e = Find(op.db, op.key, hash(), now_ms);
      if (!e) return false;  // see the file comment: never log an expiry of a missing key
      Db& d = dbs_[op.db];
      if (e->expire_at_ms && !op.expire_at_ms) d.expires--;
      if (!e->expire_at_ms && op.expire_at_ms) d.expires++;
      d.expire_sum += __int128(op.expire_at_ms) - e->expire_at_ms;
      e->expire_at_ms = op.expire_at_ms;
      return true;
    }
    case wal::kFlushDb:
      ClearDb(op.db);
      return true;
    case wal::kFlushAll:
      Clear();
      return true;
    case wal::kSwapDb:
      std::swap(dbs_[op.db], dbs_[op.db2]);
      return true;
    case wal::kTxn:
      return false;  // bookkeeping for recovery, no data
  }
  return false;
}

uint64_t Keyspace::DropExpired(int64_t now_ms) {
  uint64_t n = 0;
  for (uint32_t db = 0; db < dbs_.size(); db++) {
    if (dbs_[db].expires == 0) continue;
    size_t pos = 0;
    size_t cap = dbs_[db].index.positions();
    dbs_[db].index.SweepSlots(
        &pos, cap, [&](const Entry* e) { return e->ExpiredAt(now_ms); },
        [&](Entry* e) {
          Removed(db, e);
          Entry::Free(e);
          n++;
        });
  }
  return n;
}

uint64_t Keyspace::Sweep(int64_t now_ms, size_t slots) {
  uint64_t n = 0;
  for (size_t tries = 0; tries < dbs_.size() && slots > 0; tries++) {
    uint32_t db = sweep_db_;
    if (dbs_[db].expires == 0) {
      sweep_db_ = (sweep_db_ + 1) % uint32_t(dbs_.size());
      sweep_pos_ = 0;
      continue;
    }
    size_t cap = dbs_[db].index.positions();
    size_t step = std::min(slots, cap);
    dbs_[db].index.SweepSlots(
        &sweep_pos_, step, [&](const Entry* e) { return e->ExpiredAt(now_ms); },
        [&](Entry* e) {
          Removed(db, e);
          Entry::Free(e);
          n++;
        });
    slots -= step;
    if (sweep_pos_ == 0)
      sweep_db_ = (sweep_db_ + 1) % uint32_t(dbs_.size());
    else
      break;
  }
  expired_removed_ += n;
  return n;
}

}  // namespace walnut
