// WriteBatch encoding: each call appends one op in the log's byte format.
#include "walnut/write_batch.h"

#include "common/coding.h"
#include "engine/wal_format.h"
#include "engine/write_batch_internal.h"

namespace walnut {

void WriteBatch::Put(uint32_t db, std::string_view key, std::string_view value,
                     int64_t expire_at_ms) {
  rep_.push_back(char(expire_at_ms ? wal::kPutExpire : wal::kPut));
  PutVarint64(&rep_, db);
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
  if (expire_at_ms) PutFixed64(&rep_, uint64_t(expire_at_ms));
  count_++;
}

void WriteBatch::Delete(uint32_t db, std::string_view key) {
  rep_.push_back(char(wal::kDelete));
  PutVarint64(&rep_, db);
  PutLengthPrefixed(&rep_, key);
  count_++;
}

void WriteBatch::SetExpiry(uint32_t db, std::string_view key, int64_t expire_at_ms) {
  rep_.push_back(char(wal::kSetExpiry));
  PutVarint64(&rep_, db);
  PutLengthPrefixed(&rep_, key);
  PutFixed64(&rep_, uint64_t(expire_at_ms));
  count_++;
}

void WriteBatch::FlushDb(uint32_t db) {
  rep_.push_back(char(wal::kFlushDb));
  PutVarint64(&rep_, db);
  count_++;
}

void WriteBatch::FlushAll() {
  rep_.push_back(char(wal::kFlushAll));
  PutVarint64(&rep_, 0);
  count_++;
}

void WriteBatch::SwapDb(uint32_t a, uint32_t b) {
  rep_.push_back(char(wal::kSwapDb));
  PutVarint64(&rep_, a);
  PutVarint64(&rep_, b);
  count_++;
}

void WriteBatch::Clear() {
  rep_.clear();
  count_ = 0;
}

Status DecodeOp(std::string_view* in, DecodedOp* op) {
  const char* start = in->data();
  if (in->empty()) return Status::Corruption("op truncated");
  op->code = uint8_t((*in)[0]);
  op->hash = 0;  // a reused op must not keep the last key's hash
  in->remove_prefix(1);
  uint64_t db;
  if (!GetVarint64(in, &db) || db > 0xFFFFFFFFull) return Status::Corruption("bad op database");
  op->db = uint32_t(db);
  op->key = {};
  op->value = {};
  op->expire_at_ms = 0;
  op->txn_id = 0;
  op->part_count = 0;
  op->parts = {};
  uint64_t u;
  switch (op->code) {
    case wal::kPut:
    case wal::kPutExpire:
      if (!GetLengthPrefixed(in, &op->key) || !GetLengthPrefixed(in, &op->value)) {
        return Status::Corruption("bad put op");
      }
      if (op->code == wal::kPutExpire) {
        if (!GetFixed64(in, &u) || int64_t(u) <= 0) return Status::Corruption("bad put expiry");
        op->expire_at_ms = int64_t(u);
      }
      break;
    case wal::kDelete:
      if (!GetLengthPrefixed(in, &op->key)) return Status::Corruption("bad delete op");
      break;
    case wal::kSetExpiry:
      if (!GetLengthPrefixed(in, &op->key) || !GetFixed64(in, &u) || int64_t(u) < 0) {
        return Status::Corruption("bad set-expiry op");
      }
      op->expire_at_ms = int64_t(u);
      break;
    case wal::kFlushDb:
    case wal::kFlushAll:
      break;
    case wal::kSwapDb:
      if (!GetVarint64(in, &u) || u > 0xFFFFFFFFull) return Status::Corruption("bad swapdb op");
      op->db2 = uint32_t(u);
      break;
    case wal::kTxn: {
      uint64_t n;
      if (!GetFixed64(in, &op->txn_id) || !GetVarint64(in, &n) || n < 2 ||
          n > wal::kMaxPartitions) {
        return Status::Corruption("bad txn op");
      }
      const char* parts_start = in->data();
      for (uint64_t i = 0; i < n; i++) {
        uint64_t part, seq;
        if (!GetVarint64(in, &part) || part >= wal::kMaxPartitions || !GetVarint64(in, &seq) ||
            seq == 0) {
          return Status::Corruption("bad txn op part");
        }
      }
      op->part_count = uint32_t(n);
      op->parts = std::string_view(parts_start, size_t(in->data() - parts_start));
      break;
    }
    default:
      return Status::Corruption("unknown op code " + std::to_string(op->code));
  }
  op->encoded = std::string_view(start, size_t(in->data() - start));
  return Status::OK();
}

void EncodeTxnOp(std::string* out, uint64_t txn_id, const std::vector<TxnPart>& parts) {
  out->push_back(char(wal::kTxn));
  PutVarint64(out, 0);
  PutFixed64(out, txn_id);
  PutVarint64(out, parts.size());
  for (const auto& p : parts) {
    PutVarint64(out, p.partition);
    PutVarint64(out, p.seq);
  }
}

std::vector<TxnPart> TxnParts(const DecodedOp& op) {
  std::vector<TxnPart> parts;
  parts.reserve(op.part_count);
  std::string_view in = op.parts;
  for (uint32_t i = 0; i < op.part_count; i++) {
    uint64_t part = 0, seq = 0;
    (void)GetVarint64(&in, &part);
    (void)GetVarint64(&in, &seq);
    parts.push_back(TxnPart{uint32_t(part), seq});
  }
  return parts;
}

}  // namespace walnut
