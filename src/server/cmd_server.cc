// Server commands: TIME, LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF, COMPACT,
// WAITAOF, SHUTDOWN and FUNCTION. (INFO, CONFIG and COMMAND have files of
// their own.)
//
// Walnut has no snapshot file: the log IS the persistent state. So SAVE and
// BGSAVE make everything written so far durable (DB::Sync), BGREWRITEAOF and
// COMPACT rewrite the log down to the live data (DB::Compact), and LASTSAVE
// reports the last of those to succeed.
#include <chrono>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/server_commands.h"
#include "spdlog/spdlog.h"

namespace walnut::server {
namespace {

Client& ClientOf(CommandContext& ctx) { return ExecSession::Of(ctx).client; }
Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void TimeCommand(CommandContext& ctx) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  ctx.reply().ArrayHeader(2);
  ctx.reply().Bulk(std::to_string(us / 1000000));
  ctx.reply().Bulk(std::to_string(us % 1000000));
}

void LastSaveCommand(CommandContext& ctx) {
  ctx.reply().Integer(ServerOf(ctx).last_save_ms() / 1000);
}

// Makes everything written so far durable.
walnut::Status SyncAll(Server& server) {
  walnut::Status s = server.db().Sync();
  if (s.ok()) {
    server.set_last_save_ms(WallMs());
    server.reset_changes_since_save();
  }
  return s;
}

// SAVE and BGSAVE write a snapshot: the log is compacted into a base image
// and its hint file (snapshot.h), which is what start-up loads. Walnut has no
// separate RDB file, so this is the same work as BGREWRITEAOF; the difference
// is the reply. Everything acknowledged is in the log already, so there is
// nothing a save must capture beyond a sync.
void SaveCommand(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  if (server.compaction_running()) {
    ctx.reply().Error("ERR Background save already in progress");
    return;
  }
  walnut::Status s = SyncAll(server);
  if (s.ok()) s = server.StartCompaction(&ClientOf(ctx), /*reply_ok=*/true);
  if (!s.ok()) ctx.ReplyError(s);
  // On success +OK is written when the snapshot is on disk.
}

void BgSaveCommand(CommandContext& ctx) {
  const bool schedule = ctx.argc() == 2 && EqualsNoCase(ctx.arg(1), "schedule");
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !schedule)) {
    ctx.reply().Error(kErrSyntax);
    return;
  }
  Server& server = ServerOf(ctx);
  if (server.compaction_running()) {
    if (!schedule) {
      ctx.reply().Error(
          "ERR Background save already in progress; use BGSAVE SCHEDULE to run one after it");
      return;
    }
    server.ScheduleCompaction();
    ctx.reply().SimpleString("Background saving scheduled");
    return;
  }
  walnut::Status s = SyncAll(server);
  if (s.ok()) s = server.StartCompaction(nullptr);
  if (!s.ok()) {
    ctx.ReplyError(s);
    return;
  }
  ctx.reply().SimpleString("Background saving started");
}

void BgRewriteAofCommand(CommandContext& ctx) {
  walnut::Status s = ServerOf(ctx).StartCompaction(nullptr);
  if (!s.ok()) {
    ctx.reply().Error("ERR " + s.message());
    return;
  }
  ctx.reply().SimpleString("Background append only file rewriting started");
}

// COMPACT: like BGREWRITEAOF, but the caller waits for the result and gets
// bytes_before/bytes_after/keys_written/seconds (other clients are served
// meanwhile: the compaction runs on a background thread).
void CompactCommand(CommandContext& ctx) {
  walnut::Status s = ServerOf(ctx).StartCompaction(&ClientOf(ctx));
  if (!s.ok()) ctx.reply().Error("ERR " + s.message());
  // On success the reply is written when the compaction finishes.
}

void WaitAofCommand(CommandContext& ctx) {
  int64_t numlocal, numreplicas, timeout;
  if (!ParseInt64Arg(ctx.arg(1), &numlocal) || !ParseInt64Arg(ctx.arg(2), &numreplicas)) {
    ctx.reply().Error(kErrNotInteger);
    return;
  }
  if (!ParseInt64Arg(ctx.arg(3), &timeout)) {
    ctx.reply().Error(kErrTimeoutNotInteger);
    return;
  }
  if (timeout < 0) {
    ctx.reply().Error(kErrTimeoutNegative);
    return;
  }
  if (numreplicas > 0) {
    // A standalone server can never satisfy this; Redis would block until
    // the timeout (forever with 0). Say so at once instead.
    ctx.reply().Error(
        "ERR WAITAOF cannot wait for replicas: this server has no replicas (numreplicas must be "
        "0)");
    return;
  }
  // Sync covers the caller's own writes of this loop iteration too: they
  // are pending in the engine's log buffer, and Sync writes them first.
  walnut::Status s = ServerOf(ctx).db().Sync();
  if (!s.ok()) {
    ctx.ReplyError(s);
    return;
  }
  ctx.reply().ArrayHeader(2);
  ctx.reply().Integer(1);
  ctx.reply().Integer(0);
}

void ShutdownCommand(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.argc(); i++) {
    std::string_view a = ctx.arg(i);
    if (EqualsNoCase(a, "abort")) {
      ctx.reply().Error("ERR No shutdown in progress.");
      return;
    }
    if (!EqualsNoCase(a, "nosave") && !EqualsNoCase(a, "save") && !EqualsNoCase(a, "now") &&
        !EqualsNoCase(a, "force")) {
      ctx.reply().Error(kErrSyntax);
      return;
    }
  }
  // SAVE and NOSAVE end the same way: every acknowledged write is already in
  // the log, and the loop flushes and syncs it before exiting. Like Redis, a
  // successful SHUTDOWN sends no reply; the connection just closes.
  spdlog::info("SHUTDOWN requested by client id={} addr={}", ClientOf(ctx).id, ClientOf(ctx).addr);
  ServerOf(ctx).RequestShutdown();
  ClientOf(ctx).close_after_reply = true;
}

