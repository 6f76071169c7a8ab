// Implementation of `walnut start|stop|status` (see server_control.h).
//
// Starting: the server is fork/exec'ed into its own session (setsid), so it
// outlives the CLI and a Ctrl-C at the terminal does not reach it; its output
// goes to DIR/walnut-server.log. We then wait for a PING rather than for a
// fixed time, and if it exits first we show the end of its log, which says
// why. Stopping: SHUTDOWN over RESP lets the server flush and sync the log
// and exit by itself; SIGTERM (which the server treats the same way) is the
// fallback when RESP is not possible; SIGKILL is never sent without --force,
// because it would skip that final flush.
#include "cli/server_control.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/exit_codes.h"
#include "cli/split_args.h"

namespace walnut::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kPidFileName = "walnut-server.pid";
constexpr const char* kLogFileName = "walnut-server.log";

// Polls `done` with a gentle back-off until it is true or `seconds` pass.
bool WaitFor(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(seconds));
  auto pause = std::chrono::milliseconds(5);
  while (!done()) {
    if (Clock::now() >= deadline) return done();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
  return true;
}

bool ParsePort(const std::string& text, int* port) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0 || v > 65535) return false;
  *port = static_cast<int>(v);
  return true;
}

std::string FirstWord(const std::string& s) {
  std::istringstream in(s);
  std::string w;
  in >> w;
  return w;
}

// The address to reach a server listening on `bind`.
std::string ConnectHost(const std::string& bind) {
  if (bind.empty() || bind == "0.0.0.0" || bind == "*") return "127.0.0.1";
  if (bind == "::" || bind == "::*") return "::1";
  if (bind[0] == '-') return bind.substr(1);  // Redis's "-addr": optional address
  return bind;
}

struct PidFile {
  int pid = -1;
  int port = -1;
};

bool ReadPidFile(const std::string& dir, PidFile* out) {
  std::ifstream in(PidFilePath(dir));
  if (!in) return false;
  in >> out->pid >> out->port;
  return out->pid > 0;
}

// Written atomically (temp file + rename) so a reader never sees half a file.
bool WritePidFile(const std::string& dir, int pid, int port) {
  std::string path = PidFilePath(dir);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    out << pid << "\n" << port << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

void RemovePidFile(const std::string& dir, int pid) {
  PidFile pf;
  // Only our own entry: another server may have been started since.
  if (ReadPidFile(dir, &pf) && (pid <= 0 || pf.pid == pid)) {
    std::remove(PidFilePath(dir).c_str());
  }
}

// True if /proc says `pid` runs a walnut-server binary (or we may not look).
bool IsWalnutServer(int pid) {
  char buf[4096];
  std::string link = "/proc/" + std::to_string(pid) + "/exe";
  ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return errno == EACCES || errno == EPERM;
  std::string exe(buf, static_cast<size_t>(n));
  return fs::path(exe).filename().string().rfind("walnut-server", 0) == 0;
}

// If DIR/LOCK is locked by a process (the engine flock()s it while open),
// returns true and that process's pid (written in the file) in *holder.
bool LockHeld(const std::string& dir, std::string* holder) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = false;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    held = errno == EWOULDBLOCK;
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  if (held) {
    std::ifstream in(path);
    std::getline(in, *holder);
  }
  return held;
}

std::string TailOfFile(const std::string& path, int lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  for (size_t i = from; i < all.size(); ++i) out += "  | " + all[i] + "\n";
  return out;
}

