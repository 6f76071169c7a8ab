// WatchRegistry: which clients WATCH which keys, for MULTI/EXEC's optimistic
// locking.
//
// A write to a watched key marks every client watching it dirty; EXEC of a
// dirty client fails (null reply). All calls happen with
// SharedState::exec_mu held (commands of both front ends run under it), so
// the registry needs no lock of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/client.h"

namespace walnut::server {

class WatchRegistry {
 public:
  // Adds (db, key) to the client's watched set (idempotent). `exists`: the
  // key is present now (see Client::WatchedKey).
  void Watch(Client* c, uint32_t db, std::string_view key, bool exists);
  // Removes all of the client's watches (UNWATCH, EXEC, DISCARD, close).
  void UnwatchAll(Client* c);
  // A key was written: marks its watchers dirty.
  void Touch(uint32_t db, std::string_view key);
  // Every watched key of database `db` for which exists(key) is true is
  // marked dirty (FLUSHDB, and SWAPDB for both databases). Redis marks only
  // keys that exist, so a watch on a missing key survives a flush.
  void TouchDb(uint32_t db, const std::function<bool(std::string_view key)>& exists);
  // Every watched key of every database (FLUSHALL), with the same rule.
  void TouchAll(const std::function<bool(uint32_t db, std::string_view key)>& exists);
  bool empty() const { return by_key_.empty(); }
  size_t watched_keys() const { return by_key_.size(); }

 private:
  static std::string Key(uint32_t db, std::string_view key);
  // db (4 bytes, big-endian) + key -> clients watching it.
  absl::flat_hash_map<std::string, std::vector<Client*>> by_key_;
};

}  // namespace walnut::server
