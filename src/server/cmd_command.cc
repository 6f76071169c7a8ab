// COMMAND: introspection of the command table (bare, COUNT, INFO, LIST,
// DOCS, GETKEYS, HELP) in Redis 7's reply formats. redis-cli uses the bare
// form to learn commands missing from its built-in help, and client
// libraries use INFO/GETKEYS to find key positions.
#include <algorithm>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/server.h"
#include "server/server_commands.h"
#include "server/string_util.h"

namespace walnut::server {
namespace {

Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

std::vector<std::string_view> FlagNames(uint32_t f) {
  std::vector<std::string_view> out;
  if (f & cmd::kWrite) out.push_back("write");
  if (f & cmd::kReadOnly) out.push_back("readonly");
  if (f & cmd::kDenyOom) out.push_back("denyoom");
  if (f & cmd::kAdmin) out.push_back("admin");
  if (f & cmd::kNoScript) out.push_back("noscript");
  if (f & cmd::kLoading) out.push_back("loading");
  if (f & cmd::kStale) out.push_back("stale");
  if (f & cmd::kFast) out.push_back("fast");
  if (f & cmd::kNoAuth) out.push_back("no_auth");
  if (f & cmd::kNoMulti) out.push_back("no_multi");
  return out;
}

std::vector<std::string> AclCategories(const CommandSpec& s) {
  std::vector<std::string> out;
  if (s.flags & cmd::kWrite) out.push_back("@write");
  if (s.flags & cmd::kReadOnly) out.push_back("@read");
  if (s.flags & cmd::kAdmin) {
    out.push_back("@admin");
    out.push_back("@dangerous");
  }
  out.push_back((s.flags & cmd::kFast) ? "@fast" : "@slow");
  if (s.group == "string") out.push_back("@string");
  if (s.group == "generic") out.push_back("@keyspace");
  if (s.group == "connection") out.push_back("@connection");
  if (s.group == "transactions") out.push_back("@transaction");
  if (s.group == "scripting") out.push_back("@scripting");
  return out;
}

void WriteInfo(protocol::RespWriter& w, const CommandSpec& s, const std::string& full_name) {
  w.ArrayHeader(10);
  w.Bulk(full_name);
  w.Integer(s.arity);
  auto flags = FlagNames(s.flags);
  w.SetHeader(flags.size());
  for (auto f : flags) w.SimpleString(f);
  w.Integer(s.first_key);
  w.Integer(s.last_key);
  w.Integer(s.key_step);
  auto acl = AclCategories(s);
  w.SetHeader(acl.size());
  for (const auto& a : acl) w.SimpleString(a);
  w.ArrayHeader(0);  // tips
  if (s.first_key > 0) {
    // One key spec: keys start at first_key and run to last_key (relative
    // to the first when positive, from the end when negative) every step.
    w.ArrayHeader(1);
    w.MapHeader(3);
    w.Bulk("flags");
    w.ArrayHeader(1);
    w.SimpleString((s.flags & cmd::kWrite) ? "RW" : "RO");
    w.Bulk("begin_search");
    w.MapHeader(2);
    w.Bulk("type");
    w.Bulk("index");
    w.Bulk("spec");
    w.MapHeader(1);
    w.Bulk("index");
    w.Integer(s.first_key);
    w.Bulk("find_keys");
    w.MapHeader(2);
    w.Bulk("type");
    w.Bulk("range");
    w.Bulk("spec");
    w.MapHeader(3);
    w.Bulk("lastkey");
    w.Integer(s.last_key < 0 ? s.last_key : s.last_key - s.first_key);
    w.Bulk("keystep");
    w.Integer(s.key_step);
    w.Bulk("limit");
    w.Integer(0);
  } else {
    w.ArrayHeader(0);
  }
  w.ArrayHeader(s.subcommands.size());
  for (const CommandSpec& sub : s.subcommands) {
    WriteInfo(w, sub, full_name + "|" + std::string(sub.name));
  }
}

void WriteDocs(protocol::RespWriter& w, const CommandSpec& s, const std::string& full_name) {
  w.Bulk(full_name);
  size_t n = 3 + (s.syntax.empty() ? 0 : 1) + (s.subcommands.empty() ? 0 : 1);
  w.MapHeader(n);
  w.Bulk("summary");
  w.Bulk(s.summary);
  w.Bulk("since");
  w.Bulk(s.since);
  w.Bulk("group");
  w.Bulk(s.group);
  if (!s.syntax.empty()) {
    // Not a Redis field: the argument syntax in the documentation's notation.
    w.Bulk("syntax");
    w.Bulk(s.syntax);
  }
  if (!s.subcommands.empty()) {
    w.Bulk("subcommands");
    w.MapHeader(s.subcommands.size());
    for (const CommandSpec& sub : s.subcommands) {
      WriteDocs(w, sub, full_name + "|" + std::string(sub.name));
    }
  }
}

// Resolves "get" or "client|list" (any case).
const CommandSpec* Resolve(const CommandTable& t, std::string_view name) {
  size_t bar = name.find('|');
  const CommandSpec* s = t.Find(name.substr(0, bar));
  if (s == nullptr || bar == std::string_view::npos) return s;
  return CommandTable::FindSubcommand(*s, name.substr(bar + 1));
}

void CommandBare(CommandContext& ctx) {
  const CommandTable& t = ServerOf(ctx).table();
  ctx.reply().ArrayHeader(t.size());
  for (const auto& row : t.all()) WriteInfo(ctx.reply(), *row, std::string(row->name));
}

void CommandCount(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ServerOf(ctx).table().size()));
}

