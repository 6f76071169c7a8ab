// Fuzz target: the snapshot loader for hint files (hint-<seq>.dat,
// snapshot.h). A hint lets start-up load the keys of a compacted base image
// without its values; the values are then read on demand (checked against
// the checksum the hint gave) or by the background loader.
//
// Once per process a fixture builds a real directory: a DB (4 databases,
// one partition, fixed clock) gets keys with varied values and expiries,
// compacts (base-<seq>.dat + hint-<seq>.dat), then writes a few more ops to
// the log (an overwrite, a new key, a delete, expiry changes, a SWAPDB). The
// real hint's bytes and what the directory holds are kept as the model.
//
// Each input then gives a hint (byte 0 % 5 picks how; byte 1 holds flags):
//   0 the real hint with random damage: bit flips, bytes set, truncation,
//     bytes appended or inserted, at positions and values from the input;
//   1 the input's bytes as they are;
//   2 a forgery made with HintWriter from the input: databases (also out of
//     range), keys (the fixture's or new ones), expiries (none, future,
//     past, any 64-bit value), value offsets and lengths (a real value's,
//     one off, arbitrary, past the end, 4 GiB - 1), checksums (right for
//     the bytes pointed at, a real one, arbitrary), the real entries first
//     or not, the image's covered sequence and size right or wrong; then
//     perhaps the edits of mode 3;
//   3 the real hint split into its chunks and edited (body bytes, counts,
//     chunks dropped, repeated or added, header bytes), then every checksum
//     recomputed, so the loader's own checks after the checksums are reached;
//   4 the real hint with the base image damaged in place (its size kept, so
//     the hint still describes it): the values read through the hint.
// The fixture is copied to a fresh scratch directory (/dev/shm when there),
// the hint (and image) written there, and the DB opened in each recovery
// mode. Flags: bit 0 waits for the background loader before the reads;
// bit 1 compacts after them; bits 2-3 steer modes 2 and 3.
//
// What must hold. An oracle here reads the hint by the grammar snapshot.h
// documents (plus the loader's limits: database < num_databases, value
// inside the image, expiry >= 0) and says whether it is valid and which
// entries it holds; the engine must agree:
//   - Every open succeeds (the base image is intact, or the hint is; a
//     failure prints its status). No crash, no sanitizer report, no
//     allocation beyond the image's size (a 4 GiB value length is refused
//     as pointing outside the image; libFuzzer's malloc limit would catch a
//     4 GiB allocation).
//   - Invalid hint: it is not used (snapshot_keys 0, a "not used" note) and
//     the DB serves exactly the model, i.e. what the base image and the log
//     hold. Random damage (modes 0, 1) must always make the hint invalid
//     unless it left the bytes as they were: damage never gives wrong data.
//   - Valid hint: snapshot_keys is its entry count and the DB serves exactly
//     what follows from its entries: the last entry of each (db, key) wins,
//     the log written after the compaction is replayed over them, expired
//     keys are dropped. KeyCount and live_bytes agree. A key from the hint
//     reads as the image's bytes at [offset, offset + length) if they match
//     the entry's checksum, and otherwise fails with Corruption (and is
//     skipped by SCAN), whether the read comes before or after the
//     background loader; values_on_disk counts exactly those unreadable
//     keys. A compaction succeeds iff every key is readable, and then the
//     next start serves the same.
//   - Every DB closes cleanly; after the first mode's open, the next strict
//     open serves the same.
//
// So what can a forged hint whose checksums are all valid (someone who can
// write the directory and compute XXH3) do? Name keys the image never held,
// drop keys, give keys other expiries or databases, and point a key at any
// byte range of the image: the key then serves those bytes, but only if
// the entry's checksum is theirs, i.e. only bytes the image really holds
// (another key's value, a part of one, or record framing). What it cannot
// do: make a read serve bytes that are not in the image at that place
// (every value read through a hint is checked against the entry's checksum;
// the background loader only fills in a value of exactly the entry's
// offset, length and checksum), point outside the image or at another file,
// name a database past num_databases, override the log written after the
// compaction, crash the engine, or make it allocate more than the image's
// size for a value. A damaged (not forged) hint is never used: the header
// and every chunk body are under a 64-bit checksum, a chunk's entry count
// (outside it) must match its body exactly, and the end chunk must name the
// entry total and the image's exact size.
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/coding.h"
#include "engine/snapshot.h"
#include "fuzz_support.h"
#include "walnut/db.h"
#include "walnut/env.h"
#include "walnut/write_batch.h"

