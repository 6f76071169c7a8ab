// `walnut`: the command-line tool for Walnut. It starts, stops and checks
// on walnut-server (start|stop|restart|status), talks to a running server
// (get|set|del|compact|info, and the interactive `cli`), and verifies a data
// directory offline (check). Argument parsing is CLI11's; the work is done
// in server_control, commands and repl. Every path ends in an exit code from
// exit_codes.h, listed in `walnut --help`.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/repl.h"
#include "cli/server_control.h"

namespace {

using walnut::cli::ConnectOptions;

// -h/-p/-a, as redis-cli spells them (so --help is the only help flag).
void AddConnectionOptions(CLI::App* app, ConnectOptions* conn, bool* port_given = nullptr) {
  app->add_option("-h,--host", conn->host, "Server host (default 127.0.0.1)");
  CLI::Option* p = app->add_option("-p,--port", conn->port, "Server port (default 6379)")
                       ->check(CLI::Range(1, 65535));
  if (port_given != nullptr) {
    p->each([port_given](const std::string&) { *port_given = true; });
  }
  app->add_option("-a,--pass", conn->password,
                  "Password (the server's --requirepass); $WALNUT_AUTH also works");
  app->add_flag("--tls", conn->tls, "Connect with TLS (to the server's --tls-port)");
  app->add_option("--cacert", conn->tls_options.cacert,
                  "With --tls: CA file that signed the server's certificate (default: system CAs)");
  app->add_option("--cert", conn->tls_options.cert,
                  "With --tls: client certificate, for servers that require one");
  app->add_option("--key", conn->tls_options.key, "With --tls: the client certificate's key");
}

// Splits `walnut start|restart` arguments into our own flags and the
// server's (everything else, passed on unchanged).
bool SplitStartArgs(const std::vector<std::string>& in, std::vector<std::string>* server_args,
                    double* timeout, bool* help) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == "--help") {
      *help = true;
    } else if (in[i] == "--start-timeout" && i + 1 < in.size()) {
      *timeout = std::atof(in[++i].c_str());
    } else if (in[i].rfind("--start-timeout=", 0) == 0) {
      *timeout = std::atof(in[i].c_str() + 16);
    } else {
      server_args->push_back(in[i]);
    }
  }
  return *timeout > 0;
}

constexpr const char* kStartHelp =
    "Usage: walnut start [--start-timeout SECONDS] [server flags...]\n"
    "\n"
    "Starts build/walnut-server (the one next to this walnut) in the background and\n"
    "waits until it answers PING. Server flags are passed on unchanged, e.g.\n"
    "  --port 6379  --bind 127.0.0.1  --dir ./walnut-data  --fsync always|everysec|no\n"
    "  --http-port 8080 (0: no HTTP)  --config FILE  --requirepass PASS\n"
    "(`walnut-server --help` lists them all). The server's output goes to\n"
    "DIR/walnut-server.log and its pid to DIR/walnut-server.pid.\n"
    "\n"
    "  --start-timeout SECONDS  how long to wait for the first PING (default 30)\n"
    "\n"
    "Refuses (exit 5) if a server already runs on the directory or the port is taken.\n";

}  // namespace

