// INFO: the server's state as "field:value" lines in Redis's sections
// (server, clients, memory, persistence, stats, replication, cpu,
// commandstats, keyspace) plus a "walnut" section with the engine's own
// numbers (DB::Stats). Field names are Redis's wherever Redis has one, so
// dashboards and client libraries that parse INFO keep working.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/server_commands.h"

namespace walnut::server {
namespace {

Server& ServerOf(CommandContext& ctx) { return ExecSession::Of(ctx).server; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string Human(uint64_t bytes) {
  char buf[32];
  double b = static_cast<double>(bytes);
  if (bytes < 1024) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(bytes));
  } else if (bytes < (1ull << 20)) {
    std::snprintf(buf, sizeof(buf), "%.2fK", b / 1024);
  } else if (bytes < (1ull << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2fM", b / (1 << 20));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fG", b / (1ull << 30));
  }
  return buf;
}

uint64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t HeapBytes() {
  // glibc's count of bytes handed out by malloc (small and mmapped chunks).
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

const std::string& RunId() {
  static const std::string id = [] {
    std::random_device rd;
    std::string s;
    const char* hex = "0123456789abcdef";
    for (int i = 0; i < 40; i++) s.push_back(hex[rd() % 16]);
    return s;
  }();
  return id;
}

class InfoBuilder {
 public:
  void Section(const char* title) {
    if (!out_.empty()) out_ += "\r\n";
    out_ += "# ";
    out_ += title;
    out_ += "\r\n";
  }
  void Field(std::string_view name, std::string_view value) {
    out_.append(name);
    out_ += ':';
    out_.append(value);
    out_ += "\r\n";
  }
  void Field(std::string_view name, int64_t v) { Field(name, std::to_string(v)); }
  void Field(std::string_view name, uint64_t v) { Field(name, std::to_string(v)); }
  void Field(std::string_view name, int v) { Field(name, std::to_string(v)); }
  void Field(std::string_view name, double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6f", v);
    Field(name, std::string_view(buf));
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

void InfoServer(Server& s, InfoBuilder& b, int64_t now_ms) {
  struct utsname u;
  uname(&u);
  b.Section("Server");
  b.Field("redis_version", "7.0.0");
  b.Field("walnut_version", "0.1.0");
  b.Field("redis_mode", "standalone");
  b.Field("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  b.Field("arch_bits", 64);
  b.Field("multiplexing_api", "epoll");
  b.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
  b.Field("process_id", static_cast<int64_t>(getpid()));
  b.Field("run_id", RunId());
  b.Field("tcp_port", s.config().port);
  b.Field("http_port", s.config().http_port);
  b.Field("tls_port", s.config().tls_port);
  int64_t usec = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  b.Field("server_time_usec", usec);
  int64_t up = (now_ms - s.start_ms()) / 1000;
  b.Field("uptime_in_seconds", up);
  b.Field("uptime_in_days", up / 86400);
  b.Field("hz", 10);
  b.Field("configured_hz", 10);
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  b.Field("executable", n > 0 ? std::string_view(exe, static_cast<size_t>(n)) : "");
  b.Field("config_file", s.config().config_file);
}

void InfoClients(Server& s, InfoBuilder& b) {
  uint64_t max_in = 0, max_out = 0, blocked = 0, tls_clients = 0;
  for (Client* c : s.Clients()) {
    max_in = std::max<uint64_t>(max_in, c->unread().size());
    max_out = std::max<uint64_t>(max_out, c->pending_output());
    if (c->blocked) blocked++;
    if (c->tls) tls_clients++;
  }
  b.Section("Clients");
  b.Field("connected_clients", static_cast<uint64_t>(s.num_clients()));
  b.Field("connected_tls_clients", tls_clients);
  b.Field("maxclients", s.config().maxclients);
  b.Field("client_recent_max_input_buffer", max_in);
  b.Field("client_recent_max_output_buffer", max_out);
  b.Field("blocked_clients", blocked);
  b.Field("tracking_clients", 0);
  b.Field("clients_in_timeout_table", 0);
}

void InfoMemory(Server& s, InfoBuilder& b, const walnut::DbStats& st) {
  static uint64_t peak = 0;
  uint64_t used = HeapBytes();
  peak = std::max(peak, used);
  uint64_t rss = RssBytes();
  b.Section("Memory");
  b.Field("used_memory", used);
  b.Field("used_memory_human", Human(used));
  b.Field("used_memory_rss", rss);
  b.Field("used_memory_rss_human", Human(rss));
  b.Field("used_memory_peak", peak);
  b.Field("used_memory_peak_human", Human(peak));
  b.Field("used_memory_dataset", st.live_bytes);
  // Redis's field names; the budget is for values only (docs/memory.md).
  b.Field("maxmemory", st.max_memory);
  b.Field("maxmemory_human", Human(st.max_memory));
  b.Field("maxmemory_policy", "noeviction");
  b.Field("mem_fragmentation_ratio",
          used ? static_cast<double>(rss) / static_cast<double>(used) : 0.0);
  b.Field("mem_allocator", "libc");
  (void)s;
}

void InfoPersistence(Server& s, InfoBuilder& b, const walnut::DbStats& st) {
  b.Section("Persistence");
  b.Field("loading", 0);
  b.Field("async_loading", 0);
  b.Field("rdb_changes_since_last_save", s.changes_since_save());
  // A save is a compaction that writes a snapshot (SAVE/BGSAVE, cmd_server.cc).
  b.Field("rdb_bgsave_in_progress", s.compaction_running() ? 1 : 0);
  b.Field("rdb_last_save_time", s.last_save_ms() / 1000);
  b.Field(
      "rdb_last_bgsave_status",
      s.last_compaction_status() == "ok" || s.last_compaction_status() == "none" ? "ok" : "err");
  b.Field("aof_enabled", 1);
  b.Field("aof_rewrite_in_progress", s.compaction_running() || st.compacting ? 1 : 0);
  b.Field("aof_rewrite_scheduled", s.compaction_scheduled() ? 1 : 0);
  b.Field("aof_last_rewrite_time_sec", s.last_compaction_status() == "none"
                                           ? int64_t{-1}
                                           : static_cast<int64_t>(s.last_compaction().seconds));
  b.Field(
      "aof_last_bgrewrite_status",
      s.last_compaction_status() == "ok" || s.last_compaction_status() == "none" ? "ok" : "err");
  // "err" while writes are refused: after a write error (until restart), or
  // while the disk is full (until space is freed; walnut_disk_full).
  bool write_ok = s.write_error().empty() && st.write_error.empty() && !st.disk_full;
  b.Field("aof_last_write_status", write_ok ? "ok" : "err");
  b.Field("walnut_disk_full", st.disk_full ? 1 : 0);
  b.Field("walnut_disk_full_error", st.disk_full_error);
  b.Field("aof_current_size", st.log_bytes);
  b.Field("aof_fsync", FsyncModeName(s.config().fsync));
}

void InfoStats(Server& s, InfoBuilder& b) {
  ServerStats& x = s.stats();
  b.Section("Stats");
  b.Field("total_connections_received", x.total_connections.load());
  b.Field("total_commands_processed", x.total_commands.load());
  b.Field("instantaneous_ops_per_sec", x.InstantaneousOpsPerSec());
  b.Field("total_net_input_bytes", x.net_input_bytes.load());
  b.Field("total_net_output_bytes", x.net_output_bytes.load());
  b.Field("rejected_connections", x.rejected_connections.load());
  b.Field("expired_keys", x.expired_keys.load());
  b.Field("evicted_keys", 0);
  b.Field("keyspace_hits", x.keyspace_hits.load());
  b.Field("keyspace_misses", x.keyspace_misses.load());
  b.Field("pubsub_channels", 0);
  b.Field("pubsub_patterns", 0);
  b.Field("total_error_replies", x.total_error_replies.load());
  b.Field("client_output_limit_disconnections", x.output_limit_disconnections.load());
  b.Field("protocol_errors", x.protocol_errors.load());
  b.Field("total_tls_connections_received", x.total_tls_connections.load());
  b.Field("tls_handshake_failures", x.tls_handshake_failures.load());
}

void InfoReplication(InfoBuilder& b) {
  b.Section("Replication");
  b.Field("role", "master");
  b.Field("connected_slaves", 0);
  b.Field("master_failover_state", "no-failover");
  b.Field("master_repl_offset", 0);
}

void InfoCpu(InfoBuilder& b) {
  struct rusage self;
  getrusage(RUSAGE_SELF, &self);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  b.Section("CPU");
  b.Field("used_cpu_sys", secs(self.ru_stime));
  b.Field("used_cpu_user", secs(self.ru_utime));
}

void InfoCommandStats(Server& s, InfoBuilder& b) {
  b.Section("Commandstats");
  for (const auto& c : s.stats().commands()) {
    uint64_t calls = c->calls.load();
    uint64_t rej = c->rejected_calls.load(), fail = c->failed_calls.load();
    if (calls + rej == 0) continue;
    uint64_t usec = c->usec.load();
    char per[32];
    std::snprintf(per, sizeof(per), "%.2f",
                  calls ? static_cast<double>(usec) / static_cast<double>(calls) : 0.0);
    b.Field("cmdstat_" + c->full_name,
            "calls=" + std::to_string(calls) + ",usec=" + std::to_string(usec) +
                ",usec_per_call=" + per + ",rejected_calls=" + std::to_string(rej) +
                ",failed_calls=" + std::to_string(fail));
  }
}

void InfoKeyspace(InfoBuilder& b, const walnut::DbStats& st) {
  b.Section("Keyspace");
  for (size_t i = 0; i < st.keys_per_db.size(); i++) {
    uint64_t keys = st.keys_per_db[i];
    if (keys == 0) continue;
    uint64_t expires = i < st.expires_per_db.size() ? st.expires_per_db[i] : 0;
    // Redis estimates avg_ttl by sampling; the engine keeps it exactly.
    int64_t avg_ttl = i < st.avg_ttl_ms_per_db.size() ? st.avg_ttl_ms_per_db[i] : 0;
    b.Field("db" + std::to_string(i), "keys=" + std::to_string(keys) +
                                          ",expires=" + std::to_string(expires) +
                                          ",avg_ttl=" + std::to_string(avg_ttl));
  }
}

void InfoWalnut(Server& s, InfoBuilder& b, const walnut::DbStats& st) {
  b.Section("Walnut");
  b.Field("walnut_dir", s.config().dir);
  b.Field("walnut_fsync", FsyncModeName(s.config().fsync));
  b.Field("walnut_recovery_mode", RecoveryModeName(s.config().recovery));
  b.Field("walnut_partitions", uint64_t{st.partitions});
  // The automatic compaction policy's thresholds (Options::auto_compact).
  b.Field("walnut_auto_compact", s.config().auto_compact ? "yes" : "no");
  b.Field("walnut_compact_min_log_bytes", s.config().compact_min_log_bytes);
  b.Field("walnut_compact_garbage_ratio", s.config().compact_garbage_ratio);
  b.Field("walnut_compact_rate_bytes_per_sec", s.config().compact_rate_bytes_per_sec);
  b.Field("walnut_background_nice", uint64_t(s.config().background_nice));
  b.Field("walnut_log_bytes", st.log_bytes);
  // Hash tables whose resize is still under way (hash_index.h): each write
  // moves a few of their slots, the background thread more once a second.
  b.Field("walnut_index_resizing", st.index_resizing);
  b.Field("walnut_segments", st.segments);
  // Segment rollovers: writers wait while one runs (db_impl_segments.cc).
  b.Field("walnut_rollovers", st.rollovers);
  b.Field("walnut_rollovers_made_ahead", st.rollovers_made_ahead);
  b.Field("walnut_rollover_usec", st.rollover_usec);
  b.Field("walnut_rollover_usec_max", st.rollover_usec_max);
  // How log space is reserved (Options::log_prefill, resolved), and who made
  // the reservation steps: the background thread ahead of the writers, or a
  // writer that found no room left (db_impl_segments.cc "Reserved ahead").
  b.Field("walnut_log_prefill", st.log_zero_fill ? "zeros" : "fallocate");
  b.Field("walnut_log_reserved_ahead", st.reserved_ahead);
  b.Field("walnut_log_reserved_inline", st.reserved_inline);
  b.Field("walnut_live_bytes", st.live_bytes);
  // Values only on disk: a snapshot's not yet read, or evicted under
  // --max-memory (docs/memory.md), with what that budget holds and does.
  b.Field("walnut_values_on_disk", st.values_on_disk);
  b.Field("walnut_max_memory", st.max_memory);
  b.Field("walnut_value_bytes_in_memory", st.value_bytes_in_memory);
  b.Field("walnut_value_evictions", st.value_evictions);
  b.Field("walnut_value_disk_reads", st.value_disk_reads);
  b.Field("walnut_value_disk_read_bytes", st.value_disk_read_bytes);
  b.Field("walnut_last_seq", st.last_seq);
  b.Field("walnut_written_seq", st.written_seq);
  b.Field("walnut_synced_seq", st.synced_seq);
  b.Field("walnut_syncs", st.syncs);
  b.Field("walnut_writes", st.writes);
  b.Field("walnut_bytes_written", st.bytes_written);
  b.Field("walnut_compactions", st.compactions);
  b.Field("walnut_auto_compactions", st.auto_compactions);
  b.Field("walnut_dead_bytes_estimate", st.dead_bytes_estimate);
  b.Field("walnut_compacting", st.compacting ? 1 : 0);
  b.Field("walnut_last_sync_ms", st.last_sync_ms);
  b.Field("walnut_log_flushes", s.stats().log_flushes.load());
  b.Field("walnut_log_flush_failures", s.stats().log_flush_failures.load());
  std::string err = !s.write_error().empty() ? s.write_error() : st.write_error;
  b.Field("walnut_write_error", err);
  b.Field("walnut_last_compaction_status", s.last_compaction_status());
  b.Field("walnut_last_compaction_bytes_before", s.last_compaction().bytes_before);
  b.Field("walnut_last_compaction_bytes_after", s.last_compaction().bytes_after);
  const walnut::RecoveryReport& r = st.recovery;
  b.Field("walnut_recovery_segments", r.segments);
  b.Field("walnut_recovery_records", r.records);
  b.Field("walnut_recovery_bytes", r.bytes);
  b.Field("walnut_recovery_keys", r.keys);
  b.Field("walnut_recovery_snapshot_keys", r.snapshot_keys);
  b.Field("walnut_recovery_seconds", r.seconds);
  b.Field("walnut_recovery_torn_tail_bytes", r.torn_tail_bytes);
  b.Field("walnut_recovery_skipped_bytes", r.skipped_bytes);
}

void InfoCommand(CommandContext& ctx) {
  Server& s = ServerOf(ctx);
  static const char* kDefault[] = {"server",      "clients", "memory",   "persistence", "stats",
                                   "replication", "cpu",     "keyspace", "walnut"};
  std::vector<std::string> want;
  bool all = false;
  if (ctx.argc() == 1) {
    for (const char* d : kDefault) want.push_back(d);
  }
  for (size_t i = 1; i < ctx.argc(); i++) {
    std::string a = Lower(ctx.arg(i));
    if (a == "default") {
      for (const char* d : kDefault) want.push_back(d);
    } else if (a == "all" || a == "everything") {
      all = true;
    } else {
      want.push_back(a);
    }
  }
  auto has = [&](const char* name) {
    return all || std::find(want.begin(), want.end(), name) != want.end();
  };
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  walnut::DbStats st = s.db().Stats();
  InfoBuilder b;
  if (has("server")) InfoServer(s, b, now);
  if (has("clients")) InfoClients(s, b);
  if (has("memory")) InfoMemory(s, b, st);
  if (has("persistence")) InfoPersistence(s, b, st);
  if (has("stats")) InfoStats(s, b);
  if (has("replication")) InfoReplication(b);
  if (has("cpu")) InfoCpu(b);
  if (has("commandstats")) InfoCommandStats(s, b);
  if (has("keyspace")) InfoKeyspace(b, st);
  if (has("walnut")) InfoWalnut(s, b, st);
  ctx.reply().Verbatim(b.out());
}

}  // namespace

void RegisterInfoCommand(CommandTable& t) {
  t.Register({.name = "info",
              .arity = -1,
              .flags = cmd::kLoading | cmd::kStale | cmd::kRandom,
              .handler = InfoCommand,
              .group = "server",
              .summary = "Returns information and statistics about the server.",
              .syntax = "[section [section ...]]"});
}

}  // namespace walnut::server