void FunctionList(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (EqualsNoCase(ctx.arg(i), "withcode")) continue;
    if (EqualsNoCase(ctx.arg(i), "libraryname") && i + 1 < ctx.argc()) {
      i++;
      continue;
    }
    ctx.reply().Error("ERR Unknown argument " + std::string(ctx.arg(i)));
    return;
  }
  ctx.reply().ArrayHeader(0);
}

void FunctionFlush(CommandContext& ctx) {
  if (ctx.argc() == 3 && !EqualsNoCase(ctx.arg(2), "async") && !EqualsNoCase(ctx.arg(2), "sync")) {
    ctx.reply().Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ctx.reply().Ok();
}

void FunctionStats(CommandContext& ctx) {
  protocol::RespWriter& w = ctx.reply();
  w.MapHeader(2);
  w.Bulk("running_script");
  w.NullBulk();
  w.Bulk("engines");
  w.MapHeader(0);
}

void FunctionUnsupported(CommandContext& ctx) {
  ctx.reply().Error("ERR Walnut does not support functions or scripting");
}

}  // namespace

void RegisterServerCommands(CommandTable& t) {
  using namespace cmd;
  t.Register({.name = "time",
              .arity = 1,
              .flags = kFast | kLoading | kStale | kRandom,
              .handler = TimeCommand,
              .group = "server",
              .summary = "Returns the server time.",
              .since = "2.6.0"});
  t.Register({.name = "lastsave",
              .arity = 1,
              .flags = kFast | kLoading | kStale | kRandom,
              .handler = LastSaveCommand,
              .group = "server",
              .summary = "Returns the Unix timestamp of the last successful save to disk."});
  t.Register({.name = "save",
              .arity = 1,
              .flags = kAdmin | kNoScript | kNoMulti,
              .handler = SaveCommand,
              .group = "server",
              .summary = "Synchronously saves the database(s) to disk."});
  t.Register({.name = "bgsave",
              .arity = -1,
              .flags = kAdmin | kNoScript,
              .handler = BgSaveCommand,
              .group = "server",
              .summary = "Asynchronously saves the database(s) to disk.",
              .syntax = "[SCHEDULE]"});
  t.Register({.name = "bgrewriteaof",
              .arity = 1,
              .flags = kAdmin | kNoScript,
              .handler = BgRewriteAofCommand,
              .group = "server",
              .summary = "Asynchronously rewrites the append-only file to disk.",
              .since = "1.0.0"});
  t.Register({.name = "compact",
              .arity = 1,
              .flags = kAdmin | kNoScript | kNoMulti,
              .handler = CompactCommand,
              .group = "server",
              .summary = "Rewrites the write-ahead log to hold only live data and reports the "
                         "sizes before and after (Walnut).",
              .since = "0.1.0"});
  t.Register({.name = "waitaof",
              .arity = 4,
              .flags = kNoScript,
              .handler = WaitAofCommand,
              .group = "generic",
              .summary = "Blocks until all of the preceding write commands sent by the connection "
                         "are written to the append-only file of the master and/or replicas.",
              .since = "7.2.0",
              .syntax = "numlocal numreplicas timeout"});
  t.Register({.name = "shutdown",
              .arity = -1,
              .flags = kAdmin | kNoScript | kLoading | kStale | kNoMulti,
              .handler = ShutdownCommand,
              .group = "server",
              .summary = "Synchronously saves the database(s) to disk and shuts "
                         "down the Redis server.",
              .syntax = "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"});
  CommandSpec function{.name = "function",
                       .arity = -2,
                       .group = "scripting",
                       .summary = "A container for function commands.",
                       .since = "7.0.0"};
  auto sub = [](std::string_view name, int arity, uint32_t flags, CommandHandler h,
                std::string_view summary, std::string_view syntax = {}) {
    return CommandSpec{.name = name,
                       .arity = arity,
                       .flags = flags,
                       .handler = h,
                       .group = "scripting",
                       .summary = summary,
                       .since = "7.0.0",
                       .syntax = syntax};
  };
  function.subcommands = {
      sub("list", -2, kNoScript, FunctionList, "Returns information about all libraries.",
          "[LIBRARYNAME library-name-pattern] [WITHCODE]"),
      sub("flush", -2, kWrite | kNoScript, FunctionFlush, "Deletes all libraries and functions.",
          "[ASYNC | SYNC]"),
      sub("stats", 2, kNoScript, FunctionStats,
          "Returns information about a function during execution."),
      sub("load", -3, kWrite | kDenyOom | kNoScript, FunctionUnsupported, "Creates a library.",
          "[REPLACE] function-code"),
      sub("delete", 3, kWrite | kNoScript, FunctionUnsupported,
          "Deletes a library and its functions.", "library-name"),
      sub("dump", 2, kNoScript, FunctionUnsupported,
          "Dumps all libraries into a serialized binary payload."),
      sub("restore", -3, kWrite | kDenyOom | kNoScript, FunctionUnsupported,
          "Restores all libraries from a payload.", "serialized-value [FLUSH | APPEND | REPLACE]"),
      sub("kill", 2, kNoScript, FunctionUnsupported, "Terminates a function during execution."),
  };
  t.Register(std::move(function));
  RegisterInfoCommand(t);
  RegisterConfigCommand(t);
  RegisterCommandCommand(t);
}

}  // namespace walnut::server
