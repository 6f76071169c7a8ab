// The generic key command family: existence and deletion (DEL, UNLINK,
// EXISTS, TOUCH, TYPE), moving and copying (RENAME, RENAMENX, MOVE, COPY),
// listing (KEYS, SCAN, RANDOMKEY, DBSIZE), whole-database operations
// (FLUSHDB, FLUSHALL, SWAPDB), expiry (EXPIRE & co, TTL & co, PERSIST),
// serialization (DUMP, RESTORE), SORT and OBJECT, with Redis 7's semantics and
// error texts.
//
// Every command that changes several keys (DEL k1 k2, RENAME, MOVE, COPY)
// writes them in ONE WriteBatch, so after a crash the log has all of the
// change or none of it: a RENAME can never leave both keys, or neither. The
// handlers run under the server's execution mutex, so what they read cannot
// change before they write.
//
// Expiry times are absolute Unix milliseconds in the engine. Setting one that
// has already passed deletes the key (as Redis does), and the reply's
// rounding of TTL/EXPIRETIME follows Redis: (ms + 500) / 1000.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/command.h"
#include "server/command_table.h"
#include "server/dump_payload.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/key_lookup.h"
#include "server/string_util.h"

namespace walnut::server {
namespace {

// A Scan budget that covers any table, yet small enough that the engine's
// arithmetic on it (a multiple of it bounds the buckets walked) cannot
// overflow. Also the cap on SCAN's COUNT hint.
constexpr size_t kWholeTable = std::numeric_limits<size_t>::max() / 64;

// Every value Walnut stores is a string (the engine holds bytes only), so a
// key's type is "string" when it exists.
constexpr std::string_view kStringType = "string";

// Parses a DB index argument (Redis getIntFromObject), replying on error.
bool ParseDbIndex(CommandContext& ctx, std::string_view arg, int32_t* out,
                  std::string_view not_int_error = kErrNotInteger) {
  if (!ParseInt32(arg, out)) {
    ctx.reply().Error(not_int_error);
    return false;
  }
  return true;
}

bool DbInRange(CommandContext& ctx, int32_t db) {
  return db >= 0 && static_cast<uint32_t>(db) < ctx.num_databases();
}

// ---------------------------------------------------------------------------
// Existence and deletion.

// DEL / UNLINK: one batch for all keys; a key named twice counts once, as it
// is gone by the time Redis would delete it again.
void DelCommand(CommandContext& ctx) {
  walnut::WriteBatch b;
  absl::flat_hash_set<std::string_view> seen;
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    const std::string_view key = ctx.arg(i);
    if (!seen.insert(key).second) continue;
    if (ctx.db().Exists(ctx.db_index(), key)) {
      b.Delete(ctx.db_index(), key);
      deleted++;
    }
  }
  if (!b.Empty() && !Commit(ctx, b)) return;
  ctx.reply().Integer(deleted);
}

// EXISTS counts a repeated key each time; TOUCH does the same (and updates
// the access time, which every engine read does anyway).
void ExistsCommand(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    const bool hit = ctx.db().Exists(ctx.db_index(), ctx.arg(i));
    ctx.RecordLookup(hit);
    n += hit;
  }
  ctx.reply().Integer(n);
}

void TouchCommand(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.argc(); i++) {
    // Read (not Exists) so the engine records the access for IDLETIME.
    walnut::Status s = ctx.db().Read(ctx.db_index(), ctx.arg(i), [](std::string_view, int64_t) {});
    n += s.ok();
  }
  ctx.reply().Integer(n);
}

void TypeCommand(CommandContext& ctx) {
  const bool hit = ctx.db().Exists(ctx.db_index(), ctx.arg(1));
  ctx.RecordLookup(hit);
  ctx.reply().SimpleString(hit ? kStringType : "none");
}

// ---------------------------------------------------------------------------
// Renaming, moving, copying.

