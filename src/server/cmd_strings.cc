// The string command family: GET/SET and their variants, multi-key MGET/MSET,
// byte-range commands, counters and LCS, with Redis 7's semantics and error
// texts.
//
// Every handler runs under the server's execution mutex (command.h), so a
// read-modify-write such as INCR or APPEND is atomic: it reads with DB::Read
// and writes one WriteBatch through the context. Commands that change several
// keys (MSET, MSETNX) put every change in that one batch, so the log holds all
// of them or none after a crash. Handlers compute everything, write, and only
// then reply, so a failed write never follows a half-sent reply.
//
// The order of checks in each handler follows Redis's (e.g. SET validates the
// expire time before looking at the key, GETEX looks at the key first), as
// clients see which error wins.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "server/command.h"
#include "server/command_table.h"
#include "server/errors.h"
#include "server/key_lookup.h"
#include "server/string_util.h"

namespace walnut::server {
namespace {

// ---------------------------------------------------------------------------
// SET / GETEX options.

enum OptionFlag : uint32_t {
  kOptNx = 1u << 0,
  kOptXx = 1u << 1,
  kOptGet = 1u << 2,
  kOptKeepTtl = 1u << 3,
  kOptPersist = 1u << 4,
  kOptEx = 1u << 5,
  kOptPx = 1u << 6,
  kOptExAt = 1u << 7,
  kOptPxAt = 1u << 8,
};

struct StringOptions {
  uint32_t flags = 0;
  std::string_view expire;  // the EX/PX/EXAT/PXAT argument, if any
};

// Parses SET's (for_set) or GETEX's options from args()[first] on. The
// conflict rules are Redis's: an option is refused (syntax error) when a
// conflicting one came earlier, while repeating an option is allowed and the
// last value wins. Replies and returns false on error.
bool ParseStringOptions(CommandContext& ctx, size_t first, bool for_set, StringOptions* o) {
  uint32_t& f = o->flags;
  for (size_t j = first; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.arg(j);
    const bool has_next = j + 1 < ctx.argc();
    auto expire_option = [&](uint32_t flag, uint32_t conflicts) {
      if ((f & conflicts) || !has_next) return false;
      f |= flag;
      o->expire = ctx.arg(++j);
      return true;
    };
    if (for_set && EqualsIgnoreCase(opt, "nx") && !(f & kOptXx)) {
      f |= kOptNx;
    } else if (for_set && EqualsIgnoreCase(opt, "xx") && !(f & kOptNx)) {
      f |= kOptXx;
    } else if (for_set && EqualsIgnoreCase(opt, "get")) {
      f |= kOptGet;
    } else if (for_set && EqualsIgnoreCase(opt, "keepttl") &&
               !(f & (kOptPersist | kOptEx | kOptPx | kOptExAt | kOptPxAt))) {
      f |= kOptKeepTtl;
    } else if (!for_set && EqualsIgnoreCase(opt, "persist") &&
               !(f & (kOptKeepTtl | kOptEx | kOptPx | kOptExAt | kOptPxAt))) {
      f |= kOptPersist;
    } else if (EqualsIgnoreCase(opt, "ex")) {
      if (!expire_option(kOptEx, kOptKeepTtl | kOptPersist | kOptPx | kOptExAt | kOptPxAt)) {
        ctx.reply().Error(kErrSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(opt, "px")) {
      if (!expire_option(kOptPx, kOptKeepTtl | kOptPersist | kOptEx | kOptExAt | kOptPxAt)) {
        ctx.reply().Error(kErrSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(opt, "exat")) {
      if (!expire_option(kOptExAt, kOptKeepTtl | kOptPersist | kOptEx | kOptPx | kOptPxAt)) {
        ctx.reply().Error(kErrSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(opt, "pxat")) {
      if (!expire_option(kOptPxAt, kOptKeepTtl | kOptPersist | kOptEx | kOptPx | kOptExAt)) {
        ctx.reply().Error(kErrSyntax);
        return false;
      }
    } else {
      ctx.reply().Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

// Turns an expire argument into an absolute Unix time in ms, as Redis's
// getExpireMillisecondsOrReply: the number must be a positive integer, a
// time in seconds must not overflow when turned into ms, and a relative
// time is added to the command's time. `command` names the command in the
// error text. Replies and returns false on error.
bool ResolveExpire(CommandContext& ctx, std::string_view arg, bool seconds, bool relative,
                   std::string_view command, int64_t* at_ms) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.reply().Error(kErrNotInteger);
    return false;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (v <= 0 || (seconds && v > kMax / 1000)) {
    ctx.reply().Error(InvalidExpireError(command));
    return false;
  }
  if (seconds) v *= 1000;
  if (relative) {
    // Redis lets this wrap and then rejects the non-positive result; we
    // refuse the overflow itself, which gives the same reply.
    if (v > kMax - ctx.now_ms()) {
      ctx.reply().Error(InvalidExpireError(command));
      return false;
    }
    v += ctx.now_ms();
  }
  *at_ms = v;
  return true;
}

bool ResolveOptionExpire(CommandContext& ctx, const StringOptions& o, std::string_view command,
                         int64_t* at_ms) {
  const bool seconds = o.flags & (kOptEx | kOptExAt);
  const bool relative = o.flags & (kOptEx | kOptPx);
  return ResolveExpire(ctx, o.expire, seconds, relative, command, at_ms);
}

bool HasExpireOption(const StringOptions& o) {
  return o.flags & (kOptEx | kOptPx | kOptExAt | kOptPxAt);
}

// The write batch of the hot writes (SET, MSET, INCR): one per thread,
// reused, so its buffer is allocated once instead of once or twice per
// command. Handlers do not nest, so there is one holder at a time. A batch
// that grew past 64 KiB (a large value) is dropped after use, not kept.
class ScratchBatch {
 public:
  ScratchBatch() { Batch().Clear(); }
  ~ScratchBatch() {
    if (Batch().ByteSize() > (64u << 10)) Batch() = walnut::WriteBatch();
  }
  ScratchBatch(const ScratchBatch&) = delete;
  ScratchBatch& operator=(const ScratchBatch&) = delete;
  walnut::WriteBatch& get() { return Batch(); }

 private:
  static walnut::WriteBatch& Batch() {
    thread_local walnut::WriteBatch batch;
    return batch;
  }
};

// Reads a key for a command; on an engine error replies and returns false.
bool Lookup(CommandContext& ctx, std::string_view key, std::optional<StoredValue>* out) {
  auto r = ReadKey(ctx.db(), ctx.db_index(), key);
  if (!r.ok()) {
    ctx.ReplyError(r.status());
    return false;
  }
  *out = std::move(r.value());
  return true;
}

// Adds the write that leaves `key` holding `value` with expiry `expire_at_ms`
// (0 = none). A time already past means the key is gone at once, so it is
// written as a delete rather than as a value nobody can read.
void PutOrExpire(CommandContext& ctx, walnut::WriteBatch& b, std::string_view key,
                 std::string_view value, int64_t expire_at_ms) {
  if (expire_at_ms != 0 && expire_at_ms <= ctx.now_ms()) {
    b.Delete(ctx.db_index(), key);
  } else {
    b.Put(ctx.db_index(), key, value, expire_at_ms);
  }
}

// ---------------------------------------------------------------------------
// GET family.

void GetCommand(CommandContext& ctx) {
  bool found = false;
  walnut::Status s =
      ctx.db().Read(ctx.db_index(), ctx.arg(1), [&](std::string_view value, int64_t) {
        found = true;
        ctx.reply().Bulk(value);
      });
  if (!s.ok() && !s.IsNotFound()) return ctx.ReplyError(s);
  ctx.RecordLookup(found);
  if (!found) ctx.reply().NullBulk();
}

// The shared body of SET, SETNX, SETEX, PSETEX and GETSET.
struct SetRequest {
  uint32_t flags = 0;
  bool has_expire = false;
  int64_t expire_at_ms = 0;
  bool integer_reply = false;  // SETNX: 1/0 instead of OK/nil
};

void DoSet(CommandContext& ctx, std::string_view key, std::string_view value,
           const SetRequest& req) {
  // A plain SET needs nothing of the old value: skip the read (and the copy
  // of a possibly large value) on the hottest write path. Only GET needs the
  // old bytes; NX/XX/KEEPTTL need existence and expiry alone.
  std::optional<StoredValue> old;
  const bool want_old = req.flags & kOptGet;
  if (want_old) {
    if (!Lookup(ctx, key, &old)) return;
  } else if (req.flags & (kOptNx | kOptXx | kOptKeepTtl)) {
    auto r = ReadExpiry(ctx.db(), ctx.db_index(), key);
    if (!r.ok()) return ctx.ReplyError(r.status());
    if (r.value()) old = StoredValue{std::string(), *r.value()};
  }
  if (want_old) ctx.RecordLookup(old.has_value());
  const bool found = old.has_value();
  if (((req.flags & kOptNx) && found) || ((req.flags & kOptXx) && !found)) {
    if (want_old) {
      old ? ctx.reply().Bulk(old->value) : ctx.reply().NullBulk();
    } else if (req.integer_reply) {
      ctx.reply().Integer(0);
    } else {
      ctx.reply().NullBulk();
    }
    return;
  }
  int64_t expire = 0;
  if (req.has_expire) {
    expire = req.expire_at_ms;
  } else if ((req.flags & kOptKeepTtl) && found) {
    expire = old->expire_at_ms;
  }
  ScratchBatch scratch;
  walnut::WriteBatch& b = scratch.get();
  PutOrExpire(ctx, b, key, value, expire);
  if (!Commit(ctx, b)) return;
  if (want_old) {
    old ? ctx.reply().Bulk(old->value) : ctx.reply().NullBulk();
  } else if (req.integer_reply) {
    ctx.reply().Integer(1);
  } else {
    ctx.reply().Ok();
  }
}

void SetCommand(CommandContext& ctx) {
  StringOptions o;
  if (!ParseStringOptions(ctx, 3, /*for_set=*/true, &o)) return;
  SetRequest req;
  req.flags = o.flags;
  if (HasExpireOption(o)) {
    if (!ResolveOptionExpire(ctx, o, "set", &req.expire_at_ms)) return;
    req.has_expire = true;
  }
  DoSet(ctx, ctx.arg(1), ctx.arg(2), req);
}

void SetNxCommand(CommandContext& ctx) {
  SetRequest req;
  req.flags = kOptNx;
  req.integer_reply = true;
  DoSet(ctx, ctx.arg(1), ctx.arg(2), req);
}

// SETEX key seconds value / PSETEX key milliseconds value.
void SetExGeneric(CommandContext& ctx, bool seconds, std::string_view name) {
  SetRequest req;
  if (!ResolveExpire(ctx, ctx.arg(2), seconds, /*relative=*/true, name, &req.expire_at_ms)) return;
  req.has_expire = true;
  DoSet(ctx, ctx.arg(1), ctx.arg(3), req);
}
void SetExCommand(CommandContext& ctx) { SetExGeneric(ctx, true, "setex"); }
void PSetExCommand(CommandContext& ctx) { SetExGeneric(ctx, false, "psetex"); }

void GetSetCommand(CommandContext& ctx) {
  SetRequest req;
  req.flags = kOptGet;
  DoSet(ctx, ctx.arg(1), ctx.arg(2), req);
}

void GetDelCommand(CommandContext& ctx) {
  std::optional<StoredValue> old;
  if (!Lookup(ctx, ctx.arg(1), &old)) return;
  ctx.RecordLookup(old.has_value());
  if (!old) return ctx.reply().NullBulk();
  walnut::WriteBatch b;
  b.Delete(ctx.db_index(), ctx.arg(1));
  if (!Commit(ctx, b)) return;
  ctx.reply().Bulk(old->value);
}

void GetExCommand(CommandContext& ctx) {
  StringOptions o;
  if (!ParseStringOptions(ctx, 2, /*for_set=*/false, &o)) return;
  std::optional<StoredValue> cur;
  if (!Lookup(ctx, ctx.arg(1), &cur)) return;
  ctx.RecordLookup(cur.has_value());
  // As in Redis, a missing key answers nil before the expire time is checked.
  if (!cur) return ctx.reply().NullBulk();
  int64_t at = 0;
  if (HasExpireOption(o) && !ResolveOptionExpire(ctx, o, "getex", &at)) return;
  walnut::WriteBatch b;
  if ((o.flags & (kOptExAt | kOptPxAt)) && at <= ctx.now_ms()) {
    b.Delete(ctx.db_index(), ctx.arg(1));
  } else if (HasExpireOption(o)) {
    b.SetExpiry(ctx.db_index(), ctx.arg(1), at);
  } else if ((o.flags & kOptPersist) && cur->expire_at_ms != 0) {
    b.SetExpiry(ctx.db_index(), ctx.arg(1), 0);
  }
  if (!b.Empty() && !Commit(ctx, b)) return;
  ctx.reply().Bulk(cur->value);
}

void MGetCommand(CommandContext& ctx) {
  const std::span<const std::string_view> keys = ctx.args().subspan(1);
  ctx.reply().ArrayHeader(keys.size());
  size_t next = 0;  // the first key not answered yet
  auto missing_before = [&](size_t i) {
    for (; next < i; next++) {
      ctx.RecordLookup(false);
      ctx.reply().NullBulk();
    }
  };
  // One engine call for all keys: each is hashed once, their memory is
  // fetched together, and the lock is taken once per 16 keys (per run of
  // keys in one partition). Found keys come back in order.
  walnut::Status s =
      ctx.db().ReadMany(ctx.db_index(), keys, [&](size_t i, std::string_view value, int64_t) {
        missing_before(i);
        ctx.RecordLookup(true);
        ctx.reply().Bulk(value);
        next = i + 1;
      });
  // The array header is out already, so an engine error can only become a
  // nil element (a value on disk that cannot be read, or a closed database).
  (void)s;
  missing_before(keys.size());
}

void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argc() % 2 == 0) return ctx.reply().Error(WrongArityError(nx ? "msetnx" : "mset"));
  if (nx) {
    for (size_t i = 1; i < ctx.argc(); i += 2) {
      if (ctx.db().Exists(ctx.db_index(), ctx.arg(i))) return ctx.reply().Integer(0);
    }
  }
  // One batch: all pairs reach the log as one record (later pairs win for a
  // repeated key, as the operations apply in order).
  ScratchBatch scratch;
  walnut::WriteBatch& b = scratch.get();
  for (size_t i = 1; i < ctx.argc(); i += 2) b.Put(ctx.db_index(), ctx.arg(i), ctx.arg(i + 1));
  if (!Commit(ctx, b)) return;
  nx ? ctx.reply().Integer(1) : ctx.reply().Ok();
}
void MSetCommand(CommandContext& ctx) { MSetGeneric(ctx, false); }
void MSetNxCommand(CommandContext& ctx) { MSetGeneric(ctx, true); }

// ---------------------------------------------------------------------------
// Byte ranges.

void AppendCommand(CommandContext& ctx) {
  std::optional<StoredValue> cur;
  if (!Lookup(ctx, ctx.arg(1), &cur)) return;
  const std::string_view tail = ctx.arg(2);
  std::string value;
  int64_t expire = 0;
  if (cur) {
    if (cur->value.size() + tail.size() > kMaxStringLength) {
      return ctx.reply().Error(kErrStringTooLong);
    }
    value = std::move(cur->value);
    expire = cur->expire_at_ms;  // APPEND keeps the key's TTL
  }
  value.append(tail);
  walnut::WriteBatch b;
  b.Put(ctx.db_index(), ctx.arg(1), value, expire);
  if (!Commit(ctx, b)) return;
  ctx.reply().Integer(static_cast<int64_t>(value.size()));
}

void StrLenCommand(CommandContext& ctx) {
  int64_t len = 0;
  bool found = false;
  walnut::Status s = ctx.db().Read(ctx.db_index(), ctx.arg(1), [&](std::string_view v, int64_t) {
    found = true;
    len = static_cast<int64_t>(v.size());
  });
  if (!s.ok() && !s.IsNotFound()) return ctx.ReplyError(s);
  ctx.RecordLookup(found);
  ctx.reply().Integer(len);
}

// GETRANGE / SUBSTR: Redis's index rules, including that two negative
// indexes in the wrong order give an empty string before any clamping.
void GetRangeCommand(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
    return ctx.reply().Error(kErrNotInteger);
  }
  bool found = false;
  walnut::Status s = ctx.db().Read(ctx.db_index(), ctx.arg(1), [&](std::string_view v, int64_t) {
    found = true;
    const int64_t len = static_cast<int64_t>(v.size());
    int64_t from = start, to = end;
    if (from < 0 && to < 0 && from > to) return ctx.reply().Bulk("");
    if (from < 0) from = len + from;
    if (to < 0) to = len + to;
    if (from < 0) from = 0;
    if (to < 0) to = 0;
    if (to >= len) to = len - 1;
    if (from > to || len == 0) return ctx.reply().Bulk("");
    ctx.reply().Bulk(v.substr(static_cast<size_t>(from), static_cast<size_t>(to - from + 1)));
  });
  if (!s.ok() && !s.IsNotFound()) return ctx.ReplyError(s);
  ctx.RecordLookup(found);
  if (!found) ctx.reply().Bulk("");
}

void SetRangeCommand(CommandContext& ctx) {
  int64_t offset;
  if (!ParseInt64(ctx.arg(2), &offset)) return ctx.reply().Error(kErrNotInteger);
  if (offset < 0) return ctx.reply().Error(kErrOffsetRange);
  const std::string_view patch = ctx.arg(3);
  std::optional<StoredValue> cur;
  if (!Lookup(ctx, ctx.arg(1), &cur)) return;
  // Writing nothing changes nothing, and creates no key.
  if (patch.empty()) return ctx.reply().Integer(cur ? static_cast<int64_t>(cur->value.size()) : 0);
  if (static_cast<uint64_t>(offset) + patch.size() > kMaxStringLength) {
    return ctx.reply().Error(kErrStringTooLong);
  }
  std::string value;
  int64_t expire = 0;
  if (cur) {
    value = std::move(cur->value);
    expire = cur->expire_at_ms;  // SETRANGE keeps the key's TTL
  }
  const size_t need = static_cast<size_t>(offset) + patch.size();
  if (value.size() < need) value.resize(need, '\0');  // the gap is zero bytes
  value.replace(static_cast<size_t>(offset), patch.size(), patch);
  walnut::WriteBatch b;
  b.Put(ctx.db_index(), ctx.arg(1), value, expire);
  if (!Commit(ctx, b)) return;
  ctx.reply().Integer(static_cast<int64_t>(value.size()));
}

// ---------------------------------------------------------------------------
// Counters. The result keeps the key's TTL, as in Redis.

void IncrBy(CommandContext& ctx, int64_t incr) {
  std::optional<StoredValue> cur;
  if (!Lookup(ctx, ctx.arg(1), &cur)) return;
  int64_t value = 0;
  if (cur && !ParseInt64(cur->value, &value)) return ctx.reply().Error(kErrNotInteger);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if ((incr < 0 && value < 0 && incr < kMin - value) ||
      (incr > 0 && value > 0 && incr > kMax - value)) {
    return ctx.reply().Error(kErrOverflow);
  }
  value += incr;
  ScratchBatch scratch;
  walnut::WriteBatch& b = scratch.get();
  b.Put(ctx.db_index(), ctx.arg(1), FormatInt64(value), cur ? cur->expire_at_ms : 0);
  if (!Commit(ctx, b)) return;
  ctx.reply().Integer(value);
}

void IncrCommand(CommandContext& ctx) { IncrBy(ctx, 1); }
void DecrCommand(CommandContext& ctx) { IncrBy(ctx, -1); }
void IncrByCommand(CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64(ctx.arg(2), &incr)) return ctx.reply().Error(kErrNotInteger);
  IncrBy(ctx, incr);
}
void DecrByCommand(CommandContext& ctx) {
  int64_t decr;
  if (!ParseInt64(ctx.arg(2), &decr)) return ctx.reply().Error(kErrNotInteger);
  // -INT64_MIN does not exist; Redis has a dedicated message for it.
  if (decr == std::numeric_limits<int64_t>::min()) {
    return ctx.reply().Error("ERR decrement would overflow");
  }
  IncrBy(ctx, -decr);
}

void IncrByFloatCommand(CommandContext& ctx) {
  std::optional<StoredValue> cur;
  if (!Lookup(ctx, ctx.arg(1), &cur)) return;
  long double value = 0, incr = 0;
  // Redis checks the stored value before the increment.
  if ((cur && !ParseLongDouble(cur->value, &value)) || !ParseLongDouble(ctx.arg(2), &incr)) {
    return ctx.reply().Error(kErrNotFloat);
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return ctx.reply().Error(kErrNanOrInf);
  const std::string text = FormatLongDouble(value);
  walnut::WriteBatch b;
  b.Put(ctx.db_index(), ctx.arg(1), text, cur ? cur->expire_at_ms : 0);
  if (!Commit(ctx, b)) return;
  ctx.reply().Bulk(text);
}

// ---------------------------------------------------------------------------
// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]

void LcsCommand(CommandContext& ctx) {
  std::optional<StoredValue> a, b;
  if (!Lookup(ctx, ctx.arg(1), &a) || !Lookup(ctx, ctx.arg(2), &b)) return;
  ctx.RecordLookup(a.has_value());
  ctx.RecordLookup(b.has_value());
  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.arg(j);
    const bool has_next = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "idx")) {
      want_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      want_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && has_next) {
      if (!ParseInt64(ctx.arg(j + 1), &min_match_len)) return ctx.reply().Error(kErrNotInteger);
      if (min_match_len < 0) min_match_len = 0;
      j++;
    } else {
      return ctx.reply().Error(kErrSyntax);
    }
  }
  if (want_idx && want_len) {
    return ctx.reply().Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  const std::string_view sa = a ? std::string_view(a->value) : std::string_view();
  const std::string_view sb = b ? std::string_view(b->value) : std::string_view();
  // The DP table is quadratic; like Redis, refuse one larger than the bulk
  // limit rather than let a request exhaust memory.
  if (LcsTableBytes(sa.size(), sb.size()) > kMaxStringLength) {
    return ctx.reply().Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  const LcsResult r = ComputeLcs(sa, sb, /*want_sequence=*/!want_len && !want_idx,
                                 /*want_ranges=*/want_idx, static_cast<uint64_t>(min_match_len));
  if (want_len) return ctx.reply().Integer(static_cast<int64_t>(r.length));
  if (!want_idx) return ctx.reply().Bulk(r.sequence);
  protocol::RespWriter& w = ctx.reply();
  w.MapHeader(2);
  w.Bulk("matches");
  w.ArrayHeader(r.ranges.size());
  for (const LcsRange& g : r.ranges) {
    w.ArrayHeader(with_match_len ? 3 : 2);
    w.ArrayHeader(2);
    w.Integer(static_cast<int64_t>(g.a_start));
    w.Integer(static_cast<int64_t>(g.a_end));
    w.ArrayHeader(2);
    w.Integer(static_cast<int64_t>(g.b_start));
    w.Integer(static_cast<int64_t>(g.b_end));
    if (with_match_len) w.Integer(static_cast<int64_t>(g.length()));
  }
  w.Bulk("len");
  w.Integer(static_cast<int64_t>(r.length));
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  using namespace cmd;
  const uint32_t kW = kWrite | kDenyOom;
  // name, arity, flags, first/last/step key, handler, group, summary, since, syntax
  auto row = [&](std::string_view name, int arity, uint32_t flags, int first, int last, int step,
                 CommandHandler h, std::string_view summary, std::string_view since,
                 std::string_view syntax) {
    table.Register(
        KeyedCommand(name, arity, flags, first, last, step, h, "string", summary, since, syntax));
  };
  row("get", 2, kReadOnly | kFast, 1, 1, 1, GetCommand, "Returns the string value of a key.",
      "1.0.0", "key");
  row("set", -3, kW, 1, 1, 1, SetCommand,
      "Sets the string value of a key, ignoring its type. The key is created if it doesn't "
      "exist.",
      "1.0.0",
      "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
      "PXAT unix-time-milliseconds | KEEPTTL]");
  row("setnx", 3, kW | kFast, 1, 1, 1, SetNxCommand,
      "Set the string value of a key only when the key doesn't exist.", "1.0.0", "key value");
  row("setex", 4, kW, 1, 1, 1, SetExCommand,
      "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
      "2.0.0", "key seconds value");
  row("psetex", 4, kW, 1, 1, 1, PSetExCommand,
      "Sets both string value and expiration time in milliseconds of a key. The key is created "
      "if it doesn't exist.",
      "2.6.0", "key milliseconds value");
  row("getset", 3, kW | kFast, 1, 1, 1, GetSetCommand,
      "Returns the previous string value of a key after setting it to a new value.", "1.0.0",
      "key value");
  row("getdel", 2, kWrite | kFast, 1, 1, 1, GetDelCommand,
      "Returns the string value of a key after deleting the key.", "6.2.0", "key");
  row("getex", -2, kWrite | kFast, 1, 1, 1, GetExCommand,
      "Returns the string value of a key after setting its expiration time.", "6.2.0",
      "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds "
      "| PERSIST]");
  row("mget", -2, kReadOnly | kFast | kFetchesKeys, 1, -1, 1, MGetCommand,
      "Atomically returns the string values of one or more keys.", "1.0.0", "key [key ...]");
  row("mset", -3, kW, 1, -1, 2, MSetCommand,
      "Atomically creates or modifies the string values of one or more keys.", "1.0.1",
      "key value [key value ...]");
  row("msetnx", -3, kW, 1, -1, 2, MSetNxCommand,
      "Atomically modifies the string values of one or more keys only when all keys don't "
      "exist.",
      "1.0.1", "key value [key value ...]");
  row("append", 3, kW | kFast, 1, 1, 1, AppendCommand,
      "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0",
      "key value");
  row("strlen", 2, kReadOnly | kFast, 1, 1, 1, StrLenCommand,
      "Returns the length of a string value.", "2.2.0", "key");
  row("getrange", 4, kReadOnly, 1, 1, 1, GetRangeCommand,
      "Returns a substring of the string stored at a key.", "2.4.0", "key start end");
  row("substr", 4, kReadOnly, 1, 1, 1, GetRangeCommand, "Returns a substring from a string value.",
      "1.0.0", "key start end");
  row("setrange", 4, kW, 1, 1, 1, SetRangeCommand,
      "Overwrites a part of a string value with another by an offset. Creates the key if it "
      "doesn't exist.",
      "2.2.0", "key offset value");
  row("lcs", -3, kReadOnly, 1, 2, 1, LcsCommand, "Finds the longest common substring.", "7.0.0",
      "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]");
  row("incr", 2, kW | kFast, 1, 1, 1, IncrCommand,
      "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
      "exist.",
      "1.0.0", "key");
  row("decr", 2, kW | kFast, 1, 1, 1, DecrCommand,
      "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
      "exist.",
      "1.0.0", "key");
  row("incrby", 3, kW | kFast, 1, 1, 1, IncrByCommand,
      "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
      "doesn't exist.",
      "1.0.0", "key increment");
  row("decrby", 3, kW | kFast, 1, 1, 1, DecrByCommand,
      "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
      "doesn't exist.",
      "1.0.0", "key decrement");
  row("incrbyfloat", 3, kW | kFast, 1, 1, 1, IncrByFloatCommand,
      "Increment the floating point value of a key by a number. Uses 0 as initial value if the "
      "key doesn't exist.",
      "2.6.0", "key increment");
}

}  // namespace walnut::server
