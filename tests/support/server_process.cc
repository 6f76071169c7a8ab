// Implementation of the black-box test harness (see server_process.h):
// temporary directories, free ports, shell commands, reply rendering, and the
// walnut-server child process.
#include "support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace walnut::test {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

timeval ToTimeval(milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// The value of `flag` in args ("--flag value" or "--flag=value"), if present.
bool FindFlag(const std::vector<std::string>& args, const std::string& flag, std::string* value) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag) {
      *value = i + 1 < args.size() ? args[i + 1] : "";
      return true;
    }
    if (args[i].size() > flag.size() && args[i].compare(0, flag.size(), flag) == 0 &&
        args[i][flag.size()] == '=') {
      *value = args[i].substr(flag.size() + 1);
      return true;
    }
  }
  return false;
}

void AppendEscaped(std::string* out, const char* data, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < len; ++i) {
    unsigned char ch = static_cast<unsigned char>(data[i]);
    switch (ch) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (ch < 0x20 || ch >= 0x7f) {
          out->append("\\x");
          out->push_back(kHex[ch >> 4]);
          out->push_back(kHex[ch & 15]);
        } else {
          out->push_back(static_cast<char>(ch));
        }
    }
  }
}

void FormatInto(const redisReply* r, std::string* out) {
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      out->append(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out->append("(error) ");
      out->append(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out->append("(integer) ");
      out->append(std::to_string(r->integer));
      break;
    case REDIS_REPLY_NIL:
      out->append("(nil)");
      break;
    case REDIS_REPLY_STRING:
      out->push_back('"');
      AppendEscaped(out, r->str, r->len);
      out->push_back('"');
      break;
    case REDIS_REPLY_ARRAY:
      out->push_back('[');
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out->append(", ");
        FormatInto(r->element[i], out);
      }
      out->push_back(']');
      break;
    default:
      out->append("(unknown reply type " + std::to_string(r->type) + ")");
  }
}

}  // namespace

// ---- Small utilities --------------------------------------------------------

int FreePort() {
  static std::mutex mu;
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    if (port > 0 && handed_out.insert(port).second) return port;
  }
  std::fprintf(stderr, "FreePort: no free port found\n");
  std::abort();
}

std::string MakeTempDir(std::string_view tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp != nullptr && tmp[0] != '\0') ? tmp : "/tmp";
  std::string clean;
  for (char ch : tag) {
    bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
    clean.push_back(ok ? ch : '_');
  }
  std::string templ = base + "/walnut-" + clean + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    std::fprintf(stderr, "MakeTempDir: mkdtemp(%s): %s\n", templ.c_str(), std::strerror(errno));
    std::abort();
  }
  std::error_code ec;
  std::string path = std::filesystem::absolute(buf.data(), ec).string();
  return ec ? std::string(buf.data()) : path;
}

TempDir::~TempDir() {
  if (std::getenv("WALNUT_KEEP_TEMP") != nullptr) {
    std::fprintf(stderr, "keeping %s (WALNUT_KEEP_TEMP)\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

uint64_t TestSeed() {
  static std::once_flag once;
  static uint64_t seed = 0;
  std::call_once(once, [] {
    const char* env = std::getenv("WALNUT_TEST_SEED");
    if (env != nullptr && env[0] != '\0') {
      seed = std::strtoull(env, nullptr, 10);
    } else {
      std::random_device rd;
      seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    }
    std::fprintf(stderr, "WALNUT_TEST_SEED=%llu (set it to replay this run)\n",
                 static_cast<unsigned long long>(seed));
  });
  return seed;
}

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string full = "( " + command + " ) 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) {
    if (exit_code != nullptr) *exit_code = -1;
    return "popen failed: " + std::string(std::strerror(errno));
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  if (exit_code != nullptr) {
    if (status == -1) {
      *exit_code = -1;
    } else if (WIFEXITED(status)) {
      *exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      *exit_code = 128 + WTERMSIG(status);
    } else {
      *exit_code = -1;
    }
  }
  return out;
}

std::string ShellQuote(std::string_view arg) {
  std::string out = "'";
  for (char ch : arg) {
    if (ch == '\'') {
      out.append("'\\''");
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('\'');
  return out;
}

bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  milliseconds pause(2);
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(pause);
    // Back off gently: fast for quick conditions, cheap for slow ones.
    pause = std::min(pause * 2, milliseconds(50));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TailFile(const std::string& path, int lines) {
  std::string text = ReadFile(path);
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int i = 0; i < lines && pos > 0; ++i) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    pos = nl;
  }
  if (pos > 0) ++pos;  // skip the newline before the first kept line
  return text.substr(pos);
}

// ---- Rendering replies -------------------------------------------------------

std::string FormatReply(const redisReply* reply) {
  if (reply == nullptr) return "(no reply)";
  std::string out;
  FormatInto(reply, &out);
  return out;
}

std::string CmdArgv(redisContext* c, const std::vector<std::string>& args) {
  if (c == nullptr) return "(no reply) no connection";
  if (c->err != 0) return std::string("(no reply) ") + c->errstr;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (reply == nullptr) return std::string("(no reply) ") + c->errstr;
  std::string out = FormatReply(reply);
  freeReplyObject(reply);
  return out;
}

std::string RedisConn::error() const {
  if (c_ == nullptr) return "no connection";
  return c_->err != 0 ? std::string(c_->errstr) : std::string();
}

std::unique_ptr<redisReply, void (*)(redisReply*)> RedisConn::Raw(
    const std::vector<std::string>& args) {
  auto free_reply = [](redisReply* r) {
    if (r != nullptr) freeReplyObject(r);
  };
  if (!ok()) return {nullptr, free_reply};
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c_.get(), static_cast<int>(args.size()), argv.data(), lens.data()));
  return {reply, free_reply};
}