void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.arg(1), dst = ctx.arg(2);
  auto r = ReadKey(ctx.db(), ctx.db_index(), src);
  if (!r.ok()) return ctx.ReplyError(r.status());
  if (!r.value()) return ctx.reply().Error(kErrNoSuchKey);
  // Renaming a key to itself changes nothing, but only once it is known to
  // exist (a missing key is still an error).
  if (src == dst) return nx ? ctx.reply().Integer(0) : ctx.reply().Ok();
  if (nx && ctx.db().Exists(ctx.db_index(), dst)) return ctx.reply().Integer(0);
  const StoredValue& v = *r.value();
  walnut::WriteBatch b;
  b.Put(ctx.db_index(), dst, v.value, v.expire_at_ms);  // the TTL travels
  b.Delete(ctx.db_index(), src);
  if (!Commit(ctx, b)) return;
  nx ? ctx.reply().Integer(1) : ctx.reply().Ok();
}
void RenameCommand(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNxCommand(CommandContext& ctx) { RenameGeneric(ctx, true); }

void MoveCommand(CommandContext& ctx) {
  int32_t dst_db;
  if (!ParseDbIndex(ctx, ctx.arg(2), &dst_db)) return;
  if (!DbInRange(ctx, dst_db)) return ctx.reply().Error(kErrDbIndexRange);
  if (static_cast<uint32_t>(dst_db) == ctx.db_index()) return ctx.reply().Error(kErrSameObject);
  const std::string_view key = ctx.arg(1);
  auto r = ReadKey(ctx.db(), ctx.db_index(), key);
  if (!r.ok()) return ctx.ReplyError(r.status());
  if (!r.value()) return ctx.reply().Integer(0);
  if (ctx.db().Exists(static_cast<uint32_t>(dst_db), key)) return ctx.reply().Integer(0);
  walnut::WriteBatch b;
  b.Put(static_cast<uint32_t>(dst_db), key, r.value()->value, r.value()->expire_at_ms);
  b.Delete(ctx.db_index(), key);
  if (!Commit(ctx, b)) return;
  ctx.reply().Integer(1);
}

// COPY source destination [DB destination-db] [REPLACE]
void CopyCommand(CommandContext& ctx) {
  uint32_t dst_db = ctx.db_index();
  bool replace = false;
  for (size_t j = 3; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "db") && j + 1 < ctx.argc()) {
      int32_t db;
      if (!ParseDbIndex(ctx, ctx.arg(j + 1), &db)) return;
      if (!DbInRange(ctx, db)) return ctx.reply().Error(kErrDbIndexRange);
      dst_db = static_cast<uint32_t>(db);
      j++;
    } else {
      return ctx.reply().Error(kErrSyntax);
    }
  }
  const std::string_view src = ctx.arg(1), dst = ctx.arg(2);
  if (dst_db == ctx.db_index() && src == dst) return ctx.reply().Error(kErrSameObject);
  auto r = ReadKey(ctx.db(), ctx.db_index(), src);
  if (!r.ok()) return ctx.ReplyError(r.status());
  if (!r.value()) return ctx.reply().Integer(0);
  if (!replace && ctx.db().Exists(dst_db, dst)) return ctx.reply().Integer(0);
  walnut::WriteBatch b;
  // Put replaces the destination (value and expiry) in one operation.
  b.Put(dst_db, dst, r.value()->value, r.value()->expire_at_ms);
  if (!Commit(ctx, b)) return;
  ctx.reply().Integer(1);
}

// ---------------------------------------------------------------------------
// Listing.

void KeysCommand(CommandContext& ctx) {
  const GlobPattern pattern(ctx.arg(1));
  const bool all = pattern.matches_all();
  std::vector<std::string> keys;
  // A budget this large walks the whole table in one call, under the
  // engine's lock, so no key is seen twice. Should the engine ever stop
  // early, we go on from its cursor and drop the duplicates a resize
  // between calls could produce.
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = ctx.db().Scan(ctx.db_index(), cursor, kWholeTable,
                           [&](std::string_view key, std::string_view, int64_t) {
                             if (all || pattern.Match(key)) keys.emplace_back(key);
                           });
    calls++;
  } while (cursor != 0);
  if (calls > 1) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  }
  ctx.reply().ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply().Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void ScanCommand(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseCursor(ctx.arg(1), &cursor)) return ctx.reply().Error(kErrInvalidCursor);
  std::optional<std::string_view> pattern, type;
  int64_t count = 10;
  for (size_t i = 2; i < ctx.argc();) {
    const std::string_view opt = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      if (!ParseInt64(ctx.arg(i + 1), &count)) return ctx.reply().Error(kErrNotInteger);
      if (count < 1) return ctx.reply().Error(kErrSyntax);
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      pattern = ctx.arg(i + 1);
    } else if (EqualsIgnoreCase(opt, "type") && has_value) {
      type = ctx.arg(i + 1);
    } else {
      return ctx.reply().Error(kErrSyntax);
    }
    i += 2;
  }
  // A bare "*" matches everything, including the empty key (Redis skips the
  // matcher for it too).
  std::optional<GlobPattern> matcher;
  if (pattern && !GlobMatchesAll(*pattern)) matcher.emplace(*pattern);
  // Redis compares the type name case-insensitively; an unknown name simply
  // matches no key.
  const bool type_ok = !type || EqualsIgnoreCase(*type, kStringType);
  std::vector<std::string> keys;
  const size_t hint = std::min(static_cast<uint64_t>(count), static_cast<uint64_t>(kWholeTable));
  const uint64_t next = ctx.db().Scan(ctx.db_index(), cursor, hint,
                                      [&](std::string_view key, std::string_view, int64_t) {
                                        if (!type_ok) return;
                                        if (matcher && !matcher->Match(key)) return;
                                        keys.emplace_back(key);
                                      });
  ctx.reply().ArrayHeader(2);
  ctx.reply().Bulk(std::to_string(next));
  ctx.reply().ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply().Bulk(k);
}

