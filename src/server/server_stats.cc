// ServerStats (see server_stats.h).
#include "server/server_stats.h"

#include <cstdio>

namespace walnut::server {

void CommandStats::Record(uint64_t micros) {
  calls.fetch_add(1, std::memory_order_relaxed);
  usec.fetch_add(micros, std::memory_order_relaxed);
  double secs = static_cast<double>(micros) / 1e6;
  size_t i = 0;
  while (i < kBounds.size() && secs > kBounds[i]) i++;
  buckets[i].fetch_add(1, std::memory_order_relaxed);
}

void CommandStats::Reset() {
  calls = 0;
  usec = 0;
  rejected_calls = 0;
  failed_calls = 0;
  for (auto& b : buckets) b = 0;
}

void ServerStats::Init(const CommandTable& table) {
  auto add = [&](const CommandSpec* spec, std::string name) {
    auto cs = std::make_unique<CommandStats>();
    cs->full_name = std::move(name);
    by_spec_[spec] = cs.get();
    all_.push_back(std::move(cs));
  };
  for (const auto& row : table.all()) {
    add(row.get(), std::string(row->name));
    for (const CommandSpec& sub : row->subcommands) {
      add(&sub, std::string(row->name) + "|" + std::string(sub.name));
    }
  }
}

CommandStats* ServerStats::For(const CommandSpec* spec) const {
  auto it = by_spec_.find(spec);
  return it == by_spec_.end() ? nullptr : it->second;
}

void ServerStats::Sample(int64_t now_ms) {
  uint64_t ops = total_commands.load(std::memory_order_relaxed);
  if (last_sample_ms_ != 0 && now_ms > last_sample_ms_) {
    uint64_t per_sec =
        (ops - last_sample_ops_) * 1000 / static_cast<uint64_t>(now_ms - last_sample_ms_);
    int i = sample_idx_.load(std::memory_order_relaxed);
    ops_samples_[i].store(per_sec, std::memory_order_relaxed);
    sample_idx_.store((i + 1) % kSamples, std::memory_order_relaxed);
  }
  last_sample_ms_ = now_ms;
  last_sample_ops_ = ops;
}

uint64_t ServerStats::InstantaneousOpsPerSec() const {
  uint64_t sum = 0;
  for (const auto& s : ops_samples_) sum += s.load(std::memory_order_relaxed);
  return sum / kSamples;
}

void ServerStats::Reset() {
  total_commands = 0;
  total_connections = 0;
  rejected_connections = 0;
  keyspace_hits = 0;
  keyspace_misses = 0;
  expired_keys = 0;
  net_input_bytes = 0;
  net_output_bytes = 0;
  total_error_replies = 0;
  protocol_errors = 0;
  output_limit_disconnections = 0;
  log_flushes = 0;
  log_flush_usec = 0;
  log_flush_failures = 0;
  total_tls_connections = 0;
  tls_handshake_failures = 0;
  for (auto& s : ops_samples_) s = 0;
  last_sample_ops_ = 0;
  last_sample_ms_ = 0;
  for (auto& c : all_) c->Reset();
}

std::string ServerStats::Prometheus() const {
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t v, const char* type = "counter") {
    out += "# HELP ";
    out += name;
    out += " ";
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " ";
    out += type;
    out += "\n";
    out += name;
    out += " ";
    out += std::to_string(v);
    out += "\n";
  };
  counter("walnut_commands_processed_total", "Commands executed over RESP.", total_commands.load());
  counter("walnut_connections_received_total", "RESP connections accepted.",
          total_connections.load());
  counter("walnut_connections_rejected_total", "RESP connections refused (maxclients).",
          rejected_connections.load());
  counter("walnut_connected_clients", "RESP connections open now.", connected_clients.load(),
          "gauge");
  counter("walnut_keyspace_hits_total", "Key lookups that found the key.", keyspace_hits.load());
  counter("walnut_keyspace_misses_total", "Key lookups that missed.", keyspace_misses.load());
  counter("walnut_expired_keys_total", "Keys removed by the active expiry sweep.",
          expired_keys.load());
  counter("walnut_net_input_bytes_total", "Bytes read from RESP clients.", net_input_bytes.load());
  counter("walnut_net_output_bytes_total", "Bytes sent to RESP clients.", net_output_bytes.load());
  counter("walnut_error_replies_total", "Error replies sent.", total_error_replies.load());
  counter("walnut_protocol_errors_total", "Connections closed for a protocol error.",
          protocol_errors.load());
  counter("walnut_tls_connections_received_total", "Connections accepted on the TLS port.",
          total_tls_connections.load());
  counter("walnut_tls_handshake_failures_total",
          "TLS connections closed before their handshake completed.",
          tls_handshake_failures.load());
  counter("walnut_log_flushes_total", "Group commits (FlushLog calls) by the RESP loop.",
          log_flushes.load());
  counter("walnut_log_flush_failures_total", "FlushLog calls that failed.",
          log_flush_failures.load());
  out += "# HELP walnut_log_flush_seconds_total Time spent in FlushLog by the RESP loop.\n";
  out += "# TYPE walnut_log_flush_seconds_total counter\n";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(log_flush_usec.load()) / 1e6);
  out += "walnut_log_flush_seconds_total ";
  out += buf;
  out += "\n";

  out += "# HELP walnut_command_duration_seconds Execution time of RESP commands.\n";
  out += "# TYPE walnut_command_duration_seconds histogram\n";
  for (const auto& c : all_) {
    uint64_t calls = c->calls.load(std::memory_order_relaxed);
    if (calls == 0) continue;
    std::string label = "cmd=\"" + c->full_name + "\"";
    uint64_t cum = 0;
    for (size_t i = 0; i <= CommandStats::kBounds.size(); i++) {
      cum += c->buckets[i].load(std::memory_order_relaxed);
      std::string le = "+Inf";
      if (i < CommandStats::kBounds.size()) {
        std::snprintf(buf, sizeof(buf), "%g", CommandStats::kBounds[i]);
        le = buf;
      }
      out += "walnut_command_duration_seconds_bucket{" + label + ",le=\"" + le + "\"} " +
             std::to_string(cum) + "\n";
    }
    std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(c->usec.load()) / 1e6);
    out += "walnut_command_duration_seconds_sum{" + label + "} " + buf + "\n";
    out += "walnut_command_duration_seconds_count{" + label + "} " + std::to_string(cum) + "\n";
  }
  out += "# HELP walnut_command_errors_total Commands rejected or failed, per command.\n";
  out += "# TYPE walnut_command_errors_total counter\n";
  for (const auto& c : all_) {
    uint64_t rej = c->rejected_calls.load(), fail = c->failed_calls.load();
    if (rej + fail == 0) continue;
    out += "walnut_command_errors_total{cmd=\"" + c->full_name + "\",kind=\"rejected\"} " +
           std::to_string(rej) + "\n";
    out += "walnut_command_errors_total{cmd=\"" + c->full_name + "\",kind=\"failed\"} " +
           std::to_string(fail) + "\n";
  }
  return out;
}

}  // namespace walnut::server