// Answers PING (a NOAUTH error counts: the server is up, just locked).
bool AnswersPing(const std::string& host, int port, std::string* info_server) {
  ConnectOptions o;
  o.host = host;
  o.port = port;
  o.timeout_seconds = 1;
  auto c = RedisClient::Connect(o);
  if (!c.ok()) return false;
  Reply r = (*c)->Command({"PING"});
  if (r == nullptr) return false;
  bool up = (r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG") ||
            (r->type == REDIS_REPLY_ERROR && std::string(r->str, r->len).rfind("NOAUTH", 0) == 0);
  if (up && info_server != nullptr) {
    Reply info = (*c)->Command({"INFO", "server"});
    if (info != nullptr && info->type == REDIS_REPLY_STRING) {
      info_server->assign(info->str, info->len);
    }
  }
  return up;
}

// True if a TCP connection to host:port succeeds.
bool PortAnswers(const std::string& host, int port) {
  ConnectOptions o;
  o.host = host;
  o.port = port;
  o.timeout_seconds = 0.5;
  return RedisClient::Connect(o).ok();
}

// True for addresses of this machine, where a server's pid can be signalled
// and watched. For any other host we only ever talk RESP.
bool IsLocalHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int ExitStatusOf(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

// ---- Helpers -------------------------------------------------------------------

Result<std::string> FindServerBinary() {
  if (const char* env = std::getenv("WALNUT_SERVER_BIN"); env != nullptr && env[0] != '\0') {
    return std::string(env);
  }
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n < 0) {
    return Status::IOError("cannot find this executable (/proc/self/exe): " +
                           std::string(std::strerror(errno)));
  }
  fs::path self(std::string(buf, static_cast<size_t>(n)));
  fs::path server = self.parent_path() / "walnut-server";
  if (::access(server.c_str(), X_OK) != 0) {
    return Status::NotFound("walnut-server not found next to walnut (looked for " +
                            server.string() +
                            "); build it with `make build`, or set WALNUT_SERVER_BIN");
  }
  return server.string();
}

std::string PidFilePath(const std::string& dir) { return dir + "/" + kPidFileName; }

bool ProcessAlive(int pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // A zombie has exited; nobody may reap it soon (a container's init might
  // not), so it must not count as running.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!std::getline(stat, content)) return true;
  size_t paren = content.rfind(')');
  if (paren == std::string::npos || paren + 2 >= content.size()) return true;
  char state = content[paren + 2];
  return state != 'Z' && state != 'X';
}

bool PortInUse(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  std::string h = host == "*" ? "0.0.0.0" : host;
  if (::getaddrinfo(h.c_str(), service.c_str(), &hints, &res) != 0) return false;
  bool in_use = false;
  for (addrinfo* ai = res; ai != nullptr && !in_use; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // The server sets SO_REUSEADDR too, so a port held only by TIME_WAIT
    // connections of a stopped server is free for it, and for us.
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EADDRINUSE) in_use = true;
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return in_use;
}

std::string HumanDuration(long long seconds) {
  long long d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60,
            s = seconds % 60;
  std::string out;
  if (d > 0) out += std::to_string(d) + "d ";
  if (d > 0 || h > 0) out += std::to_string(h) + "h ";
  if (d > 0 || h > 0 || m > 0) out += std::to_string(m) + "m ";
  out += std::to_string(s) + "s";
  return out;
}

std::string HumanBytes(unsigned long long bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%llu B", bytes);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
  }
  return buf;
}

Result<ServerFlags> ParseServerFlags(const std::vector<std::string>& args) {
  ServerFlags f;
  f.args = args;
  auto value_of = [&](const std::string& flag, std::string* value) {
    bool found = false;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == flag && i + 1 < args.size()) {
        *value = args[i + 1];
        found = true;
      } else if (args[i].rfind(flag + "=", 0) == 0) {
        *value = args[i].substr(flag.size() + 1);
        found = true;
      }
    }
    return found;
  };
  std::string v;
  if (value_of("--config", &v)) {
    std::ifstream in(v);
    if (!in) return Status::InvalidArgument("cannot read config file " + v);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> words;
      if (!SplitArgs(line, &words) || words.empty() || words[0][0] == '#') continue;
      std::string name = words[0];
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      if (words.size() < 2) continue;
      if (name == "port" && !ParsePort(words[1], &f.port)) {
        return Status::InvalidArgument("bad port in " + v + ": " + words[1]);
      }
      if (name == "http-port" && !ParsePort(words[1], &f.http_port)) {
        return Status::InvalidArgument("bad http-port in " + v + ": " + words[1]);
      }
      if (name == "bind") f.bind = words[1];
      if (name == "dir") f.dir = words[1];
      if (name == "requirepass") f.requirepass = words[1];
    }
  }
  if (value_of("--port", &v) && !ParsePort(v, &f.port)) {
    return Status::InvalidArgument("--port must be a number from 0 to 65535, not '" + v + "'");
  }
  if (value_of("--http-port", &v) && !ParsePort(v, &f.http_port)) {
    return Status::InvalidArgument("--http-port must be a number from 0 to 65535, not '" + v + "'");
  }
  if (value_of("--bind", &v)) f.bind = FirstWord(v);
  if (value_of("--dir", &v)) f.dir = v;
  if (value_of("--requirepass", &v)) f.requirepass = v;
  return f;
}

