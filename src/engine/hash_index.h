// HashIndex: the in-memory map from key to Entry for one database.
//
// Open addressing with linear probing over an array of Entry pointers, sized
// to a power of two, with backward-shift deletion (no tombstones). We use our
// own table rather than absl::flat_hash_map for two reasons the engine relies
// on:
//  - Scan cursors that survive resizes. Every entry lives in the probe run
//    that starts at its home bucket (hash & mask), so visiting home buckets in
//    reverse-binary order (Redis's SCAN cursor) returns every key present for
//    the whole scan at least once, however the table grows or shrinks between
//    calls.
//  - A uniform random key in O(1) expected time (RANDOMKEY, expiry sampling).
// It owns the entries it holds. Not thread-safe: the DB's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>

#include "engine/entry.h"

namespace walnut {

class HashIndex {
 public:
  HashIndex() = default;
  ~HashIndex();
  HashIndex(const HashIndex&) = delete;
  HashIndex& operator=(const HashIndex&) = delete;
  HashIndex(HashIndex&& other) noexcept;
  HashIndex& operator=(HashIndex&& other) noexcept;

  size_t size() const { return size_; }
  size_t capacity() const { return mask_ ? mask_ + 1 : 0; }

  Entry* Find(std::string_view key, uint64_t hash) const;
  // Inserts e, replacing (and returning, for the caller to free) an entry
  // with the same key; returns null if the key was new.
  [[nodiscard]] Entry* Upsert(Entry* e);
  // Replaces the entry at the slot where `old` lives with `e` (same key).
  void ReplaceInPlace(Entry* old, Entry* e);
  // Unlinks and returns the entry for key, or null.
  [[nodiscard]] Entry* Remove(std::string_view key, uint64_t hash);
  // Frees every entry.
  void Clear();

  // Visits the entries whose home bucket is next in cursor order until about
  // `count` entries were visited; returns the next cursor (0 when done).
  uint64_t Scan(uint64_t cursor, size_t count, const std::function<void(Entry*)>& fn) const;
  // A random entry (null when empty).
  Entry* Random(std::mt19937_64& rng) const;
  // Examines up to `slots` slots from *position on, removing entries for
  // which pred is true (each passed to on_remove, which takes ownership).
  // Advances *position, wrapping to 0.
  void SweepSlots(size_t* position, size_t slots, const std::function<bool(const Entry*)>& pred,
                  const std::function<void(Entry*)>& on_remove);
  // Slot i (< capacity()): its entry or null. SetSlotAt replaces a slot's
  // entry by another with the same key (the caller frees the old one).
  Entry* SlotAt(size_t i) const { return slots_[i]; }
  void SetSlotAt(size_t i, Entry* e) { slots_[i] = e; }
  // Every entry, in slot order. fn must not modify the table.
  void ForEach(const std::function<void(const Entry*)>& fn) const;

 private:
  void Resize(size_t new_capacity);
  size_t Home(uint64_t hash) const { return size_t(hash) & mask_; }
  void EraseSlot(size_t i);
  void MaybeShrink();

  Entry** slots_ = nullptr;
  size_t mask_ = 0;  // capacity - 1, or 0 when there is no table
  size_t size_ = 0;
};

}  // namespace walnut
