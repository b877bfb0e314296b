// /metrics: Prometheus text exposition, built by prometheus-cpp's serializer from a fresh
// ServerSnapshot at each scrape (so the game's hot path only bumps plain per-shard counters),
// plus process_* metrics read from /proc and the side-port's own counters.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <memory>
#include <string>

#include "core/snapshot.hpp"
#include "store/player_store.hpp"

namespace rookery::http {

/// Build facts exported as rookery_build_info.
struct BuildInfo {
  std::string version;
  std::string commit;
};

/// Renders the metrics page. Used only on the side-port thread.
class Metrics {
 public:
  explicit Metrics(BuildInfo build);

  /// Counts one mutating admin action (rookery_admin_actions_total{action}).
  void count_admin_action(const std::string& action);

  /// The exposition text for one scrape (`complete`: every game loop answered in time).
  std::string render(const core::ServerSnapshot& snapshot, bool complete,
                     const store::StoreMetrics& store) const;

 private:
  BuildInfo build_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* admin_actions_;
};

/// Process facts from /proc/self (Linux), as the standard process_* metrics expect them.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;  // unix time
};

/// Reads /proc/self/stat, /proc/self/fd and the open-file limit.
ProcessStats read_process_stats();

}  // namespace rookery::http
