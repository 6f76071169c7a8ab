// A real redis-server as a reference for black-box comparison tests, and the
// helpers to run the same commands against it and against walnut-server.
//
// The reference is Debian's /usr/bin/redis-server (override with
// WALNUT_REDIS_SERVER), started as a child on a free port with no
// persistence (--save '' --appendonly no) in its own temporary directory. If
// the binary is missing the comparison tests skip with a message rather than
// fail, since `make test` installs it but a developer's machine may not have
// it. The child dies with the test process (PR_SET_PDEATHSIG).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "support/server_process.h"

namespace walnut::test {

class RedisReference {
 public:
  RedisReference() : dir_("redis-ref"), port_(FreePort()) {
    const char* env = std::getenv("WALNUT_REDIS_SERVER");
    binary_ = env && *env ? env : "/usr/bin/redis-server";
  }
  ~RedisReference() { Stop(); }
  RedisReference(const RedisReference&) = delete;
  RedisReference& operator=(const RedisReference&) = delete;

  bool available() const { return ::access(binary_.c_str(), X_OK) == 0; }
  const std::string& binary() const { return binary_; }
  int port() const { return port_; }

  ::testing::AssertionResult Start() {
    const std::string log = dir_.Sub("redis.log");
    std::vector<std::string> args = {binary_,  "--port",       std::to_string(port_),
                                     "--bind", "127.0.0.1",    "--save",
                                     "",       "--appendonly", "no",
                                     "--dir",  dir_.path(),    "--logfile",
                                     log,      "--daemonize",  "no"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return ::testing::AssertionFailure() << "fork failed";
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      const int null_fd = ::open("/dev/null", O_RDWR);
      if (null_fd >= 0) {
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    const bool up = WaitUntil([&] {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return true;  // exited: stop waiting, report below
      }
      RedisConn c = ConnectTo(port_, std::chrono::milliseconds(300));
      return c.ok() && c.Cmd("PING") == "PONG";
    });
    if (!up || pid_ < 0) {
      return ::testing::AssertionFailure() << binary_ << " did not start on port " << port_ << "\n"
                                           << TailFile(log);
    }
    return ::testing::AssertionSuccess();
  }

  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  RedisConn Client() const { return ConnectTo(port_); }

 private:
  TempDir dir_;
  int port_;
  std::string binary_;
  pid_t pid_ = -1;
};

// Renders a reply like FormatReply, but with the elements of arrays sorted
// (recursively at the top level only), for commands whose order is not
// defined (KEYS).
inline std::string FormatSorted(const redisReply* r) {
  if (!r || r->type != REDIS_REPLY_ARRAY) return FormatReply(r);
  std::vector<std::string> parts;
  for (size_t i = 0; i < r->elements; i++) parts.push_back(FormatReply(r->element[i]));
  std::sort(parts.begin(), parts.end());
  std::string out = "[";
  for (size_t i = 0; i < parts.size(); i++) out += (i ? ", " : "") + parts[i];
  return out + "]";
}

// Runs one command on both connections and returns both renderings.
struct ReplyPair {
  std::string walnut, redis;
};
inline ReplyPair RunBoth(RedisConn& walnut, RedisConn& redis, const std::vector<std::string>& args,
                         bool sorted = false) {
  auto w = walnut.Raw(args);
  auto r = redis.Raw(args);
  if (sorted) return {FormatSorted(w.get()), FormatSorted(r.get())};
  return {FormatReply(w.get()), FormatReply(r.get())};
}

// Renders argv for failure messages ("SET k v").
inline std::string ShowArgs(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty();
    for (unsigned char c : a) plain = plain && c > 0x20 && c < 0x7f && c != '"';
    if (plain) {
      s += a;
    } else {
      s += '"';
      for (unsigned char c : a) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          s += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          s += buf;
        }
      }
      s += '"';
    }
  }
  return s;
}

// Runs `command` (words split by the shell) through `redis-cli -3 --no-raw`
// against 127.0.0.1:port: RESP3 replies (maps, nulls, ...) rendered by
// redis-cli itself, since Debian's hiredis (0.14) predates RESP3.
inline std::string CliResp3(int port, const std::string& command) {
  return RunCommand("redis-cli -3 --no-raw -p " + std::to_string(port) + " " + command);
}

// Lines joined with newlines (command histories in failure messages).
inline std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

}  // namespace walnut::test
