// RespWriter: RESP2/RESP3 reply encoding (see resp_writer.h).
#include "protocol/resp_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace walnut::protocol {
namespace {

// Appends s with CR and LF replaced by spaces: a line-typed reply cannot
// carry them, and Redis sanitizes error texts the same way.
void AppendLine(std::string* out, std::string_view s) {
  size_t start = out->size();
  out->append(s);
  for (size_t i = start; i < out->size(); i++) {
    char& c = (*out)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
}

}  // namespace

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, n);
}

void RespWriter::Header(char type, int64_t n) {
  // Made on the stack and appended once: every reply has a header, and each
  // append to the string checks its capacity again.
  char buf[24];
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, end);
}

void RespWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  AppendLine(out_, s);
  out_->append("\r\n");
}

void RespWriter::Error(std::string_view msg) {
  out_->push_back('-');
  // An error code is the first word in upper case (ERR, WRONGTYPE, ...).
  size_t sp = msg.find(' ');
  std::string_view code = msg.substr(0, sp);
  bool has_code = !code.empty();
  for (char c : code) {
    if (!(c >= 'A' && c <= 'Z')) {
      has_code = false;
      break;
    }
  }
  if (!has_code) out_->append("ERR ");
  AppendLine(out_, msg);
  out_->append("\r\n");
}

void RespWriter::Integer(int64_t v) { Header(':', v); }

void RespWriter::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void RespWriter::NullBulk() { out_->append(resp3() ? "_\r\n" : "$-1\r\n"); }
void RespWriter::NullArray() { out_->append(resp3() ? "_\r\n" : "*-1\r\n"); }

void RespWriter::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void RespWriter::MapHeader(size_t pairs) {
  if (resp3()) {
    Header('%', static_cast<int64_t>(pairs));
  } else {
    Header('*', static_cast<int64_t>(pairs * 2));
  }
}

void RespWriter::SetHeader(size_t n) { Header(resp3() ? '~' : '*', static_cast<int64_t>(n)); }
void RespWriter::PushHeader(size_t n) { Header(resp3() ? '>' : '*', static_cast<int64_t>(n)); }

void RespWriter::Double(double v) {
  std::string s = FormatDouble(v);
  if (resp3()) {
    out_->push_back(',');
    out_->append(s);
    out_->append("\r\n");
  } else {
    Bulk(s);
  }
}

void RespWriter::Boolean(bool v) {
  if (resp3()) {
    out_->append(v ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(v ? ":1\r\n" : ":0\r\n");
  }
}

void RespWriter::Verbatim(std::string_view text, std::string_view format) {
  if (!resp3()) {
    Bulk(text);
    return;
  }
  Header('=', static_cast<int64_t>(text.size() + 4));
  out_->append(format.substr(0, 3));
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n");
}

void RespWriter::BigNumber(std::string_view digits) {
  if (!resp3()) {
    Bulk(digits);
    return;
  }
  out_->push_back('(');
  AppendLine(out_, digits);
  out_->append("\r\n");
}

}  // namespace walnut::protocol
