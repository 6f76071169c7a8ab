// CLIENT: ID, GETNAME, SETNAME, LIST, INFO, KILL, REPLY, SETINFO, NO-EVICT,
// HELP — introspection and control of connections, with Redis 7's formats.
#include <chrono>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/server_commands.h"

namespace walnut::server {
namespace {

Client& ClientOf(CommandContext& ctx) { return ExecSession::Of(ctx).client; }
Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

void ClientId(CommandContext& ctx) { ctx.reply().Integer(static_cast<int64_t>(ClientOf(ctx).id)); }

void ClientGetName(CommandContext& ctx) {
  const Client& c = ClientOf(ctx);
  if (c.name.empty()) {
    ctx.reply().NullBulk();
  } else {
    ctx.reply().Bulk(c.name);
  }
}

void ClientSetName(CommandContext& ctx) {
  std::string_view name = ctx.arg(2);
  for (char ch : name) {
    if (ch < '!' || ch > '~') {
      ctx.reply().Error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
  }
  ClientOf(ctx).name.assign(name);
  ctx.reply().Ok();
}

void ClientSetInfo(CommandContext& ctx) {
  // Client libraries announce themselves (lib-name, lib-ver); accepted so
  // that they do not log an error, not stored.
  if (!EqualsNoCase(ctx.arg(2), "lib-name") && !EqualsNoCase(ctx.arg(2), "lib-ver")) {
    ctx.reply().Error("ERR Unrecognized option '" + std::string(ctx.arg(2)) + "'");
    return;
  }
  ctx.reply().Ok();
}

void ClientNoEvict(CommandContext& ctx) {
  if (!EqualsNoCase(ctx.arg(2), "on") && !EqualsNoCase(ctx.arg(2), "off")) {
    ctx.reply().Error(kErrSyntax);
    return;
  }
  ctx.reply().Ok();
}

void ClientList(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  std::vector<uint64_t> ids;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (EqualsNoCase(ctx.arg(i), "type") && i + 1 < ctx.argc()) {
      std::string_view type = ctx.arg(i + 1);
      if (EqualsNoCase(type, "normal")) {
        // every client is a normal client
      } else if (EqualsNoCase(type, "master") || EqualsNoCase(type, "replica") ||
                 EqualsNoCase(type, "slave") || EqualsNoCase(type, "pubsub")) {
        ctx.reply().Verbatim("");
        return;
      } else {
        ctx.reply().Error("ERR Unknown client type '" + std::string(type) + "'");
        return;
      }
      i++;
    } else if (EqualsNoCase(ctx.arg(i), "id") && i + 1 < ctx.argc()) {
      for (i = i + 1; i < ctx.argc(); i++) {
        int64_t id;
        if (!ParseInt64Arg(ctx.arg(i), &id) || id <= 0) {
          ctx.reply().Error("ERR Invalid client ID");
          return;
        }
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      ctx.reply().Error(kErrSyntax);
      return;
    }
  }
  int64_t now = WallMs();
  std::string text;
  for (Client* c : server.Clients()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), c->id) == ids.end()) continue;
    text += ClientInfoLine(server, *c, now);
    text += '\n';
  }
  ctx.reply().Verbatim(text);
}

void ClientInfo(CommandContext& ctx) {
  ctx.reply().Verbatim(ClientInfoLine(ServerOf(ctx), ClientOf(ctx), WallMs()) + "\n");
}

void ClientReply(CommandContext& ctx) {
  Client& c = ClientOf(ctx);
  std::string_view mode = ctx.arg(2);
  if (EqualsNoCase(mode, "on")) {
    c.reply_mode = Client::ReplyMode::kOn;
    c.skip_this_reply = false;
    ctx.reply().Ok();
  } else if (EqualsNoCase(mode, "off")) {
    c.reply_mode = Client::ReplyMode::kOff;
  } else if (EqualsNoCase(mode, "skip")) {
    // The dispatcher already cleared the flag for this command, so setting
    // it now skips the next one's reply. SKIP itself has no reply.
    if (c.reply_mode == Client::ReplyMode::kOn) c.skip_this_reply = true;
  } else {
    ctx.reply().Error(kErrSyntax);
  }
}

