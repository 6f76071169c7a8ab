// RequestParser: incremental RESP2 request parsing (see resp_parser.h).
//
// The multibulk state machine follows Redis's processMultibulkBuffer so that
// what is accepted, what is rejected and the error texts match: header lines
// end at '\r' (the '\n' must also be present), a bulk argument is its length
// plus two trailing bytes, and limits apply when the header is read.
#include "protocol/resp_parser.h"

#include <charconv>
#include <cstring>

namespace walnut::protocol {
namespace {

// Parses a signed decimal that fills all of s (Redis's string2ll rules: no
// spaces, no '+', no leading zeros except "0" itself).
bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  if (s.size() > 2 && s[0] == '-' && s[1] == '0') return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The common header line, "<digits>\r" followed by one more byte: up to 18
// digits without sign or leading zero, so it cannot overflow and is exactly
// what ParseInt accepts. `p` points after the type byte ('*' or '$').
// Returns the bytes of the line after the type byte (digits, CR and the byte
// after it) and sets *out, or 0 for anything else: incomplete, signed, too
// long, malformed. The general path then decides, with Redis's errors, so
// this changes speed only, never what is accepted. Saves the memchr and
// from_chars calls on every argument of every request.
[[gnu::always_inline]] inline size_t FastHeader(const char* p, size_t n, int64_t* out) {
  size_t i = 0;
  int64_t v = 0;
  const size_t max_digits = n < 18 ? n : 18;
  while (i < max_digits) {
    const unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) break;
    v = v * 10 + d;
    i++;
  }
  if (i == 0 || i + 2 > n || p[i] != '\r' || (p[0] == '0' && i > 1)) return 0;
  *out = v;
  return i + 2;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t p = 0, n = line.size();
  while (true) {
    while (p < n && IsSpace(line[p])) p++;
    if (p >= n) return true;
    std::string cur;
    bool inq = false, insq = false, done = false;
    while (!done) {
      if (inq) {
        if (p >= n) return false;  // unterminated double quote
        if (line[p] == '\\' && p + 3 < n + 0 && line[p + 1] == 'x' && HexValue(line[p + 2]) >= 0 &&
            HexValue(line[p + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3])));
          p += 3;
        } else if (line[p] == '\\' && p + 1 < n) {
          p++;
          char c = line[p];
          switch (c) {
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'b':
              c = '\b';
              break;
            case 'a':
              c = '\a';
              break;
            default:
              break;
          }
          cur.push_back(c);
        } else if (line[p] == '"') {
          // The closing quote must be followed by a space or the end.
          if (p + 1 < n && !IsSpace(line[p + 1])) return false;
          done = true;
        } else {
          cur.push_back(line[p]);
        }
      } else if (insq) {
        if (p >= n) return false;  // unterminated single quote
        if (line[p] == '\\' && p + 1 < n && line[p + 1] == '\'') {
          p++;
          cur.push_back('\'');
        } else if (line[p] == '\'') {
          if (p + 1 < n && !IsSpace(line[p + 1])) return false;
          done = true;
        } else {
          cur.push_back(line[p]);
        }
      } else {
        if (p >= n) {
          done = true;
          break;
        }
        switch (line[p]) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            inq = true;
            break;
          case '\'':
            insq = true;
            break;
          default:
            cur.push_back(line[p]);
            break;
        }
      }
      if (p < n) p++;
    }
    out->push_back(std::move(cur));
  }
}

void RequestParser::Reset() {
  pos_ = 0;
  multibulk_left_ = -1;
  bulk_len_ = -1;
  spans_.clear();
  bytes_missing_ = 0;
}

RequestParser::Result RequestParser::Fail(std::string_view msg) {
  error_.assign(msg);
  Reset();
  return Result::kError;
}

RequestParser::Result RequestParser::Parse(std::string_view in) {
  args_.clear();
  consumed_ = 0;
  bytes_missing_ = 0;
  if (pos_ == 0 && multibulk_left_ < 0) {
    if (in.empty()) return Result::kNeedMore;
    if (in[0] != '*') return ParseInline(in);
  }
  return ParseMultibulk(in);
}

