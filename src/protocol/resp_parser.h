// RequestParser: incremental parser for client requests in RESP2.
//
// A request is either a multibulk ("*<n>\r\n" then n "$<len>\r\n<bytes>\r\n")
// or an inline command (one line of space-separated, optionally quoted words,
// as typed into telnet). The parser is fed the connection's unconsumed input
// again and again as it grows; it keeps how far it got in the current
// request, so a large or trickling request is scanned once, not once per
// read. Multibulk arguments are views into the caller's buffer (no copy);
// inline arguments are unquoted into the parser's own storage.
//
// Limits are checked as soon as a length header is read and before anything
// is allocated for it, so a client cannot make the server reserve memory it
// never sends. Errors carry Redis's exact texts ("Protocol error: ..."); the
// server replies with "-ERR <text>" and closes that connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::protocol {

struct ParserLimits {
  // proto-max-bulk-len: the largest bulk argument.
  int64_t max_bulk_len = 512ll << 20;
  // The most arguments in one multibulk request.
  int64_t max_multibulk_len = 1024 * 1024;
  // The longest inline request line, and the longest "*<n>" / "$<len>"
  // header line (Redis's PROTO_INLINE_MAX_SIZE).
  size_t max_inline_len = 64 * 1024;
  // Stricter limits while the client has not authenticated and a password
  // is required (Redis: at most 10 arguments of at most 16 KiB each), so an
  // unauthenticated client cannot make the server buffer much.
  bool unauthenticated = false;
  int64_t unauth_max_multibulk_len = 10;
  int64_t unauth_max_bulk_len = 16 * 1024;
};

class RequestParser {
 public:
  enum class Result {
    kOk,        // a request is complete: see args() and consumed()
    kNeedMore,  // the input ends inside a request; call again with more
    kEmpty,     // an empty request (blank inline line, "*0"): skip consumed() bytes
    kError,     // protocol error: see error(); the connection must be closed
  };

  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses the request at the start of `in`. `in` must start where the
  // previous kOk/kEmpty request ended, and must hold at least the bytes
  // passed in the previous call (more may have been appended; the buffer may
  // have moved). After kOk, args() views point into `in` (multibulk) or into
  // the parser (inline) and stay valid until the next Parse or Reset call
  // and while the caller keeps those bytes unchanged.
  Result Parse(std::string_view in);

  const std::vector<std::string_view>& args() const { return args_; }
  // Bytes of `in` the finished request occupied (kOk, kEmpty).
  size_t consumed() const { return consumed_; }
  // The error text without "ERR " (kError), e.g. "Protocol error: invalid
  // bulk length".
  const std::string& error() const { return error_; }
  // While kNeedMore inside a bulk argument: bytes still missing before the
  // request can complete (at least). A hint for sizing reads.
  size_t bytes_missing() const { return bytes_missing_; }
  // True when a multibulk request is partly parsed (the caller must keep its bytes).
  bool in_request() const { return pos_ != 0; }

  void set_limits(const ParserLimits& limits) { limits_ = limits; }
  const ParserLimits& limits() const { return limits_; }
  // Forgets a partly parsed request.
  void Reset();

 private:
  Result ParseInline(std::string_view in);
  Result ParseMultibulk(std::string_view in);
  Result Fail(std::string_view msg);

  ParserLimits limits_;
  // State of the multibulk request in progress; offsets are from its start.
  size_t pos_ = 0;               // bytes parsed so far
  int64_t multibulk_left_ = -1;  // arguments still to read; -1: count not read yet
  int64_t bulk_len_ = -1;        // length of the argument being read; -1: header not read
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of each argument
  std::vector<std::string> inline_args_;          // storage for inline arguments
  std::vector<std::string_view> args_;
  size_t consumed_ = 0;
  size_t bytes_missing_ = 0;
  std::string error_;
};

// Splits an inline request line into arguments with Redis's rules (words
// separated by spaces/tabs; "double quotes" with \n \r \t \b \a \\ \" \xHH
// escapes; 'single quotes' with \' only; a closing quote must be followed by
// a space or the end). False on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace walnut::protocol