namespace {

namespace fs = std::filesystem;
using namespace walnut;

constexpr uint32_t kDbs = 4;
constexpr int64_t kNow = 1'700'000'000'000;  // the fixed clock (Unix ms)

using Reader = walnut::fuzz::FuzzInput;

// ---------------------------------------------------------------- the format
// The hint grammar of snapshot.h, written again here as the oracle. The
// checksum seed is snapshot.cc's; the fixture's self-check (the real hint
// must read as valid) catches a change of format.

constexpr uint64_t kHintSeed = 0x57414c4e55544849ull;  // "WALNUTHI"
constexpr size_t kHeaderSize = 32;
constexpr size_t kChunkHeaderSize = 16;
constexpr uint32_t kMaxChunk = 64u << 20;  // the loader's limit on a chunk body

uint64_t Sum(std::string_view d) { return XXH3_64bits_withSeed(d.data(), d.size(), kHintSeed); }

struct HintEnt {
  uint32_t db;
  std::string key;
  int64_t expire;
  uint64_t offset;
  uint64_t len;
  uint32_t sum;
};

// Whether `f` is a valid hint of image `covered` of `base_size` bytes; its
// entries in order in *out when it is.
bool Oracle(std::string_view f, uint64_t covered, uint64_t base_size, std::vector<HintEnt>* out) {
  out->clear();
  if (f.size() < kHeaderSize || f.substr(0, 8) != "WALNUTHT" || DecodeFixed32(f.data() + 8) != 1 ||
      DecodeFixed64(f.data() + 24) != Sum(f.substr(0, 24)) ||
      DecodeFixed64(f.data() + 16) != covered) {
    return false;
  }
  size_t at = kHeaderSize;
  for (;;) {
    if (f.size() - at < kChunkHeaderSize) return false;
    const uint32_t len = DecodeFixed32(f.data() + at);
    const uint32_t count = DecodeFixed32(f.data() + at + 4);
    const uint64_t sum = DecodeFixed64(f.data() + at + 8);
    at += kChunkHeaderSize;
    if (len > kMaxChunk || f.size() - at < len) return false;
    std::string_view body = f.substr(at, len);
    at += len;
    if (Sum(body) != sum) return false;
    if (count == 0) {
      return len == 16 && DecodeFixed64(body.data()) == out->size() &&
             DecodeFixed64(body.data() + 8) == base_size && at == f.size();
    }
    for (uint32_t i = 0; i < count; i++) {
      uint64_t db, expire, offset, vlen;
      std::string_view key;
      if (!GetVarint64(&body, &db) || !GetLengthPrefixed(&body, &key) ||
          !GetFixed64(&body, &expire) || !GetFixed64(&body, &offset) ||
          !GetVarint64(&body, &vlen) || body.size() < 4) {
        return false;
      }
      const uint32_t checksum = DecodeFixed32(body.data());
      body.remove_prefix(4);
      if (db >= kDbs || vlen > 0xFFFFFFFFull || offset > base_size || vlen > base_size - offset ||
          int64_t(expire) < 0) {
        return false;
      }
      out->push_back(
          HintEnt{uint32_t(db), std::string(key), int64_t(expire), offset, vlen, checksum});
    }
    if (!body.empty()) return false;
  }
}

// A hint cut into its parts (as far as the lengths allow), to be edited and
// written back with every checksum right.
struct Layout {
  std::string header;                                    // 32 bytes, or whatever there is
  std::vector<std::pair<uint32_t, std::string>> chunks;  // (count, body)
  std::string tail;                                      // bytes after the last whole chunk
};

Layout Split(std::string_view f) {
  Layout l;
  l.header = std::string(f.substr(0, std::min(f.size(), kHeaderSize)));
  size_t at = l.header.size();
  while (f.size() - at >= kChunkHeaderSize) {
    const uint32_t len = DecodeFixed32(f.data() + at);
    if (f.size() - at - kChunkHeaderSize < len) break;
    l.chunks.emplace_back(DecodeFixed32(f.data() + at + 4),
                          std::string(f.substr(at + kChunkHeaderSize, len)));
    at += kChunkHeaderSize + len;
  }
  l.tail = std::string(f.substr(at));
  return l;
}

std::string Seal(const Layout& l) {
  std::string f = l.header;
  if (f.size() == kHeaderSize) EncodeFixed64(f.data() + 24, Sum(std::string_view(f).substr(0, 24)));
  for (const auto& [count, body] : l.chunks) {
    PutFixed32(&f, uint32_t(body.size()));
    PutFixed32(&f, count);
    PutFixed64(&f, Sum(body));
    f += body;
  }
  return f + l.tail;
}

// HintWriter's output, kept in memory.
class StringFile final : public WritableFile {
 public:
  explicit StringFile(std::string* out) : out_(out) {}
  Status Append(std::string_view data) override {
    out_->append(data);
    return Status::OK();
  }
  Status Allocate(uint64_t) override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return out_->size(); }

