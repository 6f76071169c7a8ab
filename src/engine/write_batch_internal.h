// WriteBatchAccess and the op decoder: what the engine sees of a WriteBatch
// that its public header keeps private. A batch's representation is exactly
// the op list of a log record (see wal_format.h), so appending a batch to the
// log needs no re-encoding beyond dropping ops that had no effect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
  std::string_view encoded;  // the op's own bytes, for re-logging it verbatim
};

// Decodes the next op from *in. Corruption (naming what is wrong) if the
// bytes are not a well-formed op.
Status DecodeOp(std::string_view* in, DecodedOp* op);

namespace internal {
class WriteBatchAccess {
 public:
  static const std::string& Rep(const WriteBatch& b) { return b.rep_; }
};
}  // namespace internal

}  // namespace walnut
