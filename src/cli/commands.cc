// Implementation of the one-shot client subcommands and `walnut check` (see
// commands.h).
#include "cli/commands.h"

#include <cstdlib>
#include <iostream>
#include <map>

#include "cli/exit_codes.h"
#include "cli/server_control.h"
#include "walnut/check.h"

namespace walnut::cli {

namespace {

// Connects, or prints why not; null on failure with *code set.
std::unique_ptr<RedisClient> ConnectOrReport(const ConnectOptions& conn, const char* what,
                                             int* code) {
  auto c = RedisClient::Connect(conn);
  if (!c.ok()) {
    std::cerr << "walnut " << what << ": " << c.status().message() << "\n";
    *code = c.status().IsInvalidArgument() ? kExitError : kExitNotRunning;
    return nullptr;
  }
  return std::move(c).value();
}

// Sends one command; prints a failure (lost connection, error reply) and
// returns null with *code set.
Reply Send(RedisClient& c, const std::vector<std::string>& args, const char* what, int* code) {
  Reply r = c.Command(args);
  if (r == nullptr) {
    std::cerr << "walnut " << what << ": connection to " << c.address() << " lost: " << c.error()
              << "\n";
    *code = kExitNotRunning;
    return nullptr;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    std::cerr << "(error) " << std::string(r->str, r->len) << "\n";
    *code = kExitError;
    return nullptr;
  }
  return r;
}

}  // namespace

int RunGet(const ConnectOptions& conn, const std::string& key) {
  int code = kExitOk;
  auto c = ConnectOrReport(conn, "get", &code);
  if (c == nullptr) return code;
  Reply r = Send(*c, {"GET", key}, "get", &code);
  if (r == nullptr) return code;
  if (r->type == REDIS_REPLY_NIL) {
    // Nothing on stdout, so `v=$(walnut get k)` stays empty; the exit code
    // and stderr say why.
    std::cerr << "(nil): key not found\n";
    return kExitError;
  }
  std::cout.write(r->str, static_cast<std::streamsize>(r->len));
  std::cout << "\n";
  return kExitOk;
}

int RunSet(const ConnectOptions& conn, const std::string& key, const std::string& value,
           long long ex_seconds) {
  int code = kExitOk;
  auto c = ConnectOrReport(conn, "set", &code);
  if (c == nullptr) return code;
  std::vector<std::string> args = {"SET", key, value};
  if (ex_seconds > 0) args.insert(args.end(), {"EX", std::to_string(ex_seconds)});
  Reply r = Send(*c, args, "set", &code);
  if (r == nullptr) return code;
  std::cout << FormatReplyRaw(r.get());
  return kExitOk;
}

int RunDel(const ConnectOptions& conn, const std::vector<std::string>& keys) {
  int code = kExitOk;
  auto c = ConnectOrReport(conn, "del", &code);
  if (c == nullptr) return code;
  std::vector<std::string> args = {"DEL"};
  args.insert(args.end(), keys.begin(), keys.end());
  Reply r = Send(*c, args, "del", &code);
  if (r == nullptr) return code;
  std::cout << FormatReplyRaw(r.get());
  return kExitOk;
}

int RunCompact(const ConnectOptions& conn) {
  int code = kExitOk;
  ConnectOptions long_wait = conn;
  // Compaction of a big log takes a while; the server answers when done.
  long_wait.timeout_seconds = std::max(conn.timeout_seconds, 3600.0);
  auto c = ConnectOrReport(long_wait, "compact", &code);
  if (c == nullptr) return code;
  Reply r = Send(*c, {"COMPACT"}, "compact", &code);
  if (r == nullptr) return code;
  // The reply is a map (RESP2: a flat array of name, value pairs).
  std::map<std::string, std::string> fields;
  if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      const redisReply* k = r->element[i];
      const redisReply* v = r->element[i + 1];
      std::string name(k->str != nullptr ? k->str : "", k->str != nullptr ? k->len : 0);
      if (v->type == REDIS_REPLY_INTEGER) {
        fields[name] = std::to_string(v->integer);
      } else if (v->str != nullptr) {
        fields[name] = std::string(v->str, v->len);
      }
    }
  }
  if (!fields.count("bytes_before") || !fields.count("bytes_after")) {
    std::cout << FormatReplyTty(r.get());
    return kExitOk;
  }
  unsigned long long before = std::strtoull(fields["bytes_before"].c_str(), nullptr, 10);
  unsigned long long after = std::strtoull(fields["bytes_after"].c_str(), nullptr, 10);
  unsigned long long saved = before > after ? before - after : 0;
  std::cout << "compacted: log " << HumanBytes(before) << " -> " << HumanBytes(after) << " (saved "
            << HumanBytes(saved) << "), " << fields["keys_written"] << " keys written in "
            << fields["seconds"] << " s\n"
            << "bytes_before: " << before << "\nbytes_after: " << after
            << "\nbytes_saved: " << saved << "\n";
  return kExitOk;
}