 private:
  std::string* out_;
};

// ---------------------------------------------------------------- the model

// An op written to the log after the compaction.
struct Op {
  enum Kind { kPut, kDelete, kSetExpiry, kSwapDb } kind;
  uint32_t db;
  std::string key;  // kSwapDb: unused
  std::string value;
  int64_t expire;  // kSwapDb: the other database
};

// What one (db, key) must serve.
struct Slot {
  bool readable;  // false: a read fails with Corruption
  std::string value;
  int64_t expire;
  uint64_t value_len;  // counted in live_bytes
  bool operator==(const Slot&) const = default;
};
using Key = std::pair<uint32_t, std::string>;
using State = std::map<Key, Slot>;

// What a DB must serve after loading hint entries `hint` (or the base image,
// which gives the same as the real hint's entries) over image `base`, then
// replaying `log`, at kNow. Replay ignores expiry (as recovery does); expired
// keys are dropped at the end.
State Expect(const std::vector<HintEnt>& hint, const std::string& base,
             const std::vector<Op>& log) {
  std::vector<std::map<std::string, Slot>> dbs(kDbs);
  for (const HintEnt& h : hint) {
    Slot s{false, "", h.expire, h.len};
    if (h.offset <= base.size() && h.len <= base.size() - h.offset) {
      std::string bytes = base.substr(h.offset, h.len);
      if (ValueChecksum(bytes) == h.sum) {
        s.readable = true;
        s.value = std::move(bytes);
      }
    }
    dbs[h.db][h.key] = std::move(s);
  }
  for (const Op& op : log) {
    switch (op.kind) {
      case Op::kPut:
        dbs[op.db][op.key] = Slot{true, op.value, op.expire, op.value.size()};
        break;
      case Op::kDelete:
        dbs[op.db].erase(op.key);
        break;
      case Op::kSetExpiry: {
        auto it = dbs[op.db].find(op.key);
        if (it != dbs[op.db].end()) it->second.expire = op.expire;
        break;
      }
      case Op::kSwapDb:
        std::swap(dbs[op.db], dbs[uint32_t(op.expire)]);
        break;
    }
  }
  State out;
  for (uint32_t d = 0; d < kDbs; d++) {
    for (auto& [k, s] : dbs[d]) {
      if (s.expire == 0 || s.expire > kNow) out[{d, k}] = s;
    }
  }
  return out;
}

// ---------------------------------------------------------------- the fixture

std::atomic<bool> g_loader_done{false};

Options Opts(RecoveryMode mode) {
  Options o;
  o.fsync = FsyncMode::kNo;
  o.recovery = mode;
  o.auto_compact = false;
  o.num_databases = kDbs;
  o.partitions = 1;
  o.logger = [](LogLevel, std::string_view m) {
    if (m.rfind("snapshot loader", 0) == 0) g_loader_done = true;
  };
  o.clock_ms = [] { return kNow; };
  return o;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
}

struct Fixture {
  std::string root;  // scratch, removed at exit
  std::string dir;   // the fixture's directory, never opened again
  std::string work;  // where each open happens
  std::string base_name, hint_name;
  std::string base, hint;  // their bytes
  uint64_t covered = 0;
  std::vector<HintEnt> real;      // the real hint's entries
  std::vector<Op> log;            // written after the compaction
  std::vector<std::string> pool;  // key names in use
  State model;                    // what the directory serves
};

