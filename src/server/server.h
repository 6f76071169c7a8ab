// Server: the RESP front end of walnut-server — listening sockets, the epoll
// event loop, connections, command dispatch and group commit.
//
// Execution model. One thread (the caller of Run) does everything RESP. Each
// loop iteration:
//   1. waits for socket events (or the ~100 ms timer);
//   2. reads every ready socket (non-blocking, level-triggered epoll);
//   3. takes SharedState::exec_mu and executes every complete request of every
//      client; writes go to the engine with DB::WriteDeferred, so they are
//      visible at once but not yet in the log;
//   4. calls DB::FlushLog() ONCE for all of them (group commit: with
//      --fsync always one fdatasync covers every client's writes);
//   5. only then sends the replies.
// A write is therefore never acknowledged before its log record was written
// (and synced, with --fsync always). If FlushLog fails, the connections that
// wrote in that iteration are closed without their replies, the error is
// logged, and every later write is refused (MISCONF) until restart; reads go
// on working.
//
// Memory bounds per client: the unparsed input is limited by
// client-query-buffer-limit and the parser's header limits; a client whose
// unsent output passes client-output-soft-limit is not read from or executed
// until it drains (so pipelining without reading replies cannot grow us), and
// one that passes client-output-hard-limit (a single enormous reply) is
// disconnected.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/client.h"
#include "server/command.h"
#include "server/command_clock.h"
#include "server/command_table.h"
#include "server/debug_env.h"
#include "server/server_config.h"
#include "server/server_stats.h"
#include "server/shared_state.h"
#include "server/tls.h"
#include "server/watch_registry.h"
#include "walnut/db.h"

namespace walnut::server {

class Server;

// The CommandHost of commands run by the RESP loop: routes writes into the
// loop's group commit and WATCH bookkeeping. One per executed command (EXEC
// keeps one for all of its commands).
class ExecSession final : public CommandHost {
 public:
  ExecSession(Server& server, Client& client) : server(server), client(client) {}
  walnut::Status Write(CommandContext& ctx, const walnut::WriteBatch& batch) override;
  void RecordLookup(bool hit) override;

  // The session of a command run by this server (the server's own command
  // handlers use it to reach the client and the server).
  static ExecSession& Of(CommandContext& ctx) { return static_cast<ExecSession&>(ctx.host()); }

  // Inside EXEC every write opens/extends one engine group; CloseGroup ends it.
  walnut::Status CloseGroup();

  Server& server;
  Client& client;
  bool in_group = false;    // EXEC: writes join one atomic log record
  bool group_open = false;  // a grouped write happened and the group is not closed
};

class Server {
 public:
  static constexpr size_t kReadBufferSize = 16 * 1024;

