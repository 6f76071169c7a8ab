// Black-box test harness: runs the real build/walnut-server as a child
// process and talks to it with real clients.
//
// Integration tests (tests/*_test.cc) use this to give every server its own
// free port and its own temporary data directory, to wait on conditions (a
// PING answered) instead of sleeping, to crash the server (SIGKILL) and
// restart it on the same directory, and to run shell commands (redis-cli,
// curl, build/walnut) capturing their output. Replies are rendered as compact
// strings so that a test can write
//
//   walnut::test::ServerProcess server;
//   ASSERT_TRUE(server.Start());
//   auto c = server.Client();
//   EXPECT_EQ(c.Cmd("SET", "k", "v"), "OK");
//   EXPECT_EQ(c.Cmd("GET", "k"), "\"v\"");
//
// Nothing here throws; failures are reported as gtest AssertionResults or as
// values a test can compare.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace walnut::test {

// ---- Small utilities --------------------------------------------------------

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// read back). Never returns the same port twice within one process, so two
// servers started by one test cannot collide with each other. Another process
// could still take it in between; tests must not assume otherwise.
int FreePort();

// Creates a fresh, uniquely named directory under $TMPDIR (or /tmp), named
// after `tag`, and returns its absolute path. Aborts the test binary if the
// directory cannot be created, since no test can run without one.
std::string MakeTempDir(std::string_view tag);

// A temporary directory removed (recursively) when this object dies, unless
// the environment variable WALNUT_KEEP_TEMP is set (to keep evidence when
// debugging a failure).
class TempDir {
 public:
  explicit TempDir(std::string_view tag = "test") : path_(MakeTempDir(tag)) {}
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Sub(std::string_view name) const;

 private:
  std::string path_;
};

// The seed for every random choice a test makes. Read from WALNUT_TEST_SEED
// if set (to replay a failure), otherwise chosen at random; printed to stderr
// the first time it is asked for so a failing run can be reproduced.
uint64_t TestSeed();

// Runs `command` through /bin/sh, returning its stdout and stderr (merged).
// The command's exit code (or 128+signal) is stored in *exit_code if non-null;
// -1 if it could not be started.
std::string RunCommand(const std::string& command, int* exit_code = nullptr);

// Quotes `arg` for /bin/sh ('...' with embedded quotes escaped).
std::string ShellQuote(std::string_view arg);

// Polls `condition` (every few milliseconds) until it returns true or
// `timeout` passes; returns its last result.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(15));

// The whole content of a file, or "" if it cannot be read.
std::string ReadFile(const std::string& path);
// The last `lines` lines of a file (for failure messages).
std::string TailFile(const std::string& path, int lines = 40);

// ---- Rendering replies -------------------------------------------------------

// Renders a reply compactly, for tests to compare against:
//   status        OK, PONG                (the bare text)
//   integer       (integer) 5
//   bulk string   "bulk"                  (with \" \\ \n \r \t and \xHH escaped)
//   nil           (nil)
//   error         (error) ERR unknown command ...
//   array         [a, b]   (elements rendered the same way; [] when empty)
// A null reply (connection failure) renders as "(no reply) <context error>".
std::string FormatReply(const redisReply* reply);

// Sends one command (binary-safe: each argument is sent as-is) and renders
// the reply with FormatReply. Works on a context from any source.
std::string CmdArgv(redisContext* c, const std::vector<std::string>& args);

template <typename... Args>
std::string Cmd(redisContext* c, const Args&... args) {
  return CmdArgv(c, std::vector<std::string>{std::string(std::string_view(args))...});
}

// An owned hiredis connection; frees the context when it dies.
class RedisConn {
 public:
  RedisConn() = default;
  explicit RedisConn(redisContext* c) : c_(c) {}
  RedisConn(RedisConn&&) = default;
  RedisConn& operator=(RedisConn&&) = default;

  // True if connected without error.
  bool ok() const { return c_ != nullptr && c_->err == 0; }
  // The context's error text, or "" if none.
  std::string error() const;
  redisContext* get() const { return c_.get(); }

  template <typename... Args>
  std::string Cmd(const Args&... args) {
    return walnut::test::Cmd(c_.get(), args...);
  }
  std::string CmdArgv(const std::vector<std::string>& args) {
    return walnut::test::CmdArgv(c_.get(), args);
  }
  // The raw reply, for tests that need more than the rendered text. Null on
  // connection failure.
  std::unique_ptr<redisReply, void (*)(redisReply*)> Raw(const std::vector<std::string>& args);