Fixture Build() {
  Fixture fx;
  fx.root = walnut::fuzz::ScratchPath("walnut-hint-fuzz");
  fx.dir = fx.root + "/fixture";
  fx.work = fx.root + "/db";
  fs::remove_all(fx.root);
  fs::create_directories(fx.dir);
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(walnut::fuzz::ScratchPath("walnut-hint-fuzz"), ec);
  });

  auto opened = DB::Open(fx.dir, Opts(RecoveryMode::kStrict));
  Check(opened.ok());
  DB& db = **opened;
  // Varied values: empty, one byte, binary, long, two keys with the same
  // value, a value equal to another key's name; some keys expire later,
  // one has already expired, two are deleted before the compaction.
  std::map<Key, std::pair<std::string, int64_t>> written;
  for (int i = 0; i < 48; i++) {
    const uint32_t d = uint32_t(i % 4);
    std::string key = i % 7 == 0 ? std::string(1, char('a' + i / 7)) : "key:" + std::to_string(i);
    std::string value;
    switch (i % 6) {
      case 0:
        value = "";
        break;
      case 1:
        value = std::string(1, char(i));
        break;
      case 2:
        value = "same value";
        break;
      case 3:
        value = std::string("bin\0\xff\x01", 6) + std::to_string(i);
        break;
      case 4:
        value = std::string(size_t(100 + 37 * i), char('A' + i % 26));
        break;
      case 5:
        value = "key:" + std::to_string(i + 1);
        break;
    }
    int64_t expire = i % 5 == 1 ? kNow + 1000 * i : i == 13 ? kNow - 1 : 0;
    WriteBatch b;
    b.Put(d, key, value, expire);
    Check(db.Write(b).ok());
    written[{d, key}] = {value, expire};
    fx.pool.push_back(key);
  }
  for (Key k : {Key{2, "key:2"}, Key{3, "key:15"}}) {
    WriteBatch b;
    b.Delete(k.first, k.second);
    Check(db.Write(b).ok());
    written.erase(k);
  }
  Check(db.Compact().ok());
  // After the compaction, in the log.
  fx.log = {
      {Op::kPut, 0, "key:4", "overwritten after the compaction", 0},
      {Op::kPut, 1, "new after", "only in the log", kNow + 5000},
      {Op::kDelete, 0, "key:8", "", 0},
      {Op::kSetExpiry, 2, "key:10", "", kNow + 77'000},
      {Op::kSetExpiry, 3, "key:11", "", 0},  // key:11 expires (i % 5 == 1): persist it
      {Op::kSwapDb, 1, "", "", 3},
      {Op::kPut, 3, "key:1", "written after the swap", 0},
  };
  fx.pool.push_back("new after");
  fx.pool.push_back("never written");
  for (const Op& op : fx.log) {
    WriteBatch b;
    switch (op.kind) {
      case Op::kPut:
        b.Put(op.db, op.key, op.value, op.expire);
        break;
      case Op::kDelete:
        b.Delete(op.db, op.key);
        break;
      case Op::kSetExpiry:
        b.SetExpiry(op.db, op.key, op.expire);
        break;
      case Op::kSwapDb:
        b.SwapDb(op.db, uint32_t(op.expire));
        break;
    }
    Check(db.Write(b).ok());
  }
  Check(db.Close().ok());
  opened->reset();

  for (auto& e : fs::directory_iterator(fx.dir)) {
    const std::string n = e.path().filename();
    if (n.rfind("base-", 0) == 0) fx.base_name = n;
    if (n.rfind("hint-", 0) == 0) fx.hint_name = n;
  }
  Check(!fx.base_name.empty() && !fx.hint_name.empty());
  Check(ParseHintFileName(fx.hint_name, &fx.covered));
  fx.base = ReadFile(fx.dir + "/" + fx.base_name);
  fx.hint = ReadFile(fx.dir + "/" + fx.hint_name);

  // Self-check: the oracle reads the real hint as valid, and its entries
  // are exactly what was written (all readable).
  Check(Oracle(fx.hint, fx.covered, fx.base.size(), &fx.real));
  std::map<Key, std::pair<std::string, int64_t>> live;
  for (auto& [k, v] : written) {
    if (v.second == 0 || v.second > kNow) live[k] = v;
  }
  Check(fx.real.size() == live.size());
  for (const HintEnt& h : fx.real) {
    auto it = live.find({h.db, h.key});
    Check(it != live.end() && h.expire == it->second.second);
    Check(fx.base.substr(h.offset, h.len) == it->second.first);
    Check(ValueChecksum(it->second.first) == h.sum);
  }
  fx.model = Expect(fx.real, fx.base, fx.log);
  return fx;
}

