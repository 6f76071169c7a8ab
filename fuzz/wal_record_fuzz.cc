// Fuzz target: the log's record decoder and op decoder, directly, in memory.
//
// wal_recovery_fuzz reaches these only through files the engine wrote, so
// almost every mutated record fails its checksum before an op is decoded.
// Here the checksum is optionally recomputed around fuzzed bytes, so the op
// decoder sees arbitrary op lists whose frame is intact — exactly what a
// log written by a buggy or newer build would hold.
//
// Input: byte 0 picks the mode, the rest is the payload.
//   mode bit 0 set: the payload (after a count byte and a sequence byte) is
//                   the op list of one record whose frame and checksum are
//                   made valid here;
//   otherwise:      the payload is raw segment bytes, parsed record by record
//                   as the reader does (a segment header first when bit 1).
// What must hold: nothing crashes or reads out of bounds; a record parsed as
// kOk lies inside the input and announces its own size; every op that
// decodes re-encodes to bytes that decode to the same op; a record frame
// built around the re-encoded ops parses back to the same sequence, count
// and ops; any single flipped bit in such a frame is detected; and applying
// the decoded ops to a keyspace (after the range checks recovery makes)
// never crashes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/keyspace.h"
#include "engine/wal_format.h"
#include "engine/wal_record.h"
#include "engine/write_batch_internal.h"
#include "fuzz_support.h"
#include "walnut/write_batch.h"

