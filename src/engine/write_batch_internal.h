// WriteBatchAccess and the op decoder: what the engine sees of a WriteBatch
// that its public header keeps private. A batch's representation is exactly
// the op list of a log record (see wal_format.h), so appending a batch to the
// log needs no re-encoding beyond dropping ops that had no effect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "walnut/status.h"
#include "walnut/write_batch.h"

namespace walnut {

struct DecodedOp {
  uint8_t code = 0;
  uint32_t db = 0;
  uint32_t db2 = 0;  // kSwapDb
  std::string_view key;
  std::string_view value;
  int64_t expire_at_ms = 0;
  uint64_t txn_id = 0;       // kTxn
  uint32_t part_count = 0;   // kTxn
  std::string_view parts;    // kTxn: the encoded (partition, seq) pairs
  std::string_view encoded;  // the op's own bytes, for re-logging it verbatim
  // HashKey(key) when the decoder's caller has computed it (PartitionedDB's
  // routing), so that applying the op does not hash the key again; 0: not
  // known (Keyspace::Apply computes it; a real hash of 0 only costs that).
  uint64_t hash = 0;
};

// Decodes the next op from *in. Corruption (naming what is wrong) if the
// bytes are not a well-formed op.
Status DecodeOp(std::string_view* in, DecodedOp* op);

// One part of a multi-partition write: which partition holds it, under which
// record sequence of that partition's log.
struct TxnPart {
  uint32_t partition = 0;
  uint64_t seq = 0;
};
// Appends a kTxn op (see wal_format.h) to *out.
void EncodeTxnOp(std::string* out, uint64_t txn_id, const std::vector<TxnPart>& parts);
// The most bytes EncodeTxnOp writes for `parts` parts: code, flags varint,
// fixed64 id, count varint (2 bytes up to wal::kMaxPartitions), and per part
// a partition varint (2) and a sequence varint (10). Space for a part is
// reserved with this before its sequence is known.
constexpr uint64_t MaxTxnOpSize(uint64_t parts) { return 1 + 1 + 8 + 2 + parts * (2 + 10); }
// The parts of a decoded kTxn op (DecodeOp has already validated them).
std::vector<TxnPart> TxnParts(const DecodedOp& op);

namespace internal {
class WriteBatchAccess {
 public:
  static const std::string& Rep(const WriteBatch& b) { return b.rep_; }
  // Appends one already-encoded op (from DecodedOp::encoded).
  static void AppendOp(WriteBatch* b, std::string_view encoded) {
    b->rep_.append(encoded.data(), encoded.size());
    b->count_++;
  }
};
}  // namespace internal

}  // namespace walnut