Fixture& F() {
  static Fixture fx = Build();
  return fx;
}

// ---------------------------------------------------------------- the checks

void WaitForLoader(DB& db) {
  if (db.Stats().values_on_disk == 0) return;
  for (int i = 0; i < 2000 && !g_loader_done; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// The DB serves exactly `want`, a hint of `snapshot_keys` entries having been
// used (or none, when used is false).
void CheckServes(DB& db, const State& want, bool used, size_t snapshot_keys,
                 const std::set<std::string>& names) {
  const DbStats st = db.Stats();
  Check(st.recovery.snapshot_keys == (used ? snapshot_keys : 0));
  bool noted = false;
  for (const auto& n : st.recovery.notes) noted = noted || n.find("not used") != std::string::npos;
  Check(noted == !used);
  uint64_t live_bytes = 0, unreadable = 0;
  std::vector<uint64_t> keys(kDbs);
  for (const auto& [k, s] : want) {
    live_bytes += k.second.size() + s.value_len;
    unreadable += !s.readable;
    keys[k.first]++;
  }
  for (uint32_t d = 0; d < kDbs; d++) Check(db.KeyCount(d) == keys[d]);
  Check(st.live_bytes == live_bytes);

  // Every name in every database: the value, Corruption, or not there.
  for (uint32_t d = 0; d < kDbs; d++) {
    for (const std::string& name : names) {
      std::string value;
      int64_t expire = -1;
      Status s = db.Read(d, name, [&](std::string_view v, int64_t e) {
        value.assign(v);
        expire = e;
      });
      auto it = want.find({d, name});
      if (it == want.end()) {
        Check(s.IsNotFound());
      } else if (it->second.readable) {
        if (!s.ok()) std::fprintf(stderr, "read: %s\n", s.ToString().c_str());
        Check(s.ok() && value == it->second.value && expire == it->second.expire);
      } else {
        Check(s.IsCorruption() && !s.message().empty());
      }
    }
  }
  // Every readable value is in memory now; the rest stay on disk.
  Check(db.Stats().values_on_disk == unreadable);
  Check(db.Stats().live_bytes == live_bytes);

  // SCAN serves the readable keys and skips the others.
  for (uint32_t d = 0; d < kDbs; d++) {
    std::map<std::string, std::string> got, expect;
    uint64_t cursor = 0;
    do {
      cursor = db.Scan(d, cursor, 16, [&](std::string_view k, std::string_view v, int64_t) {
        got[std::string(k)] = std::string(v);
      });
    } while (cursor != 0);
    for (auto it = want.lower_bound({d, ""}); it != want.end() && it->first.first == d; ++it) {
      if (it->second.readable) expect[it->first.second] = it->second.value;
    }
    Check(got == expect);
  }
}

// ---------------------------------------------------------------- the inputs

// Random damage to bytes (mode 0 on the hint, mode 4 on the image; sizes
// change only when `resize`).
void Damage(Reader& in, std::string* f, bool resize) {
  const int edits = 1 + in.Byte() % 8;
  for (int e = 0; e < edits && !in.empty(); e++) {
    const uint8_t op = in.Byte() % (resize ? 6 : 3);
    const size_t pos = f->empty() ? 0 : in.U16() % f->size();
    switch (op) {
      case 0:
        if (!f->empty()) (*f)[pos] ^= char(1 << (in.Byte() % 8));
        break;
      case 1:
        if (!f->empty()) (*f)[pos] = char(in.Byte());
        break;
      case 2:  // a run of bytes overwritten
        for (size_t i = pos, n = 1 + in.Byte() % 16; i < f->size() && n > 0; i++, n--) {
          (*f)[i] = char(in.Byte());
        }
        break;
      case 3:
        f->resize(pos);
        break;
      case 4:
        *f += in.Str(24);
        break;
      case 5:
        f->insert(pos, in.Str(8));
        break;
    }
  }
}

// Mode 3: edits of the chunk layout, every checksum made right after.
std::string EditAndSeal(Reader& in, const std::string& src) {
  Layout l = Split(src);
  const int edits = 1 + in.Byte() % 6;
  for (int e = 0; e < edits && !in.empty(); e++) {
    const uint8_t op = in.Byte() % 9;
    const size_t c = l.chunks.empty() ? 0 : in.Byte() % l.chunks.size();
    switch (op) {
      case 0:  // bytes of a chunk body (key, database, expiry, offset, length, checksum)
      case 1:
        if (!l.chunks.empty() && !l.chunks[c].second.empty()) {
          std::string& b = l.chunks[c].second;
          const size_t pos = in.U16() % b.size();
          if (op == 0) {
            b[pos] ^= char(1 << (in.Byte() % 8));
          } else {
            b[pos] = char(in.Byte());
          }
        }
        break;
      case 2:  // a chunk's entry count
        if (!l.chunks.empty()) l.chunks[c].first = in.Byte() % 4 == 0 ? in.U32() : in.Byte() % 64;
        break;
      case 3:  // a chunk dropped
        if (!l.chunks.empty()) l.chunks.erase(l.chunks.begin() + long(c));
        break;
      case 4:  // a chunk repeated
        if (!l.chunks.empty()) l.chunks.insert(l.chunks.begin() + long(c), l.chunks[c]);
        break;
      case 5: {  // a chunk of new bytes
        uint32_t count = in.Byte() % 4;
        l.chunks.insert(l.chunks.begin() + long(c), std::make_pair(count, in.Str(48)));
        break;
      }
      case 6:  // the end chunk's total or image size (or any chunk's first bytes)
        if (!l.chunks.empty() && l.chunks[c].second.size() >= 16) {
          const size_t field = (in.Byte() & 1) * 8;
          const uint64_t v = DecodeFixed64(l.chunks[c].second.data() + field);
          EncodeFixed64(l.chunks[c].second.data() + field, v + uint64_t(int8_t(in.Byte())));
        }
        break;
      case 7:  // header bytes: magic, version, reserved, covered sequence
        if (!l.header.empty()) {
          const size_t pos = in.Byte() % std::min<size_t>(24, l.header.size());
          l.header[pos] ^= char(1 << (in.Byte() % 8));
        }
        break;
      case 8:  // a chunk's body cut or grown
        if (!l.chunks.empty()) {
          std::string& b = l.chunks[c].second;
          if (in.Byte() & 1) {
            b.resize(b.empty() ? 0 : in.U16() % b.size());
          } else {
            b += in.Str(16);
          }
        }
        break;
    }
  }
  return Seal(l);
}

// Mode 2: a forgery built with HintWriter.
std::string Forge(Reader& in, uint8_t flags) {
  const Fixture& fx = F();
  const uint64_t base_size = fx.base.size();
  std::string out;
  StringFile file(&out);
  const uint64_t covered = (flags & 4) && in.Byte() % 4 == 0 ? fx.covered + 1 : fx.covered;
  HintWriter w(&file, covered);
  if (in.Byte() & 1) {  // the real entries first
    for (const HintEnt& h : fx.real) {
      w.Add(h.db, h.key, h.expire, h.offset, uint32_t(h.len), h.sum);
      Check(w.RecordPlaced(0).ok());
    }
  }
  const int n = in.Byte() % 24;
  for (int i = 0; i < n && !in.empty(); i++) {
    const uint8_t t = in.Byte(), u = in.Byte();
    uint32_t db = t & 3;
    if ((t & 0x70) == 0x70) db = kDbs + in.Byte();
    std::string key = (t & 0x80) ? in.Str(12) : fx.pool[in.Byte() % fx.pool.size()];
    int64_t expire = 0;
    switch (u & 3) {
      case 1:
        expire = kNow + 1 + int64_t(in.Byte()) * 1000;
        break;
      case 2:
        expire = kNow - int64_t(in.Byte());
        break;  // expired at kNow
      case 3:
        expire = int64_t(in.U64());
        break;  // may be negative: refused
    }
    const HintEnt& real = fx.real[in.Byte() % fx.real.size()];
    uint64_t offset = real.offset;
    uint32_t len = uint32_t(real.len);
    switch ((u >> 2) & 3) {
      case 1:  // off by a little
        offset += uint64_t(int8_t(in.Byte()) % 4);
        len += uint32_t(int8_t(in.Byte()) % 4);
        break;
      case 2:
        offset = in.U16() % (base_size + 8);
        len = in.Byte();
        break;
      case 3:
        switch (in.Byte() % 6) {
          case 0:
            offset = 0;
            len = 0xFFFFFFFFu;
            break;  // 4 GiB: must not be allocated
          case 1:
            offset = base_size;
            len = 0;
            break;
          case 2:
            offset = base_size;
            len = 1;
            break;
          case 3:
            offset = in.U64();
            len = in.U32();
            break;
          case 4:
            offset = 0;
            len = uint32_t(base_size);
            break;
          case 5:
            offset = 1;
            len = uint32_t(base_size);
            break;
        }
        break;
    }
    uint32_t sum = real.sum;
    switch ((u >> 4) & 3) {
      case 0:  // right for the bytes pointed at
      case 3:
        if (offset <= base_size && len <= base_size - offset) {
          sum = ValueChecksum(std::string_view(fx.base).substr(offset, len));
        }
        break;
      case 2:
        sum = in.U32();
        break;
    }
    w.Add(db, key, expire, offset, len, sum);
    Check(w.RecordPlaced(0).ok());
  }
  uint64_t size = base_size;
  if ((flags & 4) && in.Byte() % 4 == 0) size += uint64_t(int8_t(in.Byte()));
  Check(w.Finish(size).ok());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fx = F();
  if (size < 2) return 0;
  Reader in{data, size};
  const int mode = in.Byte() % 5;
  const uint8_t flags = in.Byte();

  std::string hint = fx.hint, base = fx.base;
  switch (mode) {
    case 0:
      Damage(in, &hint, /*resize=*/true);
      break;
    case 1:
      hint.assign(reinterpret_cast<const char*>(in.p), in.n);
      break;
    case 2:
      hint = Forge(in, flags);
      if (flags & 8) hint = EditAndSeal(in, hint);
      break;
    case 3:
      hint = EditAndSeal(in, fx.hint);
      break;
    case 4:
      Damage(in, &base, /*resize=*/false);
      break;
  }
  std::vector<HintEnt> entries;
  const bool valid = Oracle(hint, fx.covered, base.size(), &entries);
  // Random damage is always found (every byte is under a 64-bit checksum).
  if (mode == 0 || mode == 1) Check(!valid || hint == fx.hint);
  const State want = Expect(valid ? entries : fx.real, base, fx.log);
  if (!valid) Check(want == fx.model);
  if (mode == 4) {
    // A damaged value is refused, never served.
    for (const auto& [k, s] : want) Check(!s.readable || s == fx.model.at(k));
  }
  std::set<std::string> names(fx.pool.begin(), fx.pool.end());
  for (const HintEnt& h : entries) names.insert(h.key);

  bool first = true;
  for (auto mode_r :
       {RecoveryMode::kStrict, RecoveryMode::kSkipCorrupted, RecoveryMode::kPointInTime}) {
    fs::remove_all(fx.work);
    fs::copy(fx.dir, fx.work, fs::copy_options::recursive);
    WriteFile(fx.work + "/" + fx.hint_name, hint);
    if (mode == 4) WriteFile(fx.work + "/" + fx.base_name, base);
    g_loader_done = false;
    bool compacted = false;
    {
      auto db = DB::Open(fx.work, Opts(mode_r));
      if (!db.ok()) {
        // The image is intact or the hint is: every open must succeed.
        std::fprintf(stderr, "open in recovery mode %d failed: %s\n", int(mode_r),
                     db.status().ToString().c_str());
        Check((db.status().IsCorruption() || db.status().IsNotSupported()) &&
              !db.status().message().empty());
        Check(false);
      }
      if (first && (flags & 1)) WaitForLoader(**db);
      CheckServes(**db, want, valid, entries.size(), names);
      if (first && (flags & 2)) {
        bool all_readable = true;
        for (const auto& [k, s] : want) all_readable = all_readable && s.readable;
        // Never an image that silently lacks a key.
        auto r = (*db)->Compact();
        Check(r.ok() == all_readable);
        compacted = r.ok();
      }
      Check((*db)->Close().ok());
    }
    if (first) {
      // What an open accepted, the next strict open serves the same; after
      // a compaction, from its new image and hint, every value readable.
      auto again = DB::Open(fx.work, Opts(RecoveryMode::kStrict));
      Check(again.ok());
      if (compacted) {
        CheckServes(**again, want, true, want.size(), names);
      } else {
        CheckServes(**again, want, valid, entries.size(), names);
      }
      Check((*again)->Close().ok());
    }
    first = false;
  }
  fs::remove_all(fx.work);
  return 0;
}