void ClientKill(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Client& self = ClientOf(ctx);
  if (ctx.argc() == 3) {
    // Old form: CLIENT KILL addr:port; may kill the caller too.
    for (Client* c : server.Clients()) {
      if (c->addr == ctx.arg(2)) {
        if (c == &self) {
          self.close_after_reply = true;
        } else {
          server.Kill(c);
        }
        ctx.reply().Ok();
        return;
      }
    }
    ctx.reply().Error("ERR No such client");
    return;
  }
  // New form: filters, all of which must match; SKIPME defaults to yes.
  if ((ctx.argc() - 2) % 2 != 0) {
    ctx.reply().Error(kErrSyntax);
    return;
  }
  uint64_t id = 0;
  std::string_view addr, laddr, user;
  bool have_addr = false, have_laddr = false, have_user = false, skipme = true;
  int64_t maxage = 0;
  bool type_matches_none = false;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    std::string_view f = ctx.arg(i), v = ctx.arg(i + 1);
    if (EqualsNoCase(f, "id")) {
      int64_t x;
      if (!ParseInt64Arg(v, &x) || x <= 0) {
        ctx.reply().Error("ERR client-id should be greater than 0");
        return;
      }
      id = static_cast<uint64_t>(x);
    } else if (EqualsNoCase(f, "addr")) {
      addr = v;
      have_addr = true;
    } else if (EqualsNoCase(f, "laddr")) {
      laddr = v;
      have_laddr = true;
    } else if (EqualsNoCase(f, "user")) {
      user = v;
      have_user = true;
    } else if (EqualsNoCase(f, "type")) {
      if (EqualsNoCase(v, "normal")) {
      } else if (EqualsNoCase(v, "master") || EqualsNoCase(v, "replica") ||
                 EqualsNoCase(v, "slave") || EqualsNoCase(v, "pubsub")) {
        type_matches_none = true;
      } else {
        ctx.reply().Error("ERR Unknown client type '" + std::string(v) + "'");
        return;
      }
    } else if (EqualsNoCase(f, "skipme")) {
      if (EqualsNoCase(v, "yes")) {
        skipme = true;
      } else if (EqualsNoCase(v, "no")) {
        skipme = false;
      } else {
        ctx.reply().Error(kErrSyntax);
        return;
      }
    } else if (EqualsNoCase(f, "maxage")) {
      if (!ParseInt64Arg(v, &maxage) || maxage < 0) {
        ctx.reply().Error(kErrSyntax);
        return;
      }
    } else {
      ctx.reply().Error(kErrSyntax);
      return;
    }
  }
  int64_t killed = 0;
  int64_t now = WallMs();
  if (!type_matches_none) {
    for (Client* c : server.Clients()) {
      if (id != 0 && c->id != id) continue;
      if (have_addr && c->addr != addr) continue;
      if (have_laddr && c->laddr != laddr) continue;
      if (have_user && user != "default") continue;
      if (maxage > 0 && (now - c->created_ms) / 1000 < maxage) continue;
      if (c == &self && skipme) continue;
      if (c == &self) {
        self.close_after_reply = true;
      } else {
        server.Kill(c);
      }
      killed++;
    }
  }
  ctx.reply().Integer(killed);
}

void ClientHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>,",
      "    TYPE normal|master|replica|pubsub, USER <username>, SKIPME yes|no, MAXAGE <seconds>.",
      "LIST [options ...]",
      "    Return information about client connections. Options: TYPE <type>, ID <id> [...].",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply().ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply().SimpleString(l);
}

}  // namespace

