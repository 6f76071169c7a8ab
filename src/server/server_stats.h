// ServerStats: counters for INFO, CONFIG RESETSTAT and GET /metrics.
//
// Written by the event-loop thread, read by INFO (same thread) and by the
// HTTP API's /metrics (other threads, without exec_mu), hence atomics with
// relaxed ordering: each number is exact, a set of them is not a snapshot.
// Per-command statistics live in a table fixed at start-up (one entry per
// command and subcommand), so lookups need no lock either.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/command_table.h"

namespace walnut::server {

struct CommandStats {
  // Upper bounds (seconds) of the latency histogram's buckets; +Inf is last.
  static constexpr std::array<double, 9> kBounds = {1e-5, 5e-5, 1e-4, 5e-4, 1e-3,
                                                    5e-3, 1e-2, 1e-1, 1.0};
  std::string full_name;  // "get", "client|list"
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected_calls{0};  // refused before running (arity, auth, ...)
  std::atomic<uint64_t> failed_calls{0};    // ran and replied with an error
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets{};

  void Record(uint64_t micros);
  void Reset();
};

class ServerStats {
 public:
  // Creates an entry for every command and subcommand of the table.
  void Init(const CommandTable& table);
  CommandStats* For(const CommandSpec* spec) const;

  std::atomic<uint64_t> total_commands{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> connected_clients{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> expired_keys{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> total_error_replies{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> output_limit_disconnections{0};
  std::atomic<uint64_t> log_flushes{0};
  std::atomic<uint64_t> log_flush_usec{0};
  std::atomic<uint64_t> log_flush_failures{0};
  // TLS port: connections accepted, and those closed before their handshake
  // completed (plain-text clients, refused certificates, early hang-ups).
  std::atomic<uint64_t> total_tls_connections{0};
  std::atomic<uint64_t> tls_handshake_failures{0};

  // Called ~10 times a second by the loop: samples total_commands for
  // instantaneous_ops_per_sec (Redis averages the last 16 samples).
  void Sample(int64_t now_ms);
  uint64_t InstantaneousOpsPerSec() const;

  // CONFIG RESETSTAT.
  void Reset();

  // Prometheus text exposition of everything above.
  std::string Prometheus() const;

  const std::vector<std::unique_ptr<CommandStats>>& commands() const { return all_; }

 private:
  absl::flat_hash_map<const CommandSpec*, CommandStats*> by_spec_;
  std::vector<std::unique_ptr<CommandStats>> all_;
  static constexpr int kSamples = 16;
  std::array<std::atomic<uint64_t>, kSamples> ops_samples_{};
  std::atomic<int> sample_idx_{0};
  int64_t last_sample_ms_ = 0;
  uint64_t last_sample_ops_ = 0;
};

}  // namespace walnut::server
