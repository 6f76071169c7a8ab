// Redis-style glob matching (see glob.h for the language and its corner cases).
//
// The pattern is first split into tokens: a star, or a matcher that consumes
// exactly one byte (any byte, a literal, or a byte set). Because every
// non-star token has width one, the classic greedy scan that backtracks only
// to the most recent star is exact, and needs neither recursion nor more than
// O(|pattern| * |subject|) steps.
#include "server/glob.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace walnut::server {
namespace {

unsigned char Lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

using Token = GlobPattern::Token;

// Adds byte c to the set, with both cases when matching case-insensitively.
void AddToSet(std::bitset<256>& set, unsigned char c, bool nocase) {
  set.set(c);
  if (nocase) {
    set.set(Lower(c));
    if (c >= 'a' && c <= 'z') set.set(c - ('a' - 'A'));
  }
}

std::vector<Token> Tokenize(std::string_view p, bool nocase) {
  std::vector<Token> out;
  size_t i = 0;
  const size_t n = p.size();
  while (i < n) {
    Token t{};
    const unsigned char c = p[i];
    if (c == '*') {
      // Consecutive stars mean the same as one.
      if (out.empty() || out.back().kind != Token::Kind::kStar) {
        t.kind = Token::Kind::kStar;
        out.push_back(t);
      }
      i++;
      continue;
    }
    if (c == '?') {
      t.kind = Token::Kind::kAny;
      i++;
    } else if (c == '[') {
      t.kind = Token::Kind::kSet;
      i++;
      if (i < n && p[i] == '^') {
        t.negate = true;
        i++;
      }
      // Redis's rules, in Redis's order: an escape, then the closing
      // bracket, then a range "x-y" (only if both ends are present), else a
      // literal. Running off the end closes the set silently.
      while (i < n) {
        if (p[i] == '\\' && n - i >= 2) {
          AddToSet(t.set, p[i + 1], nocase);
          i += 2;
        } else if (p[i] == ']') {
          i++;
          break;
        } else if (n - i >= 3 && p[i + 1] == '-') {
          unsigned char lo = p[i], hi = p[i + 2];
          if (lo > hi) std::swap(lo, hi);
          // Without case, Redis folds the range's ends and the byte alike.
          if (nocase) {
            lo = Lower(lo);
            hi = Lower(hi);
          }
          for (unsigned v = 0; v < 256; v++) {
            const unsigned char b = nocase ? Lower(static_cast<unsigned char>(v)) : v;
            if (b >= lo && b <= hi) t.set.set(v);
          }
          i += 3;
        } else {
          AddToSet(t.set, p[i], nocase);
          i++;
        }
      }
    } else if (c == '\\' && n - i >= 2) {
      t.kind = Token::Kind::kLiteral;
      t.literal = p[i + 1];
      i += 2;
    } else {
      // Includes a lone trailing backslash, which Redis treats as literal.
      t.kind = Token::Kind::kLiteral;
      t.literal = c;
      i++;
    }
    out.push_back(t);
  }
  return out;
}

bool TokenMatches(const Token& t, unsigned char c, bool nocase) {
  switch (t.kind) {
    case Token::Kind::kAny:
      return true;
    case Token::Kind::kLiteral:
      return nocase ? Lower(t.literal) == Lower(c) : t.literal == c;
    case Token::Kind::kSet:
      return t.set.test(c) != t.negate;
    case Token::Kind::kStar:
      break;
  }
  return false;
}

}  // namespace

GlobPattern::GlobPattern(std::string_view pattern, bool nocase)
    : tokens_(Tokenize(pattern, nocase)),
      nocase_(nocase),
      empty_(pattern.empty()),
      matches_all_(GlobMatchesAll(pattern)) {}

bool GlobPattern::Match(std::string_view subject) const {
  // Redis's matcher stops as soon as the subject is empty, so an empty
  // subject matches only an empty pattern: not even "*" (KEYS and SCAN treat
  // a bare "*" specially, before matching, and so still list the empty key).
  if (subject.empty()) return empty_;
  const std::vector<Token>& toks = tokens_;
  const size_t nt = toks.size();
  size_t ti = 0, si = 0;
  size_t star_ti = SIZE_MAX, star_si = 0;  // last star seen and where it resumed
  while (si < subject.size()) {
    if (ti < nt && toks[ti].kind == Token::Kind::kStar) {
      star_ti = ti++;
      star_si = si;
    } else if (ti < nt &&
               TokenMatches(toks[ti], static_cast<unsigned char>(subject[si]), nocase_)) {
      ti++;
      si++;
    } else if (star_ti != SIZE_MAX) {
      // Let the last star swallow one more byte and retry what follows it.
      ti = star_ti + 1;
      si = ++star_si;
    } else {
      return false;
    }
  }
  while (ti < nt && toks[ti].kind == Token::Kind::kStar) ti++;
  return ti == nt;
}

bool GlobMatch(std::string_view pattern, std::string_view subject, bool nocase) {
  return GlobPattern(pattern, nocase).Match(subject);
}

bool GlobMatchesAll(std::string_view pattern) {
  // Only a bare "*" is treated as match-all, as Redis's KEYS and SCAN do; "**"
  // still goes through the matcher (and so skips the empty key, like Redis).
  return pattern == "*";
}

}  // namespace walnut::server