RedisConn ConnectTo(int port, milliseconds timeout) {
  timeval tv = ToTimeval(timeout);
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c != nullptr && c->err == 0) redisSetTimeout(c, tv);
  return RedisConn(c);
}

// ---- The server process ----------------------------------------------------

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string dir)
    : extra_args_(std::move(extra_args)), binary_(WALNUT_BUILD_DIR "/walnut-server") {
  if (const char* bin = std::getenv("WALNUT_SERVER_BIN"); bin != nullptr && bin[0] != '\0') {
    binary_ = bin;
  }
  std::string value;
  if (FindFlag(extra_args_, "--dir", &value)) {
    dir_ = value;
  } else if (!dir.empty()) {
    dir_ = dir;
  } else {
    owned_dir_ = std::make_unique<TempDir>("server");
    dir_ = owned_dir_->Sub("data");
  }
  // The log sits beside the data directory, not inside it, so it never
  // looks like a stray file to the engine or to `walnut check`.
  std::string d = dir_;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  log_path_ = d + ".server.log";

  chose_port_ = !FindFlag(extra_args_, "--port", &value);
  port_ = chose_port_ ? FreePort() : std::atoi(value.c_str());
  chose_http_port_ = !FindFlag(extra_args_, "--http-port", &value);
  http_port_ = chose_http_port_ ? FreePort() : std::atoi(value.c_str());
}

ServerProcess::~ServerProcess() {
  if (running()) Kill(SIGKILL);
}

int ServerProcess::DecodeStatus(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int wstatus = 0;
  pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) last_status_ = DecodeStatus(wstatus);
  pid_ = -1;
  return false;
}

bool ServerProcess::WaitExit(milliseconds timeout) {
  if (pid_ <= 0) return true;
  if (timeout.count() < 0) {
    int wstatus = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &wstatus, 0);
    } while (r < 0 && errno == EINTR);
    last_status_ = r == pid_ ? DecodeStatus(wstatus) : -1;
    pid_ = -1;
    return true;
  }
  return WaitUntil([this] { return !running(); }, timeout);
}

::testing::AssertionResult ServerProcess::Start() {
  for (int attempt = 1;; ++attempt) {
    bool port_conflict = false;
    ::testing::AssertionResult result = StartOnce(&port_conflict);
    if (result) started_once_ = true;
    // FreePort() cannot reserve a port: another process (a test running in
    // parallel) may bind it before the server does. Then, and only if we
    // chose the ports and never announced them, choose again.
    bool can_retry = port_conflict && !started_once_ && (chose_port_ || chose_http_port_);
    if (result || !can_retry || attempt >= 5) return result;
    std::fprintf(stderr, "harness: a port was taken before walnut-server bound it; retrying\n");
    if (chose_port_) port_ = FreePort();
    if (chose_http_port_ && http_port_ != 0) http_port_ = FreePort();
  }
}