// ---- start ---------------------------------------------------------------------

int StartServer(const StartOptions& options) {
  const ServerFlags& flags = options.flags;
  auto binary = FindServerBinary();
  if (!binary.ok()) {
    std::cerr << "walnut start: " << binary.status().message() << "\n";
    return kExitError;
  }
  std::error_code ec;
  std::string dir = fs::absolute(flags.dir, ec).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "walnut start: cannot create data directory " << dir << ": " << ec.message()
              << "\n";
    return kExitError;
  }

  // Refuse to start a second server on one directory or port: it would fail
  // anyway (the engine locks the directory), but with a less direct message.
  PidFile pf;
  if (ReadPidFile(dir, &pf) && ProcessAlive(pf.pid) && IsWalnutServer(pf.pid)) {
    std::cerr << "walnut start: walnut-server is already running on " << dir << " (pid " << pf.pid
              << ", port " << pf.port << ").\nStop it with `walnut stop --dir " << dir
              << "`, or check it with `walnut status --dir " << dir << "`.\n";
    return kExitConflict;
  }
  std::string holder;
  if (LockHeld(dir, &holder)) {
    std::cerr << "walnut start: data directory " << dir << " is in use by another process"
              << (holder.empty() ? "" : " (pid " + holder + ")")
              << ".\nStop that process first, or choose another directory with --dir.\n";
    return kExitConflict;
  }
  std::string host = ConnectHost(flags.bind);
  if (PortInUse(flags.bind == "*" ? "0.0.0.0" : (flags.bind[0] == '-' ? host : flags.bind),
                flags.port)) {
    std::cerr << "walnut start: port " << flags.port << " is already in use on " << flags.bind
              << " (another server?).\nChoose another with --port PORT.\n";
    return kExitConflict;
  }
  if (flags.http_port != 0 && PortInUse(host, flags.http_port)) {
    std::cerr << "walnut start: HTTP port " << flags.http_port << " is already in use on "
              << flags.bind
              << ".\nChoose another with --http-port PORT, or --http-port 0 to turn HTTP off.\n";
    return kExitConflict;
  }

  // The server gets the directory as an absolute path, so its messages and
  // INFO name the same directory as the pid file.
  std::vector<std::string> args = flags.args;
  bool replaced = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--dir" && i + 1 < args.size()) {
      args[i + 1] = dir;
      replaced = true;
    } else if (args[i].rfind("--dir=", 0) == 0) {
      args[i] = "--dir=" + dir;
      replaced = true;
    }
  }
  if (!replaced) args.insert(args.end(), {"--dir", dir});

  std::string log_path = dir + "/" + kLogFileName;
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    std::cerr << "walnut start: cannot open log file " << log_path << ": " << std::strerror(errno)
              << "\n";
    return kExitError;
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<char*> argv;
  argv.push_back(binary->data());
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    std::cerr << "walnut start: fork: " << std::strerror(errno) << "\n";
    return kExitError;
  }
  if (pid == 0) {
    // Own session: no controlling terminal, so closing the terminal or a
    // Ctrl-C there does not stop the server.
    ::setsid();
    // Signal dispositions set to "ignore" and the signal mask survive exec;
    // the server must start with neither, or SIGTERM might not stop it.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT}) ::signal(sig, SIG_DFL);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Inherited descriptors (a caller's pipe, say) would keep that pipe open
    // for as long as the server lives.
    ::syscall(SYS_close_range, 3u, ~0u, 0u);
    ::execv(argv[0], argv.data());
    const char msg[] = "walnut start: execv of walnut-server failed\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (!WritePidFile(dir, pid, flags.port)) {
    std::cerr << "walnut start: warning: cannot write " << PidFilePath(dir)
              << "; use -p with stop/status\n";
  }

  int exit_status = -1;
  std::string info;
  bool up = WaitFor(
      [&] {
        int wstatus = 0;
        if (::waitpid(pid, &wstatus, WNOHANG) == pid) {
          exit_status = ExitStatusOf(wstatus);
          return true;
        }
        return AnswersPing(host, flags.port, &info);
      },
      options.timeout_seconds);
  if (exit_status >= 0) {
    RemovePidFile(dir, pid);
    std::cerr << "walnut start: walnut-server exited during start-up (exit status " << exit_status
              << "). The end of its log, " << log_path << ":\n"
              << TailOfFile(log_path, 20);
    return kExitError;
  }
  if (!up) {
    std::cerr << "walnut start: walnut-server (pid " << pid << ") did not answer on " << host << ":"
              << flags.port << " within " << options.timeout_seconds
              << " s. It is still running (a long log replay?); see " << log_path
              << " and `walnut status --dir " << dir << "`.\n";
    return kExitTimeout;
  }
  std::string their_pid = InfoField(info, "process_id");
  if (!their_pid.empty() && std::atoi(their_pid.c_str()) != pid) {
    std::cerr << "walnut start: another process (pid " << their_pid << ") answers on port "
              << flags.port << "; the new server (pid " << pid << ") may fail. See " << log_path
              << "\n";
    return kExitConflict;
  }
  std::cout << "walnut-server started: pid " << pid << ", port " << flags.port << ", data dir "
            << dir << "\n  log: " << log_path << "\n";
  return kExitOk;
}

