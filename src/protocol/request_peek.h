// PeekSecondArgs: a look ahead into a connection's unparsed input.
//
// The server executes pipelined requests one at a time, and each one's key
// lookup misses the CPU cache twice (the index slot, then the entry). Knowing
// the keys of the next few requests first lets the engine fetch the memory
// for all of them at once (DB::Prefetch), so the lookups wait for memory
// together instead of one after another.
//
// This scanner finds those keys without parsing: it steps over complete
// multibulk requests with plain headers and stops at anything else (an inline
// request, one not complete yet, a header the parser would have to judge).
// What it returns is a hint for prefetching and decides nothing: every
// request is still parsed, checked and rejected by RequestParser alone.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace walnut::protocol {

struct Peeked {
  size_t requests = 0;  // complete requests stepped over
  size_t bytes = 0;     // the bytes of `in` they occupy
  size_t keys = 0;      // second arguments written (requests with two or more)
};

// Steps over at most keys.size() requests at the start of `in`, writing the
// second argument of each (for GET, SET, INCR and most commands: the key) to
// `keys`, in order. The views point into `in`. Requests with more than
// kMaxPeekArgs arguments stop the scan: stepping over them would cost more
// than the one prefetch they could give.
inline constexpr size_t kMaxPeekArgs = 64;
Peeked PeekSecondArgs(std::string_view in, std::span<std::string_view> keys);

// The second argument of the request at the start of `in`, read as far as
// that argument and no further (empty if the request has fewer than two
// arguments, or its first two are not all there or not plain). For a look
// across connections, one request each: the rest of the request is the
// parser's to step over, and a long MGET or MSET is not scanned twice.
std::string_view PeekFirstKey(std::string_view in);

}  // namespace walnut::protocol