::testing::AssertionResult ServerProcess::StartOnce(bool* port_conflict) {
  if (running()) return ::testing::AssertionFailure() << "server already running, pid " << pid_;

  args_ = extra_args_;
  std::string ignored;
  if (!FindFlag(args_, "--port", &ignored)) {
    args_.insert(args_.end(), {"--port", std::to_string(port_)});
  }
  if (!FindFlag(args_, "--http-port", &ignored)) {
    args_.insert(args_.end(), {"--http-port", std::to_string(http_port_)});
  }
  if (!FindFlag(args_, "--dir", &ignored)) args_.insert(args_.end(), {"--dir", dir_});

  std::string cmdline = binary_;
  for (const auto& a : args_) cmdline += " " + a;
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return ::testing::AssertionFailure()
           << "cannot open server log " << log_path_ << ": " << std::strerror(errno);
  }
  off_t log_start = ::lseek(log_fd, 0, SEEK_END);
  std::string banner = "==== harness: starting " + cmdline + "\n";
  (void)!::write(log_fd, banner.data(), banner.size());

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary_.c_str()));
  for (auto& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);
  }
  if (pid == 0) {
    // If the test binary dies (crash, timeout kill), take the server with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // Signal dispositions set to "ignore" and the signal mask survive exec;
    // the server must start with neither, or SIGTERM might not stop it.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT}) ::signal(sig, SIG_DFL);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    const char msg[] = "harness: execv failed\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;

  auto deadline = Clock::now() + start_timeout_;
  milliseconds pause(2);
  while (true) {
    if (!running()) {
      std::string this_run = ReadFile(log_path_);
      this_run = this_run.substr(std::min(this_run.size(), static_cast<size_t>(log_start)));
      *port_conflict = this_run.find("Address already in use") != std::string::npos;
      return ::testing::AssertionFailure()
             << "walnut-server exited during start-up with status " << last_status_ << "\n"
             << "command: " << cmdline << "\n--- tail of " << log_path_ << " ---\n"
             << TailFile(log_path_);
    }
    if (ready_check_ && ready_check_()) return ::testing::AssertionSuccess();
    RedisConn c = ready_check_ ? RedisConn() : ConnectTo(port_, milliseconds(500));
    if (c.ok()) {
      std::string pong = c.Cmd("PING");
      if (pong == "PONG" || pong.rfind("(error) NOAUTH", 0) == 0) {
        // Guard against a different process answering on our port (it was
        // taken between FreePort and bind): if INFO names a pid, it must be
        // ours. Servers without INFO (or needing AUTH) are trusted.
        std::string info = c.Cmd("INFO", "server");
        auto at = info.find("process_id:");
        if (at != std::string::npos) {
          long their_pid = std::atol(info.c_str() + at + 11);
          if (their_pid != static_cast<long>(pid_)) {
            Kill(SIGKILL);
            *port_conflict = true;
            return ::testing::AssertionFailure()
                   << "port " << port_ << " is answered by another process (pid " << their_pid
                   << ")\n--- tail of " << log_path_ << " ---\n"
                   << TailFile(log_path_);
          }
        }
        return ::testing::AssertionSuccess();
      }
    }
    if (Clock::now() >= deadline) {
      Kill(SIGKILL);
      return ::testing::AssertionFailure()
             << "walnut-server did not answer PING on port " << port_ << " within "
             << start_timeout_.count() << " ms\ncommand: " << cmdline << "\n--- tail of "
             << log_path_ << " ---\n"
             << TailFile(log_path_);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(50));
  }
}

int ServerProcess::Kill(int sig) {
  if (!running()) return -1;
  ::kill(pid_, sig);
  if (sig == SIGKILL) {
    WaitExit(milliseconds(-1));
  } else if (!WaitExit(std::chrono::seconds(60))) {
    // A signal the server ignores must not hang the test forever.
    ::kill(pid_, SIGKILL);
    WaitExit(milliseconds(-1));
  }
  return last_status_;
}

bool ServerProcess::Signal(int sig) { return running() && ::kill(pid_, sig) == 0; }

int ServerProcess::Stop(milliseconds timeout) {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  if (!WaitExit(timeout)) {
    ADD_FAILURE() << "walnut-server (pid " << pid_ << ") ignored SIGTERM for " << timeout.count()
                  << " ms; killing it";
    ::kill(pid_, SIGKILL);
    WaitExit(milliseconds(-1));
  }
  return last_status_;
}

::testing::AssertionResult ServerProcess::Restart() {
  int status = Stop();
  if (status != 0 && status != -1) {
    return ::testing::AssertionFailure() << "walnut-server exited with status " << status
                                         << " on SIGTERM\n--- tail of " << log_path_ << " ---\n"
                                         << TailFile(log_path_);
  }
  return Start();
}

redisContext* ServerProcess::Connect(milliseconds timeout) const {
  timeval tv = ToTimeval(timeout);
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c != nullptr && c->err == 0) redisSetTimeout(c, tv);
  return c;
}

RedisConn ServerProcess::Client(milliseconds timeout) const { return ConnectTo(port_, timeout); }

std::string ServerProcess::http_base() const {
  return "http://127.0.0.1:" + std::to_string(http_port_);
}

}  // namespace walnut::test