RequestParser::Result RequestParser::ParseInline(std::string_view in) {
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) {
    if (in.size() > limits_.max_inline_len) return Fail("Protocol error: too big inline request");
    return Result::kNeedMore;
  }
  size_t line_len = nl;
  if (line_len > 0 && in[line_len - 1] == '\r') line_len--;
  if (line_len > limits_.max_inline_len) return Fail("Protocol error: too big inline request");
  if (!SplitInlineArgs(in.substr(0, line_len), &inline_args_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  consumed_ = nl + 1;
  if (inline_args_.empty()) return Result::kEmpty;
  if (limits_.unauthenticated &&
      static_cast<int64_t>(inline_args_.size()) > limits_.unauth_max_multibulk_len) {
    return Fail("Protocol error: unauthenticated multibulk length");
  }
  for (const std::string& a : inline_args_) args_.emplace_back(a);
  return Result::kOk;
}

RequestParser::Result RequestParser::ParseMultibulk(std::string_view in) {
  if (multibulk_left_ < 0) {
    // "*<count>\r\n"
    int64_t count;
    size_t header = FastHeader(in.data() + 1, in.size() - 1, &count);
    if (header != 0) {
      if (count > limits_.max_multibulk_len)
        return Fail("Protocol error: invalid multibulk length");
      header += 1;
    } else {
      const char* cr = static_cast<const char*>(std::memchr(in.data(), '\r', in.size()));
      if (cr == nullptr) {
        if (in.size() > limits_.max_inline_len)
          return Fail("Protocol error: too big mbulk count string");
        return Result::kNeedMore;
      }
      size_t cr_pos = static_cast<size_t>(cr - in.data());
      if (cr_pos > limits_.max_inline_len)
        return Fail("Protocol error: too big mbulk count string");
      if (cr_pos + 2 > in.size()) return Result::kNeedMore;  // the '\n' is not here yet
      if (!ParseInt(in.substr(1, cr_pos - 1), &count) || count > limits_.max_multibulk_len) {
        return Fail("Protocol error: invalid multibulk length");
      }
      header = cr_pos + 2;
    }
    if (limits_.unauthenticated && count > limits_.unauth_max_multibulk_len) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = header;
    if (count <= 0) {
      consumed_ = pos_;
      Reset();
      return Result::kEmpty;
    }
    multibulk_left_ = count;
    // Reserve for what a client can claim cheaply, not for what it announces.
    spans_.reserve(static_cast<size_t>(count < 1024 ? count : 1024));
  }

  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0) {
      // "$<len>\r\n"
      std::string_view rest = in.substr(pos_);
      int64_t fast_len;
      size_t header;
      if (rest.size() > 1 && rest[0] == '$' &&
          (header = FastHeader(rest.data() + 1, rest.size() - 1, &fast_len)) != 0 &&
          fast_len <= limits_.max_bulk_len &&
          !(limits_.unauthenticated && fast_len > limits_.unauth_max_bulk_len)) {
        pos_ += header + 1;
        bulk_len_ = fast_len;
      }
    }
    if (bulk_len_ < 0) {
      std::string_view rest = in.substr(pos_);
      const char* cr = static_cast<const char*>(std::memchr(rest.data(), '\r', rest.size()));
      if (cr == nullptr) {
        if (rest.size() > limits_.max_inline_len) {
          return Fail("Protocol error: too big bulk count string");
        }
        return Result::kNeedMore;
      }
      size_t cr_pos = static_cast<size_t>(cr - rest.data());
      if (cr_pos > limits_.max_inline_len) return Fail("Protocol error: too big bulk count string");
      if (cr_pos + 2 > rest.size()) return Result::kNeedMore;
      if (rest[0] != '$') {
        std::string msg = "Protocol error: expected '$', got '";
        msg.push_back(rest[0]);
        msg.push_back('\'');
        return Fail(msg);
      }
      int64_t len;
      if (!ParseInt(rest.substr(1, cr_pos - 1), &len) || len < 0 || len > limits_.max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (limits_.unauthenticated && len > limits_.unauth_max_bulk_len) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      pos_ += cr_pos + 2;
      bulk_len_ = len;
    }
    // The argument and the two bytes after it (Redis does not check that
    // they are CRLF; neither do we, so that we accept what Redis accepts).
    size_t need = static_cast<size_t>(bulk_len_) + 2;
    if (in.size() - pos_ < need) {
      bytes_missing_ = need - (in.size() - pos_);
      return Result::kNeedMore;
    }
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += need;
    bulk_len_ = -1;
    multibulk_left_--;
  }

  args_.reserve(spans_.size());
  for (auto [off, len] : spans_) args_.push_back(in.substr(off, len));
  consumed_ = pos_;
  Reset();
  return Result::kOk;
}

}  // namespace walnut::protocol
