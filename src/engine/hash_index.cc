#include "engine/hash_index.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace walnut {
namespace {

constexpr size_t kMinCapacity = 16;

// Grow past 3/4 full: linear probing's clusters stay short there.
bool TooFull(size_t size, size_t capacity) { return size * 4 > capacity * 3; }

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFull) | ((v & 0x00FF00FF00FF00FFull) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFull) | ((v & 0x0000FFFF0000FFFFull) << 16);
  return (v >> 32) | (v << 32);
}

}  // namespace

HashIndex::~HashIndex() {
  Clear();
  std::free(slots_);
}

HashIndex::HashIndex(HashIndex&& o) noexcept
    : slots_(std::exchange(o.slots_, nullptr)),
      mask_(std::exchange(o.mask_, 0)),
      size_(std::exchange(o.size_, 0)) {}

HashIndex& HashIndex::operator=(HashIndex&& o) noexcept {
  if (this != &o) {
    Clear();
    std::free(slots_);
    slots_ = std::exchange(o.slots_, nullptr);
    mask_ = std::exchange(o.mask_, 0);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

Entry* HashIndex::Find(std::string_view key, uint64_t hash) const {
  if (!slots_) return nullptr;
  for (size_t i = Home(hash);; i = (i + 1) & mask_) {
    Entry* e = slots_[i];
    if (!e) return nullptr;
    if (e->hash == hash && e->key() == key) return e;
  }
}

Entry* HashIndex::Upsert(Entry* e) {
  if (!slots_ || TooFull(size_ + 1, mask_ + 1)) {
    Resize(slots_ ? (mask_ + 1) * 2 : kMinCapacity);
  }
  for (size_t i = Home(e->hash);; i = (i + 1) & mask_) {
    Entry* cur = slots_[i];
    if (!cur) {
      slots_[i] = e;
      size_++;
      return nullptr;
    }
    if (cur->hash == e->hash && cur->key() == e->key()) {
      slots_[i] = e;
      return cur;
    }
  }
}

void HashIndex::ReplaceInPlace(Entry* old, Entry* e) {
  assert(old->hash == e->hash && old->key() == e->key());
  for (size_t i = Home(old->hash);; i = (i + 1) & mask_) {
    assert(slots_[i]);
    if (slots_[i] == old) {
      slots_[i] = e;
      return;
    }
  }
}

Entry* HashIndex::Remove(std::string_view key, uint64_t hash) {
  if (!slots_) return nullptr;
  for (size_t i = Home(hash);; i = (i + 1) & mask_) {
    Entry* e = slots_[i];
    if (!e) return nullptr;
    if (e->hash == hash && e->key() == key) {
      EraseSlot(i);
      MaybeShrink();
      return e;
    }
  }
}

// Backward-shift deletion: pull later members of the run into the hole when
// their home bucket allows it, so that no lookup meets an empty slot before
// reaching its key. This keeps the "run from the home bucket" invariant that
// Find and Scan rely on.
void HashIndex::EraseSlot(size_t hole) {
  size_--;
  size_t i = hole;
  for (;;) {
    i = (i + 1) & mask_;
    Entry* e = slots_[i];
    if (!e) break;
    // e may move back to `hole` only if that keeps it at or after its home
    // bucket along the probe run: its home is at least as far from i as hole.
    size_t home_dist = (i - Home(e->hash)) & mask_;
    size_t hole_dist = (i - hole) & mask_;
    if (home_dist >= hole_dist) {
      slots_[hole] = e;
      hole = i;
    }
  }
  slots_[hole] = nullptr;
}

void HashIndex::MaybeShrink() {
  size_t cap = mask_ + 1;
  if (cap > kMinCapacity && size_ * 10 < cap) {
    size_t target = kMinCapacity;
    while (TooFull(size_ * 2, target)) target *= 2;
    Resize(target);
  }
}

void HashIndex::Resize(size_t new_capacity) {
  auto** fresh = static_cast<Entry**>(std::calloc(new_capacity, sizeof(Entry*)));
  if (!fresh) throw std::bad_alloc();
  size_t new_mask = new_capacity - 1;
  if (slots_) {
    for (size_t i = 0; i <= mask_; i++) {
      Entry* e = slots_[i];
      if (!e) continue;
      size_t j = size_t(e->hash) & new_mask;
      while (fresh[j]) j = (j + 1) & new_mask;
      fresh[j] = e;
    }
    std::free(slots_);
  }
  slots_ = fresh;
  mask_ = new_mask;
}

void HashIndex::Clear() {
  if (!slots_) return;
  for (size_t i = 0; i <= mask_; i++) {
    if (slots_[i]) Entry::Free(slots_[i]);
  }
  std::free(slots_);
  slots_ = nullptr;
  mask_ = 0;
  size_ = 0;
}

uint64_t HashIndex::Scan(uint64_t cursor, size_t count,
                         const std::function<void(Entry*)>& fn) const {
  if (!slots_ || size_ == 0) return 0;
  size_t visited = 0;
  // Bound the work on sparse tables (saturating: count may be huge).
  size_t budget = count > (SIZE_MAX - 16) / 10 ? SIZE_MAX : count * 10 + 16;
  do {
    size_t bucket = size_t(cursor) & mask_;
    for (size_t i = bucket; slots_[i]; i = (i + 1) & mask_) {
      if (Home(slots_[i]->hash) == bucket) {
        fn(slots_[i]);
        visited++;
      }
    }
    // Advance the reverse-binary cursor: increment the masked bits from the top.
    cursor |= ~uint64_t(mask_);
    cursor = ReverseBits(cursor);
    cursor++;
    cursor = ReverseBits(cursor);
    if (budget > 0) budget--;
  } while (cursor != 0 && visited < count && budget > 0);
  return cursor;
}

Entry* HashIndex::Random(std::mt19937_64& rng) const {
  if (size_ == 0) return nullptr;
  // The table is at least 1/10 full (MaybeShrink), so this takes ~10 tries
  // at worst on average. Picking a random slot then walking to the next
  // entry would favour entries after long empty gaps.
  for (;;) {
    Entry* e = slots_[rng() & mask_];
    if (e) return e;
  }
}

void HashIndex::SweepSlots(size_t* position, size_t slots,
                           const std::function<bool(const Entry*)>& pred,
                           const std::function<void(Entry*)>& on_remove) {
  if (!slots_) {
    *position = 0;
    return;
  }
  size_t i = *position & mask_;
  size_t removed_any = 0;
  for (size_t n = 0; n < slots && n <= mask_;) {
    Entry* e = slots_[i];
    if (e && pred(e)) {
      // A backward shift may pull another entry into slot i: look again.
      // That look is not another slot walked (counting it made a pass over
      // every slot stop one slot short per removal).
      EraseSlot(i);
      on_remove(e);
      removed_any++;
      continue;
    }
    n++;
    i = (i + 1) & mask_;
    if (i == 0) break;
  }
  *position = i;
  if (removed_any) MaybeShrink();
}

void HashIndex::ForEach(const std::function<void(const Entry*)>& fn) const {
  if (!slots_) return;
  for (size_t i = 0; i <= mask_; i++) {
    if (slots_[i]) fn(slots_[i]);
  }
}

}  // namespace walnut
