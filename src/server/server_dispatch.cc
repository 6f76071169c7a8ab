// Command dispatch: Redis's processCommand/call for walnut-server, and the
// ExecSession through which handlers write.
//
// The order of checks matches Redis 7 so that clients see the same error for
// the same mistake: unknown command, unknown subcommand, wrong arity, then
// authentication, then MULTI queuing, then "writes refused".
#include <algorithm>
#include <chrono>

#include "engine/wal_format.h"
#include "engine/write_batch_internal.h"
#include "server/errors.h"
#include "server/server.h"
#include "spdlog/spdlog.h"
#include "walnut/clock_pin.h"

namespace walnut::server {

// ---- ExecSession ------------------------------------------------------------

walnut::Status ExecSession::Write(CommandContext& ctx, const walnut::WriteBatch& batch) {
  Server& s = server;
  if (!s.write_error_.empty()) return walnut::Status::IOError(s.write_error_);
  if (batch.Empty()) return walnut::Status::OK();
  walnut::DB& db = s.db();

  // WATCH: keys named by the batch are marked after it applied; whole-
  // database ops are marked before, because whether a watched key "was
  // touched" by a flush depends on it existing beforehand (Redis's rule).
  std::vector<std::pair<uint32_t, std::string_view>> keys;
  if (!s.watches_.empty()) {
    std::string_view in = internal::WriteBatchAccess::Rep(batch);
    while (!in.empty()) {
      DecodedOp op;
      if (!DecodeOp(&in, &op).ok()) break;  // the engine reports malformed batches
      switch (op.code) {
        case wal::kFlushDb:
          s.watches_.TouchDb(op.db, [&](std::string_view k) { return db.Exists(op.db, k); });
          break;
        case wal::kFlushAll:
          s.watches_.TouchAll([&](uint32_t d, std::string_view k) { return db.Exists(d, k); });
          break;
        case wal::kSwapDb: {
          uint32_t a = op.db, b = op.db2;
          auto either = [&](std::string_view k) { return db.Exists(a, k) || db.Exists(b, k); };
          s.watches_.TouchDb(a, either);
          s.watches_.TouchDb(b, either);
          break;
        }
        default:
          keys.emplace_back(op.db, op.key);
          break;
      }
    }
  }

  walnut::Result<uint64_t> r = db.WriteDeferred(batch, /*more_follows=*/in_group);
  if (!r.ok()) {
    const walnut::Status& st = r.status();
    if (st.IsIOError()) {
      // The engine refuses writes after a failed write/sync; so do we.
      if (s.write_error_.empty()) s.write_error_ = st.ToString();
      spdlog::error("write refused by the engine: {}", st.ToString());
    }
    // NoSpace (a full disk) is not sticky: the engine refused this write
    // before it changed anything and accepts writes again once space is
    // freed; the handler replies with kErrDiskFullPrefix (StatusToError).
    return st;
  }
  if (in_group) group_open = true;
  s.NoteWrite(client);
  for (const auto& [d, k] : keys) s.watches_.Touch(d, k);
  return walnut::Status::OK();
}

walnut::Status ExecSession::CloseGroup() {
  if (!group_open) return walnut::Status::OK();
  group_open = false;
  // An empty batch with more_follows=false closes the group: all of EXEC's
  // writes become one log record, written by the loop's next FlushLog.
  walnut::WriteBatch empty;
  walnut::Result<uint64_t> r = server.db().WriteDeferred(empty, /*more_follows=*/false);
  if (!r.ok()) {
    spdlog::error("closing a MULTI/EXEC write group failed: {}", r.status().ToString());
    if (r.status().IsIOError() && server.write_error_.empty()) {
      server.write_error_ = r.status().ToString();
    }
    return r.status();
  }
  return walnut::Status::OK();
}

void ExecSession::RecordLookup(bool hit) {
  (hit ? server.stats().keyspace_hits : server.stats().keyspace_misses)++;
}

// ---- Dispatch ---------------------------------------------------------------

namespace {

// Whether `name` as the client sent it is `lower` (a table name, lower case)
// in any case. ASCII only, like the table's own lookup.
bool SameCommandName(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); i++) {
    char ch = name[i];
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (ch != lower[i]) return false;
  }
  return true;
}

}  // namespace

