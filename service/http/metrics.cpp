#include "http/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <prometheus/text_serializer.h>
#include <fstream>
#include <sstream>

#include "base/text.hpp"
#include "net/transport.hpp"
#include "rookery.pb.h"

namespace rookery::http {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  switch (f.type) {
    case MetricType::Counter:
      m.counter.value = value;
      break;
    case MetricType::Gauge:
      m.gauge.value = value;
      break;
    default:
      m.untyped.value = value;
      break;
  }
  f.metric.push_back(std::move(m));
}

// The label for a proto::ErrorCode: its name in lower case ("not_in_room").
std::string code_label(size_t code) {
  const auto c = static_cast<proto::ErrorCode>(code);
  return proto::ErrorCode_IsValid(c) ? base::ascii_lower(proto::ErrorCode_Name(c))
                                     : "code_" + std::to_string(code);
}

void add_histogram(MetricFamily& f, const LatencyHistogram& h,
                   std::vector<ClientMetric::Label> labels) {
  ClientMetric m;
  m.label = std::move(labels);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
    cumulative += h.bucket(i);
    m.histogram.bucket.push_back({cumulative, LatencyHistogram::kBounds[i]});
  }
  cumulative += h.bucket(LatencyHistogram::kBounds.size());
  m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  m.histogram.sample_count = h.count();
  m.histogram.sample_sum = h.sum();
  f.metric.push_back(std::move(m));
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats p;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the parenthesised command name, which may itself contain spaces.
    const auto close = line.rfind(')');
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> f;
    std::string tok;
    while (rest >> tok) f.push_back(tok);
    // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24.
    if (f.size() > 21) {
      p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      p.virtual_bytes = std::stod(f[20]);
      p.resident_bytes = std::stod(f[21]) * page;
      std::ifstream uptime_file("/proc/stat");
      std::string key;
      double btime = 0;
      while (uptime_file >> key) {
        if (key == "btime") {
          uptime_file >> btime;
          break;
        }
      }
      p.start_time_seconds = btime + std::stod(f[19]) / ticks;
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    int n = 0;
    while (const dirent* e = readdir(d)) n += e->d_name[0] != '.' ? 1 : 0;
    closedir(d);
    p.open_fds = n - 1;  // minus the descriptor opendir itself holds
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) p.max_fds = static_cast<double>(lim.rlim_cur);
  return p;
}

Metrics::Metrics(BuildInfo build)
    : build_(std::move(build)),
      registry_(std::make_shared<prometheus::Registry>()),
      admin_actions_(&prometheus::BuildCounter()
                          .Name("rookery_admin_actions_total")
                          .Help("Mutating admin API actions, by action")
                          .Register(*registry_)) {}

void Metrics::count_admin_action(const std::string& action) {
  admin_actions_->Add({{"action", action}}).Increment();
}

