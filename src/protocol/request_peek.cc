// PeekSecondArgs (see request_peek.h).
#include "protocol/request_peek.h"

#include <algorithm>
#include <cstdint>

namespace walnut::protocol {
namespace {

// Reads "<digits>\r\n" at in[*pos] (after the '*' or '$'): at most 10
// digits, so no overflow and nothing the parser's limits would allow is
// missed. False for anything else, which ends the peek.
// Inlined, with one bound for the digit loop: it runs four times per SET
// peeked, and as a call it was most of the peek's instructions.
[[gnu::always_inline]] inline bool ReadLength(std::string_view in, size_t* pos, uint64_t* out) {
  size_t p = *pos;
  const size_t start = p;
  const size_t end = std::min(in.size(), start + 10);
  uint64_t v = 0;
  for (; p < end; p++) {
    const unsigned d = static_cast<unsigned char>(in[p]) - '0';
    if (d > 9) break;
    v = v * 10 + d;
  }
  if (p == start || in.size() - p < 2 || in[p] != '\r' || in[p + 1] != '\n') return false;
  *pos = p + 2;
  *out = v;
  return true;
}

}  // namespace

Peeked PeekSecondArgs(std::string_view in, std::span<std::string_view> keys) {
  Peeked r;
  size_t pos = 0;
  while (r.requests < keys.size()) {
    size_t p = pos;
    uint64_t argc = 0;
    if (p >= in.size() || in[p] != '*') break;
    p++;
    if (!ReadLength(in, &p, &argc) || argc == 0 || argc > kMaxPeekArgs) break;
    std::string_view second;
    uint64_t a = 0;
    for (; a < argc; a++) {
      uint64_t len = 0;
      if (p >= in.size() || in[p] != '$') break;
      p++;
      // The bytes and their CRLF must all be here (no overflow: len < 10^10).
      if (!ReadLength(in, &p, &len) || in.size() - p < len + 2) break;
      if (in[p + len] != '\r' || in[p + len + 1] != '\n') break;
      if (a == 1) second = in.substr(p, len);
      p += len + 2;
    }
    if (a != argc) break;
    if (argc >= 2) keys[r.keys++] = second;
    r.requests++;
    pos = p;
  }
  r.bytes = pos;
  return r;
}

std::string_view PeekFirstKey(std::string_view in) {
  size_t p = 0;
  uint64_t argc = 0;
  if (in.empty() || in[0] != '*') return {};
  p++;
  if (!ReadLength(in, &p, &argc) || argc < 2) return {};
  for (int a = 0; a < 2; a++) {
    uint64_t len = 0;
    if (p >= in.size() || in[p] != '$') return {};
    p++;
    if (!ReadLength(in, &p, &len) || in.size() - p < len + 2) return {};
    if (in[p + len] != '\r' || in[p + len + 1] != '\n') return {};
    if (a == 1) return in.substr(p, len);
    p += len + 2;
  }
  return {};
}

}  // namespace walnut::protocol
