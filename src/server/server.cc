// Server: sockets, the epoll loop, group commit and connection life cycle
// (see server.h for the execution model). Command dispatch is in
// server_dispatch.cc.
#include "server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include "common/thread_priority.h"
#include "protocol/request_peek.h"
#include "server/errors.h"
#include "spdlog/spdlog.h"

namespace walnut::server {
namespace {

// epoll_event.data.u64 tags: client ids are small; these are not.
constexpr uint64_t kListenerTag = 1ull << 62;
constexpr uint64_t kSignalTag = 1ull << 61;
constexpr uint64_t kWakeTag = 1ull << 60;

constexpr size_t kReadChunk = Server::kReadBufferSize;
// Per client per iteration, so that one fast sender cannot starve the rest
// (level-triggered epoll reports the socket again next iteration).
constexpr size_t kMaxReadPerIteration = 1 << 20;
constexpr int kMaxCommandsPerIteration = 4096;
constexpr int kCronIntervalMs = 100;

int64_t MonoMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string SockAddrToString(const sockaddr_storage& ss, bool* loopback) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  bool lo = false;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    lo = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    if (loopback) *loopback = lo;
    return std::string(host) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
    lo = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) lo = a->sin6_addr.s6_addr[12] == 127;
    if (loopback) *loopback = lo;
    return std::string(host) + ":" + std::to_string(port);
  }
  if (loopback) *loopback = true;  // unix socket
  return "?:0";
}

}  // namespace

Server::Server(ServerConfig config, SharedState& shared, walnut::Options db_options)
    : config_(std::move(config)), shared_(shared), db_options_(std::move(db_options)) {
  RegisterStringCommands(table_);
  RegisterKeyCommands(table_);
  RegisterConnectionCommands(table_);
  RegisterServerCommands(table_);
  RegisterTransactionCommands(table_);
  RegisterDebugCommands(table_);
  for (const auto& row : table_.all()) {
    for (const CommandSpec& sub : row->subcommands) parent_[&sub] = row.get();
  }
  stats_.Init(table_);
  start_ms_ = WallMs();
  last_save_ms_ = start_ms_;
  // HTTP writes mark watched keys (called with exec_mu held).
  shared_.on_key_written = [this](uint32_t db, std::string_view key) {
    watches_.Touch(db, key);
    changes_since_save_++;
  };
  shared_.server_metrics = [this] { return stats_.Prometheus(); };
}

Server::~Server() {
  if (compaction_thread_.joinable()) compaction_thread_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
  shared_.on_key_written = nullptr;
  shared_.server_metrics = nullptr;
  for (auto& [id, c] : clients_) close(c->fd);
  for (auto& l : listeners_) close(l.fd);
  if (signal_fd_ >= 0) close(signal_fd_);
  if (epfd_ >= 0) close(epfd_);
}

std::string Server::FullName(const CommandSpec& spec) const {
  auto it = parent_.find(&spec);
  if (it == parent_.end()) return std::string(spec.name);
  return std::string(it->second->name) + "|" + std::string(spec.name);
}

walnut::Status Server::ListenOn(const std::string& addr, int port_number, bool tls) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(port_number);
  int gai = getaddrinfo(addr == "*" ? nullptr : addr.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) {
    return walnut::Status::InvalidArgument("cannot resolve bind address '" + addr +
                                           "': " + gai_strerror(gai));
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return walnut::Status::IOError(std::string("socket: ") + strerror(errno));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    int e = errno;
    freeaddrinfo(res);
    close(fd);
    return walnut::Status::IOError("cannot listen on " + addr + ":" + port + ": " + strerror(e));
  }
  freeaddrinfo(res);
  if (listen(fd, 511) != 0) {
    int e = errno;
    close(fd);
    return walnut::Status::IOError("listen on " + addr + ":" + port + ": " + strerror(e));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag | listeners_.size();
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  listeners_.push_back({fd, addr, tls});
  listen_ports_.push_back(port_number);
  spdlog::info("listening for RESP{} on {}:{}", tls ? " over TLS" : "", addr, port_number);
  return walnut::Status::OK();
}

