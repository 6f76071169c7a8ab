// The command interface: what a command handler sees and how a family of
// commands joins the server.
//
// A command is one row of the command table (CommandSpec): its name, its
// arity, flags that drive the dispatcher's policy, where its keys are, and a
// handler. The dispatcher (server core) looks the name up, checks the arity,
// authentication, MULTI queuing and whether writes are allowed, and only then
// calls the handler with a CommandContext. A handler therefore never checks
// its own arity and never formats the generic errors; it parses its options,
// reads and writes through the context, and writes exactly one reply.
//
// Each family registers its rows in one function declared here and defined in
// the family's file (RegisterStringCommands in cmd_strings.cc, ...).
//
// Threading: handlers run on the event-loop thread while the server holds
// SharedState::exec_mu, so a handler is atomic with respect to every other
// command (RESP or HTTP). A handler must not block (no sleeping, no waiting
// for I/O) and must not call DB::Write/Put/Delete: writes go through
// CommandContext::Write so that they join the loop's group commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_writer.h"
#include "walnut/db.h"
#include "walnut/status.h"
#include "walnut/write_batch.h"

namespace walnut::server {

class CommandContext;
class CommandTable;

// Command flags. Each is one bit of CommandSpec::flags; COMMAND INFO reports
// them under Redis's names (in parentheses).
namespace cmd {
enum Flag : uint32_t {
  // May change data (write). Refused while the log is failing; inside MULTI
  // it joins the transaction's single log record.
  kWrite = 1u << 0,
  // Only reads data (readonly).
  kReadOnly = 1u << 1,
  // Constant or logarithmic time (fast). Informational.
  kFast = 1u << 2,
  // Server administration (admin). Informational (no ACLs yet).
  kAdmin = 1u << 3,
  // Allowed before the client authenticated (no_auth).
  kNoAuth = 1u << 4,
  // Rejected inside MULTI rather than queued (no_multi).
  kNoMulti = 1u << 5,
  // Executed at once even inside MULTI instead of being queued:
  // MULTI/EXEC/DISCARD/WATCH/QUIT/RESET. Not reported by COMMAND INFO.
  kTxControl = 1u << 6,
  // May grow memory (denyoom). Informational.
  kDenyOom = 1u << 7,
  // Allowed while loading (loading) and on a stale replica (stale).
  // Informational: Walnut loads before it listens.
  kLoading = 1u << 8,
  kStale = 1u << 9,
  // Not replicated as-is / not shown in MONITOR (noscript, skip_monitor).
  kNoScript = 1u << 10,
  // The command's output may differ between runs for the same input
  // (nondeterministic_output), e.g. RANDOMKEY, TIME.
  kRandom = 1u << 11,
  // Reply order is not deterministic (nondeterministic_output_order), e.g. KEYS.
  kSortForScript = 1u << 12,
  // The command fetches its keys' index memory together itself (MGET, with
  // DB::ReadMany), so the dispatcher does not (Server::PrefetchKeys).
  // Internal: not reported by COMMAND INFO.
  kFetchesKeys = 1u << 13,
};
}  // namespace cmd

using CommandHandler = void (*)(CommandContext& ctx);

// One row of the command table.
struct CommandSpec {
  std::string_view name;  // lower case, e.g. "get"; for a subcommand "setname"
  // Number of arguments including the name; -N means at least N. For a
  // subcommand the count includes the container, e.g. CLIENT SETNAME is 3.
  int arity = 0;
  uint32_t flags = 0;  // cmd::Flag bits
  // Positions of the keys in argv: first, last (-1 = the last argument, -2 =
  // the one before, ...), step. 0/0/0 when the command has no keys.
  int first_key = 0;
  int last_key = 0;
  int key_step = 0;
  CommandHandler handler = nullptr;
  // For COMMAND DOCS (redis-cli's hints) and HELP: the Redis group
  // ("string", "generic", "server", "connection", "transactions"), a one-line
  // summary, the Redis version that introduced it, and the argument syntax
  // after the name in Redis's documentation notation, e.g.
  // "key value [NX | XX] [GET] [EX seconds | PX milliseconds]".
  std::string_view group;
  std::string_view summary;
  std::string_view since = "1.0.0";
  std::string_view syntax;
  // Container commands (CLIENT, CONFIG, ...): the dispatcher finds the
  // subcommand by argv[1] and checks its arity. The container's own handler
  // runs only when it is called bare (COMMAND); otherwise leave it null.
  std::vector<CommandSpec> subcommands;
};

// A command row in the positional order the family files list them in:
// name, arity, flags, first/last/step key, handler, then the COMMAND DOCS
// fields. Keeps the tables in cmd_strings.cc and cmd_keys.cc one line a row.
inline CommandSpec KeyedCommand(std::string_view name, int arity, uint32_t flags, int first,
                                int last, int step, CommandHandler handler, std::string_view group,
                                std::string_view summary, std::string_view since,
                                std::string_view syntax) {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.first_key = first;
  s.last_key = last;
  s.key_step = step;
  s.handler = handler;
  s.group = group;
  s.summary = summary;
  s.since = since;
  s.syntax = syntax;
  return s;
}

// The services the server core gives a running command. Implemented by the
// server (and by fakes in handler unit tests).
class CommandHost {
 public:
  virtual ~CommandHost() = default;
  // See CommandContext::Write.
  virtual walnut::Status Write(CommandContext& ctx, const walnut::WriteBatch& batch) = 0;
  // Counts a key lookup for INFO's keyspace_hits / keyspace_misses.
  virtual void RecordLookup(bool hit) = 0;
};

// Everything a handler may use. Built by the dispatcher for one command and
// valid only during the handler call: argument views point into the
// connection's input buffer, which the server keeps unchanged until the
// handler returns.
class CommandContext {
 public:
  CommandContext(std::span<const std::string_view> args, uint32_t db_index, walnut::DB& db,
                 protocol::RespWriter& reply, int64_t now_ms, CommandHost& host)
      : args_(args), db_index_(db_index), db_(db), reply_(reply), now_ms_(now_ms), host_(host) {}

