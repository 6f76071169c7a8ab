// Entry: one live key and its value, as the index holds it in memory.
//
// A single heap block: a fixed header followed by the key bytes and the value
// bytes. One allocation per key keeps the per-key overhead small (the index
// slot is one pointer) and keeps key and value together for the cache. The
// cached hash makes resizes and mismatching probes cheap.
//
// An entry loaded from a snapshot (hint file, snapshot.h) may leave its value
// in the base image: then kValueOnDisk is set and a DiskLoc follows the key
// instead of the value bytes; value_len is still the value's length. Such an
// entry is materialised (replaced by an ordinary one) when its value is first
// needed, checked against the checksum in its DiskLoc.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace walnut {

// Where an on-disk value lies in the base image, and its checksum.
struct DiskLoc {
  uint64_t offset;
  uint32_t checksum;  // low 32 bits of XXH3-64 of the value
  uint32_t reserved;
};

struct Entry {
  static constexpr uint32_t kValueOnDisk = 1;

  uint64_t hash;
  int64_t expire_at_ms;  // 0: never expires
  uint32_t key_len;
  uint32_t value_len;
  uint32_t access_s;  // coarse last-access time (seconds), for OBJECT IDLETIME
  uint32_t flags;     // kValueOnDisk

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {data(), key_len}; }
  // Only for entries whose value is in memory (!on_disk()).
  std::string_view value() const { return {data() + key_len, value_len}; }
  bool on_disk() const { return flags & kValueOnDisk; }
  DiskLoc loc() const {
    DiskLoc l;
    std::memcpy(&l, data() + key_len, sizeof(l));
    return l;
  }
  bool ExpiredAt(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }

  static Entry* Make(uint64_t hash, std::string_view key, std::string_view value,
                     int64_t expire_at_ms) {
    void* mem = std::malloc(sizeof(Entry) + key.size() + value.size());
    if (!mem) throw std::bad_alloc();  // out of memory is fatal, as in Redis
    Entry* e = static_cast<Entry*>(mem);
    e->hash = hash;
    e->expire_at_ms = expire_at_ms;
    e->key_len = uint32_t(key.size());
    e->value_len = uint32_t(value.size());
    e->access_s = 0;
    e->flags = 0;
    if (!key.empty()) std::memcpy(e->data(), key.data(), key.size());
    if (!value.empty()) std::memcpy(e->data() + key.size(), value.data(), value.size());
    return e;
  }
  static Entry* MakeOnDisk(uint64_t hash, std::string_view key, uint32_t value_len,
                           int64_t expire_at_ms, const DiskLoc& loc) {
    Entry* e = Make(hash, key, std::string_view(reinterpret_cast<const char*>(&loc), sizeof(loc)),
                    expire_at_ms);
    e->value_len = value_len;
    e->flags = kValueOnDisk;
    return e;
  }
  static void Free(Entry* e) { std::free(e); }
};
static_assert(sizeof(Entry) == 32);

}  // namespace walnut
