// ServerConfig: config-file parsing, directive application and validation
// (see server_config.h).
#include "server/server_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>

#include "protocol/resp_parser.h"

namespace walnut::server {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ParseInt64(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

walnut::Status Bad(const std::string& name, const std::string& why) {
  return walnut::Status::InvalidArgument("'" + name + "': " + why);
}

walnut::Status IntInRange(const std::string& name, const std::vector<std::string>& v, int64_t lo,
                          int64_t hi, int64_t* out) {
  if (v.size() != 1) return Bad(name, "expects one value");
  int64_t x;
  if (!ParseMemory(v[0], &x) || x < lo || x > hi) {
    return Bad(name, "'" + v[0] + "' is not an integer between " + std::to_string(lo) + " and " +
                         std::to_string(hi));
  }
  *out = x;
  return walnut::Status::OK();
}

bool IsLoopback(const std::string& addr) {
  return addr == "localhost" || addr == "::1" || addr.rfind("127.", 0) == 0 ||
         addr == "-::1";  // Redis's "optional address" prefix
}

}  // namespace

const char* FsyncModeName(walnut::FsyncMode m) {
  switch (m) {
    case walnut::FsyncMode::kAlways:
      return "always";
    case walnut::FsyncMode::kEverySec:
      return "everysec";
    case walnut::FsyncMode::kNo:
      return "no";
  }
  return "?";
}

const char* RecoveryModeName(walnut::RecoveryMode m) {
  switch (m) {
    case walnut::RecoveryMode::kStrict:
      return "strict";
    case walnut::RecoveryMode::kPointInTime:
      return "point-in-time";
    case walnut::RecoveryMode::kSkipCorrupted:
      return "skip-corrupted";
  }
  return "?";
}

const char* DebugCommandModeName(DebugCommandMode m) {
  switch (m) {
    case DebugCommandMode::kNo:
      return "no";
    case DebugCommandMode::kYes:
      return "yes";
    case DebugCommandMode::kLocal:
      return "local";
  }
  return "?";
}

const char* TlsAuthClientsName(TlsAuthClients m) {
  switch (m) {
    case TlsAuthClients::kNo:
      return "no";
    case TlsAuthClients::kYes:
      return "yes";
    case TlsAuthClients::kOptional:
      return "optional";
  }
  return "?";
}

bool ParseTlsAuthClients(const std::string& s, TlsAuthClients* out) {
  std::string l = Lower(s);
  bool yes_no;
  if (l == "optional") {
    *out = TlsAuthClients::kOptional;
  } else if (ParseYesNo(l, &yes_no)) {
    *out = yes_no ? TlsAuthClients::kYes : TlsAuthClients::kNo;
  } else {
    return false;
  }
  return true;
}

const char* LogPrefillName(walnut::LogPrefill m) {
  switch (m) {
    case walnut::LogPrefill::kAuto:
      return "auto";
    case walnut::LogPrefill::kZeros:
      return "zeros";
    case walnut::LogPrefill::kFallocate:
      return "fallocate";
  }
  return "?";
}

bool ParseLogPrefill(const std::string& s, walnut::LogPrefill* out) {
  std::string l = Lower(s);
  if (l == "auto")
    *out = walnut::LogPrefill::kAuto;
  else if (l == "zeros")
    *out = walnut::LogPrefill::kZeros;
  else if (l == "fallocate")
    *out = walnut::LogPrefill::kFallocate;
  else
    return false;
  return true;
}

bool ParseFsyncMode(const std::string& s, walnut::FsyncMode* out) {
  std::string l = Lower(s);
  if (l == "always")
    *out = walnut::FsyncMode::kAlways;
  else if (l == "everysec")
    *out = walnut::FsyncMode::kEverySec;
  else if (l == "no")
    *out = walnut::FsyncMode::kNo;
  else
    return false;
  return true;
}

bool ParseRecoveryMode(const std::string& s, walnut::RecoveryMode* out) {
  std::string l = Lower(s);
  if (l == "strict")
    *out = walnut::RecoveryMode::kStrict;
  else if (l == "point-in-time")
    *out = walnut::RecoveryMode::kPointInTime;
  else if (l == "skip-corrupted")
    *out = walnut::RecoveryMode::kSkipCorrupted;
  else
    return false;
  return true;
}

bool ParseDebugCommandMode(const std::string& s, DebugCommandMode* out) {
  std::string l = Lower(s);
  if (l == "no")
    *out = DebugCommandMode::kNo;
  else if (l == "yes")
    *out = DebugCommandMode::kYes;
  else if (l == "local")
    *out = DebugCommandMode::kLocal;
  else
    return false;
  return true;
}

bool ParseYesNo(const std::string& s, bool* out) {
  std::string l = Lower(s);
  if (l == "yes" || l == "true" || l == "1")
    *out = true;
  else if (l == "no" || l == "false" || l == "0")
    *out = false;
  else
    return false;
  return true;
}

bool ParseMemory(const std::string& s, int64_t* out) {
  std::string l = Lower(s);
  int64_t mul = 1;
  auto ends = [&](std::string_view suf) {
    return l.size() > suf.size() && l.compare(l.size() - suf.size(), suf.size(), suf) == 0;
  };
  size_t cut = 0;
  if (ends("kb"))
    mul = 1024, cut = 2;
  else if (ends("mb"))
    mul = 1024 * 1024, cut = 2;
  else if (ends("gb"))
    mul = 1024ll * 1024 * 1024, cut = 2;
  else if (ends("k"))
    mul = 1000, cut = 1;
  else if (ends("m"))
    mul = 1000 * 1000, cut = 1;
  else if (ends("g"))
    mul = 1000ll * 1000 * 1000, cut = 1;
  else if (ends("b"))
    mul = 1, cut = 1;
  int64_t v;
  if (!ParseInt64(l.substr(0, l.size() - cut), &v)) return false;
  if (v != 0 && (v > INT64_MAX / mul || v < INT64_MIN / mul)) return false;
  *out = v * mul;
  return true;
}

walnut::Status ApplyDirective(const std::string& raw_name, const std::vector<std::string>& v,
                              ServerConfig* c) {
  std::string name = Lower(raw_name);
  // Redis spellings are accepted alongside ours so a redis.conf fragment works.
  if (name == "appendfsync") name = "fsync";
  if (name == "loglevel") name = "log-level";
  if (name == "maxmemory") name = "max-memory";
  if (name == "logfile") name = "log-file";
  auto one = [&]() -> walnut::Status {
    if (v.size() != 1) return Bad(name, "expects one value");
    return walnut::Status::OK();
  };
  int64_t x;
  if (name == "port" || name == "http-port" || name == "tls-port") {
    walnut::Status s = IntInRange(name, v, 0, 65535, &x);
    if (!s.ok()) return s;
    (name == "port"       ? c->port
     : name == "tls-port" ? c->tls_port
                          : c->http_port) = static_cast<int>(x);
  } else if (name == "tls-cert-file" || name == "tls-key-file" || name == "tls-ca-cert-file") {
    if (auto s = one(); !s.ok()) return s;
    (name == "tls-cert-file"  ? c->tls_cert_file
     : name == "tls-key-file" ? c->tls_key_file
                              : c->tls_ca_cert_file) = v[0];
  } else if (name == "tls-auth-clients") {
    if (auto s = one(); !s.ok()) return s;
    if (!ParseTlsAuthClients(v[0], &c->tls_auth_clients)) {
      return Bad(name, "must be yes, no or optional");
    }
    c->tls_auth_clients_set = true;
  } else if (name == "bind") {
    if (v.empty()) return Bad(name, "expects at least one address");
    c->bind.clear();
    for (const std::string& a : v) {
      // "bind 127.0.0.1 ::1" may also arrive as one quoted value.
      std::vector<std::string> parts;
      if (!protocol::SplitInlineArgs(a, &parts)) return Bad(name, "bad address list");
      for (auto& p : parts) c->bind.push_back(p);
    }
    if (c->bind.empty()) return Bad(name, "expects at least one address");
  } else if (name == "dir") {
    if (auto s = one(); !s.ok()) return s;
    if (v[0].empty()) return Bad(name, "must not be empty");
    c->dir = v[0];
  } else if (name == "fsync") {
    if (auto s = one(); !s.ok()) return s;
    if (!ParseFsyncMode(v[0], &c->fsync)) return Bad(name, "must be always, everysec or no");
  } else if (name == "log-prefill") {
    if (auto s = one(); !s.ok()) return s;
    if (!ParseLogPrefill(v[0], &c->log_prefill)) {
      return Bad(name, "must be auto, zeros or fallocate");
    }
  } else if (name == "recovery") {
    if (auto s = one(); !s.ok()) return s;
    if (!ParseRecoveryMode(v[0], &c->recovery)) {
      return Bad(name, "must be strict, point-in-time or skip-corrupted");
    }
  } else if (name == "partitions") {
    if (auto s = one(); !s.ok()) return s;
    if (v[0] == "auto") {
      c->partitions = 0;
    } else {
      walnut::Status s = IntInRange(name, v, 1, 256, &x);
      if (!s.ok()) return Bad(name, "must be auto or a number from 1 to 256");
      c->partitions = static_cast<uint32_t>(x);
    }
  } else if (name == "segment-size") {
    walnut::Status s = IntInRange(name, v, 4096, 1ll << 40, &x);
    if (!s.ok()) return s;
    c->segment_size = static_cast<uint64_t>(x);
  } else if (name == "auto-compact") {
    if (auto s = one(); !s.ok()) return s;
    if (!ParseYesNo(v[0], &c->auto_compact)) return Bad(name, "must be yes or no");
  } else if (name == "compact-min-log-bytes") {
    walnut::Status s = IntInRange(name, v, 0, 1ll << 50, &x);
    if (!s.ok()) return s;
    c->compact_min_log_bytes = static_cast<uint64_t>(x);
  } else if (name == "max-memory") {
    walnut::Status s = IntInRange(name, v, 0, 1ll << 50, &x);
    if (!s.ok()) return s;
    c->max_memory = static_cast<uint64_t>(x);
  } else if (name == "background-nice") {
    walnut::Status s = IntInRange(name, v, 0, 19, &x);
    if (!s.ok()) return s;
    c->background_nice = static_cast<int>(x);
  } else if (name == "compact-rate") {
    walnut::Status s = IntInRange(name, v, 0, 1ll << 50, &x);
    if (!s.ok()) return s;
    c->compact_rate_bytes_per_sec = static_cast<uint64_t>(x);
  } else if (name == "compact-garbage-ratio") {
    if (auto s = one(); !s.ok()) return s;
    char* end = nullptr;
    double r = std::strtod(v[0].c_str(), &end);
    if (v[0].empty() || end != v[0].c_str() + v[0].size() || !(r >= 0.0 && r <= 1.0)) {
      return Bad(name, "must be a number between 0 and 1");
    }
    c->compact_garbage_ratio = r;
  } else if (name == "databases") {
    walnut::Status s = IntInRange(name, v, 1, 1 << 20, &x);
    if (!s.ok()) return s;
    c->databases = static_cast<uint32_t>(x);
  } else if (name == "requirepass") {
    if (auto s = one(); !s.ok()) return s;
    c->requirepass = v[0];
  } else if (name == "protected-mode") {
    if (auto s = one(); !s.ok()) return s;
    if (!ParseYesNo(v[0], &c->protected_mode)) return Bad(name, "must be yes or no");
  } else if (name == "maxclients") {
    walnut::Status s = IntInRange(name, v, 1, 1000000, &x);
    if (!s.ok()) return s;
    c->maxclients = x;
  } else if (name == "enable-debug-command") {
    if (auto s = one(); !s.ok()) return s;
    if (!ParseDebugCommandMode(v[0], &c->enable_debug_command)) {
      return Bad(name, "must be yes, local or no");
    }
  } else if (name == "log-level") {
    if (auto s = one(); !s.ok()) return s;
    std::string l = Lower(v[0]);
    if (l == "verbose") l = "debug";
    if (l == "notice") l = "info";
    if (l == "warn") l = "warning";
    if (l != "debug" && l != "info" && l != "warning" && l != "error") {
      return Bad(name, "must be debug, info, warning or error");
    }
    c->log_level = l;
  } else if (name == "log-file") {
    if (auto s = one(); !s.ok()) return s;
    c->log_file = v[0];
  } else if (name == "pidfile") {
    if (auto s = one(); !s.ok()) return s;
    c->pidfile = v[0];
  } else if (name == "proto-max-bulk-len") {
    walnut::Status s = IntInRange(name, v, 1024 * 1024, 512ll << 20, &x);
    if (!s.ok()) return s;
    c->proto_max_bulk_len = x;
  } else if (name == "client-query-buffer-limit") {
    walnut::Status s = IntInRange(name, v, 1024 * 1024, 1ll << 32, &x);
    if (!s.ok()) return s;
    c->client_query_buffer_limit = x;
  } else if (name == "client-output-soft-limit") {
    walnut::Status s = IntInRange(name, v, 1024 * 1024, 1ll << 40, &x);
    if (!s.ok()) return s;
    c->client_output_soft_limit = x;
  } else if (name == "client-output-hard-limit") {
    walnut::Status s = IntInRange(name, v, 1024 * 1024, 1ll << 40, &x);
    if (!s.ok()) return s;
    c->client_output_hard_limit = x;
  } else if (name == "active-expire-budget") {
    walnut::Status s = IntInRange(name, v, 1, 1000000, &x);
    if (!s.ok()) return s;
    c->active_expire_budget = x;
  } else {
    return walnut::Status::NotFound("unknown directive '" + raw_name + "'");
  }
  return walnut::Status::OK();
}

walnut::Status LoadConfigFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path);
  if (!in) return walnut::Status::IOError("cannot read config file '" + path + "'");
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    std::vector<std::string> words;
    auto where = [&] { return path + ":" + std::to_string(lineno) + ": "; };
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!protocol::SplitInlineArgs(line, &words)) {
      return walnut::Status::InvalidArgument(where() + "unbalanced quotes");
    }
    if (words.empty()) continue;
    std::string name = words[0];
    words.erase(words.begin());
    walnut::Status s = ApplyDirective(name, words, config);
    if (!s.ok()) return walnut::Status::InvalidArgument(where() + s.message());
  }
  config->config_file = path;
  return walnut::Status::OK();
}