const CommandSpec* Server::Lookup(Client& c, std::span<const std::string_view> args) {
  auto reject = [&](const std::string& err, const CommandSpec* spec) -> const CommandSpec* {
    // Inside MULTI a command that cannot even be queued dooms the
    // transaction (EXEC answers EXECABORT), as in Redis.
    if (c.in_multi) c.multi_error = true;
    c.writer.Error(err);
    stats_.total_error_replies++;
    if (spec != nullptr) {
      if (CommandStats* cs = stats_.For(spec)) cs->rejected_calls++;
    }
    return nullptr;
  };
  const CommandSpec* spec = c.lookup_cache;
  if (spec == nullptr || !SameCommandName(args[0], spec->name)) {
    spec = table_.Find(args[0]);
    if (spec == nullptr) return reject(UnknownCommandError(args[0], args), nullptr);
    c.lookup_cache = spec;
  }
  if (!spec->subcommands.empty() && !(args.size() == 1 && spec->handler != nullptr)) {
    // A container with a handler of its own (COMMAND) also runs bare.
    if (args.size() < 2) return reject(WrongArityError(spec->name), spec);
    const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
    if (sub == nullptr) return reject(UnknownSubcommandError(spec->name, args[1]), spec);
    spec = sub;
  }
  int argc = static_cast<int>(args.size());
  if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
    return reject(WrongArityError(FullName(*spec)), spec);
  }
  if (!c.authenticated && !(spec->flags & cmd::kNoAuth)) {
    return reject(std::string(kErrNoAuth), spec);
  }
  return spec;
}

bool Server::CheckWritesAllowed(Client& c, const CommandSpec& spec) {
  if (!(spec.flags & cmd::kWrite) || write_error_.empty()) return true;
  if (c.in_multi) c.multi_error = true;
  c.writer.Error(std::string(kErrWritesRefusedPrefix) + write_error_);
  stats_.total_error_replies++;
  if (CommandStats* cs = stats_.For(&spec)) cs->rejected_calls++;
  return false;
}

void Server::Dispatch(Client& c, std::span<const std::string_view> args) {
  if (args.empty()) return;
  const size_t reply_start = c.out.size();
  // CLIENT REPLY SKIP suppresses the reply of the command after it.
  const bool skip = c.skip_this_reply;
  c.skip_this_reply = false;

  const CommandSpec* spec = Lookup(c, args);
  if (spec != nullptr) {
    c.last_command = spec;
    if (c.in_multi && !(spec->flags & cmd::kTxControl)) {
      if (spec->flags & cmd::kNoMulti) {
        c.multi_error = true;
        c.writer.Error(kErrNotAllowedInMulti);
        stats_.total_error_replies++;
      } else if (CheckWritesAllowed(c, *spec)) {
        // Queue a copy: the arguments point into the input buffer.
        std::vector<std::string> copy(args.begin(), args.end());
        for (const auto& a : copy) c.queued_bytes += a.size() + sizeof(std::string);
        c.queued.push_back(std::move(copy));
        c.writer.SimpleString("QUEUED");
        // A transaction is held in memory until EXEC: bound it like unparsed
        // input, so MULTI cannot be used to grow the server without limit.
        if (static_cast<int64_t>(c.queued_bytes) > config_.client_query_buffer_limit) {
          spdlog::warn(
              "closing client id={} addr={}: MULTI queue over "
              "client-query-buffer-limit ({} bytes)",
              c.id, c.addr, c.queued_bytes);
          c.close_now = true;
        }
      }
    } else if (CheckWritesAllowed(c, *spec)) {
      ExecSession session(*this, c);
      Call(c, *spec, args, session);
    }
  }
  c.commands++;
  if (skip || c.reply_mode == Client::ReplyMode::kOff) c.out.resize(reply_start);
}

