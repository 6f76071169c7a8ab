#include "engine/hash_index.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdio>
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

// Capacity growth alone gives a table holding n entries.
size_t GrownCapacity(size_t n) {
  size_t cap = kMinCapacity;
  while (TooFull(n, cap)) cap *= 2;
  return cap;
}

// Tables of at least this many bytes are mapped on their own, aligned to
// and advised for 2 MiB pages (transparent huge pages): an insert or lookup
// lands on a random slot, and with 4 KiB pages each such access in a table
// of tens of MiB also missed the TLB (a page walk: more cache misses).
// Every page of a table gets touched anyway (it stays at least 1/10 full),
// so huge pages cost no extra memory.
constexpr size_t kHugePage = size_t(2) << 20;

uintptr_t* AllocSlots(size_t capacity) {
  const size_t bytes = capacity * sizeof(uintptr_t);
  if (bytes < kHugePage) {
    auto* p = static_cast<uintptr_t*>(std::calloc(capacity, sizeof(uintptr_t)));
    if (!p) throw std::bad_alloc();
    return p;
  }
  // bytes is a power of two >= 2 MiB: map one page more and trim the ends so
  // that the table starts on a 2 MiB boundary. Fresh anonymous pages are
  // zero, as an empty table must be.
  void* raw = ::mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~uintptr_t(kHugePage - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t tail = start + bytes + kHugePage - (aligned + bytes);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + bytes), tail);
  (void)::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // a hint only
  return reinterpret_cast<uintptr_t*>(aligned);
}

void FreeSlots(uintptr_t* slots, size_t capacity) {
  if (!slots) return;
  const size_t bytes = capacity * sizeof(uintptr_t);
  if (bytes < kHugePage) {
    std::free(slots);
  } else {
    ::munmap(slots, bytes);
  }
}

}  // namespace

static_assert(sizeof(uintptr_t) == 8, "tagged slots need 64-bit pointers");

uintptr_t HashIndex::Pack(Entry* e) {
  if (!e) return 0;
  const uintptr_t p = reinterpret_cast<uintptr_t>(e);
  if (p & ~kPtrMask) {
    // Never on x86-64 or arm64 Linux heaps (user addresses stay below 2^48
    // unless a program asks mmap for more); were it to happen, tagging would
    // corrupt the pointer, so stop rather than serve wrong data.
    std::fprintf(stderr, "walnut: heap address %p uses the top 16 bits; not supported\n", e);
    std::abort();
  }
  return p | TagOf(e->hash);
}

HashIndex::~HashIndex() { Clear(); }

HashIndex::HashIndex(HashIndex&& o) noexcept
    : slots_(std::exchange(o.slots_, nullptr)),
      mask_(std::exchange(o.mask_, 0)),
      size_(std::exchange(o.size_, 0)) {}

HashIndex& HashIndex::operator=(HashIndex&& o) noexcept {
  if (this != &o) {
    Clear();
    slots_ = std::exchange(o.slots_, nullptr);
    mask_ = std::exchange(o.mask_, 0);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

Entry* HashIndex::Find(std::string_view key, uint64_t hash) const {
  if (!slots_) return nullptr;
  for (size_t i = Home(hash);; i = (i + 1) & mask_) {
    const uintptr_t s = slots_[i];
    if (!s) return nullptr;
    if (Holds(s, key, hash)) return EntryOf(s);
  }
}

Entry* HashIndex::Upsert(Entry* e) {
  if (!slots_ || TooFull(size_ + 1, mask_ + 1)) {
    Resize(slots_ ? (mask_ + 1) * 2 : kMinCapacity);
  }
  const uintptr_t packed = Pack(e);
  const std::string_view key = e->key();
  for (size_t i = Home(e->hash);; i = (i + 1) & mask_) {
    const uintptr_t cur = slots_[i];
    if (!cur) {
      slots_[i] = packed;
      size_++;
      return nullptr;
    }
    if (Holds(cur, key, e->hash)) {
      slots_[i] = packed;
      return EntryOf(cur);
    }
  }
}

void HashIndex::ReplaceInPlace(Entry* old, Entry* e) {
  assert(old->hash == e->hash && old->key() == e->key());
  for (size_t i = Home(old->hash);; i = (i + 1) & mask_) {
    assert(slots_[i]);
    if (EntryOf(slots_[i]) == old) {
      slots_[i] = Pack(e);
      return;
    }
  }
}

Entry* HashIndex::Remove(std::string_view key, uint64_t hash) {
  if (!slots_) return nullptr;
  for (size_t i = Home(hash);; i = (i + 1) & mask_) {
    const uintptr_t s = slots_[i];
    if (!s) return nullptr;
    if (Holds(s, key, hash)) {
      EraseSlot(i);
      MaybeShrink();
      return EntryOf(s);
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
    const uintptr_t s = slots_[i];
    if (!s) break;
    const Entry* e = EntryOf(s);
    // e may move back to `hole` only if that keeps it at or after its home
    // bucket along the probe run: its home is at least as far from i as hole.
    size_t home_dist = (i - Home(e->hash)) & mask_;
    size_t hole_dist = (i - hole) & mask_;
    if (home_dist >= hole_dist) {
      slots_[hole] = s;
      hole = i;
    }
  }
  slots_[hole] = 0;
}

void HashIndex::MaybeShrink() {
  size_t cap = mask_ + 1;
  if (cap > kMinCapacity && size_ * 10 < cap) {
    Resize(GrownCapacity(size_ * 2));
  }
}

void HashIndex::Reserve(size_t n) {
  const size_t cap = GrownCapacity(n);
  if (cap > capacity()) Resize(cap);
}

void HashIndex::ShrinkToFit() {
  const size_t cap = GrownCapacity(size_);
  if (capacity() > cap) Resize(cap);
}

void HashIndex::Resize(size_t new_capacity) {
  uintptr_t* fresh = AllocSlots(new_capacity);
  size_t new_mask = new_capacity - 1;
  if (slots_) {
    // The home bucket needs the entry's full hash: read it, fetching the
    // entries a few slots ahead meanwhile (they lie in random order).
    constexpr size_t kAhead = 8;
    for (size_t i = 0; i <= mask_; i++) {
      if (i + kAhead <= mask_ && slots_[i + kAhead]) {
        __builtin_prefetch(EntryOf(slots_[i + kAhead]));
      }
      const uintptr_t s = slots_[i];
      if (!s) continue;
      size_t j = size_t(EntryOf(s)->hash) & new_mask;
      while (fresh[j]) j = (j + 1) & new_mask;
      fresh[j] = s;
    }
    FreeSlots(slots_, mask_ + 1);
  }
  slots_ = fresh;
  mask_ = new_mask;
}

void HashIndex::Clear() {
  if (!slots_) return;
  for (size_t i = 0; i <= mask_; i++) {
    if (slots_[i]) Entry::Free(EntryOf(slots_[i]));
  }
  FreeSlots(slots_, mask_ + 1);
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
      Entry* e = EntryOf(slots_[i]);
      if (Home(e->hash) == bucket) {
        fn(e);
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
    const uintptr_t s = slots_[rng() & mask_];
    if (s) return EntryOf(s);
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
    Entry* e = EntryOf(slots_[i]);
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
    if (slots_[i]) fn(EntryOf(slots_[i]));
  }
}

}  // namespace walnut
