// DEBUG: test and diagnosis helpers, refused unless --enable-debug-command
// is yes (or local, for loopback clients), exactly as Redis does.
//
// RELOAD and LOADAOF close the engine and open it again from the log, in
// place: what DEBUG RELOAD proves in Redis (the persisted state equals the
// live state) is proved here by replaying the log. DIGEST gives an
// order-independent fingerprint of the whole dataset, so a test can compare
// it before and after a reload or a restart.
#include <xxhash.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/server_commands.h"
#include "server/string_util.h"
#include "spdlog/spdlog.h"

namespace walnut::server {
namespace {

Client& ClientOf(CommandContext& ctx) { return ExecSession::Of(ctx).client; }
Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

// A 160-bit digest as Redis prints it (40 hex digits), from XXH3-128 plus 32
// more bits; XOR-combined across keys so key order does not matter.
struct Digest {
  uint64_t a = 0, b = 0;
  uint32_t c = 0;
  void Mix(const Digest& o) {
    a ^= o.a;
    b ^= o.b;
    c ^= o.c;
  }
  bool zero() const { return a == 0 && b == 0 && c == 0; }
  std::string Hex() const {
    char buf[41];
    std::snprintf(buf, sizeof(buf), "%016llx%016llx%08x", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b), c);
    return buf;
  }
};

Digest KeyDigest(uint32_t db, std::string_view key, std::string_view value, int64_t expire_at) {
  std::string buf;
  buf.reserve(16 + key.size() + value.size());
  buf.append(reinterpret_cast<const char*>(&db), sizeof(db));
  uint64_t klen = key.size();
  buf.append(reinterpret_cast<const char*>(&klen), sizeof(klen));
  buf.append(key);
  buf.append(value);
  buf.append(reinterpret_cast<const char*>(&expire_at), sizeof(expire_at));
  XXH128_hash_t h = XXH3_128bits(buf.data(), buf.size());
  Digest d;
  d.a = h.high64;
  d.b = h.low64;
  d.c = static_cast<uint32_t>(XXH32(buf.data(), buf.size(), 0x57414c4e));
  return d;
}

void DebugHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DIGEST",
      "    Output a hex signature representing the current DB content.",
      "DIGEST-VALUE <key> [<key> ...]",
      "    Output a hex signature of the values of all the specified keys.",
      "LOG <message>",
      "    Write <message> to the server log.",
      "OBJECT <key>",
      "    Show low level info about the key and associated value.",
      "PROTOCOL <type>",
      "    Reply with a test value of the specified type. <type> can be: string,",
      "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
      "    true, false.",
      "RELOAD [option ...]",
      "    Close the engine and reopen it from the write-ahead log, in place.",
      "LOADAOF",
      "    Same as RELOAD.",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Setting it to 0 disables expiring keys in background when they are not",
      "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
      "    default.",
      "SLEEP <seconds>",
      "    Stop the server for <seconds>. Decimals allowed.",
      "SET-SYNC-DELAY <milliseconds>",
      "    Make every fdatasync of the log take this much longer (0: off, the default).",
      "    A debugging aid to watch what waits for a sync (replies, HTTP reads).",
      "SET-SYNC-FAIL <0|1>",
      "    With 1, every fdatasync of the log fails with EIO from now on, as a failing",
      "    disk's would: writes are then refused until restart. 0 stops failing new syncs.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply().ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply().SimpleString(l);
}