 private:
  struct Free {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  std::unique_ptr<redisContext, Free> c_;
};

// Connects to 127.0.0.1:port with a timeout for the connect and for every
// command. Check ok() before use.
RedisConn ConnectTo(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// ---- The server process ----------------------------------------------------

// One walnut-server child process with its own ports and data directory.
//
// By default the server gets --port P --http-port H (both free ports) and
// --dir D (a fresh temporary directory owned by this object and removed with
// it). Any of these given in `extra_args` (as "--port", "7000" or
// "--port=7000") wins: pass {"--http-port", "0"} to turn HTTP off. Its stdout
// and stderr go to a log file next to the data directory (appended across
// restarts), shown in failure messages.
//
// The destructor SIGKILLs a server still running. If the test process itself
// dies, the kernel kills the server too (PR_SET_PDEATHSIG), so no test leaves
// a server behind.
class ServerProcess {
 public:
  // `dir`: the data directory to use (it need not exist; it is not removed
  // afterwards). Empty: a temporary one is made and removed.
  explicit ServerProcess(std::vector<std::string> extra_args = {}, std::string dir = "");
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (polling, up to start_timeout) until it
  // answers PING (a NOAUTH error counts as answering). Fails, with the tail
  // of the server's log in the message, if it exits first or never answers
  // (it is then killed). If a port we chose was taken meanwhile, the first
  // Start picks new ports and tries again; after a successful start the
  // ports stay the same across restarts.
  ::testing::AssertionResult Start();

  // Sends `sig` and waits for the process to exit. Returns its exit status as
  // a shell reports it (exit code, or 128+signal); -1 if it was not running.
  // A signal that does not end it within 60 s is followed by SIGKILL.
  int Kill(int sig = SIGKILL);
  // Sends `sig` without waiting (SIGSTOP/SIGCONT to freeze a server, SIGHUP).
  // False if the server is not running.
  bool Signal(int sig);

  // Graceful stop: SIGTERM, then waits up to `timeout` for the exit (SIGKILL
  // after that, and the result is then 128+SIGKILL). Returns as Kill does.
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Stop() then Start() on the same ports and directory. Fails if the stop
  // did not exit with status 0 or the start fails.
  ::testing::AssertionResult Restart();

  // True if the child has not exited yet (reaps it if it has).
  bool running();

  int port() const { return port_; }
  int http_port() const { return http_port_; }  // 0 when HTTP is off
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // The whole server log so far.
  std::string log() const { return ReadFile(log_path_); }
  // The arguments passed to the binary (without argv[0]) at the last Start.
  const std::vector<std::string>& args() const { return args_; }

  // Overrides for unusual tests.
  void set_binary(std::string path) { binary_ = std::move(path); }
  void set_start_timeout(std::chrono::milliseconds t) { start_timeout_ = t; }
  // Replaces the PING on port() that tells Start the server is up, for a
  // server without a plain RESP port (--port 0 with --tls-port): Start polls
  // `ready` until it returns true.
  void set_ready_check(std::function<bool()> ready) { ready_check_ = std::move(ready); }

  // A new connection to the server's RESP port. Connect() returns a context
  // the caller must redisFree (null only if out of memory); Client() owns it.
  redisContext* Connect(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  RedisConn Client(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  // "http://127.0.0.1:<http_port>" for curl.
  std::string http_base() const;

 private:
  // Waits for the child to exit, at most `timeout` (negative: forever).
  // Returns true and records the status if it exited.
  bool WaitExit(std::chrono::milliseconds timeout);
  // One start attempt; *port_conflict tells whether it failed because a
  // port was in use.
  ::testing::AssertionResult StartOnce(bool* port_conflict);
  static int DecodeStatus(int wstatus);

  std::unique_ptr<TempDir> owned_dir_;  // set when we made the directory
  std::vector<std::string> extra_args_;
  std::vector<std::string> args_;
  std::string binary_;
  std::string dir_;
  std::string log_path_;
  int port_ = 0;
  int http_port_ = 0;
  bool chose_port_ = false;       // port_ came from FreePort(), not the args
  bool chose_http_port_ = false;  // likewise http_port_
  bool started_once_ = false;
  pid_t pid_ = -1;
  int last_status_ = -1;
  std::chrono::milliseconds start_timeout_{15000};
  std::function<bool()> ready_check_;
};

}  // namespace walnut::test
