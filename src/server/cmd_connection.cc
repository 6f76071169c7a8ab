// Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO (CLIENT
// is in cmd_client.cc). Texts and edge cases follow Redis 7.
#include <charconv>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/server_commands.h"

namespace walnut::server {

bool ParseInt64Arg(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  if (s.size() > 1 && s[0] == '-' && s[1] == '0') return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer string is examined whatever matches, so the
  // time reveals lengths at most, not how long a prefix matched.
  size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; i++) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

namespace {

Client& ClientOf(CommandContext& ctx) { return ExecSession::Of(ctx).client; }
Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

void PingCommand(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.reply().Error(WrongArityError("ping"));
    return;
  }
  if (ctx.argc() == 2) {
    ctx.reply().Bulk(ctx.arg(1));
  } else {
    ctx.reply().SimpleString("PONG");
  }
}

void EchoCommand(CommandContext& ctx) { ctx.reply().Bulk(ctx.arg(1)); }

void QuitCommand(CommandContext& ctx) {
  ctx.reply().Ok();
  ClientOf(ctx).close_after_reply = true;
}

void SelectCommand(CommandContext& ctx) {
  int64_t idx;
  if (!ParseInt64Arg(ctx.arg(1), &idx) || idx < INT32_MIN || idx > INT32_MAX) {
    ctx.reply().Error(kErrNotInteger);
    return;
  }
  if (idx < 0 || idx >= static_cast<int64_t>(ctx.num_databases())) {
    ctx.reply().Error(kErrDbIndexRange);
    return;
  }
  ClientOf(ctx).db = static_cast<uint32_t>(idx);
  ctx.reply().Ok();
}

// Checks user/password against the default user. Redis 7 without
// requirepass: the default user has "nopass", so any password works for it.
bool CheckCredentials(Server& server, std::string_view user, std::string_view pass) {
  const std::string& want = server.shared().requirepass;
  if (user != "default") {
    // Still compare, so a wrong user name takes as long as a wrong password.
    (void)ConstantTimeEquals(pass, want);
    return false;
  }
  if (want.empty()) return true;
  return ConstantTimeEquals(pass, want);
}

void AuthCommand(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Client& c = ClientOf(ctx);
  if (ctx.argc() > 3) {
    ctx.reply().Error(kErrSyntax);
    return;
  }
  if (ctx.argc() == 2 && server.shared().requirepass.empty()) {
    ctx.reply().Error(kErrAuthNoPassword);
    return;
  }
  std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : "default";
  std::string_view pass = ctx.argc() == 3 ? ctx.arg(2) : ctx.arg(1);
  if (CheckCredentials(server, user, pass)) {
    c.authenticated = true;
    ctx.reply().Ok();
  } else {
    ctx.reply().Error(kErrWrongPass);
  }
}

bool ValidClientName(std::string_view name) {
  // Redis: printable ASCII without spaces.
  for (char ch : name) {
    if (ch < '!' || ch > '~') return false;
  }
  return true;
}

void HelloCommand(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Client& c = ClientOf(ctx);
  int64_t ver = c.proto;
  size_t i = 1;
  if (ctx.argc() >= 2) {
    if (!ParseInt64Arg(ctx.arg(1), &ver)) {
      ctx.reply().Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (ver < 2 || ver > 3) {
      ctx.reply().Error(kErrNoProto);
      return;
    }
    i = 2;
  }
  std::string_view setname;
  bool has_setname = false;
  bool authed_now = false;
  for (; i < ctx.argc(); i++) {
    std::string_view opt = ctx.arg(i);
    bool more2 = i + 2 < ctx.argc();
    bool more1 = i + 1 < ctx.argc();
    auto is = [&](std::string_view w) {
      if (opt.size() != w.size()) return false;
      for (size_t k = 0; k < w.size(); k++) {
        if (std::tolower(static_cast<unsigned char>(opt[k])) != w[k]) return false;
      }
      return true;
    };
    if (is("auth") && more2) {
      if (!CheckCredentials(server, ctx.arg(i + 1), ctx.arg(i + 2))) {
        ctx.reply().Error(kErrWrongPass);
        return;
      }
      authed_now = true;
      i += 2;
    } else if (is("setname") && more1) {
      setname = ctx.arg(i + 1);
      has_setname = true;
      i += 1;
    } else {
      ctx.reply().Error("ERR Syntax error in HELLO option '" + std::string(opt) + "'");
      return;
    }
  }
  if (!c.authenticated && !authed_now) {
    ctx.reply().Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (has_setname && !ValidClientName(setname)) {
    ctx.reply().Error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  if (authed_now) c.authenticated = true;
  if (has_setname) c.name.assign(setname);
  c.proto = static_cast<int>(ver);
  protocol::RespWriter& w = ctx.reply();
  w.set_proto(c.proto);  // the reply itself is in the new protocol, as in Redis
  w.MapHeader(7);
  w.Bulk("server");
  w.Bulk("redis");
  w.Bulk("version");
  w.Bulk("7.0.0");
  w.Bulk("proto");
  w.Integer(c.proto);
  w.Bulk("id");
  w.Integer(static_cast<int64_t>(c.id));
  w.Bulk("mode");
  w.Bulk("standalone");
  w.Bulk("role");
  w.Bulk("master");
  w.Bulk("modules");
  w.ArrayHeader(0);
}

void ResetCommand(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Client& c = ClientOf(ctx);
  c.in_multi = false;
  c.multi_error = false;
  c.queued.clear();
  c.queued_bytes = 0;
  server.watches().UnwatchAll(&c);
  c.db = 0;
  c.proto = 2;
  c.name.clear();
  c.reply_mode = Client::ReplyMode::kOn;
  c.skip_this_reply = false;
  c.authenticated = server.shared().requirepass.empty();
  ctx.reply().set_proto(2);
  ctx.reply().SimpleString("RESET");
}

}  // namespace

void RegisterConnectionCommands(CommandTable& t) {
  using namespace cmd;
  t.Register({.name = "ping",
              .arity = -1,
              .flags = kFast | kStale | kLoading,
              .handler = PingCommand,
              .group = "connection",
              .summary = "Returns the server's liveliness response.",
              .syntax = "[message]"});
  t.Register({.name = "echo",
              .arity = 2,
              .flags = kFast | kStale | kLoading,
              .handler = EchoCommand,
              .group = "connection",
              .summary = "Returns the given string.",
              .syntax = "message"});
  t.Register({.name = "quit",
              .arity = -1,
              .flags = kFast | kNoAuth | kStale | kLoading | kTxControl,
              .handler = QuitCommand,
              .group = "connection",
              .summary = "Closes the connection."});
  t.Register({.name = "reset",
              .arity = 1,
              .flags = kFast | kStale | kLoading | kTxControl,
              .handler = ResetCommand,
              .group = "connection",
              .summary = "Resets the connection.",
              .since = "6.2.0"});
  t.Register({.name = "select",
              .arity = 2,
              .flags = kFast | kStale | kLoading,
              .handler = SelectCommand,
              .group = "connection",
              .summary = "Changes the selected database.",
              .syntax = "index"});
  t.Register({.name = "auth",
              .arity = -2,
              .flags = kFast | kNoAuth | kStale | kLoading | kNoScript,
              .handler = AuthCommand,
              .group = "connection",
              .summary = "Authenticates the connection.",
              .syntax = "[username] password"});
  t.Register({.name = "hello",
              .arity = -1,
              .flags = kFast | kNoAuth | kStale | kLoading | kNoScript,
              .handler = HelloCommand,
              .group = "connection",
              .summary = "Handshakes with the Redis server.",
              .since = "6.0.0",
              .syntax = "[protover [AUTH username password] [SETNAME clientname]]"});
  RegisterClientCommand(t);
}

}  // namespace walnut::server