walnut::Status Server::Listen() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return walnut::Status::IOError(std::string("epoll_create1: ") + strerror(errno));
  if (config_.tls_port != 0 && tls_ == nullptr) {
    return walnut::Status::InvalidArgument("tls-port is set but no TLS context was loaded");
  }
  for (const std::string& raw : config_.bind) {
    // Redis allows "-addr" for an address that may be missing; we treat it
    // as required, without the dash.
    std::string addr = raw[0] == '-' ? raw.substr(1) : raw;
    // --port 0 turns plain TCP off (TLS only), as in Redis.
    if (config_.port != 0) {
      if (walnut::Status s = ListenOn(addr, config_.port, false); !s.ok()) return s;
    }
    if (config_.tls_port != 0) {
      if (walnut::Status s = ListenOn(addr, config_.tls_port, true); !s.ok()) return s;
    }
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return walnut::Status::IOError(std::string("signalfd: ") + strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kSignalTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, signal_fd_, &ev);

  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return walnut::Status::IOError(std::string("eventfd: ") + strerror(errno));
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  return walnut::Status::OK();
}

walnut::Status Server::StartCompaction(Client* waiter, bool reply_ok) {
  if (compaction_running_.load()) {
    return walnut::Status::Busy("Background append only file rewriting already in progress");
  }
  if (compaction_thread_.joinable()) compaction_thread_.join();
  compaction_running_ = true;
  compaction_waiter_ = waiter ? waiter->id : 0;
  compaction_waiter_wants_ok_ = reply_ok;
  if (waiter) waiter->blocked = true;
  // The thread keeps its own reference: DEBUG RELOAD is refused while a
  // compaction runs, so this is the engine the loop uses too.
  std::shared_ptr<walnut::DB> db = shared_.db;
  compaction_thread_ = std::thread([this, db] {
    // Behind the event loop when the CPU is busy (common/thread_priority.h).
    walnut::LowerThreadPriority(db->options().background_nice);
    walnut::Result<walnut::CompactionReport> r = db->Compact();
    {
      std::lock_guard<std::mutex> g(bg_mu_);
      compaction_result_.emplace(std::move(r));
    }
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  });
  spdlog::info("compaction started");
  return walnut::Status::OK();
}

void Server::FinishCompaction() {
  std::optional<walnut::Result<walnut::CompactionReport>> r;
  {
    std::lock_guard<std::mutex> g(bg_mu_);
    r.swap(compaction_result_);
  }
  if (!r) return;
  if (compaction_thread_.joinable()) compaction_thread_.join();
  compaction_running_ = false;
  Client* waiter = compaction_waiter_ ? FindClient(compaction_waiter_) : nullptr;
  compaction_waiter_ = 0;
  const bool wants_ok = compaction_waiter_wants_ok_;
  if (compaction_scheduled_) {
    // BGSAVE SCHEDULE asked during the one that just ended.
    compaction_scheduled_ = false;
    walnut::Status s = StartCompaction(nullptr);
    if (!s.ok()) spdlog::error("scheduled compaction: {}", s.ToString());
  }
  if (r->ok()) {
    const walnut::CompactionReport& rep = r->value();
    last_compaction_ = rep;
    last_compaction_status_ = "ok";
    last_save_ms_ = WallMs();
    spdlog::info("compaction done in {:.3f}s: log {} -> {} bytes, {} keys written", rep.seconds,
                 rep.bytes_before, rep.bytes_after, rep.keys_written);
  } else {
    last_compaction_status_ = r->status().ToString();
    spdlog::error("compaction failed: {}", r->status().ToString());
  }
  if (waiter == nullptr) return;
  waiter->blocked = false;
  protocol::RespWriter& w = waiter->writer;
  w.set_proto(waiter->proto);
  if (r->ok() && wants_ok) {
    w.Ok();
  } else if (r->ok()) {
    const walnut::CompactionReport& rep = r->value();
    w.MapHeader(4);
    w.Bulk("bytes_before");
    w.Integer(static_cast<int64_t>(rep.bytes_before));
    w.Bulk("bytes_after");
    w.Integer(static_cast<int64_t>(rep.bytes_after));
    w.Bulk("keys_written");
    w.Integer(static_cast<int64_t>(rep.keys_written));
    w.Bulk("seconds");
    w.Double(rep.seconds);
  } else {
    w.Error("ERR compaction failed: " + r->status().ToString());
  }
  MarkReady(*waiter);  // resume its pipelined commands
  Touch(*waiter);
}

