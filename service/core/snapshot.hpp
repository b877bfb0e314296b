// A consistent-enough picture of the running server for metrics and the admin console,
// gathered by posting to every shard (each copies its own counters on its own thread).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/histogram.hpp"
#include "core/guard.hpp"
#include "core/shard.hpp"

namespace rookery::core {

/// Per-room-type totals.
struct RoomTypeTotals {
  std::map<std::string, int64_t> rooms_by_state;  // "open", "locked", "closing"
  int64_t members = 0;
  uint64_t inputs = 0;
  uint64_t inputs_dropped = 0;
  uint64_t inputs_invalid = 0;
  LatencyHistogram tick_duration;          // seconds
  LatencyHistogram tick_lag;               // seconds late against the schedule
  LatencyHistogram input_to_state;         // seconds from an input's arrival to the State acking it
  uint64_t tick_overruns = 0;              // ticks that ended after the next one was due
  uint64_t created = 0;                    // rooms started
  std::map<std::string, uint64_t> closed;  // rooms closed, by rooms::close_kind
};

/// A cluster node's membership figures (cluster::ClusterStatus plus the core's tickets).
struct ClusterSnapshot {
  std::string node_id;
  uint32_t node_number = 0;
  bool directory_up = false;
  double lease_age_seconds = 0;  // since the last successful renewal
  size_t nodes = 0;
  size_t rooms = 0;
  uint64_t redis_errors = 0;
  uint64_t redis_connects = 0;
  uint64_t requests_sent = 0;
  uint64_t requests_failed = 0;
  uint64_t requests_served = 0;
  uint64_t broadcasts = 0;
  size_t tickets_outstanding = 0;
};

/// Everything /metrics and the admin overview show.
struct ServerSnapshot {
  ShardStats totals;                            // summed over shards
  std::map<std::string, RoomTypeTotals> types;  // by room type
  int64_t connections = 0;                      // admitted and open
  uint32_t max_connections = 0;
  int64_t players_online = 0;  // with a connected session
  size_t store_queue_depth = 0;
  uint64_t store_errors = 0;  // results the store refused (its own failures: StoreMetrics)
  std::array<uint64_t, kLimitCount> limit_refusals{};  // by core::Limit (core/guard.hpp)
  bool draining = false;
  int64_t started_unix_ms = 0;
  size_t shards = 0;
  std::optional<ClusterSnapshot> cluster;  // cluster nodes only
};

}  // namespace rookery::core