  // argv; args()[0] is the command name as the client sent it. Binary safe.
  std::span<const std::string_view> args() const { return args_; }
  size_t argc() const { return args_.size(); }
  std::string_view arg(size_t i) const { return args_[i]; }

  // The database the client SELECTed (0 .. num_databases()-1).
  uint32_t db_index() const { return db_index_; }
  uint32_t num_databases() const { return db_.options().num_databases; }
  // The engine. Read through it freely (Read/Exists/Scan/...); write only
  // through Write() below.
  walnut::DB& db() { return db_; }

  // Where the reply goes; RESP2/RESP3 aware (reply().resp3()).
  protocol::RespWriter& reply() { return reply_; }
  // Replies with the RESP error for an engine Status (see errors.h).
  void ReplyError(const walnut::Status& s);

  // The time of this command in Unix milliseconds, fixed when the command
  // started (Redis caches it the same way), from the engine's clock so that
  // tests controlling the clock control expiry too.
  int64_t now_ms() const { return now_ms_; }

  // Applies `batch` through DB::WriteDeferred: the change is visible at once
  // to later reads, and the server acknowledges it (sends the reply) only
  // after the event loop's FlushLog for this iteration succeeded. Every key
  // the batch names is marked modified for WATCH (FlushDb/FlushAll/SwapDb
  // mark their databases). Inside EXEC the batch joins the transaction's
  // single log record. On error nothing was applied: reply with
  // ReplyError(status) and return. An empty batch is a no-op.
  walnut::Status Write(const walnut::WriteBatch& batch) { return host_.Write(*this, batch); }

  // Counts a key lookup for INFO keyspace_hits/keyspace_misses (GET-like
  // commands call it once per key they read).
  void RecordLookup(bool hit) { host_.RecordLookup(hit); }

  // For the server's own commands (SELECT, CLIENT, ...): the host.
  CommandHost& host() { return host_; }

 private:
  std::span<const std::string_view> args_;
  uint32_t db_index_;
  walnut::DB& db_;
  protocol::RespWriter& reply_;
  int64_t now_ms_;
  CommandHost& host_;
};

// ---- Families. Each adds its rows to the table (CommandTable::Register,
// see command_table.h).
void RegisterStringCommands(CommandTable& table);       // cmd_strings.cc
void RegisterKeyCommands(CommandTable& table);          // cmd_keys.cc
void RegisterConnectionCommands(CommandTable& table);   // cmd_connection.cc
void RegisterServerCommands(CommandTable& table);       // cmd_server.cc
void RegisterTransactionCommands(CommandTable& table);  // cmd_transactions.cc
void RegisterDebugCommands(CommandTable& table);        // cmd_debug.cc

}  // namespace walnut::server
