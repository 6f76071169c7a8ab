// Redis-exact number parsing/formatting and the LCS algorithm (see
// string_util.h for each rule and why it is the rule).
#include "server/string_util.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace walnut::server {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) i++;
  // The first digit must be 1-9: this rejects "", "-", "-0", "00", "+1" and
  // anything with a leading space in one test.
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); i++) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  // The magnitude of INT64_MIN is one more than INT64_MAX.
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMaxPositive + 1) return false;
    *out = static_cast<int64_t>(0 - v);  // wraps to INT64_MIN exactly when v = 2^63
  } else {
    if (v > kMaxPositive) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseInt32(std::string_view s, int32_t* out) {
  int64_t v;
  if (!ParseInt64(s, &v)) return false;
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = static_cast<int32_t>(v);
  return true;
}

bool ParseCursor(std::string_view s, uint64_t* out) {
  // Redis hands the C string to strtoul, so a NUL ends it.
  const size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  if (!s.empty() && std::isspace(static_cast<unsigned char>(s[0]))) return false;
  const std::string text(s);
  errno = 0;
  char* end = nullptr;
  const unsigned long long u = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = u;
  return true;
}

std::string FormatInt64(int64_t v) { return std::to_string(v); }

bool ParseLongDouble(std::string_view s, long double* out) {
  constexpr size_t kMaxChars = 5 * 1024;  // Redis's MAX_LONG_DOUBLE_CHARS
  if (s.empty() || s.size() >= kMaxChars) return false;
  // strtold would stop at a NUL byte; Redis requires every byte consumed.
  if (s.find('\0') != std::string_view::npos) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  const std::string text(s);
  errno = 0;
  char* end = nullptr;
  const long double v = std::strtold(text.c_str(), &end);
  if (*end != '\0') return false;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO)) {
    return false;
  }
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

std::string FormatLongDouble(long double v) {
  // %.17Lf of the largest long double is under 5,000 characters.
  char buf[5 * 1024];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) return "0";
  std::string s(buf, static_cast<size_t>(n));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string_view StringEncoding(std::string_view value) {
  int64_t v;
  if (value.size() <= 20 && ParseInt64(value, &v)) return "int";
  if (value.size() <= 44) return "embstr";
  return "raw";
}

bool IsSharedInteger(std::string_view value) {
  int64_t v;
  return value.size() <= 20 && ParseInt64(value, &v) && v >= 0 && v < 10000;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

uint64_t LcsTableBytes(size_t a_len, size_t b_len) {
  const unsigned __int128 cells =
      static_cast<unsigned __int128>(a_len + 1) * static_cast<unsigned __int128>(b_len + 1);
  const unsigned __int128 bytes = cells * sizeof(uint32_t);
  if (bytes > std::numeric_limits<uint64_t>::max()) return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(bytes);
}

LcsResult ComputeLcs(std::string_view a, std::string_view b, bool want_sequence, bool want_ranges,
                     uint64_t min_range_len) {
  LcsResult r;
  const size_t na = a.size(), nb = b.size();
  const size_t width = nb + 1;
  // table[i * width + j] = LCS length of a[0..i) and b[0..j). 32-bit cells
  // suffice: the caller caps the table (and so both lengths) well below 2^32.
  std::vector<uint32_t> table((na + 1) * width, 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return table[i * width + j]; };
  for (size_t i = 1; i <= na; i++) {
    for (size_t j = 1; j <= nb; j++) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  r.length = at(na, nb);
  if (!want_sequence && !want_ranges) return r;
  if (want_sequence) r.sequence.assign(r.length, '\0');

  // Walk back from the end. A run of matches along the diagonal forms one
  // range; it is closed (and reported) when the walk leaves the diagonal or
  // reaches the start of either string.
  size_t i = na, j = nb, fill = r.length;
  bool open = false;
  LcsRange cur{};
  auto close = [&] {
    if (want_ranges && (min_range_len == 0 || cur.length() >= min_range_len)) {
      r.ranges.push_back(cur);
    }
    open = false;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      if (want_sequence) r.sequence[--fill] = a[i - 1];
      if (!open) {
        cur = LcsRange{i - 1, i - 1, j - 1, j - 1};
        open = true;
      } else {
        // The previous match was at (i, j), so this one extends the run.
        cur.a_start = i - 1;
        cur.b_start = j - 1;
      }
      i--;
      j--;
      if (i == 0 || j == 0) close();
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        i--;
      } else {
        j--;
      }
      if (open) close();
    }
  }
  return r;
}

}  // namespace walnut::server
