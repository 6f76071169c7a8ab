// Client: the server's state for one RESP connection.
//
// Owned by the Server (one unique_ptr per connection) and touched only by the
// event-loop thread, except for the watch state, which HTTP writes may also
// mark dirty: that part (watched, watch_dirty) is guarded by
// SharedState::exec_mu like everything else commands touch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/resp_parser.h"
#include "protocol/resp_writer.h"
#include "server/tls.h"

namespace walnut::server {

struct CommandSpec;
struct CommandStats;

struct Client {
  Client(uint64_t id_, int fd_) : id(id_), fd(fd_), writer(&out, 2) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const uint64_t id;
  int fd;
  std::string addr;    // peer "ip:port"
  std::string laddr;   // local "ip:port"
  bool local = false;  // peer is a loopback address (DEBUG local mode)
  std::string name;    // CLIENT SETNAME
  // Set for a client of the TLS port: its reads and writes go through it
  // instead of read(2)/send(2) on fd.
  std::unique_ptr<TlsConnection> tls;

  // ---- Input: bytes read and not yet consumed start at in_pos.
  std::string in;
  size_t in_pos = 0;
  protocol::RequestParser parser;
  // The bytes read and not yet consumed (valid until `in` changes).
  std::string_view unread() const { return std::string_view(in).substr(in_pos); }

  // ---- Output: bytes not yet sent start at out_pos.
  std::string out;
  size_t out_pos = 0;
  protocol::RespWriter writer;  // appends to out
  size_t pending_output() const { return out.size() - out_pos; }

  // ---- Session state.
  uint32_t db = 0;
  int proto = 2;
  bool authenticated = false;
  enum class ReplyMode { kOn, kOff, kSkipNext };
  ReplyMode reply_mode = ReplyMode::kOn;
  bool skip_this_reply = false;  // CLIENT REPLY SKIP applies to the next command

  // ---- MULTI/EXEC.
  bool in_multi = false;
  bool multi_error = false;  // a command failed to queue: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  size_t queued_bytes = 0;
  // WATCH: the watched keys; watch_dirty is set when one of them changed.
  // `existed` records whether the key was there at WATCH time: one that
  // existed and is gone at EXEC without being written has expired, which
  // fails EXEC as in Redis (the engine does not report swept keys).
  struct WatchedKey {
    uint32_t db;
    std::string key;
    bool existed;
  };
  std::vector<WatchedKey> watched;
  bool watch_dirty = false;

  // ---- Life cycle.
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // CLIENT LIST cmd= (null: "NULL"). A pointer, not the name: naming it
  // on every command cost a string copy and a hash lookup per request.
  const CommandSpec* last_command = nullptr;
  // The table row the previous request named: the next request usually
  // names the same command, and comparing its name is cheaper than hashing.
  const CommandSpec* lookup_cache = nullptr;
  // The INFO commandstats entry of the spec last run (same reason).
  const CommandSpec* stats_cache_spec = nullptr;
  CommandStats* stats_cache = nullptr;
  bool close_after_reply = false;     // QUIT, protocol error, CLIENT KILL of self
  bool close_now = false;             // I/O error, killed, limits
  bool wrote_this_iteration = false;  // its replies depend on this iteration's FlushLog
  bool want_write = false;            // EPOLLOUT registered
  bool reading = true;                // false while paused for output back-pressure
  bool reading_registered = true;     // EPOLLIN registered
  bool pending_input = false;         // complete requests may be left in `in`
  bool touched = false;               // in the server's list of clients to service
  bool blocked = false;               // waiting for a background job (COMPACT)
  uint64_t commands = 0;
};

}  // namespace walnut::server