std::vector<Client*> Server::Clients() const {
  std::vector<Client*> out;
  out.reserve(clients_.size());
  for (const auto& [id, c] : clients_) out.push_back(c.get());
  std::sort(out.begin(), out.end(), [](Client* a, Client* b) { return a->id < b->id; });
  return out;
}

Client* Server::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

void Server::Kill(Client* c) {
  c->close_now = true;
  Touch(*c);
}

void Server::Touch(Client& c) {
  if (c.touched) return;
  c.touched = true;
  touched_.push_back(&c);
}

void Server::MarkReady(Client& c) {
  if (c.pending_input) return;
  c.pending_input = true;
  ready_.push_back(&c);
}

void Server::Accept(int index) {
  const int64_t now = WallMs();
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = accept4(listeners_[index].fd, reinterpret_cast<sockaddr*>(&ss), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment instead of spinning
        // on a listener that stays readable.
        spdlog::warn("accept: {} (connected clients: {}); pausing accepts for 100 ms",
                     strerror(errno), clients_.size());
        accept_paused_until_ms_ = MonoMs() + 100;
        epoll_ctl(epfd_, EPOLL_CTL_DEL, listeners_[index].fd, nullptr);
      }
      return;
    }
    if (static_cast<int64_t>(clients_.size()) >= config_.maxclients) {
      // A TLS client could not read a plain-text error before its
      // handshake: it is only closed.
      if (!listeners_[index].tls) {
        std::string msg = "-" + std::string(kErrMaxClients) + "\r\n";
        ssize_t ignored = send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
      }
      close(fd);
      stats_.rejected_connections++;
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    auto c = std::make_unique<Client>(next_client_id_++, fd);
    if (listeners_[index].tls) {
      c->tls = tls_->Accept(fd);  // the handshake runs inside its first reads
      if (c->tls == nullptr) {
        spdlog::warn("cannot create a TLS session (out of memory?)");
        close(fd);
        continue;
      }
      stats_.total_tls_connections++;
    }
    c->addr = SockAddrToString(ss, &c->local);
    sockaddr_storage ls{};
    socklen_t llen = sizeof(ls);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ls), &llen) == 0) {
      c->laddr = SockAddrToString(ls, nullptr);
    }
    c->created_ms = now;
    c->last_interaction_ms = now;
    c->authenticated = shared_.requirepass.empty();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c->id;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      spdlog::warn("epoll_ctl add: {}", strerror(errno));
      close(fd);
      continue;
    }
    stats_.total_connections++;
    spdlog::debug("accepted client id={} addr={}", c->id, c->addr);
    clients_.emplace(c->id, std::move(c));
    stats_.connected_clients = clients_.size();
  }
}