int RunInfo(const ConnectOptions& conn, const std::string& section) {
  int code = kExitOk;
  auto c = ConnectOrReport(conn, "info", &code);
  if (c == nullptr) return code;
  std::vector<std::string> args = {"INFO"};
  if (!section.empty()) args.push_back(section);
  Reply r = Send(*c, args, "info", &code);
  if (r == nullptr) return code;
  std::string text = FormatReplyRaw(r.get());
  // INFO lines end in \r\n; a terminal wants \n.
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch != '\r') out.push_back(ch);
  }
  std::cout << out;
  return kExitOk;
}

int RunCheck(const std::string& dir, bool fix) {
  Result<CheckReport> r = CheckDirectory(dir, fix);
  if (!r.ok()) {
    std::cerr << "walnut check: " << r.status().ToString() << "\n";
    if (r.status().IsBusy()) {
      std::cerr << "Stop the server first (`walnut stop --dir " << dir
                << "`): the check reads the directory while nothing writes to it.\n";
    }
    return kExitError;
  }
  const CheckReport& rep = *r;
  std::cout << "walnut check: " << dir << "\n"
            << "  segments:    " << rep.segments << "\n"
            << "  records:     " << rep.records << " (" << rep.operations << " operations)\n"
            << "  live keys:   " << rep.live_keys << "\n"
            << "  log size:    " << HumanBytes(rep.log_bytes) << " (" << rep.log_bytes
            << " bytes)\n"
            << "  live data:   " << HumanBytes(rep.live_bytes) << "\n"
            << "  dead (approx., reclaimed by `walnut compact`): " << HumanBytes(rep.dead_bytes)
            << "\n";
  if (rep.snapshots > 0) {
    std::cout << "  snapshots:   " << rep.snapshots << " sound (" << rep.snapshot_keys
              << " keys)\n";
  }
  if (!rep.snapshot_damage.empty()) {
    // Not log damage: start-up loads the base image instead, and the next
    // compaction writes a new snapshot.
    std::cout << "warning: snapshot not usable: " << rep.snapshot_damage
              << " (nothing is lost: start-up reads the base image instead)\n";
  }
  if (!rep.damaged) {
    std::cout << "result: clean\n";
    return kExitOk;
  }
  if (!rep.fixed.empty()) {
    std::cout << "damage: " << rep.first_damage << "\nfixed: " << rep.fixed
              << "\nresult: repaired (a torn tail was cut; the cut bytes were saved under " << dir
              << "/damaged/)\n";
    return kExitOk;
  }
  std::cout << "damage: " << rep.first_damage << "\n";
  if (rep.torn_tail) {
    std::cout << "result: DAMAGED - a torn tail of the newest segment (a crash mid-write). The "
                 "server cuts it at start-up by itself; `walnut check "
              << dir << " --fix` cuts it now (saving the bytes first).\n";
  } else {
    std::cout << "result: DAMAGED - damage before the end of the log. The server will refuse to "
                 "start with the default --recovery strict; --recovery point-in-time or "
                 "skip-corrupted opens it anyway (see docs/recovery.md for what each keeps).\n";
  }
  return kExitDamage;
}

}  // namespace walnut::cli
