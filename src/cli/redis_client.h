// RedisClient: the `walnut` command's connection to a server, over hiredis,
// plus the two ways it prints replies (redis-cli's interactive style, and
// raw for scripts).
//
// Connect() authenticates when given a password, so every caller gets a
// ready connection or a message a person can act on ("cannot connect to
// walnut-server at 127.0.0.1:6379: Connection refused. Is it running? ...").
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/tls_stream.h"
#include "walnut/status.h"

namespace walnut::cli {

// Where and how to connect; filled from -h/-p/-a.
struct ConnectOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  double timeout_seconds = 10;
  // --tls (the server's --tls-port), with --cacert/--cert/--key.
  bool tls = false;
  TlsOptions tls_options;
};

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisClient {
 public:
  // Connects (and sends AUTH if options.password is set). kIOError when the
  // server cannot be reached; kInvalidArgument when AUTH is refused.
  static Result<std::unique_ptr<RedisClient>> Connect(const ConnectOptions& options);

  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (each argument binary-safe) and waits for its reply.
  // Null when the connection failed; error() then says why.
  Reply Command(const std::vector<std::string>& args);
  // Reads one more reply without sending anything (MONITOR, SUBSCRIBE).
  Reply ReadReply();
  // True while the connection is usable.
  bool connected() const;
  std::string error() const;
  // Drops the connection and connects again with the same options.
  Status Reconnect();
  const ConnectOptions& options() const { return options_; }
  // "host:port", as prompts and messages show it.
  std::string address() const;

 private:
  explicit RedisClient(ConnectOptions options) : options_(std::move(options)) {}
  Status Open();

  // With --tls: hiredis only parses; TlsStream carries the bytes.
  Reply TlsCommand(const std::vector<std::string>& args);
  Reply TlsReadReply();
  void CloseTls();

  ConnectOptions options_;
  redisContext* ctx_ = nullptr;
  std::unique_ptr<TlsStream> tls_;
  redisReader* reader_ = nullptr;
  std::string tls_error_;  // set when the TLS connection failed
};

// The message for a failed connection, with the hint to start the server.
std::string CannotConnectMessage(const ConnectOptions& options, const std::string& why);

// redis-cli's interactive rendering: "OK", "(integer) 5", "\"bulk\"",
// "(nil)", "(error) ERR ...", arrays as numbered lines ("1) ..."), nested
// arrays indented. Ends with a newline.
std::string FormatReplyTty(const redisReply* reply);
// Raw rendering for scripts: bulk and status text as-is, integers as
// digits, nil as an empty line, errors as "(error) ..."; array elements one
// per line. Ends with a newline.
std::string FormatReplyRaw(const redisReply* reply);

// The value of "field:" in an INFO reply's text, or "" if absent.
std::string InfoField(const std::string& info, const std::string& field);

}  // namespace walnut::cli
