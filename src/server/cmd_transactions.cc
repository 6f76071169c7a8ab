// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// Queued commands are checked when queued (unknown command, arity, writes
// refused); any failure there makes EXEC answer EXECABORT, as in Redis. EXEC
// runs the queue with all of its writes in ONE engine group
// (WriteDeferred(more_follows=true) ... closed by more_follows=false), so the
// transaction reaches the log as one record: after a crash either all of it
// is there or none of it. Like every other write, EXEC's reply is sent only
// after the loop's FlushLog succeeded.
#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"

namespace walnut::server {
namespace {

Client& ClientOf(CommandContext& ctx) { return ExecSession::Of(ctx).client; }
Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

void Discard(Server& server, Client& c) {
  c.in_multi = false;
  c.multi_error = false;
  c.queued.clear();
  c.queued_bytes = 0;
  server.watches().UnwatchAll(&c);
}

void MultiCommand(CommandContext& ctx) {
  Client& c = ClientOf(ctx);
  if (c.in_multi) {
    ctx.reply().Error(kErrMultiNested);
    return;
  }
  c.in_multi = true;
  c.multi_error = false;
  c.queued.clear();
  c.queued_bytes = 0;
  ctx.reply().Ok();
}

void DiscardCommand(CommandContext& ctx) {
  Client& c = ClientOf(ctx);
  if (!c.in_multi) {
    ctx.reply().Error(kErrDiscardWithoutMulti);
    return;
  }
  Discard(ServerOf(ctx), c);
  ctx.reply().Ok();
}

void ExecCommand(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Client& c = ClientOf(ctx);
  if (!c.in_multi) {
    ctx.reply().Error(kErrExecWithoutMulti);
    return;
  }
  if (c.multi_error) {
    Discard(server, c);
    ctx.reply().Error(kErrExecAbort);
    return;
  }
  // A watched key that existed at WATCH time and is gone now without a
  // write having touched it has expired meanwhile: that fails EXEC too.
  for (const auto& w : c.watched) {
    if (w.existed && !ctx.db().Exists(w.db, w.key)) c.watch_dirty = true;
  }
  if (c.watch_dirty) {
    Discard(server, c);
    ctx.reply().NullArray();
    return;
  }
  std::vector<std::vector<std::string>> queued = std::move(c.queued);
  Discard(server, c);  // also unwatches: nothing can make this EXEC fail now

  ctx.reply().ArrayHeader(queued.size());
  ExecSession group(server, c);
  group.in_group = true;
  std::vector<std::string_view> args;
  for (const auto& q : queued) {
    args.assign(q.begin(), q.end());
    const CommandSpec* spec = server.table().Find(args[0]);
    if (spec != nullptr && !spec->subcommands.empty()) {
      spec = CommandTable::FindSubcommand(*spec, args[1]);
    }
    if (spec == nullptr) {  // cannot happen: checked when queued
      ctx.reply().Error(UnknownCommandError(args[0], args));
      continue;
    }
    // Writes may have become refused since queuing (a failed flush).
    if (!server.CheckWritesAllowed(c, *spec)) continue;
    server.Call(c, *spec, args, group);
  }
  // Ends the group: one log record for all of the transaction's writes.
  // If this fails the engine is failing; the loop's FlushLog fails too and
  // the connection is closed without the reply.
  (void)group.CloseGroup();
}

void WatchCommand(CommandContext& ctx) {
  Client& c = ClientOf(ctx);
  if (c.in_multi) {
    ctx.reply().Error(kErrWatchInMulti);
    return;
  }
  for (size_t i = 1; i < ctx.argc(); i++) {
    bool exists = ctx.db().Exists(c.db, ctx.arg(i));
    ServerOf(ctx).watches().Watch(&c, c.db, ctx.arg(i), exists);
  }
  ctx.reply().Ok();
}

void UnwatchCommand(CommandContext& ctx) {
  Client& c = ClientOf(ctx);
  ServerOf(ctx).watches().UnwatchAll(&c);
  ctx.reply().Ok();
}

}  // namespace

void RegisterTransactionCommands(CommandTable& t) {
  using namespace cmd;
  const uint32_t f = kFast | kNoScript | kLoading | kStale | kTxControl;
  t.Register({.name = "multi",
              .arity = 1,
              .flags = f,
              .handler = MultiCommand,
              .group = "transactions",
              .summary = "Starts a transaction.",
              .since = "1.2.0"});
  t.Register({.name = "exec",
              .arity = 1,
              .flags = kNoScript | kLoading | kStale | kTxControl,
              .handler = ExecCommand,
              .group = "transactions",
              .summary = "Executes all commands in a transaction.",
              .since = "1.2.0"});
  t.Register({.name = "discard",
              .arity = 1,
              .flags = f,
              .handler = DiscardCommand,
              .group = "transactions",
              .summary = "Discards a transaction.",
              .since = "2.0.0"});
  t.Register({.name = "watch",
              .arity = -2,
              .flags = f,
              .first_key = 1,
              .last_key = -1,
              .key_step = 1,
              .handler = WatchCommand,
              .group = "transactions",
              .summary = "Monitors changes to keys to determine the execution of a transaction.",
              .since = "2.2.0",
              .syntax = "key [key ...]"});
  t.Register({.name = "unwatch",
              .arity = 1,
              .flags = f & ~kTxControl,
              .handler = UnwatchCommand,
              .group = "transactions",
              .summary = "Forgets about watched keys of a transaction.",
              .since = "2.2.0"});
}

}  // namespace walnut::server
