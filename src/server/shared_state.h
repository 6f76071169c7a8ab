// SharedState: what the RESP event loop and the HTTP API share.
//
// Both front ends execute commands against the same engine. To keep each
// command atomic with respect to every other (a read-modify-write such as
// INCR, or MULTI/EXEC), a command executes only while exec_mu is held. The
// engine handle itself can be swapped (DEBUG RELOAD closes and reopens it), so
// it is read only under exec_mu; a caller that needs it for a long operation
// (compaction) copies the shared_ptr under the lock and releases the lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "walnut/db.h"

namespace walnut::server {

struct SharedState {
  std::mutex exec_mu;
  std::shared_ptr<walnut::DB> db;  // guarded by exec_mu

  // Called (with exec_mu held) after a front end other than the RESP loop
  // changed a key, so WATCH and keyspace bookkeeping see it.
  std::function<void(uint32_t db, std::string_view key)> on_key_written;

  // Prometheus text lines the RESP server contributes to GET /metrics
  // (commands processed, latencies, clients). Called without exec_mu.
  std::function<std::string()> server_metrics;

  // Password (--requirepass); empty means none. Read-only after start-up.
  std::string requirepass;
};

}  // namespace walnut::server
