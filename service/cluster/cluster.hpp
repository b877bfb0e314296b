// A node's membership in a cluster: its own thread and io_context driving one Redis connection
// (never a shard's), which claims a node number, renews the node's lease every second,
// publishes the node's rooms as they change and reads the whole cluster's directory twice a
// second into a snapshot any thread can read without waiting. When Redis is unreachable the
// node keeps serving what it has; `status()` says the directory is down and the core refuses
// cluster operations with a typed error until it is back.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/directory.hpp"
#include "cluster/link.hpp"
#include "cluster/redis.hpp"

namespace rookery::cluster {

/// How a node joins its cluster.
struct ClusterOptions {
  RedisOptions redis;
  std::string prefix = "rookery:";  // every key and channel starts with it
  std::string node_id;              // unique in the cluster
  std::string advertise_host;       // where clients reach this node's game ports
  uint16_t tcp_port = 0;
  uint16_t ws_port = 0;
  uint16_t http_port = 0;
  std::string version;
  std::chrono::milliseconds lease{3000};            // a node silent this long is gone
  std::chrono::milliseconds heartbeat{1000};        // lease renewal period
  std::chrono::milliseconds publish{250};           // room changes reach Redis within this
  std::chrono::milliseconds fetch{500};             // the cluster view is this fresh
  std::chrono::milliseconds request_timeout{2000};  // a node that has not replied by then: gone
  std::chrono::milliseconds session_ttl{24 * 3600 * 1000};  // how long a token -> node entry lives
};

/// What the node says about itself; read on the cluster thread (must be thread-safe).
struct LocalState {
  uint32_t connections = 0;
  bool draining = false;
  std::vector<RoomRecord> rooms;  // this node's rooms; `node` is filled in by the cluster
};

/// The directory as a node last read it, and whether it can be trusted now.
struct ClusterStatus {
  bool directory_up = false;     // the last lease renewal succeeded within the lease
  int64_t last_renewal_ms = 0;   // unix ms of the last successful renewal (0: never)
  uint64_t redis_errors = 0;     // failed directory commands so far
  uint64_t redis_connects = 0;   // connections made (more than 1: reconnects)
  size_t nodes = 0;              // live nodes in the last view (this one included)
  size_t rooms = 0;              // rooms in the last view
  uint64_t requests_sent = 0;    // requests to other nodes
  uint64_t requests_failed = 0;  // of those, unanswered (timeout, node gone, Redis down)
  uint64_t requests_served = 0;  // requests from other nodes answered here
  uint64_t broadcasts = 0;       // broadcasts sent
};

/// One node's cluster membership. start() once, stop() once; the rest from any thread.
class Cluster final : public Link {
 public:
  using LocalSource = std::function<LocalState()>;

  Cluster(ClusterOptions options, LocalSource local);
  ~Cluster() override;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Starts the cluster thread and waits (up to `timeout`) until Redis granted a node number,
  /// which it returns. Throws std::runtime_error naming Redis if that did not happen.
  uint32_t start(std::chrono::milliseconds timeout);
  /// Leaves the directory (bounded wait) and stops the thread.
  void stop();

  // --- Link ---
  const std::string& node_id() const override { return options_.node_id; }
  Endpoint endpoint() const override {
    return {options_.advertise_host, options_.tcp_port, options_.ws_port};
  }
  bool available() const override { return status().directory_up; }
  std::shared_ptr<const ClusterView> view() const override;
  void request(const std::string& node, boost::json::object request, ReplyHandler done) override;
  void broadcast(boost::json::object message) override;
  void serve(RequestHandler requests, BroadcastHandler broadcasts) override;
  void remember_session(const std::string& token_hash) override;
  void remember_player(PlayerId player) override;
  void forget_player(PlayerId player) override;
  void find_players(std::vector<PlayerId> players,
                    std::function<void(std::vector<std::string> nodes)> done) override;
  void find_session(const std::string& token_hash,
                    std::function<void(std::string node)> done) override;

  ClusterStatus status() const;
  const ClusterOptions& options() const { return options_; }
  uint32_t node_number() const { return number_.load(); }
  /// The side-port's port, once known (shown on the console's nodes page).
  void set_http_port(uint16_t port) { http_port_.store(port); }

 private:
  void on_redis_state(bool up);
  void claim(int attempts_left);
  void renew();
  void publish_rooms();
  void fetch();
  void on_message(const std::string& channel, const std::string& payload);
  void publish(const std::string& channel, const boost::json::object& message,
               std::function<void(bool heard)> done);
  NodeRecord self_record(const LocalState& local) const;
  // Adds one to a status counter (under mu_: status() copies them from other threads).
  void count(uint64_t ClusterStatus::*counter);
  template <class Fn>
  void every(boost::asio::steady_timer& t, std::chrono::milliseconds period, Fn fn);

  const ClusterOptions options_;
  const LocalSource local_;
  boost::asio::io_context io_;
  std::unique_ptr<RedisConnection> redis_;
  std::unique_ptr<RedisConnection> subscriber_;  // pub/sub needs a connection of its own
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<boost::asio::steady_timer> renew_timer_, publish_timer_, fetch_timer_;
  std::thread thread_;
  std::atomic<uint32_t> number_{0};
  std::function<void()> on_number_;  // start() waits on it
  int64_t started_ms_ = 0;
  std::atomic<int64_t> renewed_steady_ms_{0};  // last successful renewal; 0: never
  std::atomic<uint16_t> http_port_{0};
  RequestHandler request_handler_;
  BroadcastHandler broadcast_handler_;
  struct Waiting {
    ReplyHandler done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  std::map<uint64_t, Waiting> waiting_;  // requests sent, by id (cluster thread)
  uint64_t next_request_ = 1;

  // Cluster thread only.
  std::map<RoomId, RoomRecord> published_;  // what Redis holds for our rooms
  bool republish_all_ = true;               // after a (re)connect, rebuild our rooms hash
  bool publishing_ = false;

  mutable std::mutex mu_;  // guards view_ and status_
  std::shared_ptr<const ClusterView> view_ = std::make_shared<ClusterView>();
  ClusterStatus status_;
};

}  // namespace rookery::cluster