int main(int argc, char** argv) {
  namespace cli = walnut::cli;
  CLI::App app{
      "walnut: start, stop and query a Walnut server (a durable Redis-compatible "
      "key-value store).\nRun `walnut SUBCOMMAND --help` for details; `walnut` "
      "alone opens the interactive prompt.",
      "walnut"};
  app.set_help_flag("--help", "Print this help and exit");
  app.footer(cli::kExitCodesHelp);
  app.require_subcommand(0, 1);

  ConnectOptions conn;
  if (const char* auth = std::getenv("WALNUT_AUTH"); auth != nullptr) conn.password = auth;
  bool port_given = false;
  bool raw = false;
  AddConnectionOptions(&app, &conn, &port_given);

  // ---- server control
  std::vector<std::string> start_args;
  CLI::App* start = app.add_subcommand(
      "start", "Start walnut-server in the background (`walnut start --help` for flags)");
  start->prefix_command();  // every argument goes to the server
  start->set_help_flag();   // --help is handled by SplitStartArgs

  CLI::App* restart = app.add_subcommand(
      "restart", "Stop the server on --port/--dir (if running), then start it with these flags");
  restart->prefix_command();
  restart->set_help_flag();

  std::string stop_dir;
  bool force = false;
  double stop_timeout = 30;
  CLI::App* stop =
      app.add_subcommand("stop", "Stop a server gracefully (SHUTDOWN; SIGTERM as fallback)");
  AddConnectionOptions(stop, &conn, &port_given);
  stop->add_option("--dir", stop_dir, "Data directory of the server (uses DIR/walnut-server.pid)");
  stop->add_flag("--force", force, "SIGKILL the server if it has not exited after --timeout");
  stop->add_option("--timeout", stop_timeout, "Seconds to wait for the exit (default 30)")
      ->check(CLI::PositiveNumber);

  std::string status_dir;
  CLI::App* status = app.add_subcommand(
      "status", "Tell whether a server runs (exit 0) or not (exit 3), with pid, uptime, keys");
  AddConnectionOptions(status, &conn, &port_given);
  status->add_option("--dir", status_dir,
                     "Data directory of the server (uses DIR/walnut-server.pid)");

  // ---- client commands
  std::string key, value, section;
  std::vector<std::string> keys;
  long long ex_seconds = 0;
  CLI::App* get = app.add_subcommand("get", "Print the value of KEY (exit 1 if missing)");
  AddConnectionOptions(get, &conn);
  get->add_option("key", key, "The key")->required();

  CLI::App* set = app.add_subcommand("set", "Set KEY to VALUE");
  AddConnectionOptions(set, &conn);
  set->add_option("key", key, "The key")->required();
  set->add_option("value", value, "The value")->required();
  set->add_option("--ex", ex_seconds, "Expire after SECONDS")->check(CLI::PositiveNumber);

  CLI::App* del = app.add_subcommand("del", "Delete keys; prints how many existed");
  AddConnectionOptions(del, &conn);
  del->add_option("keys", keys, "Keys to delete")->required();

  CLI::App* compact =
      app.add_subcommand("compact", "Rewrite the log to hold only live data; prints the savings");
  AddConnectionOptions(compact, &conn);

  CLI::App* info = app.add_subcommand("info", "Print server information (INFO [section])");
  AddConnectionOptions(info, &conn);
  info->add_option("section", section,
                   "server, clients, memory, persistence, stats, keyspace, "
                   "walnut, all...");

  CLI::App* repl =
      app.add_subcommand("cli",
                         "Interactive prompt (readline) that sends any command, like redis-cli; "
                         "`walnut cli [OPTIONS] COMMAND ARGS...` runs one command");
  AddConnectionOptions(repl, &conn);
  repl->add_flag("--raw", raw, "Print replies raw instead of redis-cli style");
  // `walnut cli [options] COMMAND ARGS...` runs one command and exits. The
  // words after the first non-option are taken as they are ("-1" included).
  repl->prefix_command();

  // ---- offline
  std::string check_dir;
  bool fix = false;
  CLI::App* check = app.add_subcommand(
      "check", "Verify every checksum in a data directory, offline (exit 4 on damage)");
  check->add_option("dir", check_dir, "The data directory (the server must not be running)")
      ->required();
  check->add_flag("--fix", fix,
                  "Cut a torn tail of the newest segment (saving it under DIR/damaged/ first); "
                  "other damage is never changed");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, or the error with a hint
    return code == 0 ? cli::kExitOk : cli::kExitUsage;
  }

  if (*start || *restart) {
    CLI::App* sub = *start ? start : restart;
    std::vector<std::string> server_args;
    cli::StartOptions so;
    bool help = false;
    if (!SplitStartArgs(sub->remaining(), &server_args, &so.timeout_seconds, &help)) {
      std::cerr << "walnut: --start-timeout must be a positive number of seconds\n";
      return cli::kExitUsage;
    }
    if (help) {
      if (*restart) {
        std::cout << "Usage: walnut restart [--start-timeout SECONDS] [server flags...]\n\n"
                     "Stops the server on the given --port/--dir gracefully (if one runs), then\n"
                     "starts it with these flags, as `walnut start` does:\n\n";
      }
      std::cout << kStartHelp;
      return cli::kExitOk;
    }
    auto flags = cli::ParseServerFlags(server_args);
    if (!flags.ok()) {
      std::cerr << "walnut: " << flags.status().message() << "\n";
      return cli::kExitUsage;
    }
    so.flags = *flags;
    if (*restart) {
      cli::StopOptions stop_opts;
      stop_opts.conn.host = "127.0.0.1";
      stop_opts.conn.port = so.flags.port;
      stop_opts.conn.password = so.flags.requirepass;
      stop_opts.port_given = true;
      stop_opts.dir = so.flags.dir;
      stop_opts.quiet_if_not_running = true;
      int code = cli::StopServer(stop_opts);
      if (code != cli::kExitOk && code != cli::kExitNotRunning) return code;
    }
    return cli::StartServer(so);
  }
  if (*stop) {
    cli::StopOptions so;
    so.conn = conn;
    so.port_given = port_given;
    so.dir = stop_dir;
    so.force = force;
    so.timeout_seconds = stop_timeout;
    return cli::StopServer(so);
  }
  if (*status) {
    cli::StatusOptions so;
    so.conn = conn;
    so.port_given = port_given;
    so.dir = status_dir;
    return cli::ServerStatus(so);
  }
  if (*get) return cli::RunGet(conn, key);
  if (*set) return cli::RunSet(conn, key, value, ex_seconds);
  if (*del) return cli::RunDel(conn, keys);
  if (*compact) return cli::RunCompact(conn);
  if (*info) return cli::RunInfo(conn, section);
  if (*check) return cli::RunCheck(check_dir, fix);
  cli::ReplOptions ro;
  ro.conn = conn;
  ro.raw = raw;
  if (*repl) ro.command = repl->remaining();
  return cli::RunRepl(ro);
}