std::string Metrics::render(const core::ServerSnapshot& s, bool complete,
                            const store::StoreMetrics& store) const {
  std::vector<MetricFamily> out = registry_->Collect();
  const auto& t = s.totals;

  auto open = family("rookery_connections_open", "Open game connections", MetricType::Gauge);
  auto accepted = family("rookery_connections_accepted_total", "Game connections accepted",
                         MetricType::Counter);
  for (size_t i = 0; i < net::kTransportKinds; ++i) {
    const char* kind = net::to_string(static_cast<net::TransportKind>(i));
    add(open, static_cast<double>(t.open[i]), {{"transport", kind}});
    add(accepted, static_cast<double>(t.accepted[i]), {{"transport", kind}});
  }
  auto closed = family("rookery_connections_closed_total", "Game connections closed, by reason",
                       MetricType::Counter);
  for (int r = 0; r < net::kCloseReasonCount; ++r) {
    const auto reason = static_cast<net::CloseReason>(r);
    if (reason == net::CloseReason::http_served) continue;  // never a game connection
    add(closed, static_cast<double>(t.closed[r]), {{"reason", net::to_string(reason)}});
  }
  auto not_game = family("rookery_ws_port_other_total",
                         "Connections to the WebSocket port that were not game connections: plain "
                         "HTTP requests answered (web game page loads), failed handshakes",
                         MetricType::Counter);
  add(not_game, static_cast<double>(t.ws_not_game[0]), {{"outcome", "page_served"}});
  add(not_game, static_cast<double>(t.ws_not_game[1]), {{"outcome", "handshake_failed"}});
  auto errors_sent = family("rookery_errors_sent_total",
                            "Error messages sent to clients by sessions, by code (a room's "
                            "INVALID_INPUT replies: rookery_room_inputs_invalid_total)",
                            MetricType::Counter);
  // Every code has its series from the start (a bounded set), so rate() sees the first one.
  for (size_t c = 1; c < t.errors_sent.size(); ++c) {
    if (t.errors_sent[c] != 0 || proto::ErrorCode_IsValid(static_cast<int>(c))) {
      add(errors_sent, static_cast<double>(t.errors_sent[c]), {{"code", code_label(c)}});
    }
  }
  auto logins = family("rookery_logins_total",
                       "Login attempts answered, by kind and result (ok, or the refusal's code)",
                       MetricType::Counter);
  for (size_t k = 0; k < t.logins.size(); ++k) {
    const char* kind = core::to_string(static_cast<core::LoginKind>(k));
    add(logins, static_cast<double>(t.logins[k][0]), {{"kind", kind}, {"result", "ok"}});
    for (size_t c = 1; c < t.logins[k].size(); ++c) {
      if (t.logins[k][c] != 0) {
        add(logins, static_cast<double>(t.logins[k][c]),
            {{"kind", kind}, {"result", code_label(c)}});
      }
    }
  }
  auto max_conn =
      family("rookery_max_connections", "Configured --max-connections", MetricType::Gauge);
  add(max_conn, s.max_connections);
  auto players =
      family("rookery_players_logged_in", "Connections with a logged-in player", MetricType::Gauge);
  add(players, static_cast<double>(t.logged_in));

  auto rooms = family("rookery_rooms", "Rooms, by type and state", MetricType::Gauge);
  auto members = family("rookery_room_members", "Seats taken in rooms, by type", MetricType::Gauge);
  auto inputs =
      family("rookery_room_inputs_total", "Inputs received by rooms, by type", MetricType::Counter);
  auto dropped =
      family("rookery_room_inputs_dropped_total",
             "Inputs dropped over the per-member queue bound, by type", MetricType::Counter);
  auto invalid = family("rookery_room_inputs_invalid_total",
                        "Inputs the room type rejected (answered with INVALID_INPUT), by type",
                        MetricType::Counter);
  auto created =
      family("rookery_rooms_created_total", "Rooms started, by type", MetricType::Counter);
  auto rooms_closed = family("rookery_rooms_closed_total",
                             "Rooms closed, by type and reason (empty: the empty-room timeout; "
                             "operator: the console or API; shutdown: a drain)",
                             MetricType::Counter);
  auto tick = family("rookery_tick_duration_seconds", "Time one room tick takes, by type",
                     MetricType::Histogram);
  auto lag = family("rookery_tick_lag_seconds", "How late room ticks start, by type",
                    MetricType::Histogram);
  auto overruns =
      family("rookery_tick_overruns_total",
             "Room ticks that ended after the next one was due, by type", MetricType::Counter);
  auto input_to_state =
      family("rookery_input_to_state_seconds",
             "From a room receiving an input to the State that acks it leaving, by type",
             MetricType::Histogram);
  for (const auto& [type, tt] : s.types) {
    for (const char* state : {"open", "locked", "closing"}) {
      const auto it = tt.rooms_by_state.find(state);
      add(rooms, it == tt.rooms_by_state.end() ? 0.0 : static_cast<double>(it->second),
          {{"type", type}, {"state", state}});
    }
    add(members, static_cast<double>(tt.members), {{"type", type}});
    add(inputs, static_cast<double>(tt.inputs), {{"type", type}});
    add(dropped, static_cast<double>(tt.inputs_dropped), {{"type", type}});
    add(invalid, static_cast<double>(tt.inputs_invalid), {{"type", type}});
    add(created, static_cast<double>(tt.created), {{"type", type}});
    for (const char* why : {"empty", "operator", "shutdown"}) {
      const auto it = tt.closed.find(why);
      add(rooms_closed, it == tt.closed.end() ? 0.0 : static_cast<double>(it->second),
          {{"type", type}, {"reason", why}});
    }
    add_histogram(tick, tt.tick_duration, {{"type", type}});
    add_histogram(lag, tt.tick_lag, {{"type", type}});
    add(overruns, static_cast<double>(tt.tick_overruns), {{"type", type}});
    add_histogram(input_to_state, tt.input_to_state, {{"type", type}});
  }

  auto msg_in =
      family("rookery_messages_in_total", "Messages received from clients", MetricType::Counter);
  add(msg_in, static_cast<double>(t.messages_in));
  auto msg_out = family("rookery_messages_out_total",
                        "Buffers queued to clients (a tick's events and state share one)",
                        MetricType::Counter);
  add(msg_out, static_cast<double>(t.messages_out));
  auto bytes_in =
      family("rookery_bytes_in_total", "Bytes received from clients (framed)", MetricType::Counter);
  add(bytes_in, static_cast<double>(t.bytes_in));
  auto bytes_out =
      family("rookery_bytes_out_total", "Bytes queued to clients (framed)", MetricType::Counter);
  add(bytes_out, static_cast<double>(t.bytes_out));

  auto limits = family("rookery_limit_refusals_total",
                       "Requests refused by a per-address, per-account or per-node limit",
                       MetricType::Counter);
  for (size_t i = 0; i < core::kLimitCount; ++i) {
    add(limits, static_cast<double>(s.limit_refusals[i]),
        {{"limit", core::to_string(static_cast<core::Limit>(i))}});
  }

  auto sq = family("rookery_store_queue_depth", "Store requests waiting", MetricType::Gauge);
  add(sq, static_cast<double>(s.store_queue_depth));
  auto commit = family("rookery_store_commit_duration_seconds",
                       "Store batch transaction time, BEGIN to COMMIT", MetricType::Histogram);
  add_histogram(commit, store.commit_duration, {});
  auto se = family("rookery_store_errors_total", "Failed store requests and transactions",
                   MetricType::Counter);
  add(se, static_cast<double>(store.errors + s.store_errors));
  auto so = family("rookery_store_overloaded_total",
                   "Store requests refused at once because a queue was at its bound",
                   MetricType::Counter);
  add(so, static_cast<double>(store.overloaded));
  auto sr = family("rookery_store_reconnects_total", "Database connections re-opened after a loss",
                   MetricType::Counter);
  add(sr, static_cast<double>(store.reconnects));

  auto scrape = family("rookery_scrape_complete",
                       "0 when a game loop did not answer in time and its counters are missing",
                       MetricType::Gauge);
  add(scrape, complete ? 1 : 0);
  auto draining = family("rookery_draining", "1 while the server drains", MetricType::Gauge);
  add(draining, s.draining ? 1 : 0);
  auto build = family("rookery_build_info", "Version and commit of this binary", MetricType::Gauge);
  add(build, 1, {{"version", build_.version}, {"commit", build_.commit}});

  const ProcessStats p = read_process_stats();
  auto cpu = family("process_cpu_seconds_total", "User and system CPU time spent in seconds",
                    MetricType::Counter);
  add(cpu, p.cpu_seconds);
  auto rss =
      family("process_resident_memory_bytes", "Resident memory size in bytes", MetricType::Gauge);
  add(rss, p.resident_bytes);
  auto vsz =
      family("process_virtual_memory_bytes", "Virtual memory size in bytes", MetricType::Gauge);
  add(vsz, p.virtual_bytes);
  auto fds = family("process_open_fds", "Number of open file descriptors", MetricType::Gauge);
  add(fds, p.open_fds);
  auto maxfds =
      family("process_max_fds", "Maximum number of open file descriptors", MetricType::Gauge);
  add(maxfds, p.max_fds);
  auto start = family("process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds", MetricType::Gauge);
  add(start, p.start_time_seconds);

  for (auto* f : {&open,
                  &accepted,
                  &closed,
                  &not_game,
                  &errors_sent,
                  &logins,
                  &invalid,
                  &created,
                  &rooms_closed,
                  &max_conn,
                  &players,
                  &rooms,
                  &members,
                  &inputs,
                  &dropped,
                  &tick,
                  &lag,
                  &overruns,
                  &input_to_state,
                  &msg_in,
                  &msg_out,
                  &bytes_in,
                  &bytes_out,
                  &limits,
                  &sq,
                  &commit,
                  &se,
                  &so,
                  &sr,
                  &scrape,
                  &draining,
                  &build,
                  &cpu,
                  &rss,
                  &vsz,
                  &fds,
                  &maxfds,
                  &start}) {
    out.push_back(std::move(*f));
  }
  if (s.cluster) {
    const auto& c = *s.cluster;
    auto gauge = [&](const char* name, const char* help, double v) {
      auto f = family(name, help, MetricType::Gauge);
      add(f, v);
      out.push_back(std::move(f));
    };
    auto counter = [&](const char* name, const char* help, double v) {
      auto f = family(name, help, MetricType::Counter);
      add(f, v);
      out.push_back(std::move(f));
    };
    gauge("rookery_cluster_directory_up",
          "1 while the cluster directory (Redis) is reachable and this node's lease is current",
          c.directory_up ? 1 : 0);
    gauge("rookery_cluster_lease_age_seconds",
          "Seconds since this node last renewed its lease (-1: never)", c.lease_age_seconds);
    gauge("rookery_cluster_nodes", "Live nodes in the last view of the cluster (this one too)",
          static_cast<double>(c.nodes));
    gauge("rookery_cluster_rooms", "Rooms on every node in the last view of the cluster",
          static_cast<double>(c.rooms));
    gauge("rookery_cluster_tickets_outstanding",
          "Seats held here for redirected players who have not arrived yet",
          static_cast<double>(c.tickets_outstanding));
    counter("rookery_cluster_redis_errors_total", "Cluster directory commands that failed",
            static_cast<double>(c.redis_errors));
    counter("rookery_cluster_redis_connects_total",
            "Connections made to the cluster's Redis (more than 1: reconnects)",
            static_cast<double>(c.redis_connects));
    counter("rookery_cluster_requests_total", "Seat requests sent to other nodes",
            static_cast<double>(c.requests_sent));
    counter("rookery_cluster_requests_failed_total",
            "Seat requests to other nodes that got no answer (node gone, Redis down)",
            static_cast<double>(c.requests_failed));
    counter("rookery_cluster_requests_served_total", "Seat requests from other nodes served here",
            static_cast<double>(c.requests_served));
    counter("rookery_cluster_broadcasts_total", "Messages to every node sent (logins, kicks, bans)",
            static_cast<double>(c.broadcasts));
    // Every series carries the node, so one Grafana query shows nodes apart or summed.
    for (auto& f : out) {
      for (auto& m : f.metric) m.label.push_back({"node", c.node_id});
    }
  }
  return prometheus::TextSerializer().Serialize(out);
}

}  // namespace rookery::http
