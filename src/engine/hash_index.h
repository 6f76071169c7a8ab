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
//
// Growing and shrinking are incremental for large tables. Doubling in one
// step reads every entry (its hash gives the new home bucket): at 12.6M keys
// that stopped every client for ~1.2 s on our 2-core VM. A resize instead
// allocates the new table and leaves the old one in place; every Upsert and
// Remove then moves a few of the old table's slots (in slot order, from just
// after an empty slot, so no probe run is cut in two), the DB's background
// thread moves more once a second, and lookups look in both tables until the
// old one is empty. Inserts go to the new table only, so a key is in exactly
// one of them. Why a lookup in the half-moved old table is still right: the
// moved slots are all empty, and an entry that is still there lies on an
// unbroken run from the first unmoved slot (or from its home, if that is not
// moved yet), so the probe starts at whichever comes later in moving order.
// Small tables (below incremental_resize_from(): under a millisecond to
// rehash) still resize at once.
//
// Tagged slots: a slot keeps, in the pointer's top 16 bits (unused by user-
// space heap addresses on the 64-bit platforms we build for; checked on
// every insert), the top 16 bits of the entry's hash. A probe compares
// those first and reads the entry only when they match, so walking past
// other keys in a run costs no cache miss per entry. At 3/4 full an insert
// passes ~3 other entries on average; reading each was half of start-up's
// time (bench/results/recovery.md). The home bucket uses the hash's low
// bits, so the tag is independent of it.
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
  // Starts fetching the home slot of `hash` into the cache, for an insert or
  // lookup a little later (a resize meanwhile only wastes the fetch).
  // Always inlined: GCC otherwise finds a call that only prefetches free of
  // effects and deletes it (seen in snapshot.cc's loop).
  [[gnu::always_inline]] void Prefetch(uint64_t hash) const {
    if (slots_) __builtin_prefetch(&slots_[Home(hash)], /*rw=*/1);
  }
  // The second step for a lookup of `hash` a little later, once its home
  // slot is in the cache (Prefetch some lookups earlier): starts fetching
  // the first entry of the run whose tag matches, the one Find will read.
  // `lines`: cache lines of the entry to fetch, for a caller that will read
  // its value too.
  [[gnu::always_inline]] void PrefetchEntry(uint64_t hash, int lines = 1) const {
    if (!slots_) return;
    for (size_t i = Home(hash);; i = (i + 1) & mask_) {
      const uintptr_t s = slots_[i];
      if (!s) return;
      if ((s & ~kPtrMask) == TagOf(hash)) {
        const char* e = reinterpret_cast<const char*>(EntryOf(s));
        for (int l = 0; l < lines; l++) __builtin_prefetch(e + 64 * l);
        return;
      }
    }
  }
  // Inserts e, replacing (and returning, for the caller to free) an entry
  // with the same key; returns null if the key was new.
  [[nodiscard]] Entry* Upsert(Entry* e);
  // Replaces the entry at the slot where `old` lives with `e` (same key).
  void ReplaceInPlace(Entry* old, Entry* e);
  // Unlinks and returns the entry for key, or null.
  [[nodiscard]] Entry* Remove(std::string_view key, uint64_t hash);
  // Frees every entry.
  void Clear();
  // Makes room for n entries in all without growing (recovery sizes the
  // table once from the count it expects instead of doubling it ~20 times).
  // Never shrinks; a table reserved too large shrinks as usual on removal,
  // or with ShrinkToFit.
  void Reserve(size_t n);
  // Shrinks the table to the capacity growth alone would give its entries,
  // if it is larger (after a Reserve for more than came).
  void ShrinkToFit();

  // Visits the entries whose home bucket is next in cursor order until about
  // `count` entries were visited; returns the next cursor (0 when done).
  // While a resize is under way the cursor walks the smaller table's
  // buckets and, for each, every bucket of the larger table that shares its
  // low bits, so a key is seen in whichever table it is at the time.
  uint64_t Scan(uint64_t cursor, size_t count, const std::function<void(Entry*)>& fn) const;
  // A random entry (null when empty).
  Entry* Random(std::mt19937_64& rng) const;
  // Slots are numbered across both tables while a resize is under way:
  // [0, capacity()) in the current table, then the old table's. positions()
  // is their count (capacity() when no resize is under way).
  size_t positions() const { return capacity() + (old_slots_ ? old_mask_ + 1 : 0); }
  // Examines up to `slots` slots (positions) from *position on, removing
  // entries for which pred is true (each passed to on_remove, which takes
  // ownership). Advances *position, wrapping to 0. Moves nothing between
  // tables, so one pass over positions() slots sees every entry.
  void SweepSlots(size_t* position, size_t slots, const std::function<bool(const Entry*)>& pred,
                  const std::function<void(Entry*)>& on_remove);
  // Slot at position i (< positions()): its entry or null. SetSlotAt
  // replaces a slot's entry by another with the same key (the caller frees
  // the old one).
  Entry* SlotAt(size_t i) const { return EntryOf(*PositionSlot(i)); }
  void SetSlotAt(size_t i, Entry* e) { *PositionSlot(i) = Pack(e); }
  // Every entry. fn must not modify the table.
  void ForEach(const std::function<void(const Entry*)>& fn) const;

  // ---- Incremental resizing.
  bool resizing() const { return old_slots_ != nullptr; }
  // Old-table slots moved by every resize so far (only grows).
  uint64_t slots_moved() const { return slots_moved_; }
  // Moves up to `slots` slots of the old table into the current one (the
  // DB's background thread, so that an idle table finishes its resize).
  void ResizeStep(size_t slots);
  // Tables with fewer slots than this resize in one step; each Upsert and
  // Remove moves at least min_step slots of a resize. Tests set both low to
  // exercise the incremental path on small tables.
  static constexpr size_t kIncrementalResizeFrom = size_t(1) << 15;
  // Old-table slots each Upsert and Remove moves, at least (hash_index.cc
  // BeginResize says why this many).
  static constexpr size_t kMinResizeStep = 32;
  void set_incremental_resize_from(size_t capacity, size_t min_step = kMinResizeStep) {
    incremental_from_ = capacity;
    min_step_ = min_step;
  }

 private:
  // Rehashes everything into a table of new_capacity at once (finishing a
  // resize under way first).
  void Resize(size_t new_capacity);
  // Resizes incrementally (or at once, for a small table); none under way.
  void BeginResize(size_t new_capacity);
  void FinishResize() { ResizeStep(SIZE_MAX); }
  size_t Home(uint64_t hash) const { return size_t(hash) & mask_; }
  // Where a probe of the old table for home bucket `home` starts: the first
  // slot not moved yet if home has been moved, else home.
  size_t OldProbeStart(size_t home) const {
    return ((home - old_start_) & old_mask_) < moved_ ? (old_start_ + moved_) & old_mask_ : home;
  }
  uintptr_t* PositionSlot(size_t i) const {
    return i <= mask_ ? &slots_[i] : &old_slots_[i - (mask_ + 1)];
  }
  // Backward-shift deletion at slot i of a table (the current or the old).
  static void EraseAt(uintptr_t* slots, size_t mask, size_t i);
  // Removes the entry at position i, counting it.
  void ErasePosition(size_t i);
  void MaybeShrink();

  static constexpr int kTagShift = 48;
  static constexpr uintptr_t kPtrMask = (uintptr_t(1) << kTagShift) - 1;
  static uintptr_t TagOf(uint64_t hash) { return uintptr_t(hash >> kTagShift) << kTagShift; }
  static Entry* EntryOf(uintptr_t slot) { return reinterpret_cast<Entry*>(slot & kPtrMask); }
  // The slot value for e (null stays 0).
  static uintptr_t Pack(Entry* e);
  // Whether slot (non-empty) holds the entry for key/hash.
  static bool Holds(uintptr_t slot, std::string_view key, uint64_t hash) {
    if ((slot & ~kPtrMask) != TagOf(hash)) return false;
    const Entry* e = EntryOf(slot);
    return e->hash == hash && e->key() == key;
  }

  uintptr_t* slots_ = nullptr;  // tagged Entry pointers, 0 when empty
  size_t mask_ = 0;             // capacity - 1, or 0 when there is no table
  size_t size_ = 0;             // entries in both tables
  // The table being emptied into slots_ (null when no resize is under way).
  // Its slots are moved in order from old_start_ (the slot after an empty
  // one, so no run wraps past the end of the order); moved_ of them are.
  uintptr_t* old_slots_ = nullptr;
  size_t old_mask_ = 0;
  size_t old_start_ = 0;
  size_t moved_ = 0;
  size_t old_size_ = 0;  // entries still in the old table
  size_t step_ = 0;      // old slots moved per Upsert or Remove
  size_t incremental_from_ = kIncrementalResizeFrom;
  size_t min_step_ = kMinResizeStep;
  uint64_t slots_moved_ = 0;
};

}  // namespace walnut