void Server::ReadFrom(Client& c) {
  if (c.close_now || c.close_after_reply) return;
  // Drop consumed input; the parser's state is relative to in_pos, so moving
  // the unconsumed bytes to the front is safe.
  if (c.in_pos > 0 && (c.in_pos == c.in.size() || c.in_pos > c.in.size() / 2)) {
    c.in.erase(0, c.in_pos);
    c.in_pos = 0;
  }
  // Give back the memory of a large request once it is consumed.
  if (c.in.empty() && c.in.capacity() > kReadChunk) std::string().swap(c.in);
  size_t total = 0;
  // At the per-iteration cap a TLS client is still read to the end of the
  // record OpenSSL holds (at most 16 KiB more): epoll would not wake us for it.
  while (total < kMaxReadPerIteration || (c.tls && c.tls->HasBufferedPlaintext())) {
    // Small reads go through one shared buffer and only the bytes received
    // are appended, so an idle connection holds no read buffer of its own.
    // A large bulk argument in progress is read straight into the input
    // buffer in bigger (bounded) pieces. Each piece is at most what the
    // client has already sent of this request (16 KiB at first): the
    // buffer is sized, and zero-filled, before the read, so sizing it by the
    // length the client announced would let one that promises 100 MB and
    // sends a byte at a time hold 1 MiB per connection. Memory follows the
    // bytes received instead; a real large value still reaches 1 MiB reads
    // after a few doublings.
    size_t missing = c.parser.bytes_missing();
    bool direct = missing > kReadChunk;
    size_t received = c.unread().size();
    size_t want = direct ? std::min({missing, kMaxReadPerIteration, std::max(received, kReadChunk)})
                         : kReadChunk;
    size_t old = c.in.size();
    if (direct) c.in.resize(old + want);
    char* dst = direct ? c.in.data() + old : read_buf_;
    ssize_t n = c.tls ? c.tls->Read(dst, want) : read(c.fd, dst, want);
    if (n > 0) {
      if (direct) {
        c.in.resize(old + static_cast<size_t>(n));
      } else {
        c.in.append(read_buf_, static_cast<size_t>(n));
      }
      total += static_cast<size_t>(n);
      // Drained for now; but bytes OpenSSL already decrypted are invisible
      // to epoll, so a TLS client is read until it holds none.
      if (static_cast<size_t>(n) < want && !(c.tls && c.tls->HasBufferedPlaintext())) break;
      continue;
    }
    if (direct) c.in.resize(old);
    if (n == 0) {
      c.close_now = true;  // peer closed
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      spdlog::debug("client id={} read error: {}", c.id,
                    c.tls ? c.tls->error() : std::string(strerror(errno)));
      c.close_now = true;
    }
    break;
  }
  // TLS may need the socket writable before it can read on (handshake).
  if (c.tls) UpdateInterest(c);
  if (total == 0) return;
  stats_.net_input_bytes += total;
  c.last_interaction_ms = clock_.turn_wall_ms();
  if (static_cast<int64_t>(c.unread().size()) > config_.client_query_buffer_limit) {
    spdlog::warn("closing client id={} addr={}: query buffer over client-query-buffer-limit ({})",
                 c.id, c.addr, config_.client_query_buffer_limit);
    c.close_now = true;
    return;
  }
  MarkReady(c);
}

void Server::ProcessInput(Client& c) {
  c.pending_input = false;
  int budget = kMaxCommandsPerIteration;
  size_t peeked_to = 0;  // requests before this offset of c.in were prefetched
  while (!c.close_now && !c.close_after_reply && !c.blocked) {
    if (static_cast<int64_t>(c.pending_output()) > config_.client_output_soft_limit) {
      // Back-pressure: stop reading and executing until the client reads.
      c.reading = false;
      UpdateInterest(c);
      return;
    }
    if (budget-- == 0) {
      MarkReady(c);  // more next iteration
      return;
    }
    protocol::ParserLimits lim = c.parser.limits();
    lim.max_bulk_len = config_.proto_max_bulk_len;
    lim.unauthenticated = !c.authenticated;
    c.parser.set_limits(lim);
    std::string_view in = c.unread();
    auto r = c.parser.Parse(in);
    if (r == protocol::RequestParser::Result::kNeedMore) return;
    if (r == protocol::RequestParser::Result::kEmpty) {
      c.in_pos += c.parser.consumed();
      continue;
    }
    if (r == protocol::RequestParser::Result::kError) {
      // Redis replies and closes only this connection.
      stats_.protocol_errors++;
      stats_.total_error_replies++;
      spdlog::debug("protocol error from client id={} addr={}: {}", c.id, c.addr, c.parser.error());
      c.writer.Error("ERR " + c.parser.error());
      c.close_after_reply = true;
      c.in.clear();
      c.in_pos = 0;
      return;
    }
    if (c.in_pos >= peeked_to && c.authenticated) peeked_to = PrefetchAhead(c, c.parser.args());
    Dispatch(c, c.parser.args());
    c.in_pos += c.parser.consumed();
    if (static_cast<int64_t>(c.pending_output()) > config_.client_output_hard_limit) {
      spdlog::warn(
          "closing client id={} addr={}: output of {} bytes over "
          "client-output-hard-limit",
          c.id, c.addr, c.pending_output());
      stats_.output_limit_disconnections++;
      c.close_now = true;
      return;
    }
  }
}