std::string ClientInfoLine(Server& server, const Client& c, int64_t now_ms) {
  std::string flags;
  if (c.in_multi) flags += 'x';
  if (c.watch_dirty) flags += 'd';
  if (c.close_after_reply) flags += 'c';
  if (c.close_now) flags += 'A';
  if (flags.empty()) flags = "N";
  std::string events;
  if (c.reading_registered) events += 'r';
  if (c.want_write) events += 'w';
  size_t qbuf = c.unread().size();
  size_t qbuf_free = c.in.capacity() - c.in.size();
  size_t omem = c.out.capacity();
  size_t multi_mem = c.queued_bytes;
  size_t tot = c.in.capacity() + omem + multi_mem + sizeof(Client);
  std::string s;
  s.reserve(320);
  s += "id=" + std::to_string(c.id);
  s += " addr=" + c.addr;
  s += " laddr=" + c.laddr;
  s += " fd=" + std::to_string(c.fd);
  s += " name=" + c.name;
  s += " age=" + std::to_string((now_ms - c.created_ms) / 1000);
  s += " idle=" + std::to_string((now_ms - c.last_interaction_ms) / 1000);
  s += " flags=" + flags;
  s += " db=" + std::to_string(c.db);
  s += " sub=0 psub=0 ssub=0";
  s += " multi=" + std::to_string(c.in_multi ? static_cast<int64_t>(c.queued.size()) : -1);
  s += " qbuf=" + std::to_string(qbuf);
  s += " qbuf-free=" + std::to_string(qbuf_free);
  s += " argv-mem=0";
  s += " multi-mem=" + std::to_string(multi_mem);
  s += " rbs=" + std::to_string(c.in.capacity());
  s += " rbp=" + std::to_string(c.in.size());
  s += " obl=" + std::to_string(c.pending_output());
  s += " oll=0";
  s += " omem=" + std::to_string(omem);
  s += " tot-mem=" + std::to_string(tot);
  s += " events=" + events;
  s += " cmd=" + (c.last_command ? server.FullName(*c.last_command) : std::string("NULL"));
  s += " user=default redir=-1";
  s += " resp=" + std::to_string(c.proto);
  return s;
}

void RegisterClientCommand(CommandTable& t) {
  using namespace cmd;
  CommandSpec client{.name = "client",
                     .arity = -2,
                     .flags = 0,
                     .group = "connection",
                     .summary = "A container for client connection commands.",
                     .since = "2.4.0"};
  auto sub = [](std::string_view name, int arity, uint32_t flags, CommandHandler h,
                std::string_view summary, std::string_view syntax = {}) {
    return CommandSpec{.name = name,
                       .arity = arity,
                       .flags = flags,
                       .handler = h,
                       .group = "connection",
                       .summary = summary,
                       .syntax = syntax};
  };
  const uint32_t kAdm = kAdmin | kNoScript | kLoading | kStale;
  const uint32_t kConn = kNoScript | kLoading | kStale;
  client.subcommands = {
      sub("id", 2, kConn, ClientId, "Returns the unique client ID of the connection."),
      sub("getname", 2, kConn, ClientGetName, "Returns the name of the connection."),
      sub("setname", 3, kConn, ClientSetName, "Sets the connection name.", "connection-name"),
      sub("setinfo", 4, kConn, ClientSetInfo, "Sets information specific to the client.",
          "LIB-NAME libname | LIB-VER libver"),
      sub("no-evict", 3, kAdm, ClientNoEvict, "Sets the client eviction mode.", "ON | OFF"),
      sub("list", -2, kAdm, ClientList, "Lists open connections.",
          "[TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]"),
      sub("info", 2, kConn, ClientInfo, "Returns information about the connection."),
      sub("kill", -3, kAdm, ClientKill, "Terminates open connections.",
          "ip:port | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] "
          "[USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME YES | NO] [MAXAGE maxage]"),
      sub("reply", 3, kConn, ClientReply, "Instructs the server whether to reply to commands.",
          "ON | OFF | SKIP"),
      sub("help", 2, kConn, ClientHelp, "Returns helpful text about the different subcommands."),
  };
  t.Register(std::move(client));
}

}  // namespace walnut::server
