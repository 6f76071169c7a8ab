// ServerConfig: walnut-server's settings, from flags and a config file.
//
// One plain struct, validated once at start-up (Validate) and passed to the
// parts that need it; no global state. The config file uses Redis's syntax:
// one "directive value..." per line, '#' comments, values optionally quoted,
// directive names equal to the long flag names (port, bind, dir, fsync, ...).
// Flags given on the command line override the file (main.cc does that by
// parsing the file first and the flags second).
//
// CONFIG GET/SET see the settings through ConfigParams (config_params.h);
// only a few can change at run time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "walnut/options.h"
#include "walnut/status.h"

namespace walnut::server {

// DEBUG is off by default, as in Redis: "local" allows it from loopback only.
enum class DebugCommandMode { kNo, kYes, kLocal };

// tls-auth-clients, as in Redis: kYes requires a client certificate signed
// by a CA of tls-ca-cert-file, kOptional checks one if the client sends it,
// kNo does not ask for one.
enum class TlsAuthClients { kNo, kYes, kOptional };

struct ServerConfig {
  int port = 6379;
  // Addresses to listen on (Redis's "bind" takes several, space-separated).
  std::vector<std::string> bind = {"127.0.0.1"};
  std::string dir = "./walnut-data";
  walnut::FsyncMode fsync = walnut::FsyncMode::kEverySec;
  walnut::RecoveryMode recovery = walnut::RecoveryMode::kStrict;
  uint64_t segment_size = 64ull << 20;
  walnut::LogPrefill log_prefill = walnut::LogPrefill::kAuto;  // Options::log_prefill
  // Independent logs, split by key hash (Options::partitions); 0 = auto: what
  // the directory has, or one per core for a new one.
  uint32_t partitions = 0;
  // The engine's automatic compaction (Options::auto_compact and friends).
  bool auto_compact = true;
  uint64_t compact_min_log_bytes = 16ull << 20;
  double compact_garbage_ratio = 0.5;
  uint64_t compact_rate_bytes_per_sec = 256ull << 20;  // 0: unlimited
  int background_nice = 10;                            // walnut::Options::background_nice
  // Values kept in memory at most (Options::max_memory_bytes); the rest stay
  // on disk and are read when needed. 0: every value in memory. Unlike
  // Redis's maxmemory, no key is ever evicted (docs/memory.md).
  uint64_t max_memory = 0;
  int http_port = 8080;  // 0: no HTTP API
  // TLS on its own port (0: off), next to the plain --port (which may then
  // be 0, as in Redis). See tls.h.
  int tls_port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_cert_file;  // CAs for client certificates
  TlsAuthClients tls_auth_clients = TlsAuthClients::kYes;
  // Whether tls-auth-clients was given. Redis refuses to start when client
  // certificates are required and no CA is configured; we do the same when
  // the user asked for them, and only ask for none when the default is in
  // force without a CA (a plain "TLS with a server certificate" set-up).
  bool tls_auth_clients_set = false;
  uint32_t databases = 16;
  std::string requirepass;
  bool protected_mode = true;
  int64_t maxclients = 10000;
  DebugCommandMode enable_debug_command = DebugCommandMode::kNo;
  std::string log_level = "info";  // debug | info | warning | error
  std::string log_file;            // empty: stderr
  std::string pidfile;             // empty: none
  std::string config_file;         // the --config file, if any (CONFIG GET shows it)

  // ---- Client limits (settable with CONFIG SET).
  // proto-max-bulk-len: the largest bulk argument a client may send.
  int64_t proto_max_bulk_len = 512ll << 20;
  // client-query-buffer-limit: unparsed input one client may hold.
  int64_t client_query_buffer_limit = 1ll << 30;
  // Output a client has not read yet. Above the soft limit the server stops
  // executing that client's commands (it stops reading from it) until the
  // output drains: a pipelining client that does not read its replies cannot
  // grow our memory. The hard limit closes the connection; it only matters
  // for a single reply larger than the soft limit (a 512 MiB value, a KEYS
  // of a huge database), so it is set above the largest value.
  int64_t client_output_soft_limit = 64ll << 20;
  int64_t client_output_hard_limit = 1ll << 30;
  // Keys the active expiry removes per sweep (10 sweeps per second).
  int64_t active_expire_budget = 1000;
  bool active_expire_enabled = true;
};

// Parses a Redis-style config file into *config (only directives present in
// the file are changed). InvalidArgument names the file, line and problem.
walnut::Status LoadConfigFile(const std::string& path, ServerConfig* config);

// Applies one directive (name in any case, values as split from the line).
// Used by the file loader and by CONFIG SET for run-time settings.
walnut::Status ApplyDirective(const std::string& name, const std::vector<std::string>& values,
                              ServerConfig* config);

// Checks ranges and combinations (ports, databases, protected mode).
walnut::Status ValidateConfig(const ServerConfig& config);

// Text forms, as CONFIG GET and the logs show them.
const char* FsyncModeName(walnut::FsyncMode m);
const char* LogPrefillName(walnut::LogPrefill m);
const char* RecoveryModeName(walnut::RecoveryMode m);
const char* DebugCommandModeName(DebugCommandMode m);
const char* TlsAuthClientsName(TlsAuthClients m);
bool ParseFsyncMode(const std::string& s, walnut::FsyncMode* out);
bool ParseLogPrefill(const std::string& s, walnut::LogPrefill* out);
bool ParseRecoveryMode(const std::string& s, walnut::RecoveryMode* out);
bool ParseDebugCommandMode(const std::string& s, DebugCommandMode* out);
bool ParseTlsAuthClients(const std::string& s, TlsAuthClients* out);
// "yes"/"no" (and "true"/"false", "1"/"0").
bool ParseYesNo(const std::string& s, bool* out);
// A size with an optional unit (k, kb, m, mb, g, gb; Redis's memtoll rules:
// k=1000, kb=1024, ...).
bool ParseMemory(const std::string& s, int64_t* out);

}  // namespace walnut::server