size_t Server::PrefetchAhead(Client& c, std::span<const std::string_view> args) {
  // Runs once the request at in_pos is parsed, over the requests behind it:
  // the parser has already found where this one ends and what its key is,
  // so it is not scanned twice, and a lone request (pipeline 1) costs no
  // scan at all. A request alone gains nothing anyway: its lookup waits
  // for memory whether or not it was fetched a moment before.
  const size_t next = c.in_pos + c.parser.consumed();
  if (next >= c.in.size()) return next;
  std::string_view keys[walnut::DB::kMaxPrefetch];
  size_t n = 0;
  if (args.size() >= 2) keys[n++] = args[1];
  const protocol::Peeked pk =
      protocol::PeekSecondArgs(std::string_view(c.in).substr(next),
                               std::span<std::string_view>(keys + n, std::size(keys) - n));
  n += pk.keys;
  if (pk.requests > 0 && n > 0) {
    shared_.db->Prefetch(c.db, std::span<const std::string_view>(keys, n));
  }
  // Once the requests looked at are executed, the next parsed one looks
  // again (at once if the one after this was incomplete or unpeekable).
  return next + pk.bytes;
}

void Server::PrefetchFirstRequests(const std::vector<Client*>& ready) {
  // At pipeline 1 every client brings one request per turn, so there is no
  // pipeline to look into; the ready clients' requests are one instead.
  if (ready.size() < 2) return;
  std::string_view keys[walnut::DB::kMaxPrefetch];
  uint32_t dbs[walnut::DB::kMaxPrefetch];
  size_t n = 0;
  auto prefetch = [&] {
    for (size_t i = 0; i < n;) {  // one call per run of clients of one database
      size_t end = i + 1;
      while (end < n && dbs[end] == dbs[i]) end++;
      shared_.db->Prefetch(dbs[i], std::span<const std::string_view>(keys + i, end - i));
      i = end;
    }
    n = 0;
  };
  for (Client* c : ready) {
    if (!c->authenticated || c->close_now || c->blocked) continue;
    keys[n] = protocol::PeekFirstKey(c->unread());
    if (keys[n].empty()) continue;
    dbs[n++] = c->db;
    if (n == walnut::DB::kMaxPrefetch) prefetch();
  }
  prefetch();
}

