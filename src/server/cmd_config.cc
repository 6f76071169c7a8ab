// CONFIG GET / SET / RESETSTAT / REWRITE / HELP over walnut-server's settings.
//
// Parameter names are the config-file directive names (= the flag names),
// plus Redis's names where Redis has the same setting (appendfsync,
// loglevel, logfile), so tools such as redis-benchmark that ask for "save"
// and "appendonly" get honest answers: no snapshots, always a log. Only
// settings that can change safely while running are settable; the others
// answer Redis's "can't set immutable config".
#include <algorithm>
#include <cstdio>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/server.h"
#include "server/server_commands.h"
#include "server/string_util.h"
#include "spdlog/spdlog.h"

namespace walnut::server {
namespace {

Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

struct Param {
  const char* name;
  bool mutable_at_runtime;
  std::string (*get)(const ServerConfig& c);
};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ' ';
    s += x;
  }
  return s;
}

const std::vector<Param>& Params() {
  static const std::vector<Param> kParams = {
      {"port", false, [](const ServerConfig& c) { return std::to_string(c.port); }},
      {"bind", false, [](const ServerConfig& c) { return Join(c.bind); }},
      {"dir", false, [](const ServerConfig& c) { return c.dir; }},
      {"fsync", false, [](const ServerConfig& c) { return std::string(FsyncModeName(c.fsync)); }},
      {"appendfsync", false,
       [](const ServerConfig& c) { return std::string(FsyncModeName(c.fsync)); }},
      {"appendonly", false, [](const ServerConfig&) { return std::string("yes"); }},
      {"save", false, [](const ServerConfig&) { return std::string(""); }},
      {"recovery", false,
       [](const ServerConfig& c) { return std::string(RecoveryModeName(c.recovery)); }},
      {"segment-size", false, [](const ServerConfig& c) { return std::to_string(c.segment_size); }},
      {"partitions", false,
       [](const ServerConfig& c) {
         return c.partitions ? std::to_string(c.partitions) : std::string("auto");
       }},
      {"auto-compact", false,
       [](const ServerConfig& c) { return std::string(c.auto_compact ? "yes" : "no"); }},
      {"compact-min-log-bytes", false,
       [](const ServerConfig& c) { return std::to_string(c.compact_min_log_bytes); }},
      {"compact-garbage-ratio", false,
       [](const ServerConfig& c) {
         char buf[32];
         std::snprintf(buf, sizeof(buf), "%g", c.compact_garbage_ratio);
         return std::string(buf);
       }},
      {"compact-rate", false,
       [](const ServerConfig& c) { return std::to_string(c.compact_rate_bytes_per_sec); }},
      {"log-prefill", false,
       [](const ServerConfig& c) { return std::string(LogPrefillName(c.log_prefill)); }},
      {"background-nice", false,
       [](const ServerConfig& c) { return std::to_string(c.background_nice); }},
      {"http-port", false, [](const ServerConfig& c) { return std::to_string(c.http_port); }},
      {"tls-port", false, [](const ServerConfig& c) { return std::to_string(c.tls_port); }},
      {"tls-cert-file", false, [](const ServerConfig& c) { return c.tls_cert_file; }},
      {"tls-key-file", false, [](const ServerConfig& c) { return c.tls_key_file; }},
      {"tls-ca-cert-file", false, [](const ServerConfig& c) { return c.tls_ca_cert_file; }},
      {"tls-auth-clients", false,
       [](const ServerConfig& c) { return std::string(TlsAuthClientsName(c.tls_auth_clients)); }},
      {"databases", false, [](const ServerConfig& c) { return std::to_string(c.databases); }},
      {"requirepass", false, [](const ServerConfig& c) { return c.requirepass; }},
      {"protected-mode", false,
       [](const ServerConfig& c) { return std::string(c.protected_mode ? "yes" : "no"); }},
      {"maxclients", true, [](const ServerConfig& c) { return std::to_string(c.maxclients); }},
      {"enable-debug-command", false,
       [](const ServerConfig& c) {
         return std::string(DebugCommandModeName(c.enable_debug_command));
       }},
      {"log-level", true, [](const ServerConfig& c) { return c.log_level; }},
      {"loglevel", true, [](const ServerConfig& c) { return c.log_level; }},
      {"log-file", false, [](const ServerConfig& c) { return c.log_file; }},
      {"logfile", false, [](const ServerConfig& c) { return c.log_file; }},
      {"pidfile", false, [](const ServerConfig& c) { return c.pidfile; }},
      {"proto-max-bulk-len", true,
       [](const ServerConfig& c) { return std::to_string(c.proto_max_bulk_len); }},
      {"client-query-buffer-limit", true,
       [](const ServerConfig& c) { return std::to_string(c.client_query_buffer_limit); }},
      {"client-output-soft-limit", true,
       [](const ServerConfig& c) { return std::to_string(c.client_output_soft_limit); }},
      {"client-output-hard-limit", true,
       [](const ServerConfig& c) { return std::to_string(c.client_output_hard_limit); }},
      {"active-expire-budget", true,
       [](const ServerConfig& c) { return std::to_string(c.active_expire_budget); }},
      // Redis's name for it. Redis evicts keys past maxmemory; Walnut keeps
      // every key and moves values to disk (docs/memory.md), so nothing is
      // ever evicted: the policy stays "noeviction".
      {"max-memory", false, [](const ServerConfig& c) { return std::to_string(c.max_memory); }},
      {"maxmemory", false, [](const ServerConfig& c) { return std::to_string(c.max_memory); }},
      {"maxmemory-policy", false, [](const ServerConfig&) { return std::string("noeviction"); }},
  };
  return kParams;
}