void RandomKeyCommand(CommandContext& ctx) {
  auto r = ctx.db().RandomKey(ctx.db_index());
  if (r.ok()) return ctx.reply().Bulk(r.value());
  if (r.status().IsNotFound()) return ctx.reply().NullBulk();
  ctx.ReplyError(r.status());
}

void DbSizeCommand(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.db().KeyCount(ctx.db_index())));
}

// ---------------------------------------------------------------------------
// Whole databases.

// FLUSHDB/FLUSHALL [ASYNC | SYNC]. Walnut frees memory at once either way;
// the mode is accepted for compatibility.
bool ParseFlushMode(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.reply().Error(kErrSyntax);
    return false;
  }
  if (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.arg(1), "sync") &&
      !EqualsIgnoreCase(ctx.arg(1), "async")) {
    ctx.reply().Error(kErrSyntax);
    return false;
  }
  return true;
}

void FlushDbCommand(CommandContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  walnut::WriteBatch b;
  b.FlushDb(ctx.db_index());
  if (!Commit(ctx, b)) return;
  ctx.reply().Ok();
}

void FlushAllCommand(CommandContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  walnut::WriteBatch b;
  b.FlushAll();
  if (!Commit(ctx, b)) return;
  ctx.reply().Ok();
}

void SwapDbCommand(CommandContext& ctx) {
  int32_t a, b;
  if (!ParseDbIndex(ctx, ctx.arg(1), &a, kErrInvalidFirstDbIndex)) return;
  if (!ParseDbIndex(ctx, ctx.arg(2), &b, kErrInvalidSecondDbIndex)) return;
  if (!DbInRange(ctx, a) || !DbInRange(ctx, b)) return ctx.reply().Error(kErrDbIndexRange);
  walnut::WriteBatch batch;
  if (a != b) batch.SwapDb(static_cast<uint32_t>(a), static_cast<uint32_t>(b));
  if (!batch.Empty() && !Commit(ctx, batch)) return;
  ctx.reply().Ok();
}

// ---------------------------------------------------------------------------
// Expiry.

enum ExpireFlag : uint32_t { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX | XX | GT | LT].
// `base_ms` is added to the time (now for the relative forms, 0 for the
// absolute ones); `seconds` says the time is in seconds.
void ExpireGeneric(CommandContext& ctx, int64_t base_ms, bool seconds, std::string_view name) {
  uint32_t flags = 0;
  for (size_t j = 3; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "nx")) {
      flags |= kNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      flags |= kXx;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      flags |= kGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      flags |= kLt;
    } else {
      std::string msg = "ERR Unsupported option ";
      msg.append(opt);
      return ctx.reply().Error(msg);
    }
  }
  if ((flags & kNx) && (flags & (kXx | kGt | kLt))) return ctx.reply().Error(kErrExpireOptionsNxXx);
  if ((flags & kGt) && (flags & kLt)) return ctx.reply().Error(kErrExpireOptionsGtLt);

  int64_t when;
  if (!ParseInt64(ctx.arg(2), &when)) return ctx.reply().Error(kErrNotInteger);
  // Negative times are allowed (they delete the key); only overflow of the
  // unit conversion or of adding the base is an error.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (seconds) {
    if (when > kMax / 1000 || when < kMin / 1000)
      return ctx.reply().Error(InvalidExpireError(name));
    when *= 1000;
  }
  if (when > kMax - base_ms) return ctx.reply().Error(InvalidExpireError(name));
  when += base_ms;

  const std::string_view key = ctx.arg(1);
  auto r = ReadExpiry(ctx.db(), ctx.db_index(), key);
  if (!r.ok()) return ctx.ReplyError(r.status());
  if (!r.value()) return ctx.reply().Integer(0);
  const int64_t current = *r.value();  // 0 = no expiry, i.e. infinite
  if ((flags & kNx) && current != 0) return ctx.reply().Integer(0);
  if ((flags & kXx) && current == 0) return ctx.reply().Integer(0);
  if ((flags & kGt) && (current == 0 || when <= current)) return ctx.reply().Integer(0);
  if ((flags & kLt) && current != 0 && when >= current) return ctx.reply().Integer(0);

  walnut::WriteBatch b;
  if (when <= ctx.now_ms()) {
    b.Delete(ctx.db_index(), key);
  } else {
    b.SetExpiry(ctx.db_index(), key, when);
  }
  if (!Commit(ctx, b)) return;
  ctx.reply().Integer(1);
}

void ExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms(), true, "expire"); }
void PExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms(), false, "pexpire"); }
void ExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, 0, true, "expireat"); }
void PExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, 0, false, "pexpireat"); }

// TTL/PTTL (remaining time) and EXPIRETIME/PEXPIRETIME (absolute time):
// -2 for a missing key, -1 for a key without expiry.
void TtlGeneric(CommandContext& ctx, bool in_ms, bool absolute) {
  auto r = ReadExpiry(ctx.db(), ctx.db_index(), ctx.arg(1));
  if (!r.ok()) return ctx.ReplyError(r.status());
  ctx.RecordLookup(r.value().has_value());
  if (!r.value()) return ctx.reply().Integer(-2);
  const int64_t expire = *r.value();
  if (expire == 0) return ctx.reply().Integer(-1);
  int64_t t = absolute ? expire : expire - ctx.now_ms();
  if (t < 0) t = 0;
  ctx.reply().Integer(in_ms ? t : (t + 500) / 1000);
}
void TtlCommand(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void PTtlCommand(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpireTimeCommand(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PExpireTimeCommand(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void PersistCommand(CommandContext& ctx) {
  auto r = ReadExpiry(ctx.db(), ctx.db_index(), ctx.arg(1));
  if (!r.ok()) return ctx.ReplyError(r.status());
  if (!r.value() || *r.value() == 0) return ctx.reply().Integer(0);
  walnut::WriteBatch b;
  b.SetExpiry(ctx.db_index(), ctx.arg(1), 0);
  if (!Commit(ctx, b)) return;
  ctx.reply().Integer(1);
}

// ---------------------------------------------------------------------------
// SORT / SORT_RO. Redis sorts lists, sets and sorted sets; Walnut holds only
// strings, so a key that exists is always the wrong type and a missing key
// sorts as an empty list. The options are still parsed exactly as Redis does,
// so a malformed call gets the same error, and STORE still deletes its
// destination (an empty result is stored by removing the key).

void SortGeneric(CommandContext& ctx, bool read_only) {
  std::optional<std::string_view> store;
  for (size_t j = 2; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    if (EqualsIgnoreCase(opt, "asc") || EqualsIgnoreCase(opt, "desc") ||
        EqualsIgnoreCase(opt, "alpha")) {
      continue;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      int64_t start, count;
      if (!ParseInt64(ctx.arg(j + 1), &start) || !ParseInt64(ctx.arg(j + 2), &count)) {
        return ctx.reply().Error(kErrNotInteger);
      }
      j += 2;
    } else if (!read_only && EqualsIgnoreCase(opt, "store") && left >= 1) {
      store = ctx.arg(++j);
    } else if ((EqualsIgnoreCase(opt, "by") || EqualsIgnoreCase(opt, "get")) && left >= 1) {
      j++;  // BY/GET patterns name keys of other types; nothing to look up
    } else {
      return ctx.reply().Error(kErrSyntax);
    }
  }
  const bool exists = ctx.db().Exists(ctx.db_index(), ctx.arg(1));
  ctx.RecordLookup(exists);
  if (exists) return ctx.reply().Error(kErrWrongType);
  if (!store) return ctx.reply().ArrayHeader(0);
  if (ctx.db().Exists(ctx.db_index(), *store)) {
    walnut::WriteBatch b;
    b.Delete(ctx.db_index(), *store);
    if (!Commit(ctx, b)) return;
  }
  ctx.reply().Integer(0);
}
void SortCommand(CommandContext& ctx) { SortGeneric(ctx, false); }
void SortRoCommand(CommandContext& ctx) { SortGeneric(ctx, true); }

// ---------------------------------------------------------------------------
// DUMP / RESTORE (Redis's serialization, see dump_payload.h).

void DumpCommand(CommandContext& ctx) {
  auto r = ReadKey(ctx.db(), ctx.db_index(), ctx.arg(1));
  if (!r.ok()) return ctx.ReplyError(r.status());
  ctx.RecordLookup(r.value().has_value());
  if (!r.value()) return ctx.reply().NullBulk();
  ctx.reply().Bulk(DumpString(r.value()->value));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
// [FREQ frequency], with Redis's order of checks. IDLETIME and FREQ are
// validated and then ignored: the engine sets access times itself and keeps
// no access frequency.
void RestoreCommand(CommandContext& ctx) {
  bool replace = false, absttl = false, idle_given = false, freq_given = false;
  for (size_t j = 4; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.arg(j);
    const bool has_value = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(opt, "idletime") && has_value && !freq_given) {
      int64_t idle;
      if (!ParseInt64(ctx.arg(++j), &idle)) return ctx.reply().Error(kErrNotInteger);
      if (idle < 0) return ctx.reply().Error("ERR Invalid IDLETIME value, must be >= 0");
      idle_given = true;
    } else if (EqualsIgnoreCase(opt, "freq") && has_value && !idle_given) {
      int64_t freq;
      if (!ParseInt64(ctx.arg(++j), &freq)) return ctx.reply().Error(kErrNotInteger);
      if (freq < 0 || freq > 255) {
        return ctx.reply().Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
      freq_given = true;
    } else {
      return ctx.reply().Error(kErrSyntax);
    }
  }
  const std::string_view key = ctx.arg(1);
  const bool exists = ctx.db().Exists(ctx.db_index(), key);
  if (!replace && exists) return ctx.reply().Error("BUSYKEY Target key name already exists.");
  int64_t ttl;
  if (!ParseInt64(ctx.arg(2), &ttl)) return ctx.reply().Error(kErrNotInteger);
  if (ttl < 0) return ctx.reply().Error("ERR Invalid TTL value, must be >= 0");
  std::string value;
  switch (RestoreString(ctx.arg(3), kMaxStringLength, &value)) {
    case PayloadError::kOk:
      break;
    case PayloadError::kVersionOrChecksum:
      return ctx.reply().Error("ERR DUMP payload version or checksum are wrong");
    case PayloadError::kBadFormat:
      return ctx.reply().Error("ERR Bad data format");
  }
  // A relative TTL counts from now. Redis lets an overflowing sum wrap
  // negative, which then counts as already expired; we get there directly.
  bool expired = false;
  if (ttl != 0 && !absttl) {
    if (ttl > std::numeric_limits<int64_t>::max() - ctx.now_ms()) {
      expired = true;
    } else {
      ttl += ctx.now_ms();
    }
  }
  if (ttl != 0 && ttl <= ctx.now_ms()) expired = true;
  walnut::WriteBatch b;
  if (expired) {
    // Already past its expiry: the key ends up absent (REPLACE removed the
    // old one), and the reply is still OK, as in Redis.
    if (exists) b.Delete(ctx.db_index(), key);
  } else {
    b.Put(ctx.db_index(), key, value, ttl);
  }
  if (!b.Empty() && !Commit(ctx, b)) return;
  ctx.reply().Ok();
}

// ---------------------------------------------------------------------------
// OBJECT subcommands.

// The value of the key for OBJECT, or a nil reply (missing) / error reply.
std::optional<std::string> ObjectLookup(CommandContext& ctx) {
  auto r = ReadKey(ctx.db(), ctx.db_index(), ctx.arg(2), /*touch=*/false);
  if (!r.ok()) {
    ctx.ReplyError(r.status());
    return std::nullopt;
  }
  ctx.RecordLookup(r.value().has_value());
  if (!r.value()) {
    ctx.reply().NullBulk();
    return std::nullopt;
  }
  return std::move(r.value()->value);
}

void ObjectEncodingCommand(CommandContext& ctx) {
  auto v = ObjectLookup(ctx);
  if (!v) return;
  // Decided from the bytes, as Redis decides when a string is stored by SET.
  // (Redis keeps "raw" after an in-place APPEND/SETRANGE; Walnut rewrites the
  // value, so it reports what a SET of the same bytes would.)
  ctx.reply().Bulk(StringEncoding(*v));
}

void ObjectRefCountCommand(CommandContext& ctx) {
  auto v = ObjectLookup(ctx);
  if (!v) return;
  // Redis shares the objects of the integers 0..9999 and reports INT_MAX for
  // them; every other value has exactly one reference.
  ctx.reply().Integer(IsSharedInteger(*v) ? std::numeric_limits<int32_t>::max() : 1);
}

void ObjectIdleTimeCommand(CommandContext& ctx) {
  // IdleSeconds does not count as an access, as Redis's OBJECT looks keys up
  // without touching them.
  auto r = ctx.db().IdleSeconds(ctx.db_index(), ctx.arg(2));
  if (r.status().IsNotFound()) {
    ctx.RecordLookup(false);
    return ctx.reply().NullBulk();
  }
  if (!r.ok()) return ctx.ReplyError(r.status());
  ctx.RecordLookup(true);
  ctx.reply().Integer(static_cast<int64_t>(r.value()));
}

void ObjectFreqCommand(CommandContext& ctx) {
  auto v = ObjectLookup(ctx);
  if (!v) return;
  // Walnut has no LFU eviction policy, which is when Redis tracks frequency.
  ctx.reply().Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
}

void ObjectHelpCommand(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply().ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply().SimpleString(line);
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  using namespace cmd;
  auto spec = [](std::string_view name, int arity, uint32_t flags, int first, int last, int step,
                 CommandHandler h, std::string_view summary, std::string_view since,
                 std::string_view syntax, std::string_view group = "generic") {
    return KeyedCommand(name, arity, flags, first, last, step, h, group, summary, since, syntax);
  };
  auto row = [&](auto&&... a) { table.Register(spec(a...)); };

  row("del", -2, kWrite, 1, -1, 1, DelCommand, "Deletes one or more keys.", "1.0.0",
      "key [key ...]");
  row("unlink", -2, kWrite | kFast, 1, -1, 1, DelCommand,
      "Asynchronously deletes one or more keys.", "4.0.0", "key [key ...]");
  row("exists", -2, kReadOnly | kFast, 1, -1, 1, ExistsCommand,
      "Determines whether one or more keys exist.", "1.0.0", "key [key ...]");
  row("touch", -2, kReadOnly | kFast, 1, -1, 1, TouchCommand,
      "Returns the number of existing keys out of those specified after updating the time they "
      "were last accessed.",
      "3.2.1", "key [key ...]");
  row("type", 2, kReadOnly | kFast, 1, 1, 1, TypeCommand,
      "Determines the type of value stored at a key.", "1.0.0", "key");
  row("rename", 3, kWrite, 1, 2, 1, RenameCommand, "Renames a key and overwrites the destination.",
      "1.0.0", "key newkey");
  row("renamenx", 3, kWrite | kFast, 1, 2, 1, RenameNxCommand,
      "Renames a key only when the target key name doesn't exist.", "1.0.0", "key newkey");
  row("move", 3, kWrite | kFast, 1, 1, 1, MoveCommand, "Moves a key to another database.", "1.0.0",
      "key db");
  row("copy", -3, kWrite | kDenyOom, 1, 2, 1, CopyCommand,
      "Copies the value of a key to a new key.", "6.2.0",
      "source destination [DB destination-db] [REPLACE]");
  row("keys", 2, kReadOnly | kSortForScript, 0, 0, 0, KeysCommand,
      "Returns all key names that match a pattern.", "1.0.0", "pattern");
  row("scan", -2, kReadOnly | kRandom, 0, 0, 0, ScanCommand,
      "Iterates over the key names in the database.", "2.8.0",
      "cursor [MATCH pattern] [COUNT count] [TYPE type]");
  row("randomkey", 1, kReadOnly | kRandom, 0, 0, 0, RandomKeyCommand,
      "Returns a random key name from the database.", "1.0.0", "");
  row("dbsize", 1, kReadOnly | kFast, 0, 0, 0, DbSizeCommand,
      "Returns the number of keys in the database.", "1.0.0", "", "server");
  row("flushdb", -1, kWrite, 0, 0, 0, FlushDbCommand, "Remove all keys from the current database.",
      "1.0.0", "[ASYNC | SYNC]", "server");
  row("flushall", -1, kWrite, 0, 0, 0, FlushAllCommand, "Removes all keys from all databases.",
      "1.0.0", "[ASYNC | SYNC]", "server");
  row("swapdb", 3, kWrite | kFast, 0, 0, 0, SwapDbCommand, "Swaps two Redis databases.", "4.0.0",
      "index1 index2", "server");
  row("expire", -3, kWrite | kFast, 1, 1, 1, ExpireCommand,
      "Sets the expiration time of a key in seconds.", "1.0.0", "key seconds [NX | XX | GT | LT]");
  row("pexpire", -3, kWrite | kFast, 1, 1, 1, PExpireCommand,
      "Sets the expiration time of a key in milliseconds.", "2.6.0",
      "key milliseconds [NX | XX | GT | LT]");
  row("expireat", -3, kWrite | kFast, 1, 1, 1, ExpireAtCommand,
      "Sets the expiration time of a key to a Unix timestamp.", "1.2.0",
      "key unix-time-seconds [NX | XX | GT | LT]");
  row("pexpireat", -3, kWrite | kFast, 1, 1, 1, PExpireAtCommand,
      "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0",
      "key unix-time-milliseconds [NX | XX | GT | LT]");
  row("ttl", 2, kReadOnly | kFast, 1, 1, 1, TtlCommand,
      "Returns the expiration time in seconds of a key.", "1.0.0", "key");
  row("pttl", 2, kReadOnly | kFast, 1, 1, 1, PTtlCommand,
      "Returns the expiration time in milliseconds of a key.", "2.6.0", "key");
  row("expiretime", 2, kReadOnly | kFast, 1, 1, 1, ExpireTimeCommand,
      "Returns the expiration time of a key as a Unix timestamp.", "7.0.0", "key");
  row("pexpiretime", 2, kReadOnly | kFast, 1, 1, 1, PExpireTimeCommand,
      "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0", "key");
  row("sort", -2, kWrite | kDenyOom, 1, 1, 1, SortCommand,
      "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
      "1.0.0",
      "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] "
      "[ALPHA] [STORE destination]");
  row("sort_ro", -2, kReadOnly, 1, 1, 1, SortRoCommand,
      "Returns the sorted elements of a list, a set, or a sorted set.", "7.0.0",
      "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] "
      "[ALPHA]");
  row("dump", 2, kReadOnly, 1, 1, 1, DumpCommand,
      "Returns a serialized representation of the value stored at a key.", "2.6.0", "key");
  row("restore", -4, kWrite | kDenyOom, 1, 1, 1, RestoreCommand,
      "Creates a key from the serialized representation of a value.", "2.6.0",
      "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]");
  row("persist", 2, kWrite | kFast, 1, 1, 1, PersistCommand,
      "Removes the expiration time of a key.", "2.2.0", "key");

  CommandSpec object =
      spec("object", -2, 0, 0, 0, 0, nullptr, "A container for object introspection commands.",
           "2.2.3", "<subcommand> [<arg> ...]");
  object.subcommands.push_back(spec("encoding", 3, kReadOnly, 2, 2, 1, ObjectEncodingCommand,
                                    "Returns the internal encoding of a Redis object.", "2.2.3",
                                    "key"));
  object.subcommands.push_back(spec("freq", 3, kReadOnly, 2, 2, 1, ObjectFreqCommand,
                                    "Returns the logarithmic access frequency counter of a Redis "
                                    "object.",
                                    "4.0.0", "key"));
  object.subcommands.push_back(spec("idletime", 3, kReadOnly, 2, 2, 1, ObjectIdleTimeCommand,
                                    "Returns the time since the last access to a Redis object.",
                                    "2.2.3", "key"));
  object.subcommands.push_back(spec("refcount", 3, kReadOnly, 2, 2, 1, ObjectRefCountCommand,
                                    "Returns the reference count of a value of a key.", "2.2.3",
                                    "key"));
  object.subcommands.push_back(spec("help", 2, kLoading | kStale, 0, 0, 0, ObjectHelpCommand,
                                    "Returns helpful text about the different subcommands.",
                                    "6.2.0", ""));
  table.Register(std::move(object));
}

}  // namespace walnut::server