void Server::SendTo(Client& c) {
  if (c.close_now) return;
  size_t sent = 0;
  while (c.pending_output() > 0) {
    ssize_t n = c.tls ? c.tls->Write(c.out.data() + c.out_pos, c.pending_output())
                      : send(c.fd, c.out.data() + c.out_pos, c.pending_output(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<size_t>(n);
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    c.close_now = true;  // peer gone
    break;
  }
  stats_.net_output_bytes += sent;
  if (c.pending_output() == 0) {
    c.out.clear();
    c.out_pos = 0;
    // Give back a buffer a huge reply grew (the string keeps its address,
    // which the writer points to).
    if (c.out.capacity() > kReadChunk) std::string().swap(c.out);
  } else if (c.out_pos > (1u << 20) && c.out_pos > c.out.size() / 2) {
    c.out.erase(0, c.out_pos);
    c.out_pos = 0;
  }
  if (!c.reading &&
      static_cast<int64_t>(c.pending_output()) <= config_.client_output_soft_limit / 2) {
    c.reading = true;
    MarkReady(c);  // execute what is already buffered
  }
  UpdateInterest(c);
}

void Server::UpdateInterest(Client& c) {
  if (c.close_now) return;
  bool want_write = c.pending_output() > 0 || (c.tls && c.tls->read_needs_writable());
  bool want_read = (c.reading && !c.close_after_reply) || (c.tls && c.tls->write_needs_readable());
  // EPOLLIN and EPOLLOUT are enumerators in glibc: as uint32_t, so `?:`
  // does not mix an enum with an int.
  constexpr uint32_t kIn = EPOLLIN, kOut = EPOLLOUT;
  uint32_t events = (want_read ? kIn : 0) | (want_write ? kOut : 0);
  uint32_t current = (c.reading_registered ? kIn : 0) | (c.want_write ? kOut : 0);
  if (events == current) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.id;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.want_write = want_write;
  c.reading_registered = want_read;
}

void Server::CloseClient(Client& c) {
  spdlog::debug("closing client id={} addr={}", c.id, c.addr);
  watches_.UnwatchAll(&c);
  // ready_ and touched_ hold pointers: none may outlive the client.
  if (c.pending_input) std::erase(ready_, &c);
  if (c.touched) std::erase(touched_, &c);
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  if (c.tls) {
    // Plain-text clients on the TLS port, untrusted certificates, and
    // clients that leave mid-handshake all end here.
    if (!c.tls->handshake_done()) stats_.tls_handshake_failures++;
    c.tls->Shutdown();
  }
  close(c.fd);
  clients_.erase(c.id);  // destroys c
  stats_.connected_clients = clients_.size();
}

void Server::NoteWrite(Client& c) {
  c.wrote_this_iteration = true;
  wrote_this_iteration_ = true;
  changes_since_save_++;
}

void Server::FlushAndHandleFailure() {
  // Flush even when this loop's clients only read: a read may have seen a
  // value that an HTTP write applied but has not logged yet, and no reply
  // may show a value that a crash could still take away. With nothing
  // pending, FlushLog is a lock and a comparison.
  if (!wrote_this_iteration_ && touched_.empty()) return;
  wrote_this_iteration_ = false;
  auto t0 = std::chrono::steady_clock::now();
  // FlushLog runs without exec_mu: HTTP requests may proceed during an
  // fdatasync. The shared_ptr is read under the lock because DEBUG RELOAD
  // may replace it (only from this thread, so it cannot change here).
  walnut::Status s = shared_.db->FlushLog();
  stats_.log_flushes++;
  stats_.log_flush_usec += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  if (s.ok()) {
    for (Client* c : touched_) c->wrote_this_iteration = false;
    return;
  }
  // The writes of this iteration may not be in the log: their clients must
  // not see an acknowledgement. Close those connections without sending
  // anything, and refuse writes from now on (the engine refuses them too).
  stats_.log_flush_failures++;
  if (write_error_.empty()) write_error_ = s.ToString();
  int closed = 0;
  for (auto& [id, c] : clients_) {
    if (!c->wrote_this_iteration) continue;
    c->out.clear();
    c->out_pos = 0;
    c->close_now = true;
    c->wrote_this_iteration = false;
    closed++;
  }
  spdlog::error(
      "writing the log failed: {}; closed {} connection(s) whose writes were not "
      "acknowledged; refusing writes until restart (reads continue)",
      s.ToString(), closed);
}

void Server::Cron(int64_t now_mono) {
  if (now_mono < next_cron_ms_) return;
  next_cron_ms_ = now_mono + kCronIntervalMs;
  stats_.Sample(now_mono);
  if (accept_paused_until_ms_ != 0 && now_mono >= accept_paused_until_ms_) {
    accept_paused_until_ms_ = 0;
    for (size_t i = 0; i < listeners_.size(); i++) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenerTag | i;
      epoll_ctl(epfd_, EPOLL_CTL_ADD, listeners_[i].fd, &ev);
    }
  }
  if (config_.active_expire_enabled) {
    // Bounded work per tick keeps latency flat; expiry needs no log record
    // (expiry times in the log are absolute), so this is not a write.
    // If a sweep finds many expired keys, more are likely waiting: sweep
    // again, for at most ~5 ms per tick (Redis's active expiry adapts the
    // same way), so a mass expiry is cleared quickly without stalling.
    const size_t budget = static_cast<size_t>(config_.active_expire_budget);
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 16; round++) {
      uint64_t n = shared_.db->SweepExpired(budget);
      stats_.expired_keys += n;
      if (n < budget / 4) break;
      if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(5)) break;
    }
  }
}