// A command with several keys (MGET, MSET, DEL, EXISTS k1 k2 ...) looks
// them up one after another, each a wait for memory; their index memory is
// fetched together first (DB::Prefetch). Single-key commands were covered by
// the pipeline look-ahead (Server::PrefetchAhead) if they can be.
void Server::PrefetchKeys(Client& c, const CommandSpec& spec,
                          std::span<const std::string_view> args) {
  if (spec.first_key <= 0 || spec.key_step <= 0 || (spec.flags & cmd::kFetchesKeys)) return;
  const int argc = static_cast<int>(args.size());
  const int last = std::min(spec.last_key < 0 ? argc + spec.last_key : spec.last_key, argc - 1);
  if ((last - spec.first_key) / spec.key_step < 1) return;  // one key (or none)
  // Up to 64 keys, 16 per call: enough to cover the wait, and what the
  // cache holds on to until the command reads them.
  constexpr int kMaxKeys = 64;
  std::string_view keys[walnut::DB::kMaxPrefetch];
  size_t n = 0;
  int seen = 0;
  for (int i = spec.first_key; i <= last && seen < kMaxKeys; i += spec.key_step, seen++) {
    keys[n++] = args[static_cast<size_t>(i)];
    if (n == walnut::DB::kMaxPrefetch) {
      shared_.db->Prefetch(c.db, keys);
      n = 0;
    }
  }
  if (n > 0) shared_.db->Prefetch(c.db, std::span<const std::string_view>(keys, n));
}

void Server::Call(Client& c, const CommandSpec& spec, std::span<const std::string_view> args,
                  ExecSession& session) {
  walnut::DB& db = *shared_.db;
  c.writer.set_proto(c.proto);
  const size_t reply_start = c.out.size();
  // One time for the whole command, the engine's calls included
  // (walnut/clock_pin.h). Commands run by EXEC keep EXEC's time, as in
  // Redis: a key cannot expire between two commands of one transaction.
  const int64_t pinned = walnut::ClockPin::pinned();
  const int64_t now = pinned != 0 ? pinned : clock_.WallMs();
  walnut::ClockPin pin(now);
  CommandContext ctx(args, c.db, db, c.writer, now, session);
  // Timed from the lap before the handler, not from the handler's last lap:
  // the commands EXEC runs take laps of their own, and EXEC's time must
  // include theirs.
  const CommandClock::Mono::time_point t0 = clock_.last();
  PrefetchKeys(c, spec, args);
  spec.handler(ctx);
  const auto usec =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.Lap() - t0).count();
  stats_.total_commands++;
  if (c.stats_cache_spec != &spec) {
    c.stats_cache_spec = &spec;
    c.stats_cache = stats_.For(&spec);
  }
  CommandStats* cs = c.stats_cache;
  if (cs != nullptr) cs->Record(static_cast<uint64_t>(usec));
  if (c.out.size() > reply_start && c.out[reply_start] == '-') {
    stats_.total_error_replies++;
    if (cs != nullptr) cs->failed_calls++;
  }
}

// ---- DEBUG RELOAD -------------------------------------------------------------

walnut::Status Server::ReloadDb() {
  std::shared_ptr<walnut::DB> old = shared_.db;
  // Writes of this iteration are not acknowledged yet; the loop's FlushLog
  // will run on the new engine, so they must reach the old one's log first.
  // If that fails nothing is reloaded and the loop's own flush reports it.
  walnut::Status f = old->FlushLog(/*sync=*/true);
  if (!f.ok()) return f;
  walnut::Status s = old->Close();
  if (!s.ok()) {
    spdlog::error("DEBUG RELOAD: closing the engine failed: {}", s.ToString());
  }
  auto t0 = std::chrono::steady_clock::now();
  walnut::Result<std::unique_ptr<walnut::DB>> r = walnut::DB::Open(config_.dir, db_options_);
  if (!r.ok()) {
    spdlog::critical("DEBUG RELOAD: reopening {} failed: {}; shutting down", config_.dir,
                     r.status().ToString());
    shutdown_requested_ = true;
    write_error_ = "engine could not be reopened: " + r.status().ToString();
    return r.status();
  }
  shared_.db = std::shared_ptr<walnut::DB>(std::move(r).value());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const walnut::RecoveryReport rep = shared_.db->Stats().recovery;
  spdlog::info("DEBUG RELOAD: reopened in {:.3f}s: {} segments, {} records, {} keys", secs,
               rep.segments, rep.records, rep.keys);
  if (!s.ok()) return s;
  return walnut::Status::OK();
}

}  // namespace walnut::server
