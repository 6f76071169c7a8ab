// Small helpers the string and key command families share: reading one key
// with its expiry, and committing a write batch with the error reply done.
//
// Handlers read through DB::Read, whose callback runs under the engine's lock
// and so must only copy what it needs; these helpers do the copying once,
// in one place, and turn "not found" into an empty optional rather than an
// error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/command.h"
#include "walnut/db.h"
#include "walnut/status.h"
#include "walnut/write_batch.h"

namespace walnut::server {

// A key's value and absolute expiry (Unix ms, 0 = none) at the time of reading.
struct StoredValue {
  std::string value;
  int64_t expire_at_ms = 0;
};

// The key's value, std::nullopt if it does not exist (or has expired), or an
// engine error.
// touch=false: the read is not an access (OBJECT ENCODING/REFCOUNT).
inline walnut::Result<std::optional<StoredValue>> ReadKey(walnut::DB& db, uint32_t db_index,
                                                          std::string_view key, bool touch = true) {
  StoredValue out;
  walnut::Status s = db.Read(
      db_index, key,
      [&](std::string_view value, int64_t expire_at_ms) {
        out.value.assign(value);
        out.expire_at_ms = expire_at_ms;
      },
      touch);
  if (s.IsNotFound()) return std::optional<StoredValue>();
  if (!s.ok()) return s;
  return std::optional<StoredValue>(std::move(out));
}

// The key's expiry alone (0 = none), without copying the value; std::nullopt
// if the key does not exist.
inline walnut::Result<std::optional<int64_t>> ReadExpiry(walnut::DB& db, uint32_t db_index,
                                                         std::string_view key) {
  int64_t expire = 0;
  // Not an access: TTL and friends leave OBJECT IDLETIME alone, as in Redis.
  walnut::Status s = db.Read(
      db_index, key, [&](std::string_view, int64_t expire_at_ms) { expire = expire_at_ms; },
      /*touch=*/false);
  if (s.IsNotFound()) return std::optional<int64_t>();
  if (!s.ok()) return s;
  return std::optional<int64_t>(expire);
}

// Applies the batch through the context. On failure the error reply has been
// written and the caller must write nothing more.
inline bool Commit(CommandContext& ctx, const walnut::WriteBatch& batch) {
  walnut::Status s = ctx.Write(batch);
  if (s.ok()) return true;
  ctx.ReplyError(s);
  return false;
}

// Redis's proto-max-bulk-len: no string may grow past it (APPEND, SETRANGE).
inline constexpr uint64_t kMaxStringLength = 512ull << 20;

}  // namespace walnut::server
