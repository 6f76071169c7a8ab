// Entry: one live key and its value, as the index holds it in memory.
//
// A single heap block: a fixed header followed by the key bytes and the value
// bytes. One allocation per key keeps the per-key overhead small (the index
// slot is one pointer) and keeps key and value together for the cache. The
// cached hash makes resizes and mismatching probes cheap.
//
// Where a value may live (the flags):
//  - In memory only: header | key | value. Values written since their record
//    reached a file, or every value when Options::max_memory_bytes is 0.
//  - On disk only (kValueOnDisk): header | key | DiskLoc. value_len is still
//    the value's length. Loaded from a snapshot (snapshot.h), or evicted
//    under --max-memory (docs/memory.md). Read on demand and checked against
//    the checksum in the DiskLoc, so a damaged file is reported, never served.
//  - In memory with a known copy on disk (kHasLoc): header | key | value |
//    DiskLoc. Only with max-memory, whose entries all get the room for a
//    DiskLoc (kLocSlot) when made; the location is filled in once the value's
//    record is written. Such an entry can be evicted (turned into an on-disk
//    one) without any I/O.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace walnut {

// Where a value's bytes lie in a file of the database, and their checksum.
struct DiskLoc {
  uint64_t offset;    // of the first value byte in the file
  uint32_t checksum;  // low 32 bits of XXH3-64 of the value
  uint32_t file;      // which file: a log segment's id, or kBaseFileTag | n
};
// DiskLoc::file of a base image: the tag and a number the process gives each
// image it reads values from (segment ids stay below the tag; a segment
// whose id does not gives its values no locations).
inline constexpr uint32_t kBaseFileTag = 0x80000000u;

struct Entry {
  static constexpr uint32_t kValueOnDisk = 1;  // no value bytes; a DiskLoc follows the key
  static constexpr uint32_t kHasLoc = 2;       // value in memory and a DiskLoc after it
  static constexpr uint32_t kLocSlot = 4;      // room for a DiskLoc after the value
  static constexpr uint32_t kRef = 8;          // read since the CLOCK hand last passed

  uint64_t hash;
  int64_t expire_at_ms;  // 0: never expires
  uint32_t key_len;
  uint32_t value_len;
  uint32_t access_s;  // coarse last-access time (seconds), for OBJECT IDLETIME
  uint32_t flags;     // the k* flags above

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {data(), key_len}; }
  // Only for entries whose value is in memory (!on_disk()).
  std::string_view value() const { return {data() + key_len, value_len}; }
  bool on_disk() const { return flags & kValueOnDisk; }
  // Whether the value has a known place on disk (on_disk() or kHasLoc).
  bool has_loc() const { return flags & (kValueOnDisk | kHasLoc); }
  // Only if has_loc().
  DiskLoc loc() const {
    DiskLoc l;
    std::memcpy(&l, LocPtr(), sizeof(l));
    return l;
  }
  // Records where the value lies; for an on-disk entry or one made with
  // room for it (kLocSlot).
  void set_loc(const DiskLoc& l) {
    std::memcpy(LocPtr(), &l, sizeof(l));
    if (!on_disk()) flags |= kHasLoc;
  }
  bool ExpiredAt(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }

  // loc_slot: leave room for a DiskLoc after the value (max-memory).
  static Entry* Make(uint64_t hash, std::string_view key, std::string_view value,
                     int64_t expire_at_ms, bool loc_slot = false) {
    const size_t extra = loc_slot ? sizeof(DiskLoc) : 0;
    void* mem = std::malloc(sizeof(Entry) + key.size() + value.size() + extra);
    if (!mem) throw std::bad_alloc();  // out of memory is fatal, as in Redis
    Entry* e = static_cast<Entry*>(mem);
    e->hash = hash;
    e->expire_at_ms = expire_at_ms;
    e->key_len = uint32_t(key.size());
    e->value_len = uint32_t(value.size());
    e->access_s = 0;
    e->flags = loc_slot ? kLocSlot : 0;
    if (!key.empty()) std::memcpy(e->data(), key.data(), key.size());
    if (!value.empty()) std::memcpy(e->data() + key.size(), value.data(), value.size());
    return e;
  }
  // value_room: allocate the block an in-memory entry of this value will
  // need (a snapshot start-up without a memory budget, whose loader soon
  // replaces every such entry by one with its value). The allocator then
  // reuses each freed block for the next value filled in, instead of keeping
  // the small on-disk blocks between the large ones: without it a snapshot
  // start-up ends with ~80 more bytes of RSS per key than a replay.
  static Entry* MakeOnDisk(uint64_t hash, std::string_view key, uint32_t value_len,
                           int64_t expire_at_ms, const DiskLoc& loc, bool value_room = false) {
    const size_t room = value_room && value_len > sizeof(DiskLoc) ? value_len : sizeof(DiskLoc);
    void* mem = std::malloc(sizeof(Entry) + key.size() + room);
    if (!mem) throw std::bad_alloc();  // out of memory is fatal, as in Redis
    Entry* e = static_cast<Entry*>(mem);
    e->hash = hash;
    e->expire_at_ms = expire_at_ms;
    e->key_len = uint32_t(key.size());
    e->value_len = value_len;
    e->access_s = 0;
    e->flags = kValueOnDisk;
    if (!key.empty()) std::memcpy(e->data(), key.data(), key.size());
    std::memcpy(e->data() + key.size(), &loc, sizeof(loc));
    return e;
  }
  // The same value, kept in memory with its location (max-memory).
  static Entry* MakeLocated(uint64_t hash, std::string_view key, std::string_view value,
                            int64_t expire_at_ms, const DiskLoc& loc) {
    Entry* e = Make(hash, key, value, expire_at_ms, /*loc_slot=*/true);
    e->set_loc(loc);
    return e;
  }
  static void Free(Entry* e) { std::free(e); }

 private:
  const char* LocPtr() const { return data() + key_len + (on_disk() ? 0 : value_len); }
  char* LocPtr() { return data() + key_len + (on_disk() ? 0 : value_len); }
};
static_assert(sizeof(Entry) == 32);

}  // namespace walnut
