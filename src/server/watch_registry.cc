// WatchRegistry (see watch_registry.h).
#include "server/watch_registry.h"

#include <algorithm>

namespace walnut::server {

std::string WatchRegistry::Key(uint32_t db, std::string_view key) {
  std::string k;
  k.reserve(4 + key.size());
  for (int i = 3; i >= 0; i--) k.push_back(static_cast<char>(db >> (8 * i)));
  k.append(key);
  return k;
}

void WatchRegistry::Watch(Client* c, uint32_t db, std::string_view key, bool exists) {
  for (const auto& w : c->watched) {
    if (w.db == db && w.key == key) return;
  }
  c->watched.push_back({db, std::string(key), exists});
  by_key_[Key(db, key)].push_back(c);
}

void WatchRegistry::UnwatchAll(Client* c) {
  for (const auto& w : c->watched) {
    auto it = by_key_.find(Key(w.db, w.key));
    if (it == by_key_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), c), v.end());
    if (v.empty()) by_key_.erase(it);
  }
  c->watched.clear();
  c->watch_dirty = false;
}

void WatchRegistry::Touch(uint32_t db, std::string_view key) {
  if (by_key_.empty()) return;
  auto it = by_key_.find(Key(db, key));
  if (it == by_key_.end()) return;
  for (Client* c : it->second) c->watch_dirty = true;
}

void WatchRegistry::TouchDb(uint32_t db, const std::function<bool(std::string_view)>& exists) {
  for (auto& [k, clients] : by_key_) {
    uint32_t d = (uint32_t(uint8_t(k[0])) << 24) | (uint32_t(uint8_t(k[1])) << 16) |
                 (uint32_t(uint8_t(k[2])) << 8) | uint32_t(uint8_t(k[3]));
    if (d != db || !exists(std::string_view(k).substr(4))) continue;
    for (Client* c : clients) c->watch_dirty = true;
  }
}

void WatchRegistry::TouchAll(const std::function<bool(uint32_t, std::string_view)>& exists) {
  for (auto& [k, clients] : by_key_) {
    uint32_t d = (uint32_t(uint8_t(k[0])) << 24) | (uint32_t(uint8_t(k[1])) << 16) |
                 (uint32_t(uint8_t(k[2])) << 8) | uint32_t(uint8_t(k[3]));
    if (!exists(d, std::string_view(k).substr(4))) continue;
    for (Client* c : clients) c->watch_dirty = true;
  }
}

}  // namespace walnut::server
