// walnut-server: entry point. Reads flags and the optional config file, sets
// up logging, opens the engine (logging its recovery report), starts the
// HTTP API and runs the RESP event loop until SHUTDOWN or SIGTERM/SIGINT,
// then flushes, syncs and closes the engine and exits 0.
//
// Flags override the config file: the file is applied first, then every
// flag the user actually gave, both through the same ApplyDirective so they
// accept the same values.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "server/debug_env.h"
#include "server/http_api.h"
#include "server/server.h"
#include "server/server_config.h"
#include "server/shared_state.h"
#include "server/tls.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "walnut/db.h"

namespace {

using walnut::server::ServerConfig;

// Parses the command line into *config. Returns an exit code >= 0 if the
// process should exit now (--help, bad flags), -1 to go on.
int ParseFlags(int argc, char** argv, ServerConfig* config) {
  CLI::App app{"walnut-server: a durable Redis-compatible key-value server"};
  std::string config_file;
  app.add_option("--config", config_file, "Redis-style config file (\"directive value\" lines)");
  // Every other flag is kept as text and applied with ApplyDirective, after
  // the config file, so the two accept exactly the same values.
  struct Flag {
    const char* name;
    const char* help;
  };
  static const Flag kFlags[] = {
      {"port", "RESP port (default 6379)"},
      {"bind", "addresses to listen on, space-separated (default 127.0.0.1)"},
      {"dir", "data directory (default ./walnut-data)"},
      {"fsync", "always | everysec | no (default everysec)"},
      {"http-port", "HTTP API port, 0 = off (default 8080)"},
      {"tls-port", "RESP over TLS on this port, 0 = off (default); --port 0 then leaves TLS only"},
      {"tls-cert-file", "server certificate (PEM, may hold the chain) for --tls-port"},
      {"tls-key-file", "the certificate's private key (PEM, unencrypted)"},
      {"tls-ca-cert-file", "CA certificates that client certificates must be signed by"},
      {"tls-auth-clients",
       "yes | no | optional: require, skip or check-if-sent client certificates (default yes; "
       "none are asked for without --tls-ca-cert-file)"},
      {"databases", "number of databases (default 16)"},
      {"requirepass", "password clients must AUTH with"},
      {"protected-mode", "yes | no: refuse non-loopback binds without a password (default yes)"},
      {"maxclients", "maximum connected RESP clients (default 10000)"},
      {"enable-debug-command", "yes | local | no (default no)"},
      {"log-level", "debug | info | warning | error (default info)"},
      {"log-file", "log to this file instead of stderr"},
      {"recovery", "strict | point-in-time | skip-corrupted (default strict)"},
      {"partitions",
       "auto | N: independent logs split by key hash, recovered in parallel "
       "(default auto: the directory's count, or one per core when new)"},
      {"segment-size", "log segment size in bytes, units k/kb/m/mb/g/gb allowed (default 64mb)"},
      {"log-prefill",
       "auto | zeros | fallocate: reserve log space ahead as written zeros (cheaper syncs, "
       "bytes written twice) or with fallocate (default auto: zeros with --fsync always)"},
      {"pidfile", "write the process id to this file"},
      {"auto-compact", "yes | no: compact the log automatically (default yes)"},
      {"compact-min-log-bytes", "auto-compact only a log larger than this (default 16mb)"},
      {"compact-garbage-ratio", "auto-compact when this share of the log is dead (default 0.5)"},
      {"compact-rate", "compaction write rate limit in bytes/s, 0 = none (default 256mb)"},
      {"background-nice",
       "nice increment 0..19 for compaction and the snapshot value loader, so requests come "
       "first on a busy CPU; 0 = same priority (default 10)"},
      {"max-memory",
       "keep at most this many bytes of values in memory, the rest on disk (read when "
       "needed); keys always stay in memory; 0 = all values in memory (default 0)"},
      {"proto-max-bulk-len", "largest bulk argument (default 512mb)"},
      {"client-query-buffer-limit", "largest unparsed input per client (default 1gb)"},
      {"client-output-soft-limit", "pause a client whose unread output exceeds this (64mb)"},
      {"client-output-hard-limit", "disconnect a client whose unread output exceeds this (1gb)"},
  };
  std::map<std::string, std::string> values;
  std::vector<std::pair<std::string, CLI::Option*>> opts;
  for (const Flag& f : kFlags) {
    opts.emplace_back(f.name, app.add_option(std::string("--") + f.name, values[f.name], f.help));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!config_file.empty()) {
    walnut::Status s = walnut::server::LoadConfigFile(config_file, config);
    if (!s.ok()) {
      std::fprintf(stderr, "walnut-server: %s\n", s.message().c_str());
      return 1;
    }
  }
  for (const auto& [name, opt] : opts) {
    if (opt->count() == 0) continue;
    walnut::Status s = walnut::server::ApplyDirective(name, {values[name]}, config);
    if (!s.ok()) {
      std::fprintf(stderr, "walnut-server: --%s: %s\n", name.c_str(), s.message().c_str());
      return 1;
    }
  }
  walnut::Status s = walnut::server::ValidateConfig(*config);
  if (!s.ok()) {
    std::fprintf(stderr, "walnut-server: %s\n", s.message().c_str());
    return 1;
  }
  return -1;
}

bool SetUpLogging(const ServerConfig& config) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (config.log_file.empty()) {
      logger = std::make_shared<spdlog::logger>("walnut",
                                                std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
      logger = std::make_shared<spdlog::logger>(
          "walnut", std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.log_file));
    }
  } catch (const spdlog::spdlog_ex& e) {
    std::fprintf(stderr, "walnut-server: cannot open log file '%s': %s\n", config.log_file.c_str(),
                 e.what());
    return false;
  }
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %P %L %v");
  std::string level = config.log_level == "warning" ? "warn" : config.log_level;
  logger->set_level(spdlog::level::from_str(level));
  // Errors must reach the file even if the process is killed right after.
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

