#include "engine/snapshot.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "common/hash.h"

namespace walnut {

namespace {

constexpr char kHintMagic[8] = {'W', 'A', 'L', 'N', 'U', 'T', 'H', 'T'};
constexpr size_t kHintHeaderSize = 32;
constexpr size_t kChunkHeaderSize = 16;
constexpr uint64_t kHintSeed = 0x57414c4e55544849ull;  // "WALNUTHI"
constexpr size_t kChunkTarget = 1 << 20;
constexpr std::string_view kPrefix = "hint-";
constexpr std::string_view kSuffix = ".dat";

uint64_t Checksum(std::string_view data) {
  return XXH3_64bits_withSeed(data.data(), data.size(), kHintSeed);
}

}  // namespace

std::string HintFileName(uint64_t covered_seq) {
  char name[48];
  std::snprintf(name, sizeof(name), "hint-%020llu.dat", (unsigned long long)covered_seq);
  return name;
}

bool ParseHintFileName(std::string_view name, uint64_t* covered_seq) {
  if (name.size() != kPrefix.size() + 20 + kSuffix.size() || name.substr(0, 5) != kPrefix ||
      name.substr(name.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(kPrefix.size(), 20)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  *covered_seq = v;
  return true;
}

uint32_t ValueChecksum(std::string_view value) {
  return uint32_t(XXH3_64bits(value.data(), value.size()));
}

Status ReadValueAt(const RandomAccessFile& f, const std::string& path, const DiskLoc& loc,
                   uint32_t len, std::string_view key, std::string* out) {
  auto damaged = [&](const std::string& why) {
    return Status::Corruption(path + " at offset " + std::to_string(loc.offset) +
                              ": the value of key '" + std::string(key) + "' " + why);
  };
  out->resize(len);
  std::string_view got;
  Status s = f.Read(loc.offset, len, out->data(), &got);
  if (!s.ok()) return s;
  if (got.size() != len) return damaged("is cut short");
  if (ValueChecksum(got) != loc.checksum) {
    return damaged("does not match its checksum; it is not served");
  }
  if (got.data() != out->data()) std::memmove(out->data(), got.data(), len);
  return Status::OK();
}

// ---------------------------------------------------------------- writing

HintWriter::HintWriter(WritableFile* out, uint64_t covered) : out_(out) {
  std::string h(kHintMagic, sizeof(kHintMagic));
  PutFixed32(&h, 1);
  PutFixed32(&h, 0);
  PutFixed64(&h, covered);
  PutFixed64(&h, Checksum(h));
  status_ = out_->Append(h);
}

void HintWriter::Add(uint32_t db, std::string_view key, int64_t expire_at_ms, size_t value_pos,
                     uint32_t value_len, uint32_t checksum) {
  PutVarint64(&chunk_, db);
  PutLengthPrefixed(&chunk_, key);
  PutFixed64(&chunk_, uint64_t(expire_at_ms));
  pending_.emplace_back(chunk_.size(), value_pos);
  PutFixed64(&chunk_, 0);  // patched by RecordPlaced
  PutVarint64(&chunk_, value_len);
  PutFixed32(&chunk_, checksum);
  chunk_count_++;
}

Status HintWriter::WriteChunk(uint32_t count, const std::string& body) {
  std::string h;
  PutFixed32(&h, uint32_t(body.size()));
  PutFixed32(&h, count);
  PutFixed64(&h, Checksum(body));
  Status s = out_->Append(h);
  if (s.ok()) s = out_->Append(body);
  return s;
}

Status HintWriter::RecordPlaced(uint64_t offset) {
  for (auto [at, pos] : pending_) EncodeFixed64(chunk_.data() + at, offset + pos);
  pending_.clear();
  if (status_.ok() && chunk_.size() >= kChunkTarget) {
    status_ = WriteChunk(chunk_count_, chunk_);
    entries_ += chunk_count_;
    chunk_.clear();
    chunk_count_ = 0;
  }
  return status_;
}

Status HintWriter::Finish(uint64_t base_size) {
  if (status_.ok() && chunk_count_ > 0) {
    status_ = WriteChunk(chunk_count_, chunk_);
    entries_ += chunk_count_;
  }
  std::string end;
  PutFixed64(&end, entries_);
  PutFixed64(&end, base_size);
  if (status_.ok()) status_ = WriteChunk(0, end);
  return status_;
}

// ---------------------------------------------------------------- loading

Status ReadHint(Env* env, const std::string& path, uint64_t covered, uint64_t base_size,
                uint32_t num_dbs, const std::function<Status(const std::vector<HintEntry>&)>& fn,
                HintLoadResult* result) {
  auto f = env->NewRandomAccessFile(path);
  if (!f.ok()) return f.status();
  const uint64_t size = (*f)->Size();
  auto bad = [&](uint64_t at, const std::string& why) {
    return Status::Corruption(path + " at offset " + std::to_string(at) + ": " + why);
  };
  std::string buf;
  auto read = [&](uint64_t at, size_t n, std::string_view* out) -> Status {
    if (at + n > size) return bad(at, "ends early (no end chunk)");
    buf.resize(n);
    Status s = (*f)->Read(at, n, buf.data(), out);
    if (s.ok() && out->size() != n) return bad(at, "short read");
    return s;
  };
  std::string_view v;
  Status s = read(0, kHintHeaderSize, &v);
  if (!s.ok()) return s;
  if (std::memcmp(v.data(), kHintMagic, 8) != 0 || DecodeFixed32(v.data() + 8) != 1 ||
      DecodeFixed64(v.data() + 24) != Checksum(v.substr(0, 24))) {
    return bad(0, "not a hint file (bad header)");
  }
  if (DecodeFixed64(v.data() + 16) != covered) return bad(0, "describes another base image");

  uint64_t at = kHintHeaderSize;
  uint64_t entries = 0;
  std::vector<HintEntry> chunk;
  for (;;) {
    s = read(at, kChunkHeaderSize, &v);
    if (!s.ok()) return s;
    const uint32_t len = DecodeFixed32(v.data());
    const uint32_t count = DecodeFixed32(v.data() + 4);
    const uint64_t sum = DecodeFixed64(v.data() + 8);
    if (len > (64u << 20)) return bad(at, "chunk length out of range");
    s = read(at + kChunkHeaderSize, len, &v);
    if (!s.ok()) return s;
    // The chunks after this one are read next: let the disk fetch them
    // while this one is checked and loaded.
    (*f)->WillNeed(at + kChunkHeaderSize + len, 4 << 20);
    if (Checksum(v) != sum) return bad(at, "chunk checksum mismatch");
    if (count == 0) {
      if (len != 16 || DecodeFixed64(v.data()) != entries) return bad(at, "bad end chunk");
      if (DecodeFixed64(v.data() + 8) != base_size) {
        return bad(at, "describes a base image of " + std::to_string(DecodeFixed64(v.data() + 8)) +
                           " bytes, but it has " + std::to_string(base_size));
      }
      if (at + kChunkHeaderSize + len != size) return bad(at, "bytes after the end chunk");
      break;
    }
    std::string_view in = v;
    chunk.clear();
    for (uint32_t i = 0; i < count; i++) {
      uint64_t db, expire, offset, vlen;
      std::string_view key;
      if (!GetVarint64(&in, &db) || !GetLengthPrefixed(&in, &key) || !GetFixed64(&in, &expire) ||
          !GetFixed64(&in, &offset) || !GetVarint64(&in, &vlen) || in.size() < 4) {
        return bad(at, "malformed entry");
      }
      const uint32_t checksum = DecodeFixed32(in.data());
      in.remove_prefix(4);
      if (db >= num_dbs) return bad(at, "entry names database " + std::to_string(db));
      if (vlen > 0xFFFFFFFFull || offset > base_size || vlen > base_size - offset ||
          int64_t(expire) < 0) {
        return bad(at, "entry points outside the base image");
      }
      chunk.push_back(
          HintEntry{uint32_t(db), key, int64_t(expire), offset, uint32_t(vlen), checksum});
    }
    if (!in.empty()) return bad(at, "trailing bytes in a chunk");
    s = fn(chunk);
    if (!s.ok()) return s;
    entries += count;
    at += kChunkHeaderSize + len;
  }
  result->entries = entries;
  result->bytes = size;
  return Status::OK();
}

namespace {

// The entry count the end chunk of hint file `path` announces, read ahead
// of the chunks to size the index once (0 if it cannot be read, or its
// checksum does not match). Only a size hint: ReadHint still checks the
// end chunk, and the count against the entries it read, as before.
uint64_t AnnouncedEntries(Env* env, const std::string& path) {
  auto f = env->NewRandomAccessFile(path);
  if (!f.ok()) return 0;
  const uint64_t size = (*f)->Size();
  constexpr size_t kEnd = kChunkHeaderSize + 16;
  if (size < kHintHeaderSize + kEnd) return 0;
  char buf[kEnd];
  std::string_view v;
  if (!(*f)->Read(size - kEnd, kEnd, buf, &v).ok() || v.size() != kEnd) return 0;
  if (DecodeFixed32(v.data()) != 16 || DecodeFixed32(v.data() + 4) != 0 ||
      DecodeFixed64(v.data() + 8) != Checksum(v.substr(kChunkHeaderSize))) {
    return 0;
  }
  // Each entry takes at least 23 bytes (an empty key), so a count beyond
  // that cannot be right: never reserve more than the file could hold.
  return std::min<uint64_t>(DecodeFixed64(v.data() + kChunkHeaderSize), size / 23);
}

}  // namespace

Status LoadHint(Env* env, const std::string& path, uint64_t covered, uint64_t base_size,
                uint32_t file, Keyspace* ks, HintLoadResult* result, bool value_room) {
  uint64_t expected = AnnouncedEntries(env, path);
  // Each entry is inserted kAhead entries after it is made, its index slot
  // fetched into the cache meanwhile (a cache miss per key otherwise; see
  // Keyspace::MakeReplayPut). Within a chunk, so that the keys stay valid.
  constexpr size_t kAhead = 16;
  Entry* made[kAhead];
  return ReadHint(
      env, path, covered, base_size, ks->num_dbs(),
      [&](const std::vector<HintEntry>& chunk) {
        if (expected > 0 && !chunk.empty()) {
          // Most data sets use one database; Recover shrinks any other
          // table a guess left too large.
          ks->Reserve(chunk[0].db, expected);
          expected = 0;
        }
        const size_t n = chunk.size();
        for (size_t i = 0; i < n; i++) {
          const HintEntry& h = chunk[i];
          DiskLoc loc{h.offset, h.checksum, file};
          Entry* e = Entry::MakeOnDisk(HashKey(h.key), h.key, h.value_len, h.expire_at_ms, loc,
                                       value_room);
          ks->Prefetch(h.db, e->hash);
          if (i >= kAhead) ks->InsertLoaded(chunk[i - kAhead].db, made[i % kAhead]);
          made[i % kAhead] = e;
        }
        for (size_t i = n > kAhead ? n - kAhead : 0; i < n; i++) {
          ks->InsertLoaded(chunk[i].db, made[i % kAhead]);
        }
        return Status::OK();
      },
      result);
}

}  // namespace walnut