// ---- stop ----------------------------------------------------------------------

int StopServer(const StopOptions& options) {
  ConnectOptions conn = options.conn;
  int pid = -1;
  std::string dir = options.dir;
  if (!dir.empty()) {
    std::error_code ec;
    dir = fs::absolute(dir, ec).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    PidFile pf;
    if (ReadPidFile(dir, &pf)) {
      if (ProcessAlive(pf.pid) && IsWalnutServer(pf.pid)) pid = pf.pid;
      if (!options.port_given && pf.port > 0) conn.port = pf.port;
    }
  }
  // A hung server must not make each command wait long: --timeout bounds
  // them too.
  conn.timeout_seconds = std::clamp(options.timeout_seconds, 0.2, 5.0);
  std::string where = conn.host + ":" + std::to_string(conn.port);

  bool sent_term = false;
  auto send_term = [&](const std::string& why) {
    std::cerr << "walnut stop: " << why << "; sending SIGTERM to pid " << pid << "\n";
    ::kill(pid, SIGTERM);
    sent_term = true;
  };

  auto client = RedisClient::Connect(conn);
  if (client.ok()) {
    RedisClient& c = **client;
    Reply info = c.Command({"INFO", "server"});
    if (info != nullptr && info->type == REDIS_REPLY_STRING) {
      int their = std::atoi(InfoField(std::string(info->str, info->len), "process_id").c_str());
      // Whoever answers on the port is the one we stop; but a pid means
      // something only on this machine.
      if (their > 0) pid = IsLocalHost(conn.host) ? their : -1;
    }
    if (dir.empty() && IsLocalHost(conn.host)) {
      Reply w = c.Command({"INFO", "walnut"});
      if (w != nullptr && w->type == REDIS_REPLY_STRING) {
        dir = InfoField(std::string(w->str, w->len), "walnut_dir");
      }
    }
    Reply r = c.Command({"SHUTDOWN"});
    // Success is the connection closing without a reply, as in Redis.
    if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
      std::string err(r->str, r->len);
      if (pid > 0) {
        send_term("SHUTDOWN was refused (" + err + ")");
      } else {
        std::cerr << "walnut stop: SHUTDOWN was refused: " << err
                  << (err.rfind("NOAUTH", 0) == 0 ? " (give the password with -a)" : "") << "\n";
        return kExitError;
      }
    }
  } else if (client.status().IsInvalidArgument()) {  // the password was refused
    if (pid <= 0) {
      std::cerr << "walnut stop: " << client.status().message() << "\n";
      return kExitError;
    }
    send_term(client.status().message());
  } else {
    if (pid > 0) {
      send_term("walnut-server is not answering on " + where);
    } else {
      if (!dir.empty()) RemovePidFile(dir, -1);
      if (!options.quiet_if_not_running) {
        std::cerr << "walnut stop: walnut-server is not running on " << where
                  << (options.dir.empty() ? "" : " (data dir " + dir + ")") << "\n";
      }
      return kExitNotRunning;
    }
  }

  auto gone = [&] { return pid > 0 ? !ProcessAlive(pid) : !PortAnswers(conn.host, conn.port); };
  bool stopped = WaitFor(gone, options.timeout_seconds);
  if (!stopped && !sent_term && pid > 0) {
    send_term("still running after " + std::to_string(options.timeout_seconds) + " s");
    stopped = WaitFor(gone, options.timeout_seconds);
  }
  if (!stopped) {
    if (options.force && pid > 0) {
      std::cerr << "walnut stop: still running; sending SIGKILL to pid " << pid
                << " (--force: anything not yet synced may be lost)\n";
      ::kill(pid, SIGKILL);
      stopped = WaitFor(gone, 10);
    }
    if (!stopped) {
      std::cerr << "walnut stop: walnut-server"
                << (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "") << " is still running on "
                << where << " after waiting; "
                << (options.force ? "giving up." : "use --force to kill it.") << "\n";
      return kExitTimeout;
    }
  }
  if (!dir.empty()) RemovePidFile(dir, pid);
  std::cout << "walnut-server stopped" << (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "")
            << " on " << where << "\n";
  return kExitOk;
}

