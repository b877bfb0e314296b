// What the game core needs from the cluster: who we are, whether the directory can be trusted,
// the last view of every node and room, and messages to one node (request and reply) or to all
// (broadcast). Cluster implements it over Redis; the core's unit tests use a fake. A standalone
// node has no Link at all.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/ids.hpp"

#include "cluster/directory.hpp"

namespace rookery::cluster {

/// A field of a cluster message: a whole number >= 0 (JSON parsers read small ones as signed),
/// or 0 when absent or of another type. Messages come from other nodes: never trust a type.
inline uint64_t message_uint(const boost::json::object& m, const char* key) {
  const auto* v = m.if_contains(key);
  if (v && v->is_uint64()) return v->as_uint64();
  if (v && v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return 0;
}
/// A string field of a cluster message, or "" when absent or of another type.
inline std::string message_string(const boost::json::object& m, const char* key) {
  const auto* v = m.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

/// The core's view of cluster membership. Thread-safe.
class Link {
 public:
  /// A node's reply, or nullopt if it did not answer in time (gone, or Redis unreachable).
  using ReplyHandler = std::function<void(std::optional<boost::json::object> reply)>;
  /// Serves a request from another node; call `respond` once, from any thread.
  using RequestHandler = std::function<void(const boost::json::object& request,
                                            std::function<void(boost::json::object)> respond)>;
  /// Hears a broadcast from another node.
  using BroadcastHandler = std::function<void(const boost::json::object& message)>;

  virtual ~Link() = default;
  /// This node's id.
  virtual const std::string& node_id() const = 0;
  /// Where clients reach this node's game ports.
  struct Endpoint {
    std::string host;
    uint16_t tcp_port = 0;
    uint16_t ws_port = 0;
  };
  virtual Endpoint endpoint() const = 0;
  /// True while the directory is reachable and our lease is current.
  virtual bool available() const = 0;
  /// The last view of the cluster (this node included); never null.
  virtual std::shared_ptr<const ClusterView> view() const = 0;
  /// Sends `request` to `node`; `done` runs once, on the cluster thread.
  virtual void request(const std::string& node, boost::json::object request, ReplyHandler done) = 0;
  /// Sends `message` to every other node (best effort: lost while Redis is unreachable).
  virtual void broadcast(boost::json::object message) = 0;
  /// Remembers that the session whose token hashes to `token_hash` lives on this node.
  virtual void remember_session(const std::string& token_hash) = 0;
  /// The node holding the session whose token hashes to `token_hash` ("" if unknown); `done`
  /// runs once, on the cluster thread.
  virtual void find_session(const std::string& token_hash,
                            std::function<void(std::string node)> done) = 0;
  /// Marks `player` as online on this node (presence, for the consoles of every node).
  virtual void remember_player(PlayerId player) = 0;
  /// Clears `player`'s presence if it is still this node's.
  virtual void forget_player(PlayerId player) = 0;
  /// The node each of `players` is online on ("" if none known); `done` on the cluster thread.
  virtual void find_players(std::vector<PlayerId> players,
                            std::function<void(std::vector<std::string> nodes)> done) = 0;
  /// Installs the core's handlers (once, before requests can arrive).
  virtual void serve(RequestHandler requests, BroadcastHandler broadcasts) = 0;
};

}  // namespace rookery::cluster
