// CommandClock: the event loop's time, read once per command.
//
// A command needs the wall time (expiry: SET EX, TTL, the engine's checks)
// and its own duration (INFO commandstats). Read one by one that was four or
// five clock reads per command, ~24 ns each on this VM (vDSO clock_gettime):
// 9% of the server's CPU under pipelined GETs (perf, GET -P 16). Here the
// loop reads both clocks once per turn, and each command ends with one
// monotonic read, which is also where the next command's time starts
// ("laps"). A command's wall time is the turn's wall time plus the monotonic
// time elapsed since, so it still advances within a long pipeline.
//
// A duration therefore also covers what ran between the previous lap and
// the command: parsing it and the loop's bookkeeping, well under a
// microsecond. Mark() starts a new lap where other work (socket reads) ran.
#pragma once

#include <chrono>
#include <cstdint>

namespace walnut::server {

class CommandClock {
 public:
  using Mono = std::chrono::steady_clock;

  // At the start of a loop turn: `wall_ms` is the engine's time (DB::NowMs).
  void StartTurn(int64_t wall_ms) {
    wall_base_ms_ = wall_ms;
    mono_base_ = last_ = Mono::now();
  }
  // Starts a new lap: what ran since the last one belongs to no command.
  void Mark() { last_ = Mono::now(); }
  // The wall time as of the last lap: the start of the command about to run.
  int64_t WallMs() const {
    return wall_base_ms_ +
           std::chrono::duration_cast<std::chrono::milliseconds>(last_ - mono_base_).count();
  }
  // The turn's wall time, for what needs no better than that (idle times).
  int64_t turn_wall_ms() const { return wall_base_ms_; }
  Mono::time_point last() const { return last_; }
  // Ends a lap (one clock read); returns its end.
  Mono::time_point Lap() { return last_ = Mono::now(); }

 private:
  int64_t wall_base_ms_ = 0;
  Mono::time_point mono_base_{};
  Mono::time_point last_{};
};

}  // namespace walnut::server