const Param* FindParam(std::string_view name) {
  for (const Param& p : Params()) {
    if (EqualsIgnoreCase(p.name, name)) return &p;
  }
  return nullptr;
}

void ConfigGet(CommandContext& ctx) {
  const ServerConfig& c = ServerOf(ctx).config();
  std::vector<const Param*> hits;
  for (size_t i = 2; i < ctx.argc(); i++) {
    for (const Param& p : Params()) {
      if (GlobMatch(ctx.arg(i), p.name, /*nocase=*/true) &&
          std::find(hits.begin(), hits.end(), &p) == hits.end()) {
        hits.push_back(&p);
      }
    }
  }
  ctx.reply().MapHeader(hits.size());
  for (const Param* p : hits) {
    ctx.reply().Bulk(p->name);
    ctx.reply().Bulk(p->get(c));
  }
}

void ConfigSet(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  if (ctx.argc() % 2 != 0) {
    ctx.reply().Error(WrongArityError("config|set"));
    return;
  }
  // All or nothing: apply to a copy, validate, then commit.
  ServerConfig next = server.config();
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    std::string name(ctx.arg(i));
    const Param* p = FindParam(name);
    if (p == nullptr) {
      ctx.reply().Error("ERR Unknown option or number of arguments for CONFIG SET - '" + name +
                        "'");
      return;
    }
    if (!p->mutable_at_runtime) {
      ctx.reply().Error("ERR CONFIG SET failed (possibly related to argument '" + name +
                        "') - can't set immutable config");
      return;
    }
    walnut::Status s = ApplyDirective(name, {std::string(ctx.arg(i + 1))}, &next);
    if (!s.ok()) {
      ctx.reply().Error("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " +
                        s.message());
      return;
    }
  }
  walnut::Status s = ValidateConfig(next);
  if (!s.ok()) {
    ctx.reply().Error("ERR CONFIG SET failed - " + s.message());
    return;
  }
  if (next.log_level != server.config().log_level) {
    spdlog::set_level(
        spdlog::level::from_str(next.log_level == "warning" ? "warn" : next.log_level));
  }
  server.config() = std::move(next);
  ctx.reply().Ok();
}

void ConfigResetStat(CommandContext& ctx) {
  ServerOf(ctx).stats().Reset();
  ctx.reply().Ok();
}

void ConfigRewrite(CommandContext& ctx) {
  // Settings changed at run time are not written back: the config file and
  // flags stay the single source of truth at start-up.
  if (ServerOf(ctx).config().config_file.empty()) {
    ctx.reply().Error("ERR The server is running without a config file");
  } else {
    ctx.reply().Error("ERR CONFIG REWRITE is not supported by Walnut; edit the config file");
  }
}

void ConfigHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Not supported: edit the config file instead.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply().ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply().SimpleString(l);
}

}  // namespace

void RegisterConfigCommand(CommandTable& t) {
  using namespace cmd;
  CommandSpec config{.name = "config",
                     .arity = -2,
                     .group = "server",
                     .summary = "A container for server configuration commands.",
                     .since = "2.0.0"};
  const uint32_t f = kAdmin | kNoScript | kLoading | kStale;
  config.subcommands = {
      CommandSpec{.name = "get",
                  .arity = -3,
                  .flags = f,
                  .handler = ConfigGet,
                  .group = "server",
                  .summary = "Returns the effective values of configuration parameters.",
                  .since = "2.0.0",
                  .syntax = "parameter [parameter ...]"},
      CommandSpec{.name = "set",
                  .arity = -4,
                  .flags = f,
                  .handler = ConfigSet,
                  .group = "server",
                  .summary = "Sets configuration parameters in-flight.",
                  .since = "2.0.0",
                  .syntax = "parameter value [parameter value ...]"},
      CommandSpec{.name = "resetstat",
                  .arity = 2,
                  .flags = f,
                  .handler = ConfigResetStat,
                  .group = "server",
                  .summary = "Resets the server's statistics.",
                  .since = "2.0.0"},
      CommandSpec{.name = "rewrite",
                  .arity = 2,
                  .flags = f,
                  .handler = ConfigRewrite,
                  .group = "server",
                  .summary = "Persists the effective configuration to file.",
                  .since = "2.8.0"},
      CommandSpec{.name = "help",
                  .arity = 2,
                  .flags = kLoading | kStale,
                  .handler = ConfigHelp,
                  .group = "server",
                  .summary = "Returns helpful text about the subcommands.",
                  .since = "5.0.0"},
  };
  t.Register(std::move(config));
}

}  // namespace walnut::server