void DebugProtocol(CommandContext& ctx, std::string_view type) {
  protocol::RespWriter& w = ctx.reply();
  if (EqualsIgnoreCase(type, "string")) {
    w.Bulk("Hello World");
  } else if (EqualsIgnoreCase(type, "integer")) {
    w.Integer(12345);
  } else if (EqualsIgnoreCase(type, "double")) {
    w.Double(3.141);
  } else if (EqualsIgnoreCase(type, "bignum")) {
    w.BigNumber("1234567999999999999999999999999999999");
  } else if (EqualsIgnoreCase(type, "null")) {
    w.NullBulk();
  } else if (EqualsIgnoreCase(type, "array")) {
    w.ArrayHeader(3);
    for (int i = 0; i < 3; i++) w.Integer(i);
  } else if (EqualsIgnoreCase(type, "set")) {
    w.SetHeader(3);
    for (int i = 0; i < 3; i++) w.Integer(i);
  } else if (EqualsIgnoreCase(type, "map")) {
    w.MapHeader(3);
    for (int i = 0; i < 3; i++) {
      w.Integer(i);
      w.Boolean(i == 1);
    }
  } else if (EqualsIgnoreCase(type, "attrib")) {
    if (w.resp3()) {
      w.Raw("|1\r\n");
      w.Bulk("key-popularity");
      w.ArrayHeader(2);
      w.Bulk("key:123");
      w.Integer(90);
    }
    w.Bulk("Some real reply following the attribute");
  } else if (EqualsIgnoreCase(type, "push")) {
    if (!w.resp3()) {
      w.Error("ERR RESP2 is not supported by this command");
      return;
    }
    w.PushHeader(2);
    w.Bulk("server-cpu-usage");
    w.Integer(42);
    w.Bulk("Some real reply following the push reply");
  } else if (EqualsIgnoreCase(type, "true")) {
    w.Boolean(true);
  } else if (EqualsIgnoreCase(type, "false")) {
    w.Boolean(false);
  } else if (EqualsIgnoreCase(type, "verbatim")) {
    w.Verbatim("This is a verbatim\nstring");
  } else {
    w.Error(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

void DebugCommand(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Client& c = ClientOf(ctx);
  DebugCommandMode mode = server.config().enable_debug_command;
  if (mode == DebugCommandMode::kNo || (mode == DebugCommandMode::kLocal && !c.local)) {
    ctx.reply().Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
    return;
  }
  std::string_view sub = ctx.arg(1);
  const size_t argc = ctx.argc();
  if (EqualsIgnoreCase(sub, "help") && argc == 2) {
    DebugHelp(ctx);
  } else if (EqualsIgnoreCase(sub, "log") && argc == 3) {
    spdlog::warn("DEBUG LOG: {}", ctx.arg(2));
    ctx.reply().Ok();
  } else if (EqualsIgnoreCase(sub, "sleep") && argc == 3) {
    long double secs;
    if (!ParseLongDouble(ctx.arg(2), &secs) || !std::isfinite(static_cast<double>(secs)) ||
        secs < 0) {
      ctx.reply().Error(kErrNotFloat);
      return;
    }
    // Blocks the whole server, as in Redis: that is what the command is for.
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(secs * 1e6L)));
    ctx.reply().Ok();
  } else if ((EqualsIgnoreCase(sub, "set-sync-delay") || EqualsIgnoreCase(sub, "set-sync-fail")) &&
             argc == 3) {
    int64_t v;
    if (!ParseInt64(ctx.arg(2), &v) || v < 0 || v > 3600 * 1000) {
      ctx.reply().Error(kErrNotInteger);
      return;
    }
    DebugEnv* env = server.debug_env();
    if (env == nullptr) {
      // DEBUG is enabled but the engine was opened without the hook (an
      // embedding that does not install it): say so rather than do nothing.
      ctx.reply().Error("ERR this server's engine has no sync hooks");
      return;
    }
    if (EqualsIgnoreCase(sub, "set-sync-delay")) {
      env->sync_delay_ms = v;
      spdlog::warn("DEBUG SET-SYNC-DELAY: every log fdatasync now waits {} ms first", v);
    } else {
      env->fail_sync = v != 0;
      spdlog::warn("DEBUG SET-SYNC-FAIL: log fdatasyncs {}",
                   v != 0 ? "now fail" : "no longer fail");
    }
    ctx.reply().Ok();
  } else if (EqualsIgnoreCase(sub, "set-active-expire") && argc == 3) {
    int64_t v;
    if (!ParseInt64(ctx.arg(2), &v)) {
      ctx.reply().Error(kErrNotInteger);
      return;
    }
    server.set_active_expire(v != 0);
    ctx.reply().Ok();
  } else if (EqualsIgnoreCase(sub, "object") && argc == 3) {
    std::string line;
    walnut::Status s =
        ctx.db().Read(ctx.db_index(), ctx.arg(2), [&](std::string_view value, int64_t) {
          line = "Value at:0x0 refcount:1 encoding:" + std::string(StringEncoding(value)) +
                 " serializedlength:" + std::to_string(value.size()) + " lru:0 lru_seconds_idle:0";
        });
    if (s.IsNotFound()) {
      ctx.reply().Error(kErrNoSuchKey);
    } else if (!s.ok()) {
      ctx.ReplyError(s);
    } else {
      ctx.reply().SimpleString(line);
    }
  } else if (EqualsIgnoreCase(sub, "digest") && argc == 2) {
    Digest total;
    walnut::DB& db = ctx.db();
    // exec_mu is held, so no write changes the index during the walk and
    // Scan visits every key exactly once (it repeats keys only across resizes,
    // which only inserts cause).
    for (uint32_t d = 0; d < ctx.num_databases(); d++) {
      if (db.KeyCount(d) == 0) continue;
      uint64_t cursor = 0;
      do {
        cursor = db.Scan(d, cursor, 1024, [&](std::string_view k, std::string_view v, int64_t exp) {
          total.Mix(KeyDigest(d, k, v, exp));
        });
      } while (cursor != 0);
    }
    ctx.reply().Bulk(total.Hex());
  } else if (EqualsIgnoreCase(sub, "digest-value") && argc >= 2) {
    ctx.reply().ArrayHeader(argc - 2);
    for (size_t i = 2; i < argc; i++) {
      Digest d;
      walnut::Status s =
          ctx.db().Read(ctx.db_index(), ctx.arg(i),
                        [&](std::string_view v, int64_t exp) { d = KeyDigest(0, "", v, exp); });
      (void)s;  // a missing key digests as zeros, as in Redis
      ctx.reply().Bulk(d.Hex());
    }
  } else if (EqualsIgnoreCase(sub, "protocol") && argc == 3) {
    DebugProtocol(ctx, ctx.arg(2));
  } else if (EqualsIgnoreCase(sub, "reload") || EqualsIgnoreCase(sub, "loadaof")) {
    if (server.compaction_running()) {
      ctx.reply().Error("ERR Background compaction in progress, try again later");
      return;
    }
    ExecSession& session = ExecSession::Of(ctx);
    if (session.group_open) (void)session.CloseGroup();  // DEBUG RELOAD inside EXEC
    walnut::Status s = server.ReloadDb();
    if (!s.ok()) {
      ctx.reply().Error("ERR Error trying to load the log: " + s.ToString());
      return;
    }
    ctx.reply().Ok();
  } else {
    ctx.reply().Error(UnknownSubcommandError("debug", sub));
  }
}

}  // namespace

void RegisterDebugCommands(CommandTable& t) {
  using namespace cmd;
  t.Register({.name = "debug",
              .arity = -2,
              .flags = kAdmin | kNoScript | kLoading | kStale,
              .handler = DebugCommand,
              .group = "server",
              .summary = "A container for debugging commands.",
              .syntax = "subcommand [argument [argument ...]]"});
}

}  // namespace walnut::server
