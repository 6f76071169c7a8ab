// walnut::ClockPin — one "now" for everything a thread does in one step.
//
// The engine reads the clock (Options::clock_ms, or the system clock) in
// every call that checks or sets an expiry. A server that has already read
// the time for a request can pin it: while a ClockPin lives, every DB call
// made from that thread takes the pinned time as now. That saves a clock
// read per engine call, and makes a request's checks agree with each other
// (a key cannot expire between two lookups of one command).
//
// Only the constructing thread is affected; the engine's own threads, and
// every other thread, read the clock as before. The pinned time must come
// from the DB's own clock (DB::NowMs, perhaps advanced by a monotonic
// clock), or expiry would follow two different clocks.
#pragma once

#include <cstdint>

namespace walnut {

class ClockPin {
 public:
  explicit ClockPin(int64_t now_ms) : prev_(pinned_) { pinned_ = now_ms; }
  ~ClockPin() { pinned_ = prev_; }
  ClockPin(const ClockPin&) = delete;
  ClockPin& operator=(const ClockPin&) = delete;

  // The time pinned on this thread (the innermost pin), or 0 when none is.
  static int64_t pinned() { return pinned_; }

 private:
  static inline thread_local int64_t pinned_ = 0;
  int64_t prev_;
};

}  // namespace walnut
