// Redis-style glob matching, as used by KEYS, SCAN MATCH and CONFIG GET.
//
// The pattern language is Redis's (not POSIX fnmatch): `*` matches any run of
// bytes (also empty), `?` exactly one byte, `[abc]` one byte of a set, `[^abc]`
// one byte outside it, `[a-z]` a byte range (ends in either order), and a
// backslash makes the next byte literal, inside or outside a set. Patterns and
// subjects are arbitrary bytes: NUL, CR and LF are ordinary characters.
//
// Redis's corner cases are kept on purpose, because clients rely on KEYS and
// SCAN answering exactly as Redis does: an unterminated set (`[ab`) is the set
// of the bytes up to the pattern's end, `[]` matches nothing, `[^]` matches
// any one byte, `[a-]` is a range ending at `]`, and a trailing lone backslash
// is a literal backslash. One deliberate difference: range ends compare as
// unsigned bytes, where Redis compares (signed) chars, so `[a-\xff]` means
// what it says.
#pragma once

#include <bitset>
#include <cstdint>
#include <string_view>
#include <vector>

namespace walnut::server {

// A pattern parsed once and matched against many subjects (KEYS and SCAN
// match every key of a database against one pattern). Copyable; immutable
// after construction, so one object may be used from several threads.
class GlobPattern {
 public:
  explicit GlobPattern(std::string_view pattern, bool nocase = false);
  bool Match(std::string_view subject) const;
  // The pattern matches every subject (a bare "*"), so callers can skip it.
  bool matches_all() const { return matches_all_; }

  // One element of a parsed pattern: a star, or a matcher of exactly one byte.
  struct Token {
    enum class Kind : uint8_t { kStar, kAny, kLiteral, kSet };
    Kind kind;
    bool negate = false;        // kSet: [^...]
    unsigned char literal = 0;  // kLiteral
    std::bitset<256> set;       // kSet: the listed bytes, before negation
  };

 private:
  std::vector<Token> tokens_;
  bool nocase_;
  bool empty_;  // the pattern was ""
  bool matches_all_;
};

// True if `subject` matches `pattern`. With nocase, ASCII letters compare
// case-insensitively (CONFIG GET). Runs in O(|pattern| * |subject|) time at
// worst, with no recursion, so a hostile pattern such as "*a*a*a*a*b" cannot
// blow the stack or take exponential time.
bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase = false);

// True if the pattern matches every subject ("*", "**", ...), which lets
// KEYS/SCAN skip matching altogether.
bool GlobMatchesAll(std::string_view pattern);

}  // namespace walnut::server