walnut::Status ValidateConfig(const ServerConfig& c) {
  if (c.port < 0 || c.port > 65535) {
    return walnut::Status::InvalidArgument("port must be between 0 and 65535");
  }
  if (c.tls_port < 0 || c.tls_port > 65535) {
    return walnut::Status::InvalidArgument("tls-port must be between 0 and 65535");
  }
  if (c.port == 0 && c.tls_port == 0) {
    return walnut::Status::InvalidArgument(
        "port 0 turns the plain RESP port off, which leaves nothing to listen on without "
        "--tls-port");
  }
  if (c.tls_port != 0) {
    if (c.tls_port == c.port) {
      return walnut::Status::InvalidArgument("tls-port must differ from port");
    }
    if (c.tls_cert_file.empty() || c.tls_key_file.empty()) {
      return walnut::Status::InvalidArgument(
          "tls-port needs a certificate and its key: --tls-cert-file and --tls-key-file");
    }
    if (c.tls_ca_cert_file.empty() && c.tls_auth_clients_set &&
        c.tls_auth_clients != TlsAuthClients::kNo) {
      return walnut::Status::InvalidArgument(
          std::string("tls-auth-clients ") + TlsAuthClientsName(c.tls_auth_clients) +
          " checks client certificates, which needs --tls-ca-cert-file (the CA they must be "
          "signed by); or set --tls-auth-clients no");
    }
  }
  if (c.http_port < 0 || c.http_port > 65535) {
    return walnut::Status::InvalidArgument("http-port must be between 0 and 65535");
  }
  if (c.databases < 1) return walnut::Status::InvalidArgument("databases must be at least 1");
  if (c.bind.empty()) return walnut::Status::InvalidArgument("bind needs an address");
  if (c.protected_mode && c.requirepass.empty()) {
    for (const std::string& a : c.bind) {
      if (!IsLoopback(a)) {
        return walnut::Status::InvalidArgument(
            "protected mode: refusing to listen on non-loopback address '" + a +
            "' without a password; set --requirepass, or --protected-mode no if the network "
            "is trusted");
      }
    }
  }
  if (c.client_output_hard_limit < c.client_output_soft_limit) {
    return walnut::Status::InvalidArgument(
        "client-output-hard-limit must not be below client-output-soft-limit");
  }
  return walnut::Status::OK();
}

}  // namespace walnut::server
