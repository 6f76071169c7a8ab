// Snapshots of the index (Bitcask calls them hint files): for each live key
// of a base image, where its value lies in that image, so start-up can load
// the keys without reading the values.
//
// hint-<20-digit seq>.dat describes base-<same seq>.dat:
//
//   header  "WALNUTHT" | u32 version (1) | u32 0 | u64 covered seq
//           | u64 XXH3-64 of the 24 bytes before
//   chunks  u32 body length | u32 entry count | u64 XXH3-64 of the body | body
//           body: per entry varint db, varint key length, key, u64 expiry
//           (0: none), u64 value offset in the base, varint value length,
//           u32 value checksum (low 32 bits of XXH3-64)
//   end     a chunk with count 0 whose body is the u64 total of entries and
//           the u64 size of the base image it describes
//
// Why a damaged snapshot can never give wrong data: every chunk is
// checksummed and the file must end with the end chunk naming the right
// total and the base image's exact size, so a hint of
// another image (or an image changed since) is refused. Any problem makes
// start-up load the base image itself instead. A value read through a hint
// is checked against its own checksum before it is served.
//
// Written by compaction after its base image is durable, fsynced before its
// rename; installed after the base, so a crash between the two renames
// leaves a base without a hint (loaded the slow way), never the reverse.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/keyspace.h"
#include "walnut/env.h"
#include "walnut/status.h"

namespace walnut {

std::string HintFileName(uint64_t covered_seq);
bool ParseHintFileName(std::string_view name, uint64_t* covered_seq);
uint32_t ValueChecksum(std::string_view value);

// Reads the value of `key`, len bytes at loc in file f (called path), into
// *out and checks it against loc's checksum: Corruption naming the file,
// offset and key if it is cut short or does not match.
Status ReadValueAt(const RandomAccessFile& f, const std::string& path, const DiskLoc& loc,
                   uint32_t len, std::string_view key, std::string* out);

// Writes a hint file while compaction writes the base image, chunk by chunk.
// An entry's value offset is known only once the record holding the value has
// its place in the image, so entries wait in the open chunk until
// RecordPlaced, and chunks are written only then.
class HintWriter {
 public:
  // Writes the header to `out` (which the caller syncs and closes).
  HintWriter(WritableFile* out, uint64_t covered);
  // An entry whose value sits `value_pos` bytes into the record being built.
  void Add(uint32_t db, std::string_view key, int64_t expire_at_ms, size_t value_pos,
           uint32_t value_len, uint32_t checksum);
  // The record holding the entries added since the last call starts at
  // file offset `offset` of the base image.
  Status RecordPlaced(uint64_t offset);
  // Writes the end chunk.
  Status Finish(uint64_t base_size);
  const Status& status() const { return status_; }

 private:
  Status WriteChunk(uint32_t count, const std::string& body);
  WritableFile* out_;
  std::string chunk_;
  uint32_t chunk_count_ = 0;
  uint64_t entries_ = 0;
  std::vector<std::pair<size_t, size_t>> pending_;  // (offset field in chunk_, value_pos)
  Status status_;
};

struct HintLoadResult {
  uint64_t entries = 0;
  uint64_t bytes = 0;
};

// One key of a hint file.
struct HintEntry {
  uint32_t db;
  std::string_view key;
  int64_t expire_at_ms;
  uint64_t offset;  // of the value in the base image
  uint32_t value_len;
  uint32_t checksum;
};

// Reads hint file `path` for base image `covered` of `base_size` bytes, one
// checksummed chunk at a time, and passes each chunk's entries to fn (the
// keys are valid during the call; a failure from fn stops the reading and is
// returned). Corruption (naming file, offset and cause) if the hint is
// damaged or does not describe that image; fn has then seen the chunks
// before the damage.
Status ReadHint(Env* env, const std::string& path, uint64_t covered, uint64_t base_size,
                uint32_t num_dbs, const std::function<Status(const std::vector<HintEntry>&)>& fn,
                HintLoadResult* result);

// Loads hint file `path` into ks as on-disk entries whose DiskLoc names
// `file` (the base image's value-file number). Errors as ReadHint's; ks is
// then partly filled and must be cleared by the caller. value_room: see
// Entry::MakeOnDisk (true when no memory budget keeps values on disk).
Status LoadHint(Env* env, const std::string& path, uint64_t covered, uint64_t base_size,
                uint32_t file, Keyspace* ks, HintLoadResult* result, bool value_room = false);

}  // namespace walnut