namespace {

using namespace walnut;

constexpr uint32_t kDbs = 4;

// An empty view (an op without a key or value) is inside anything.
bool Inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Re-encodes a decoded op with the public WriteBatch encoder; false for
// codes this target does not know how to rebuild (it then only checks
// bounds), so a new op code added to the format does not break the target.
bool Reencode(const DecodedOp& op, WriteBatch* b) {
  switch (op.code) {
    case wal::kPut:
      b->Put(op.db, op.key, op.value);
      return true;
    case wal::kPutExpire:
      b->Put(op.db, op.key, op.value, op.expire_at_ms);
      return true;
    case wal::kDelete:
      b->Delete(op.db, op.key);
      return true;
    case wal::kSetExpiry:
      b->SetExpiry(op.db, op.key, op.expire_at_ms);
      return true;
    case wal::kFlushDb:
      b->FlushDb(op.db);
      return true;
    case wal::kSwapDb:
      b->SwapDb(op.db, op.db2);
      return true;
    default:
      return false;  // kFlushAll is encoded with db 0 only; others are new
  }
}

bool SameOp(const DecodedOp& a, const DecodedOp& b) {
  return a.code == b.code && a.db == b.db && a.key == b.key && a.value == b.value &&
         a.expire_at_ms == b.expire_at_ms && (a.code != wal::kSwapDb || a.db2 == b.db2);
}

// Decodes `count` ops from `ops` as recovery does, checks each, and applies
// the record (all or nothing) to `ks` when every op decodes and is in range.
void DecodeAndApply(std::string_view ops, uint32_t count, Keyspace* ks) {
  std::string_view in = ops;
  std::vector<DecodedOp> decoded;
  WriteBatch rebuilt;
  bool all_rebuilt = true;
  for (uint32_t k = 0; k < count; k++) {
    DecodedOp op;
    const char* before = in.data();
    Status s = DecodeOp(&in, &op);
    if (!s.ok()) {
      Check(s.IsCorruption() && !s.message().empty());
      return;  // the record is refused whole
    }
    // The op's bytes are exactly what was consumed, inside the input.
    Check(op.encoded.data() == before && op.encoded.data() + op.encoded.size() == in.data());
    Check(Inside(op.encoded, ops) && Inside(op.key, ops) && Inside(op.value, ops));
    WriteBatch one;
    if (Reencode(op, &one)) {
      std::string_view again = internal::WriteBatchAccess::Rep(one);
      DecodedOp op2;
      Check(DecodeOp(&again, &op2).ok() && again.empty() && SameOp(op, op2));
      Reencode(op, &rebuilt);
    } else {
      all_rebuilt = false;
    }
    decoded.push_back(op);
  }
  // The frame round trip: the rebuilt ops in a fresh record parse back.
  if (all_rebuilt && count > 0) {
    std::string buf;
    size_t start = wal::BeginRecord(&buf);
    buf += internal::WriteBatchAccess::Rep(rebuilt);
    wal::FinishRecord(&buf, start, 42, count);
    wal::Record rec;
    Check(wal::ParseRecord(buf, &rec) == wal::ParseStatus::kOk);
    Check(rec.seq == 42 && rec.count == count && rec.size == buf.size() &&
          rec.ops == internal::WriteBatchAccess::Rep(rebuilt));
  }
  for (const auto& op : decoded) {
    if (op.code < wal::kPut || op.code > wal::kSwapDb) return;  // not ours to apply
    if (op.db >= kDbs || (op.code == wal::kSwapDb && op.db2 >= kDbs)) return;
  }
  for (const auto& op : decoded) ks->Apply(op, /*now_ms=*/0);
  ks->DropExpired(1'000'000);
}

// Parses raw bytes record after record, as a segment reader does.
void ParseRaw(std::string_view data, Keyspace* ks) {
  while (!data.empty()) {
    wal::Record rec;
    wal::ParseStatus st = wal::ParseRecord(data, &rec);
    Check(wal::ParseStatusText(st) != nullptr);
    if (st != wal::ParseStatus::kOk) {
      if (st != wal::ParseStatus::kIncompleteHeader) {
        Check(wal::AnnouncedRecordSize(data) >= wal::kRecordHeaderSize);
      }
      data.remove_prefix(1);  // resynchronise one byte on, like FindNextValid
      continue;
    }
    Check(rec.size >= wal::kRecordHeaderSize + wal::kBatchPrefixSize && rec.size <= data.size());
    Check(wal::AnnouncedRecordSize(data) == rec.size);
    Check(Inside(rec.ops, data.substr(0, rec.size)));
    DecodeAndApply(rec.ops, rec.count, ks);
    data.remove_prefix(rec.size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  Keyspace ks(kDbs);
  if (mode & 1) {
    if (payload.size() < 2) return 0;
    uint32_t count = uint8_t(payload[0]) % 16;
    uint64_t seq = uint8_t(payload[1]);
    std::string ops(payload.substr(2));
    std::string buf;
    size_t start = wal::BeginRecord(&buf);
    buf += ops;
    wal::FinishRecord(&buf, start, seq, count);
    wal::Record rec;
    Check(wal::ParseRecord(buf, &rec) == wal::ParseStatus::kOk);
    Check(rec.seq == seq && rec.count == count && rec.ops == ops && rec.size == buf.size());
    DecodeAndApply(rec.ops, rec.count, &ks);
    // Every single-bit flip of the frame must be caught (the flipped bit is
    // chosen by the input, so the fuzzer walks all of them).
    if (mode & 2) {
      size_t bit = (size_t(mode >> 2) * 131 + ops.size()) % (buf.size() * 8);
      buf[bit / 8] ^= char(1 << (bit % 8));
      Check(wal::ParseRecord(buf, &rec) != wal::ParseStatus::kOk);
    }
    return 0;
  }
  if (mode & 2) {
    // A segment header first: it must decode or be refused with a reason.
    wal::SegmentHeader h;
    Status s = wal::DecodeSegmentHeader(payload, &h);
    if (s.ok()) {
      Check(h.kind == wal::kKindLog || h.kind == wal::kKindBase);
      Check(wal::EncodeSegmentHeader(h) == payload.substr(0, wal::kSegmentHeaderSize));
    } else {
      Check((s.IsCorruption() || s.IsNotSupported()) && !s.message().empty());
    }
    // A valid header re-encoded from fuzzed fields always decodes.
    if (payload.size() >= 17) {
      wal::SegmentHeader g;
      g.kind = (payload[0] & 1) ? wal::kKindLog : wal::kKindBase;
      g.segment_id = uint64_t(uint8_t(payload[1])) << 40 | uint8_t(payload[2]);
      g.first_seq = uint64_t(uint8_t(payload[3])) << 56 | uint8_t(payload[4]);
      wal::SegmentHeader back;
      Check(wal::DecodeSegmentHeader(wal::EncodeSegmentHeader(g), &back).ok());
      Check(back.kind == g.kind && back.segment_id == g.segment_id &&
            back.first_seq == g.first_seq);
    }
    if (payload.size() > wal::kSegmentHeaderSize) {
      payload.remove_prefix(wal::kSegmentHeaderSize);
    }
  }
  ParseRaw(payload, &ks);
  return 0;
}