void RaiseFileLimit(int64_t maxclients) {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = static_cast<rlim_t>(maxclients) + 128;
  if (rl.rlim_cur >= want) return;
  rlim_t target = std::min(want, rl.rlim_max);
  rl.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || target < want) {
    spdlog::warn("open file limit is {}; maxclients {} may not be reachable", target, maxclients);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // SIGTERM/SIGINT are taken by the event loop through a signalfd; they must
  // be blocked in every thread, so block them before any thread starts.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) must make log writes fail with EFBIG, which
  // the engine reports and the server handles (writes refused), rather than
  // kill the process mid-write.
  signal(SIGXFSZ, SIG_IGN);

  ServerConfig config;
  if (int rc = ParseFlags(argc, argv, &config); rc >= 0) return rc;
  // Certificates are checked before the engine opens (a replay may take a
  // while), so a bad certificate or key fails at once.
  std::unique_ptr<walnut::server::TlsContext> tls;
  if (config.tls_port != 0) {
    auto made = walnut::server::TlsContext::Create(config);
    if (!made.ok()) {
      std::fprintf(stderr, "walnut-server: TLS: %s\n", made.status().message().c_str());
      return 1;
    }
    tls = std::move(made).value();
  }
  if (!SetUpLogging(config)) return 1;
  if (tls) spdlog::info("TLS on port {}: {}", config.tls_port, tls->client_cert_policy());
  RaiseFileLimit(config.maxclients);

  walnut::Options options;
  options.fsync = config.fsync;
  options.recovery = config.recovery;
  options.segment_size = config.segment_size;
  options.log_prefill = config.log_prefill;
  options.partitions = config.partitions;
  options.num_databases = config.databases;
  options.auto_compact = config.auto_compact;
  options.compact_min_log_bytes = config.compact_min_log_bytes;
  options.compact_garbage_ratio = config.compact_garbage_ratio;
  options.compact_rate_bytes_per_sec = config.compact_rate_bytes_per_sec;
  options.background_nice = config.background_nice;
  options.max_memory_bytes = config.max_memory;
  // DEBUG SET-SYNC-DELAY / SET-SYNC-FAIL need the engine's file syncs to go
  // through a DebugEnv; it exists only when DEBUG is enabled, so a production
  // server runs on the plain Env. Declared before the engine, it outlives it.
  std::unique_ptr<walnut::server::DebugEnv> debug_env;
  if (config.enable_debug_command != walnut::server::DebugCommandMode::kNo) {
    debug_env = std::make_unique<walnut::server::DebugEnv>(walnut::Env::Default());
    options.env = debug_env.get();
  }
  options.logger = [](walnut::LogLevel level, std::string_view msg) {
    switch (level) {
      case walnut::LogLevel::kDebug:
        spdlog::debug("engine: {}", msg);
        break;
      case walnut::LogLevel::kInfo:
        spdlog::info("engine: {}", msg);
        break;
      case walnut::LogLevel::kWarning:
        spdlog::warn("engine: {}", msg);
        break;
      case walnut::LogLevel::kError:
        spdlog::error("engine: {}", msg);
        break;
    }
  };

  spdlog::info("walnut-server 0.1.0 starting (pid {}), data in {}, fsync {}, recovery {}", getpid(),
               config.dir, walnut::server::FsyncModeName(config.fsync),
               walnut::server::RecoveryModeName(config.recovery));
  walnut::Result<std::unique_ptr<walnut::DB>> opened = walnut::DB::Open(config.dir, options);
  if (!opened.ok()) {
    spdlog::critical("cannot open the database in {}: {}", config.dir, opened.status().ToString());
    return 1;
  }
  walnut::server::SharedState shared;
  shared.db = std::shared_ptr<walnut::DB>(std::move(opened).value());
  shared.requirepass = config.requirepass;
  {
    const walnut::RecoveryReport r = shared.db->Stats().recovery;
    spdlog::info(
        "recovery: {} segments, {} records, {} bytes replayed in {:.3f}s; {} keys; "
        "torn tail {} bytes; skipped {} bytes",
        r.segments, r.records, r.bytes, r.seconds, r.keys, r.torn_tail_bytes, r.skipped_bytes);
    for (const std::string& note : r.notes) spdlog::warn("recovery: {}", note);
  }

  auto close_db = [&shared] {
    std::lock_guard<std::mutex> lock(shared.exec_mu);
    walnut::Status s = shared.db->FlushLog(/*sync=*/true);
    if (!s.ok()) spdlog::error("final flush failed: {}", s.ToString());
    s = shared.db->Close();
    if (!s.ok()) spdlog::error("closing the database failed: {}", s.ToString());
    return s;
  };

  walnut::server::Server server(config, shared, options);
  server.set_tls(std::move(tls));
  server.set_debug_env(debug_env.get());
  walnut::Status s = server.Listen();
  if (!s.ok()) {
    spdlog::critical("{}", s.ToString());
    (void)close_db();
    return 1;
  }
  std::unique_ptr<walnut::server::HttpApi> http;
  if (config.http_port != 0) {
    http = std::make_unique<walnut::server::HttpApi>(shared);
    s = http->Start(config.bind[0], config.http_port);
    if (!s.ok()) {
      spdlog::critical("cannot start the HTTP API on {}:{}: {}", config.bind[0], config.http_port,
                       s.ToString());
      (void)close_db();
      return 1;
    }
    spdlog::info("HTTP API listening on {}:{}", config.bind[0], http->port());
  }
  if (!config.pidfile.empty()) {
    std::ofstream pf(config.pidfile);
    pf << getpid() << "\n";
    if (!pf) spdlog::warn("cannot write pidfile {}", config.pidfile);
  }
  spdlog::info("ready to accept connections");

  s = server.Run();
  if (!s.ok()) spdlog::error("event loop failed: {}", s.ToString());
  if (http) http->Stop();
  walnut::Status closed = close_db();
  if (!config.pidfile.empty()) unlink(config.pidfile.c_str());
  spdlog::info("walnut-server stopped{}", closed.ok() && s.ok() ? "" : " with errors");
  return closed.ok() && s.ok() ? 0 : 1;
}