walnut::Status Server::Run() {
  std::vector<epoll_event> events(512);
  std::vector<Client*> ready, touched;
  std::vector<Client*> to_close;
  next_cron_ms_ = MonoMs() + kCronIntervalMs;
  while (!shutdown_requested_) {
    int64_t now = MonoMs();
    int timeout = ready_.empty() ? static_cast<int>(std::max<int64_t>(0, next_cron_ms_ - now)) : 0;
    int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return walnut::Status::IOError(std::string("epoll_wait: ") + strerror(errno));
    }
    // The engine's clock, so that commands and the engine expire by one clock.
    clock_.StartTurn(shared_.db->NowMs());
    // ---- 1. Accept and read.
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      uint32_t ev = events[i].events;
      if (tag & kListenerTag) {
        Accept(static_cast<int>(tag & ~kListenerTag));
      } else if (tag == kWakeTag) {
        uint64_t v;
        ssize_t ignored = read(wake_fd_, &v, sizeof(v));
        (void)ignored;
        FinishCompaction();
      } else if (tag == kSignalTag) {
        signalfd_siginfo si;
        while (read(signal_fd_, &si, sizeof(si)) == sizeof(si)) {
          spdlog::info("received {}, shutting down", strsignal(static_cast<int>(si.ssi_signo)));
          shutdown_requested_ = true;
        }
      } else if (Client* c = FindClient(tag)) {
        if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) || (c->tls && c->tls->read_needs_writable())) {
          ReadFrom(*c);
        }
        Touch(*c);
      }
    }
    // ---- 2. Execute, under exec_mu so HTTP commands interleave only
    // between whole commands.
    {
      std::lock_guard<std::mutex> lock(shared_.exec_mu);
      // Swapping with a cleared vector that outlives the loop hands ready_
      // back its capacity: no allocation per iteration.
      ready.clear();
      ready.swap(ready_);
      PrefetchFirstRequests(ready);
      clock_.Mark();  // the reads above belong to no command
      for (Client* c : ready) {
        ProcessInput(*c);
        Touch(*c);
      }
      Cron(MonoMs());
    }
    // ---- 3. Group commit, then 4. replies.
    FlushAndHandleFailure();
    to_close.clear();
    touched.clear();
    touched.swap(touched_);
    for (Client* c : touched) {
      c->touched = false;
      if (c->pending_output() > 0) SendTo(*c);
      if (c->close_now || (c->close_after_reply && c->pending_output() == 0)) {
        to_close.push_back(c);
      }
    }
    if (!to_close.empty()) {
      std::lock_guard<std::mutex> lock(shared_.exec_mu);  // watch registry
      for (Client* c : to_close) CloseClient(*c);
    }
  }
  ShutdownSequence();
  return walnut::Status::OK();
}

void Server::ShutdownSequence() {
  for (auto& l : listeners_) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, l.fd, nullptr);
    close(l.fd);
  }
  listeners_.clear();
  if (compaction_thread_.joinable()) {
    spdlog::info("waiting for the running compaction to finish");
    compaction_thread_.join();
    FinishCompaction();
  }
  // Every command already executed is flushed (and acknowledged) before we
  // go: the last iteration's FlushLog ran; sync it all for a clean stop.
  std::lock_guard<std::mutex> lock(shared_.exec_mu);
  walnut::Status s = shared_.db->FlushLog(/*sync=*/true);
  if (!s.ok()) spdlog::error("final log flush failed: {}", s.ToString());
  // Best effort: replies already produced (e.g. to pipelined commands before
  // SHUTDOWN) go out if the socket takes them now.
  for (auto& [id, c] : clients_) {
    if (!c->close_now && c->pending_output() > 0) {
      ssize_t ignored = c->tls ? c->tls->Write(c->out.data() + c->out_pos, c->pending_output())
                               : send(c->fd, c->out.data() + c->out_pos, c->pending_output(),
                                      MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)ignored;
    }
  }
  std::vector<Client*> all = Clients();
  for (Client* c : all) CloseClient(*c);
}

}  // namespace walnut::server
