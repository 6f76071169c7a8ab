#include "engine/hash_index.h"

#include <sys/mman.h>

#include <algorithm>
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

// Tables of at least this many bytes are mapped on their own (munmap gives
// the memory back at once), aligned to 2 MiB.
//
// Huge pages (huge_pages: transparent huge pages advised): an insert or
// lookup lands on a random slot, and with 4 KiB pages each such access in a
// table of tens of MiB also misses the TLB (a page walk: more cache misses).
// Recovery's presized table uses them (start-up measured faster). A table
// made for an incremental resize does not, and asks the kernel not to: it is
// filled while requests are served, and the first touch of each 2 MiB page
// is a fault that clears it and, when memory is fragmented, compacts memory
// first. Measured through the server (a 14M-key SET load, THP "madvise"):
// with huge pages the longest request took 285-300 ms, with the process's
// THP turned off 22 ms; a 4 KiB fault costs microseconds.
constexpr size_t kHugePage = size_t(2) << 20;

uintptr_t* AllocSlots(size_t capacity, bool huge_pages) {
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
  // Hints only; either way the table works.
  (void)::madvise(reinterpret_cast<void*>(aligned), bytes,
                  huge_pages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
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

HashIndex::HashIndex(HashIndex&& o) noexcept { *this = std::move(o); }

HashIndex& HashIndex::operator=(HashIndex&& o) noexcept {
  if (this != &o) {
    Clear();
    slots_ = std::exchange(o.slots_, nullptr);
    mask_ = std::exchange(o.mask_, 0);
    size_ = std::exchange(o.size_, 0);
    old_slots_ = std::exchange(o.old_slots_, nullptr);
    old_mask_ = std::exchange(o.old_mask_, 0);
    old_start_ = std::exchange(o.old_start_, 0);
    moved_ = std::exchange(o.moved_, 0);
    old_size_ = std::exchange(o.old_size_, 0);
    step_ = std::exchange(o.step_, 0);
    incremental_from_ = o.incremental_from_;
    min_step_ = o.min_step_;
    slots_moved_ = o.slots_moved_;
  }
  return *this;
}

namespace {

constexpr size_t kNotFound = SIZE_MAX;

// The slot holding key/hash on the run that starts at `start`, or kNotFound.
template <typename HoldsFn>
size_t FindOnRun(const uintptr_t* slots, size_t mask, size_t start, HoldsFn holds) {
  for (size_t i = start;; i = (i + 1) & mask) {
    const uintptr_t s = slots[i];
    if (!s) return kNotFound;
    if (holds(s)) return i;
  }
}

}  // namespace

Entry* HashIndex::Find(std::string_view key, uint64_t hash) const {
  if (!slots_) return nullptr;
  auto holds = [&](uintptr_t s) { return Holds(s, key, hash); };
  size_t i = FindOnRun(slots_, mask_, Home(hash), holds);
  if (i != kNotFound) return EntryOf(slots_[i]);
  if (!old_slots_) return nullptr;
  i = FindOnRun(old_slots_, old_mask_, OldProbeStart(size_t(hash) & old_mask_), holds);
  return i == kNotFound ? nullptr : EntryOf(old_slots_[i]);
}

Entry* HashIndex::Upsert(Entry* e) {
  const uintptr_t packed = Pack(e);
  const std::string_view key = e->key();
  auto holds = [&](uintptr_t s) { return Holds(s, key, e->hash); };
  if (!slots_) Resize(kMinCapacity);
  if (old_slots_) {
    ResizeStep(step_);
    // The step is sized so that the old table empties before the new one
    // fills (BeginResize); should it not, finish now rather than overfill.
    if (old_slots_ && TooFull(size_ - old_size_ + 1, mask_ + 1)) FinishResize();
  }
  if (!old_slots_ && TooFull(size_ + 1, mask_ + 1)) BeginResize((mask_ + 1) * 2);
  if (old_slots_) {
    // A key still in the old table is replaced where it is: it must not be
    // in both tables. (Looked for after any BeginResize above, which puts
    // every key there.)
    size_t i = FindOnRun(old_slots_, old_mask_, OldProbeStart(size_t(e->hash) & old_mask_), holds);
    if (i != kNotFound) {
      Entry* prev = EntryOf(old_slots_[i]);
      old_slots_[i] = packed;
      return prev;
    }
  }
  for (size_t i = Home(e->hash);; i = (i + 1) & mask_) {
    const uintptr_t cur = slots_[i];
    if (!cur) {
      slots_[i] = packed;
      size_++;
      return nullptr;
    }
    if (holds(cur)) {
      slots_[i] = packed;
      return EntryOf(cur);
    }
  }
}

void HashIndex::ReplaceInPlace(Entry* old, Entry* e) {
  assert(old->hash == e->hash && old->key() == e->key());
  auto is_old = [&](uintptr_t s) { return EntryOf(s) == old; };
  size_t i = FindOnRun(slots_, mask_, Home(old->hash), is_old);
  if (i != kNotFound) {
    slots_[i] = Pack(e);
    return;
  }
  assert(old_slots_);
  i = FindOnRun(old_slots_, old_mask_, OldProbeStart(size_t(old->hash) & old_mask_), is_old);
  assert(i != kNotFound);
  old_slots_[i] = Pack(e);
}

Entry* HashIndex::Remove(std::string_view key, uint64_t hash) {
  if (!slots_) return nullptr;
  if (old_slots_) ResizeStep(step_);
  auto holds = [&](uintptr_t s) { return Holds(s, key, hash); };
  size_t i = FindOnRun(slots_, mask_, Home(hash), holds);
  if (i != kNotFound) {
    Entry* e = EntryOf(slots_[i]);
    ErasePosition(i);
    MaybeShrink();
    return e;
  }
  if (!old_slots_) return nullptr;
  i = FindOnRun(old_slots_, old_mask_, OldProbeStart(size_t(hash) & old_mask_), holds);
  if (i == kNotFound) return nullptr;
  Entry* e = EntryOf(old_slots_[i]);
  ErasePosition(mask_ + 1 + i);
  return e;
}

// Backward-shift deletion: pull later members of the run into the hole when
// their home bucket allows it, so that no lookup meets an empty slot before
// reaching its key. This keeps the "run from the home bucket" invariant that
// Find and Scan rely on. In the old table of a resize the same rule keeps
// the invariant as OldProbeStart states it: the hole is never among the
// moved slots (they are empty), the shift stops at the empty slot before
// old_start_, and an entry whose home was moved counts as farther from its
// slot than the hole is, so it may fill the hole and still lie after the
// first unmoved slot.
void HashIndex::EraseAt(uintptr_t* slots, size_t mask, size_t hole) {
  size_t i = hole;
  for (;;) {
    i = (i + 1) & mask;
    const uintptr_t s = slots[i];
    if (!s) break;
    const Entry* e = EntryOf(s);
    // e may move back to `hole` only if that keeps it at or after its home
    // bucket along the probe run: its home is at least as far from i as hole.
    size_t home_dist = (i - (size_t(e->hash) & mask)) & mask;
    size_t hole_dist = (i - hole) & mask;
    if (home_dist >= hole_dist) {
      slots[hole] = s;
      hole = i;
    }
  }
  slots[hole] = 0;
}

void HashIndex::ErasePosition(size_t i) {
  size_--;
  if (i <= mask_) {
    EraseAt(slots_, mask_, i);
  } else {
    old_size_--;
    EraseAt(old_slots_, old_mask_, i - (mask_ + 1));
  }
}

void HashIndex::MaybeShrink() {
  size_t cap = mask_ + 1;
  if (!old_slots_ && cap > kMinCapacity && size_ * 10 < cap) {
    BeginResize(GrownCapacity(size_ * 2));
  }
}

void HashIndex::Reserve(size_t n) {
  const size_t cap = GrownCapacity(n);
  if (cap > capacity()) Resize(cap);
}

void HashIndex::ShrinkToFit() {
  FinishResize();
  const size_t cap = GrownCapacity(size_);
  if (capacity() > cap) Resize(cap);
}

void HashIndex::Resize(size_t new_capacity) {
  FinishResize();
  uintptr_t* fresh = AllocSlots(new_capacity, /*huge_pages=*/true);
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

void HashIndex::BeginResize(size_t new_capacity) {
  assert(!old_slots_);
  if (mask_ + 1 < incremental_from_ || size_ == 0) {
    Resize(new_capacity);
    return;
  }
  // Start moving just after an empty slot: a table being resized is at most
  // 3/4 full, so there is one. No run crosses it, so moving the slots in
  // order from there never strands an entry before a moved (emptied) slot
  // it needs to be found through (see OldProbeStart).
  size_t empty = 0;
  while (slots_[empty]) empty++;
  old_slots_ = slots_;
  old_mask_ = mask_;
  old_start_ = (empty + 1) & old_mask_;
  moved_ = 0;
  old_size_ = size_;
  slots_ = AllocSlots(new_capacity, /*huge_pages=*/false);  // see AllocSlots
  mask_ = new_capacity - 1;
  // Inserts land in the new table while the old one empties into it. It may
  // take `room` more entries before it is too full; moving the old table's
  // slots over at least half that many Upserts and Removes leaves a margin.
  // At least kMinResizeStep (32) slots per call: while a resize is under way
  // every insert of a new key also probes the old table, so a short resize
  // costs less in all (growing, 2^24 slots take ~520K writes). Measured
  // through the server (14M-key SET fill, bench/results/index_growth.md),
  // 32 gave a longest request of 13-18 ms against 24-52 ms with 8, at the
  // same throughput and p99.
  const size_t old_cap = old_mask_ + 1;
  const size_t fits = new_capacity / 4 * 3;
  const size_t room = fits > size_ ? fits - size_ : 1;
  step_ = std::max<size_t>(min_step_, (old_cap + room / 2 - 1) / std::max<size_t>(1, room / 2) + 1);
}

void HashIndex::ResizeStep(size_t slots) {
  if (!old_slots_) return;
  const size_t old_cap = old_mask_ + 1;
  const size_t end = old_cap - moved_ > slots ? moved_ + slots : old_cap;
  // Each moved entry's hash is read for its new home, and that slot is then
  // read and written: two cache misses per entry. Fetch the entry 16 slots
  // ahead and, 8 slots ahead, the new home slot of the entry fetched
  // earlier. Ahead of `end` too: a write moves only a few slots, and the
  // next write moves the ones fetched now.
  constexpr size_t kAhead = 8;
  slots_moved_ += end - moved_;
  for (; moved_ < end; moved_++) {
    if (moved_ + 2 * kAhead < old_cap) {
      const uintptr_t far = old_slots_[(old_start_ + moved_ + 2 * kAhead) & old_mask_];
      if (far) __builtin_prefetch(EntryOf(far));
      const uintptr_t near = old_slots_[(old_start_ + moved_ + kAhead) & old_mask_];
      if (near) __builtin_prefetch(&slots_[Home(EntryOf(near)->hash)], /*rw=*/1);
    }
    const size_t i = (old_start_ + moved_) & old_mask_;
    const uintptr_t s = old_slots_[i];
    if (!s) continue;
    old_slots_[i] = 0;
    old_size_--;
    size_t j = Home(EntryOf(s)->hash);
    while (slots_[j]) j = (j + 1) & mask_;
    slots_[j] = s;
  }
  if (moved_ == old_cap) {
    assert(old_size_ == 0);
    FreeSlots(old_slots_, old_cap);
    old_slots_ = nullptr;
    old_mask_ = 0;
    old_start_ = 0;
    moved_ = 0;
    old_size_ = 0;
  }
}

void HashIndex::Clear() {
  for (uintptr_t* t : {slots_, old_slots_}) {
    if (!t) continue;
    const size_t mask = t == slots_ ? mask_ : old_mask_;
    for (size_t i = 0; i <= mask; i++) {
      if (t[i]) Entry::Free(EntryOf(t[i]));
    }
    FreeSlots(t, mask + 1);
  }
  slots_ = old_slots_ = nullptr;
  mask_ = old_mask_ = 0;
  size_ = old_size_ = 0;
  old_start_ = moved_ = 0;
}

uint64_t HashIndex::Scan(uint64_t cursor, size_t count,
                         const std::function<void(Entry*)>& fn) const {
  if (!slots_ || size_ == 0) return 0;
  size_t visited = 0;
  // Entries of `table` whose home is `bucket`: they lie on the run from
  // `start` (the bucket, or for the old table where its probes start).
  auto visit = [&](const uintptr_t* table, size_t mask, size_t bucket, size_t start) {
    for (size_t i = start; table[i]; i = (i + 1) & mask) {
      Entry* e = EntryOf(table[i]);
      if ((size_t(e->hash) & mask) == bucket) {
        fn(e);
        visited++;
      }
    }
  };
  // The cursor counts the smaller table's buckets; each stands for itself
  // and for every bucket of the larger table with the same low bits. A key
  // whose bucket comes up is in one of the two tables at that moment, and
  // both of its possible buckets are visited then.
  const size_t small = old_slots_ ? std::min(mask_, old_mask_) : mask_;
  // Bound the work on sparse tables (saturating: count may be huge).
  size_t budget = count > (SIZE_MAX - 16) / 10 ? SIZE_MAX : count * 10 + 16;
  do {
    const size_t bucket = size_t(cursor) & small;
    for (size_t b = bucket; b <= mask_; b += small + 1) visit(slots_, mask_, b, b);
    if (old_slots_) {
      for (size_t b = bucket; b <= old_mask_; b += small + 1) {
        visit(old_slots_, old_mask_, b, OldProbeStart(b));
      }
    }
    // Advance the reverse-binary cursor: increment the masked bits from the top.
    cursor |= ~uint64_t(small);
    cursor = ReverseBits(cursor);
    cursor++;
    cursor = ReverseBits(cursor);
    if (budget > 0) budget--;
  } while (cursor != 0 && visited < count && budget > 0);
  return cursor;
}

Entry* HashIndex::Random(std::mt19937_64& rng) const {
  if (size_ == 0) return nullptr;
  // Each table is at least 1/10 full (MaybeShrink; during a resize the two
  // together hold every entry), so this takes ~10 tries at worst on average.
  // Picking a random slot then walking to the next entry would favour
  // entries after long empty gaps.
  const size_t n = positions();
  for (;;) {
    const uintptr_t s = *PositionSlot(rng() % n);
    if (s) return EntryOf(s);
  }
}

void HashIndex::SweepSlots(size_t* position, size_t slots,
                           const std::function<bool(const Entry*)>& pred,
                           const std::function<void(Entry*)>& on_remove) {
  const size_t n = positions();
  if (n == 0) {
    *position = 0;
    return;
  }
  size_t i = *position < n ? *position : 0;
  size_t removed_any = 0;
  for (size_t walked = 0; walked < slots && walked < n;) {
    Entry* e = EntryOf(*PositionSlot(i));
    if (e && pred(e)) {
      // A backward shift may pull another entry into slot i: look again.
      // That look is not another slot walked (counting it made a pass over
      // every slot stop one slot short per removal).
      ErasePosition(i);
      on_remove(e);
      removed_any++;
      continue;
    }
    walked++;
    if (++i == n) {
      i = 0;
      break;
    }
  }
  *position = i;
  if (removed_any) MaybeShrink();
}

void HashIndex::ForEach(const std::function<void(const Entry*)>& fn) const {
  const size_t n = slots_ ? positions() : 0;
  for (size_t i = 0; i < n; i++) {
    if (const uintptr_t s = *PositionSlot(i)) fn(EntryOf(s));
  }
}

}  // namespace walnut
