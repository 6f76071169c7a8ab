// WriteBatch: a group of changes that reach the log as one record, so after a
// crash either all of them are there or none is.
//
// Operations apply in the order they were added. Each names a numbered
// database (0 .. Options::num_databases-1), as Redis's SELECT does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walnut {

namespace internal {
class WriteBatchAccess;
}

class WriteBatch {
 public:
  WriteBatch() = default;

  // Sets key to value. expire_at_ms is an absolute Unix time in milliseconds
  // after which the key is gone; 0 means it never expires.
  void Put(uint32_t db, std::string_view key, std::string_view value, int64_t expire_at_ms = 0);
  void Delete(uint32_t db, std::string_view key);
  // Changes the expiry of an existing key (0 = persist); no-op if absent.
  void SetExpiry(uint32_t db, std::string_view key, int64_t expire_at_ms);
  // Removes every key of one database / of all databases.
  void FlushDb(uint32_t db);
  void FlushAll();
  // Exchanges the contents of two databases (Redis SWAPDB).
  void SwapDb(uint32_t a, uint32_t b);

  void Clear();
  uint32_t Count() const { return count_; }
  bool Empty() const { return count_ == 0; }
  // Approximate bytes this batch adds to the log.
  size_t ByteSize() const { return rep_.size(); }

 private:
  friend class internal::WriteBatchAccess;
  std::string rep_;  // encoded operations, see src/engine/wal_format.h
  uint32_t count_ = 0;
};

}  // namespace walnut
