#include "common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace walnut {

namespace {

// setpriority(PRIO_PROCESS, tid) addresses one thread on Linux (its nice
// value is per thread, unlike what POSIX says of processes).
id_t ThisThread() { return static_cast<id_t>(::syscall(SYS_gettid)); }

}  // namespace

void LowerThreadPriority(int increment) {
  increment = std::clamp(increment, 0, 19);
  if (increment == 0) return;
  const int now = ThreadNice();
  (void)::setpriority(PRIO_PROCESS, ThisThread(), std::min(now + increment, 19));
}

int ThreadNice() {
  errno = 0;
  const int v = ::getpriority(PRIO_PROCESS, ThisThread());
  return errno == 0 ? v : 0;  // -1 is also a valid nice value, hence errno
}

}  // namespace walnut