  // `shared.db` must be open. `db_options` are reused by DEBUG RELOAD.
  Server(ServerConfig config, SharedState& shared, walnut::Options db_options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The TLS context for --tls-port (made before the engine opens, so a bad
  // certificate is reported at once). Required before Listen when
  // config.tls_port is set.
  void set_tls(std::unique_ptr<TlsContext> tls) { tls_ = std::move(tls); }
  // The engine's Env when DEBUG is enabled (DEBUG SET-SYNC-DELAY/-FAIL); null
  // otherwise.
  void set_debug_env(DebugEnv* env) { debug_env_ = env; }
  DebugEnv* debug_env() const { return debug_env_; }
  // Binds and listens on every --bind address (plain port and TLS port);
  // a clear error if one fails.
  walnut::Status Listen();
  // Runs the event loop until SHUTDOWN or SIGTERM/SIGINT (which the caller
  // must have blocked in every thread, so they arrive here through a
  // signalfd). On return every acknowledged write is in the log and the log
  // is flushed and synced; the caller closes the engine.
  walnut::Status Run();

  // ---- For command handlers (loop thread, exec_mu held).
  ServerConfig& config() { return config_; }
  const CommandTable& table() const { return table_; }
  ServerStats& stats() { return stats_; }
  WatchRegistry& watches() { return watches_; }
  SharedState& shared() { return shared_; }
  walnut::DB& db() { return *shared_.db; }
  const walnut::Options& db_options() const { return db_options_; }
  // Non-empty once a log flush failed: writes are refused.
  const std::string& write_error() const { return write_error_; }
  int64_t start_ms() const { return start_ms_; }
  int64_t last_save_ms() const { return last_save_ms_; }
  void set_last_save_ms(int64_t ms) { last_save_ms_ = ms; }
  uint64_t changes_since_save() const { return changes_since_save_; }
  void reset_changes_since_save() { changes_since_save_ = 0; }
  const std::vector<int>& listen_ports() const { return listen_ports_; }
  size_t num_clients() const { return clients_.size(); }
  // Clients in id order.
  std::vector<Client*> Clients() const;
  Client* FindClient(uint64_t id);
  // Closes a client at the end of this iteration (CLIENT KILL). Its pending
  // replies are dropped, like Redis's.
  void Kill(Client* c);
  // SHUTDOWN: the loop stops after this iteration.
  void RequestShutdown() { shutdown_requested_ = true; }
  // DEBUG RELOAD / LOADAOF: closes the engine and opens it again from disk,
  // in place (SharedState::db is replaced; exec_mu is held by the caller).
  // If reopening fails the server shuts down, since it has no engine.
  walnut::Status ReloadDb();
  // COMPACT / BGREWRITEAOF: runs DB::Compact on a background thread, with
  // exec_mu released, so reads and writes go on. `waiter` (may be null) is
  // blocked meanwhile and gets the report as its reply (or +OK with
  // `reply_ok`, for SAVE). Fails if one is already running.
  walnut::Status StartCompaction(Client* waiter, bool reply_ok = false);
  // BGSAVE SCHEDULE while a compaction runs: another starts when it ends.
  void ScheduleCompaction() { compaction_scheduled_ = true; }
  bool compaction_scheduled() const { return compaction_scheduled_; }
  bool compaction_running() const { return compaction_running_.load(); }
  // Outcome of the last finished compaction ("ok", or the error), for INFO.
  const std::string& last_compaction_status() const { return last_compaction_status_; }
  const walnut::CompactionReport& last_compaction() const { return last_compaction_; }
  // DEBUG SET-ACTIVE-EXPIRE.
  void set_active_expire(bool on) { config_.active_expire_enabled = on; }

  // Dispatches one request of `c` (argv): lookup, arity, auth, MULTI
  // queuing, write refusal, then the handler. The reply goes to c's output.
  void Dispatch(Client& c, std::span<const std::string_view> args);
  // Runs a command whose checks passed (used by Dispatch and EXEC).
  void Call(Client& c, const CommandSpec& spec, std::span<const std::string_view> args,
            ExecSession& session);
  // Checks a request without running it; replies with the error and returns
  // null if it must not run. `full_name` receives "client|list" style names.
  const CommandSpec* Lookup(Client& c, std::span<const std::string_view> args);
  // Whether a write command can run now (writes are refused after a failed
  // flush); replies with the error if not.
  bool CheckWritesAllowed(Client& c, const CommandSpec& spec);

  // Marks c as having written in this iteration (its replies wait for FlushLog).
  void NoteWrite(Client& c);

  // The full (container|sub) name of a spec, for errors and stats.
  std::string FullName(const CommandSpec& spec) const;

 private:
  friend class ExecSession;
  struct Listener {
    int fd;
    std::string addr;
    bool tls;  // the --tls-port listener: its clients get a TlsConnection
  };

  walnut::Status ListenOn(const std::string& addr, int port, bool tls);
  void Accept(int listener_index);
  void ReadFrom(Client& c);
  void ProcessInput(Client& c);
  // Starts fetching the index memory of the keys of the pipelined requests
  // at the head of c's input, the parsed one (args) and those behind it
  // (protocol/request_peek.h, DB::Prefetch); returns the offset of c.in up
  // to which requests were looked at.
  size_t PrefetchAhead(Client& c, std::span<const std::string_view> args);
  // The same across clients: the keys of each ready client's first request.
  void PrefetchFirstRequests(const std::vector<Client*>& ready);
  // The same for the keys of one command that has several (MGET, MSET, ...).
  void PrefetchKeys(Client& c, const CommandSpec& spec, std::span<const std::string_view> args);
  void SendTo(Client& c);
  void UpdateInterest(Client& c);
  void CloseClient(Client& c);
  void Cron(int64_t now_ms);
  void FlushAndHandleFailure();
  void ShutdownSequence();
  void MarkReady(Client& c);
  void Touch(Client& c);
  void FinishCompaction();

  ServerConfig config_;
  SharedState& shared_;
  walnut::Options db_options_;
  CommandTable table_;
  ServerStats stats_;
  CommandClock clock_;  // the loop thread's; started each turn (Run)
  WatchRegistry watches_;
  absl::flat_hash_map<const CommandSpec*, const CommandSpec*> parent_;  // sub -> container

  int epfd_ = -1;
  int signal_fd_ = -1;
  std::vector<Listener> listeners_;
  std::unique_ptr<TlsContext> tls_;
  DebugEnv* debug_env_ = nullptr;  // not owned (main's); null unless DEBUG is enabled
  std::vector<int> listen_ports_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Client>> clients_;
  uint64_t next_client_id_ = 1;
  // Pointers, not ids, so the loop needs no lookup per client and turn: a
  // client is destroyed only by CloseClient, which takes it out of both.
  std::vector<Client*> ready_;      // clients whose input must be processed this iteration
  std::vector<Client*> touched_;    // clients that may need sending or closing this iteration
  char read_buf_[kReadBufferSize];  // shared by all reads (one thread)
  bool wrote_this_iteration_ = false;
  std::string write_error_;
  bool shutdown_requested_ = false;
  int64_t start_ms_ = 0;
  int64_t last_save_ms_ = 0;
  int64_t next_cron_ms_ = 0;
  int64_t accept_paused_until_ms_ = 0;
  uint64_t changes_since_save_ = 0;

  // Background compaction. The thread only runs DB::Compact and posts the
  // result under bg_mu_, then wakes the loop through wake_fd_ (an eventfd);
  // the loop delivers the reply.
  int wake_fd_ = -1;
  std::thread compaction_thread_;
  std::atomic<bool> compaction_running_{false};
  std::mutex bg_mu_;
  std::optional<walnut::Result<walnut::CompactionReport>> compaction_result_;  // guarded by bg_mu_
  uint64_t compaction_waiter_ = 0;  // client id, 0 if none
  bool compaction_waiter_wants_ok_ = false;
  bool compaction_scheduled_ = false;
  std::string last_compaction_status_ = "none";
  walnut::CompactionReport last_compaction_;
};

}  // namespace walnut::server
