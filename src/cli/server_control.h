// Server control for `walnut start|stop|restart|status`: finding the
// walnut-server binary, the pid file, telling whether a server runs on a
// data directory or a port, starting one in the background and stopping it
// gracefully.
//
// The CLI writes DIR/walnut-server.pid ("<pid>\n<port>\n") when it starts a
// server, so `walnut stop --dir DIR` and `walnut status --dir DIR` find it
// again; the server's log goes to DIR/walnut-server.log. Each function prints
// what it did (stdout) or what went wrong (stderr) and returns an exit code
// from exit_codes.h.
#pragma once

#include <string>
#include <vector>

#include "cli/redis_client.h"

namespace walnut::cli {

// The settings of a server to start, read from its flags (and from its
// --config file, whose values the flags override, as the server does).
struct ServerFlags {
  int port = 6379;
  int http_port = 8080;
  std::string bind = "127.0.0.1";  // first address of --bind
  std::string dir = "./walnut-data";
  std::string requirepass;
  std::vector<std::string> args;  // passed to walnut-server unchanged
};

// Parses server flags ("--flag value" or "--flag=value"); the args are kept
// as given. Fails with a message if --config names a file it cannot read
// or a port is not a number.
Result<ServerFlags> ParseServerFlags(const std::vector<std::string>& args);

struct StartOptions {
  ServerFlags flags;
  double timeout_seconds = 30;  // how long to wait for the first PING
};
int StartServer(const StartOptions& options);

struct StopOptions {
  ConnectOptions conn;
  bool port_given = false;  // -p was given (else the pid file's port is used)
  std::string dir;          // --dir: find the server through its pid file
  bool force = false;       // SIGKILL if it will not exit in time
  double timeout_seconds = 30;
  bool quiet_if_not_running = false;  // for restart
};
int StopServer(const StopOptions& options);

struct StatusOptions {
  ConnectOptions conn;
  bool port_given = false;
  std::string dir;
};
int ServerStatus(const StatusOptions& options);

// ---- Helpers, exposed for tests.

// The walnut-server next to this executable ($WALNUT_SERVER_BIN wins).
Result<std::string> FindServerBinary();
// DIR/walnut-server.pid.
std::string PidFilePath(const std::string& dir);
// True if `pid` names a live process that is not a zombie.
bool ProcessAlive(int pid);
// True if nothing could bind host:port right now.
bool PortInUse(const std::string& host, int port);
// "1h 2m 3s" etc.
std::string HumanDuration(long long seconds);
// "1.5 MiB" etc.
std::string HumanBytes(unsigned long long bytes);

}  // namespace walnut::cli
