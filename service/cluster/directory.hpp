// The cluster directory's records and how they live in Redis. Every node writes its own record
// (a lease, renewed each second) and its rooms (a hash that expires with the lease); any node
// reads the whole cluster in one round trip (a Lua script). Keys, all under one prefix:
//   <p>nodes            sorted set: node id -> lease expiry (Redis TIME, ms)
//   <p>node:<id>        the node's record (JSON), expires with the lease
//   <p>rooms:<id>       hash room id -> room record (JSON), expires with the lease
//   <p>number:<n>       the node number n (embedded in its room ids) -> node id, expires likewise
// Redis's own clock decides expiry, so nodes with skewed clocks agree on who is alive.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/ids.hpp"
#include "cluster/redis.hpp"

namespace rookery::cluster {

/// One node as the cluster sees it.
struct NodeRecord {
  std::string id;
  uint32_t number = 0;  // cluster-unique while the lease lives; room ids carry it
  std::string host;     // advertised game host
  uint16_t tcp_port = 0;
  uint16_t ws_port = 0;
  uint16_t http_port = 0;
  std::string version;
  bool draining = false;
  uint32_t connections = 0;
  uint32_t rooms = 0;
  int64_t started_ms = 0;

  bool operator==(const NodeRecord&) const = default;
};

/// One room as the cluster sees it.
struct RoomRecord {
  RoomId id = 0;
  std::string node;
  std::string type;
  std::string name;
  uint32_t members = 0;
  uint32_t max_players = 0;
  std::string state;  // "open", "locked", "closing"
  uint32_t tick_hz = 0;
  int64_t created_ms = 0;

  bool operator==(const RoomRecord&) const = default;
};

/// Every live node and its rooms, as read at `redis_ms` (Redis's clock).
struct ClusterView {
  int64_t redis_ms = 0;
  std::vector<NodeRecord> nodes;
  std::vector<RoomRecord> rooms;
};

/// Room ids carry their node's number in the high bits and stay below 2^53 (exact in a
/// JavaScript number): number (1..kMaxNodeNumber) << kRoomIdBits | counter.
constexpr int kRoomIdBits = 32;
constexpr uint32_t kMaxNodeNumber = (1u << 20) - 1;
inline uint32_t node_number_of(RoomId id) {
  return static_cast<uint32_t>(id >> kRoomIdBits);
}

/// JSON forms of the records (what the keys hold). from_json returns nullopt on bad input.
std::string to_json(const NodeRecord& n);
std::string to_json(const RoomRecord& r);
std::optional<NodeRecord> node_from_json(const std::string& s);
std::optional<RoomRecord> room_from_json(const std::string& s);

/// The directory's operations on one RedisConnection. Each call sends one command (a script or
/// a transaction) and calls `done` once on the connection's thread. Not thread-safe.
class Directory {
 public:
  using Done = std::function<void(const RedisResult&)>;

  Directory(RedisConnection& redis, std::string prefix, std::string node_id);

  /// Claims node number `number` for this node (free, or already ours). Done's value: 1 won.
  void claim_number(uint32_t number, uint32_t lease_ms, Done done);
  /// Renews the lease: writes the record, the number and the rooms hash's expiry; drops
  /// expired nodes from the set. Fails with "NUMBER_TAKEN" if another node holds the number.
  void heartbeat(const NodeRecord& self, uint32_t lease_ms, Done done);
  /// Writes and removes room records (one MULTI): `put` upserts, `removed` deletes. With
  /// `replace` the node's rooms hash is rebuilt from `put` alone (after a reconnect).
  void publish_rooms(const std::vector<RoomRecord>& put, const std::vector<RoomId>& removed,
                     bool replace, uint32_t lease_ms, Done done);
  /// Removes this node's record, number and rooms (a clean shutdown).
  void leave(uint32_t number, Done done);
  /// Reads every live node and its rooms in one round trip.
  void fetch(std::function<void(std::optional<ClusterView>, const RedisResult&)> done);

  const std::string& prefix() const { return prefix_; }

 private:
  RedisConnection& redis_;
  const std::string prefix_;
  const std::string node_id_;
};

}  // namespace rookery::cluster
