// Background work (compaction, the snapshot's value loader) runs at a lower
// CPU priority than the threads that serve requests. On a machine with as
// many busy threads as cores, the scheduler otherwise shares a core evenly
// between the event loop and a compaction, so foreground throughput halves
// and a request waits behind the compaction's time slice while it runs
// (bench/results/compare.md, the compaction rows). A lower priority only
// matters when the CPU is contended: on an idle core the compaction still
// runs at full speed, so the policy's disk bound is unaffected.
#pragma once

namespace walnut {

// Raises the calling thread's nice value by `increment` (0..19; 0 changes
// nothing). Threads it starts afterwards inherit the value. Linux keeps a
// nice value per thread, so the rest of the process keeps its own. Best
// effort: a failure leaves the priority as it was. Lowering a priority needs
// no privilege, but raising it back does, so call it only in threads that do
// nothing but background work.
void LowerThreadPriority(int increment);

// The calling thread's nice value (for INFO and tests).
int ThreadNice();

}  // namespace walnut