void CommandInfo(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  const CommandTable& t = server.table();
  if (ctx.argc() == 2) {
    CommandBare(ctx);
    return;
  }
  ctx.reply().ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    const CommandSpec* s = Resolve(t, ctx.arg(i));
    if (s == nullptr) {
      ctx.reply().NullArray();
    } else {
      WriteInfo(ctx.reply(), *s, server.FullName(*s));
    }
  }
}

void CommandDocs(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  const CommandTable& t = server.table();
  std::vector<const CommandSpec*> specs;
  if (ctx.argc() == 2) {
    for (const auto& row : t.all()) specs.push_back(row.get());
  } else {
    for (size_t i = 2; i < ctx.argc(); i++) {
      if (const CommandSpec* s = Resolve(t, ctx.arg(i))) specs.push_back(s);
    }
  }
  ctx.reply().MapHeader(specs.size());
  for (const CommandSpec* s : specs) WriteDocs(ctx.reply(), *s, server.FullName(*s));
}

void CommandList(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  std::string_view pattern, category;
  if (ctx.argc() == 5 && EqualsIgnoreCase(ctx.arg(2), "filterby")) {
    if (EqualsIgnoreCase(ctx.arg(3), "pattern")) {
      pattern = ctx.arg(4);
    } else if (EqualsIgnoreCase(ctx.arg(3), "aclcat")) {
      category = ctx.arg(4);
    } else if (!EqualsIgnoreCase(ctx.arg(3), "module")) {
      ctx.reply().Error(kErrSyntax);
      return;
    }
  } else if (ctx.argc() != 2) {
    ctx.reply().Error(kErrSyntax);
    return;
  }
  bool module_filter = ctx.argc() == 5 && EqualsIgnoreCase(ctx.arg(3), "module");
  std::vector<std::string> names;
  auto consider = [&](const CommandSpec& s, const std::string& name) {
    if (module_filter) return;  // no modules
    if (!pattern.empty() && !GlobMatch(pattern, name, true)) return;
    if (!category.empty()) {
      auto cats = AclCategories(s);
      std::string want = "@" + std::string(category);
      if (std::find(cats.begin(), cats.end(), want) == cats.end()) return;
    }
    names.push_back(name);
  };
  for (const auto& row : server.table().all()) {
    consider(*row, std::string(row->name));
    for (const CommandSpec& sub : row->subcommands) {
      consider(sub, std::string(row->name) + "|" + std::string(sub.name));
    }
  }
  ctx.reply().ArrayHeader(names.size());
  for (const auto& n : names) ctx.reply().Bulk(n);
}

void CommandGetKeys(CommandContext& ctx) {
  const CommandTable& t = ServerOf(ctx).table();
  std::span<const std::string_view> args = ctx.args().subspan(2);
  const CommandSpec* s = t.Find(args[0]);
  if (s != nullptr && !s->subcommands.empty() && args.size() >= 2) {
    s = CommandTable::FindSubcommand(*s, args[1]);
  }
  if (s == nullptr) {
    ctx.reply().Error("ERR Invalid command specified");
    return;
  }
  int argc = static_cast<int>(args.size());
  if ((s->arity > 0 && argc != s->arity) || argc < -s->arity) {
    ctx.reply().Error("ERR Invalid number of arguments specified for command");
    return;
  }
  if (s->first_key <= 0) {
    ctx.reply().Error("ERR The command has no key arguments");
    return;
  }
  int last = s->last_key < 0 ? argc + s->last_key : s->last_key;
  std::vector<std::string_view> keys;
  for (int i = s->first_key; i <= last && i < argc; i += std::max(1, s->key_step)) {
    keys.push_back(args[static_cast<size_t>(i)]);
  }
  ctx.reply().ArrayHeader(keys.size());
  for (auto k : keys) ctx.reply().Bulk(k);
}

void CommandHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST",
      "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple commands.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply().ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply().SimpleString(l);
}

}  // namespace

void RegisterCommandCommand(CommandTable& t) {
  using namespace cmd;
  const uint32_t f = kLoading | kStale;
  CommandSpec command{.name = "command",
                      .arity = -1,
                      .flags = f,
                      .handler = CommandBare,
                      .group = "server",
                      .summary = "Returns detailed information about all commands.",
                      .since = "2.8.13"};
  auto sub = [](std::string_view name, int arity, uint32_t flags, CommandHandler h,
                std::string_view summary, std::string_view syntax = {}) {
    return CommandSpec{.name = name,
                       .arity = arity,
                       .flags = flags,
                       .handler = h,
                       .group = "server",
                       .summary = summary,
                       .since = "7.0.0",
                       .syntax = syntax};
  };
  command.subcommands = {
      sub("count", 2, f, CommandCount, "Returns a count of commands."),
      sub("info", -2, f, CommandInfo, "Returns information about one, multiple or all commands.",
          "[command-name [command-name ...]]"),
      sub("docs", -2, f, CommandDocs, "Returns documentary information about commands.",
          "[command-name [command-name ...]]"),
      sub("list", -2, f, CommandList, "Returns a list of command names.",
          "[FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]"),
      sub("getkeys", -4, f, CommandGetKeys, "Extracts the key names from an arbitrary command.",
          "command [arg [arg ...]]"),
      sub("help", 2, f, CommandHelp, "Returns helpful text about the different subcommands."),
  };
  t.Register(std::move(command));
}

}  // namespace walnut::server
