// Implementation of RedisClient and the reply renderers (see redis_client.h).
#include "cli/redis_client.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace walnut::cli {

namespace {

timeval ToTimeval(double seconds) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  return tv;
}

// Quotes a bulk string the way redis-cli shows it: printable bytes as they
// are, the rest escaped, so binary values are visible and unambiguous.
void AppendQuoted(std::string* out, const char* s, size_t len) {
  out->push_back('"');
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
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
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out->push_back(static_cast<char>(c));
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out->append(buf);
        }
    }
  }
  out->push_back('"');
}

void FormatTty(const redisReply* r, const std::string& indent, std::string* out) {
  switch (r->type) {
    case REDIS_REPLY_ERROR:
      out->append("(error) ").append(r->str, r->len).push_back('\n');
      break;
    case REDIS_REPLY_STATUS:
      out->append(r->str, r->len).push_back('\n');
      break;
    case REDIS_REPLY_INTEGER:
      out->append("(integer) ").append(std::to_string(r->integer)).push_back('\n');
      break;
    case REDIS_REPLY_NIL:
      out->append("(nil)\n");
      break;
    case REDIS_REPLY_STRING:
      AppendQuoted(out, r->str, r->len);
      out->push_back('\n');
      break;
    case REDIS_REPLY_ARRAY: {
      if (r->elements == 0) {
        out->append("(empty array)\n");
        break;
      }
      // Indices are right-aligned to the widest one; nested elements are
      // indented past "N) " so they line up under their parent's text.
      size_t width = std::to_string(r->elements).size();
      std::string child_indent = indent + std::string(width + 2, ' ');
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out->append(indent);
        std::string index = std::to_string(i + 1);
        out->append(std::string(width - index.size(), ' ')).append(index).append(") ");
        FormatTty(r->element[i], child_indent, out);
      }
      break;
    }
    default:
      out->append("(unknown reply type)\n");
  }
}

void FormatRaw(const redisReply* r, std::string* out) {
  switch (r->type) {
    case REDIS_REPLY_ERROR:
      out->append("(error) ").append(r->str, r->len).push_back('\n');
      break;
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_STRING:
      out->append(r->str, r->len).push_back('\n');
      break;
    case REDIS_REPLY_INTEGER:
      out->append(std::to_string(r->integer)).push_back('\n');
      break;
    case REDIS_REPLY_NIL:
      out->push_back('\n');
      break;
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < r->elements; ++i) FormatRaw(r->element[i], out);
      break;
    default:
      out->append("(unknown reply type)\n");
  }
}

}  // namespace

std::string CannotConnectMessage(const ConnectOptions& options, const std::string& why) {
  return "cannot connect to walnut-server at " + options.host + ":" + std::to_string(options.port) +
         ": " + why +
         ". Is it running? Check with `walnut status`, start it with `walnut start`, or pick "
         "another server with -h HOST -p PORT.";
}

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const ConnectOptions& options) {
  std::unique_ptr<RedisClient> client(new RedisClient(options));
  Status s = client->Open();
  if (!s.ok()) return s;
  return client;
}

RedisClient::~RedisClient() {
  if (ctx_ != nullptr) redisFree(ctx_);
  CloseTls();
}

void RedisClient::CloseTls() {
  tls_.reset();
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = nullptr;
}

Status RedisClient::Open() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  CloseTls();
  tls_error_.clear();
  if (options_.tls) {
    auto s = TlsStream::Connect(options_.host, options_.port, options_.timeout_seconds,
                                options_.tls_options);
    if (!s.ok()) {
      tls_error_ = s.status().message();
      if (s.status().IsInvalidArgument()) return s.status();
      return Status::IOError(CannotConnectMessage(options_, tls_error_));
    }
    tls_ = std::move(s).value();
    reader_ = redisReaderCreate();
    if (reader_ == nullptr) return Status::IOError(CannotConnectMessage(options_, "out of memory"));
  } else {
    timeval tv = ToTimeval(options_.timeout_seconds);
    ctx_ = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
    if (ctx_ == nullptr) return Status::IOError(CannotConnectMessage(options_, "out of memory"));
    if (ctx_->err != 0) return Status::IOError(CannotConnectMessage(options_, ctx_->errstr));
    redisSetTimeout(ctx_, tv);
  }
  if (!options_.password.empty()) {
    Reply r = Command({"AUTH", options_.password});
    if (r == nullptr) return Status::IOError(CannotConnectMessage(options_, error()));
    if (r->type == REDIS_REPLY_ERROR) {
      return Status::InvalidArgument("authentication failed: " + std::string(r->str, r->len) +
                                     " (check the password given with -a)");
    }
  }
  return Status::OK();
}

Status RedisClient::Reconnect() { return Open(); }

Reply RedisClient::Command(const std::vector<std::string>& args) {
  if (!connected()) return nullptr;
  if (tls_ != nullptr) return TlsCommand(args);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data())));
}

Reply RedisClient::ReadReply() {
  if (!connected()) return nullptr;
  if (tls_ != nullptr) return TlsReadReply();
  void* reply = nullptr;
  if (redisGetReply(ctx_, &reply) != REDIS_OK) return nullptr;
  return Reply(static_cast<redisReply*>(reply));
}

Reply RedisClient::TlsCommand(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  if (len < 0) {
    tls_error_ = "out of memory";
    return nullptr;
  }
  Status s = tls_->WriteAll(std::string_view(cmd, static_cast<size_t>(len)));
  std::free(cmd);
  if (!s.ok()) {
    tls_error_ = s.message();
    return nullptr;
  }
  return TlsReadReply();
}

Reply RedisClient::TlsReadReply() {
  char buf[16 * 1024];
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
      tls_error_ = std::string("protocol error: ") + reader_->errstr;
      return nullptr;
    }
    if (reply != nullptr) return Reply(static_cast<redisReply*>(reply));
    Result<size_t> n = tls_->Read(buf, sizeof(buf));
    if (!n.ok()) {
      tls_error_ = n.status().message();
      return nullptr;
    }
    redisReaderFeed(reader_, buf, n.value());
  }
}

bool RedisClient::connected() const {
  if (options_.tls) return tls_ != nullptr && tls_error_.empty();
  return ctx_ != nullptr && ctx_->err == 0;
}

std::string RedisClient::error() const {
  if (options_.tls) return tls_ == nullptr && tls_error_.empty() ? "not connected" : tls_error_;
  if (ctx_ == nullptr) return "not connected";
  return ctx_->err != 0 ? std::string(ctx_->errstr) : std::string();
}

std::string RedisClient::address() const {
  return options_.host + ":" + std::to_string(options_.port);
}

std::string FormatReplyTty(const redisReply* reply) {
  std::string out;
  if (reply != nullptr) FormatTty(reply, "", &out);
  return out;
}

std::string FormatReplyRaw(const redisReply* reply) {
  std::string out;
  if (reply != nullptr) FormatRaw(reply, &out);
  return out;
}

std::string InfoField(const std::string& info, const std::string& field) {
  std::string needle = field + ":";
  size_t pos = 0;
  while ((pos = info.find(needle, pos)) != std::string::npos) {
    if (pos == 0 || info[pos - 1] == '\n') {
      size_t start = pos + needle.size();
      size_t end = info.find_first_of("\r\n", start);
      return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    pos += needle.size();
  }
  return "";
}

}  // namespace walnut::cli