// ---- status --------------------------------------------------------------------

int ServerStatus(const StatusOptions& options) {
  ConnectOptions conn = options.conn;
  conn.timeout_seconds = std::min(conn.timeout_seconds, 5.0);
  int pid = -1;
  std::string dir = options.dir;
  bool stale = false;
  if (!dir.empty()) {
    std::error_code ec;
    dir = fs::absolute(dir, ec).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    PidFile pf;
    if (ReadPidFile(dir, &pf)) {
      if (ProcessAlive(pf.pid) && IsWalnutServer(pf.pid)) {
        pid = pf.pid;
      } else {
        stale = true;
      }
      if (!options.port_given && pf.port > 0) conn.port = pf.port;
    }
  }
  std::string where = conn.host + ":" + std::to_string(conn.port);
  auto client = RedisClient::Connect(conn);
  if (!client.ok()) {
    if (client.status().IsInvalidArgument()) {
      std::cout << "walnut-server is running on " << where << ", but " << client.status().message()
                << "\n";
      return kExitError;
    }
    if (pid > 0) {
      std::cout << "walnut-server (pid " << pid << ") is running but not answering on " << where
                << " (still starting up?)\n";
    } else {
      std::cout << "walnut-server is not running on " << where;
      if (stale) std::cout << " (stale pid file " << PidFilePath(dir) << ")";
      std::cout << "\n";
    }
    return kExitNotRunning;
  }
  RedisClient& c = **client;
  auto info = [&](const char* section) -> std::string {
    Reply r = c.Command({"INFO", section});
    if (r == nullptr || r->type != REDIS_REPLY_STRING) return "";
    return std::string(r->str, r->len);
  };
  Reply ping = c.Command({"PING"});
  if (ping != nullptr && ping->type == REDIS_REPLY_ERROR) {
    std::cout << "walnut-server is running on " << where
              << " (it needs a password for details: use -a PASSWORD)\n";
    return kExitOk;
  }
  std::string server = info("server");
  std::string keyspace = info("keyspace");
  std::string walnut = info("walnut");
  unsigned long long keys = 0;
  for (size_t pos = 0; (pos = keyspace.find("keys=", pos)) != std::string::npos; pos += 5) {
    keys += std::strtoull(keyspace.c_str() + pos + 5, nullptr, 10);
  }
  std::string log_bytes = InfoField(walnut, "walnut_log_bytes");
  std::cout << "walnut-server is running\n"
            << "  pid:       " << InfoField(server, "process_id") << "\n"
            << "  port:      " << conn.port << "\n";
  std::string data_dir = InfoField(walnut, "walnut_dir");
  if (!data_dir.empty()) std::cout << "  data dir:  " << data_dir << "\n";
  std::cout << "  uptime:    "
            << HumanDuration(std::atoll(InfoField(server, "uptime_in_seconds").c_str())) << "\n"
            << "  keys:      " << keys << "\n";
  if (!log_bytes.empty()) {
    std::cout << "  log size:  " << HumanBytes(std::strtoull(log_bytes.c_str(), nullptr, 10))
              << " (" << log_bytes << " bytes)\n";
  }
  std::string fsync = InfoField(walnut, "walnut_fsync");
  if (!fsync.empty()) std::cout << "  fsync:     " << fsync << "\n";
  std::string write_error = InfoField(walnut, "walnut_write_error");
  if (!write_error.empty()) std::cout << "  WRITE ERROR: " << write_error << "\n";
  return kExitOk;
}

}  // namespace walnut::cli
