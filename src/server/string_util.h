// Number parsing and formatting with Redis's exact rules, and the LCS
// algorithm, for the string and key commands.
//
// Clients observe these rules directly: INCR on "007" or " 1" must fail the
// way Redis fails, INCRBYFLOAT must print 10.5 as "10.5" and 0.1+0.2 as
// "0.3", and OBJECT ENCODING must say "int" exactly when Redis would. So the
// functions here reproduce Redis's documented behaviour byte for byte rather
// than using the C++ library's looser conversions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace walnut::server {

// Strict signed 64-bit parse (Redis string2ll): optional '-', then digits
// with no leading zero (except "0" itself), nothing else - no spaces, no '+',
// no "-0" - and no overflow. Returns false and leaves *out alone otherwise.
bool ParseInt64(std::string_view s, int64_t* out);

// Like ParseInt64, and the value must fit in 32 bits (Redis
// getIntFromObject: DB indexes).
bool ParseInt32(std::string_view s, int32_t* out);

// SCAN's cursor, as Redis 7.0 parses it (strtoul over the C string): no
// leading white space, nothing after the digits, no overflow; a sign is
// allowed and a negative number wraps around (so "-1" is 2^64-1), and the
// empty string is cursor 0. Like Redis, the text ends at its first NUL byte.
bool ParseCursor(std::string_view s, uint64_t* out);

// Decimal text of v.
std::string FormatInt64(int64_t v);

// INCRBYFLOAT's operand parse (Redis string2ld): strtold over the whole
// text, which must not start with white space, must be consumed entirely,
// must not be NaN and must not overflow or underflow to zero. Infinity is
// accepted here (the caller rejects an infinite result). Text of 5120 bytes
// or more is rejected, and so is text with a NUL byte (not all consumed).
bool ParseLongDouble(std::string_view s, long double* out);

// INCRBYFLOAT's result text (Redis ld2string, human mode): fixed notation
// with 17 decimals, then trailing zeros and a trailing '.' dropped; "-0"
// becomes "0". v must be finite.
std::string FormatLongDouble(long double v);

// OBJECT ENCODING of a string value as Redis would store it after SET:
// "int" if it is a strict integer of at most 20 bytes, "embstr" if it is at
// most 44 bytes, "raw" otherwise.
std::string_view StringEncoding(std::string_view value);

// True if Redis would share this value's object (small integers 0..9999 are
// shared, so OBJECT REFCOUNT reports INT_MAX for them).
bool IsSharedInteger(std::string_view value);

// ASCII case-insensitive equality (option names such as "EX", "replace").
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// One run of consecutive matching bytes of an LCS: a[a_start..a_end] equals
// b[b_start..b_end] (inclusive ends, as LCS IDX reports them).
struct LcsRange {
  uint64_t a_start, a_end, b_start, b_end;
  uint64_t length() const { return a_end - a_start + 1; }
};

struct LcsResult {
  uint64_t length = 0;           // length of the longest common subsequence
  std::string sequence;          // the subsequence itself, if asked for
  std::vector<LcsRange> ranges;  // the runs, last first (as Redis lists them)
};

// Bytes of working memory ComputeLcs needs for these inputs; the LCS command
// refuses inputs whose table would exceed the bulk length limit, like Redis.
uint64_t LcsTableBytes(size_t a_len, size_t b_len);

// Longest common subsequence by the classic dynamic programme, then a walk
// back from the table's end that prefers moving in `a` only when that keeps
// a strictly longer LCS (Redis's tie rule, so the sequence and the ranges are
// the ones Redis returns). Ranges shorter than min_range_len are left out.
LcsResult ComputeLcs(std::string_view a, std::string_view b, bool want_sequence, bool want_ranges,
                     uint64_t min_range_len);

}  // namespace walnut::server
