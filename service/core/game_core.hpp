// The game core: the one layer every front door (the game protocol's Session, the admin API,
// the CLI) calls. It owns the player and room directories, the room types and the store handle,
// and holds every domain rule: who may log in, create, join, leave and reconnect; what a kick
// or a ban does; how rooms are named and bounded. Front doors translate, authenticate and
// reply; they decide nothing. Like Nakama's core_* under its api_* and console_* handlers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/link.hpp"
#include "config/config.hpp"
#include "core/guard.hpp"
#include "core/host.hpp"
#include "core/lobby.hpp"
#include "core/player_directory.hpp"
#include "core/tickets.hpp"
#include "rookery.pb.h"
#include "rooms/game.hpp"
#include "rooms/room_directory.hpp"
#include "store/player_store.hpp"

namespace rookery::core {

/// A room as the cluster directory holds it, from this node's listing (`node` stays as given).
cluster::RoomRecord to_record(const rooms::RoomListing& listing);
/// A room of the cluster directory as a listing (for ListRooms and the console).
rooms::RoomListing to_listing(const cluster::RoomRecord& record);

/// The game core. Thread-safe: sessions on every shard and the side-port call it. Callbacks
/// that come from the store run on a store thread; callers post back to their own.
class GameCore final : public Lobby {
 public:
  GameCore(const config::RoomsConfig& config, store::PlayerStore& store,
           std::vector<rooms::GameType> game_types, Host& host, GuardSettings guard = {});

  // --- the cluster (game_core_cluster.cpp) -------------------------------------------------
  /// Makes this core one node of a cluster: room ids carry `node_number`, lobby operations
  /// see every node, seats elsewhere are routed there, a login evicts the player's session on
  /// other nodes, kicks and bans reach every node. Call once, before any session or room.
  void join_cluster(cluster::Link& link, uint32_t node_number, uint32_t ticket_ttl_ms);
  /// The cluster link, or null on a standalone node.
  cluster::Link* cluster() const { return cluster_; }
  void route(const RemoteRoute& route, PlayerId player,
             std::function<void(Redirection)> done) override;
  void redeem(const std::string& ticket, std::function<void(Redeemed)> done) override;
  void locate_session(const std::string& token, std::function<void(Redirection)> done) override;
  /// The node each of `players` has a connected session on ("" for none; a standalone node
  /// says "this"). `done` runs once, perhaps on another thread.
  void where_online(std::vector<PlayerId> players,
                    std::function<void(std::vector<std::string>)> done);
  /// Drains node `node` of the cluster (this one, or another by a request to it); `done` runs
  /// once: no refusal when the node accepted (it then drains and leaves), else why not.
  void drain_node(const std::string& node, std::function<void(Refusal)> done);
  /// Redirect seats held here and not yet redeemed.
  size_t tickets_outstanding() const { return tickets_ ? tickets_->outstanding() : 0; }

  // --- accounts ----------------------------------------------------------------------------
  /// Checks credentials with the store (guest: find or create by device; password: verify;
  /// create_account: register). `done` runs on a store thread.
  void authenticate(Credentials credentials, LoginCallback done) override;
  /// What the player is told for a store answer that is not ok (BANNED carries the reason).
  Refusal login_refusal(store::Status status, const store::Player& player) const;
  /// The per-address and per-account limits (the server counts connections with it).
  Guard& guard() { return guard_; }
  const Guard& guard() const { return guard_; }
  /// Binds an authenticated player to its new session and closes the player's older session
  /// (one player, one session). Returns the new reconnect token and any held seat.
  Binding bind(const store::Player& player, SessionAddress address) override;
  /// Resumes by reconnect token (single use) within the grace window; closes the session the
  /// token belonged to if it is still connected.
  Resumed resume(const std::string& token, SessionAddress address) override;
  /// A session ended; a seat it held stays reserved for the reconnect grace window.
  void session_closed(PlayerId player, SessionId session) override;
  /// Disconnects a player for `reason` (KICKED): the seat is released for good and the
  /// reconnect token revoked, so the player must log in again. False if the player had no
  /// connected session (a seat held for a reconnect is still released).
  bool kick(PlayerId player, const std::string& reason);
  /// Bans (until_ms > 0, unix ms) or lifts a ban (0): stored first, then a banned player is
  /// kicked (BANNED) and loses its token. `done` runs on a store thread.
  void ban(PlayerId player, int64_t until_ms, std::string reason,
           store::PlayerStore::StatusCallback done);
  /// The highest total scores, best first (at most kMaxLeaderboard). `done` on a store thread.
  void leaderboard(uint32_t limit, store::PlayerStore::TopCallback done) override;
  /// One online (or seat-holding) player.
  std::optional<OnlinePlayer> online(PlayerId player) const;
  /// Players with a connected session.
  size_t players_connected() const;
  /// Forgets players whose session dropped longer than the reconnect grace ago, and gives back
  /// the seats of redirect tickets that expired unused (about once a second, from a shard).
  void expire_disconnected();

  // --- rooms -------------------------------------------------------------------------------
  /// The room type called `name`, or null.
  const rooms::GameType* game_type(const std::string& name) const;
  const std::vector<rooms::GameType>& game_types() const { return game_types_; }
  /// Validates `spec` (known type, name rule, max_players bound, not draining) and starts the
  /// room on a shard the host picks. No seat is reserved.
  RoomOutcome create_room(const RoomSpec& spec);
  /// create_room, then a seat in it for the creator.
  RoomOutcome create_and_reserve(const RoomSpec& spec) override;
  /// Reserves a seat in room `id` (not draining, exists, open, not full).
  RoomOutcome reserve(RoomId id) override;
  /// Reserves a seat in the fullest open room of `type`, creating one if none has room.
  RoomOutcome join_or_create(const std::string& type) override;
  /// Gives back a reserved or taken seat (a refused join, a leave).
  void release_seat(RoomId id) override;
  /// The player now holds a seat in `room` (a reconnect finds it).
  void seat_held(PlayerId player, const std::shared_ptr<rooms::Room>& room) override;
  /// The player's seat is gone for good.
  void seat_gone(PlayerId player, RoomId room);
  /// A room finished closing.
  void room_disposed(RoomId room);
  /// Rooms for a lobby listing or an operator (the limit is bounded by kMaxListLimit unless
  /// `unbounded`).
  std::vector<rooms::RoomListing> list_rooms(rooms::RoomFilter filter,
                                             bool unbounded = false) const override;
  RoomPage list_room_page(rooms::RoomFilter filter, uint32_t offset) const override;
  /// One room's handle and listing; null handle if unknown.
  std::shared_ptr<rooms::Room> find_room(RoomId id, rooms::RoomListing* listing = nullptr) const;
  std::vector<std::shared_ptr<rooms::Room>> all_rooms() const { return rooms_.all(); }
  /// This node's open and locked rooms, full ones included (what the cluster directory shows).
  std::vector<rooms::RoomListing> local_rooms() const;
  size_t room_count() const { return rooms_.size(); }
  /// Locks (no new members) or unlocks a room; false if unknown.
  bool lock_room(RoomId id, bool locked);
  /// Closes a room: members get RoomClosing with `reason`, results are saved. False if unknown.
  bool close_room(RoomId id, const std::string& reason);
  /// An operator notice to a room's members; false if unknown.
  bool broadcast_to_room(RoomId id, const std::string& text);

  /// True once the server started draining: no new rooms or seats.
  bool draining() const override { return host_.draining(); }

  static constexpr size_t kMaxRoomName = 64;  // bytes
  static constexpr size_t kMaxToken = 128;    // bytes
  static constexpr uint32_t kDefaultListLimit = 100;
  static constexpr uint32_t kMaxListLimit = 1000;
  static constexpr uint32_t kDefaultLeaderboard = 10;
  static constexpr uint32_t kMaxLeaderboard = 100;

 private:
  // This node's own rooms only (what a remote node asks of us, and the standalone case).
  RoomOutcome create_and_reserve_here(const RoomSpec& spec);
  RoomOutcome reserve_here(RoomId id);
  RoomOutcome join_or_create_here(const std::string& type, RoomId preferred);
  // Cluster rules (game_core_cluster.cpp).
  std::optional<RemoteRoute> route_reserve(RoomId id, Refusal* refusal) const;
  std::optional<RemoteRoute> route_join_or_create(const std::string& type) const;
  std::optional<RemoteRoute> route_create(const RoomSpec& spec) const;
  std::string least_loaded_node() const;
  bool serving_node(const cluster::ClusterView& view, const std::string& id) const;
  bool suspect(const std::string& node) const;
  void suspect_node(const std::string& node);
  void serve_request(const boost::json::object& request,
                     std::function<void(boost::json::object)> respond);
  void serve_seat_request(const boost::json::object& request,
                          std::function<void(boost::json::object)> respond);
  void on_cluster_broadcast(const boost::json::object& message);
  void announce_login(PlayerId player, const std::string& token);
  void list_remote_rooms(const rooms::RoomFilter& filter,
                         std::vector<rooms::RoomListing>& out) const;

  Refusal check_room_spec(const RoomSpec& spec, const rooms::GameType*& type) const;
  std::shared_ptr<rooms::Room> start_room(const rooms::GameType& type, const std::string& name,
                                          uint32_t max_players);
  RoomOutcome reserved(rooms::Reservation r) const;
  // ROOM_LIMIT when this node runs its maximum of rooms.
  Refusal check_room_count() const;
  void authenticate_password(Credentials c, LoginCallback done);
  // Revokes the player's token and releases its seat for good, then closes its session.
  bool remove_player(PlayerId player, proto::ErrorCode code, const std::string& reason);

  const config::RoomsConfig config_;
  store::PlayerStore& store_;
  std::vector<rooms::GameType> game_types_;
  Host& host_;
  rooms::RoomDirectory rooms_;
  PlayerDirectory players_;
  mutable Guard guard_;  // thread-safe; refusal counters move even in const checks
  struct RoomCreator {
    PlayerId player = 0;
    std::string address;
  };
  std::mutex creators_mu_;
  std::map<RoomId, RoomCreator> creators_;  // rooms players made, for the per-player caps
  std::atomic<uint64_t> next_room_id_{1};
  cluster::Link* cluster_ = nullptr;
  uint32_t node_number_ = 0;             // 0: standalone
  std::unique_ptr<TicketBook> tickets_;  // cluster nodes only
  uint32_t ticket_ttl_ms_ = 10000;
  static constexpr int64_t kSuspectMs = 5000;  // a node that did not answer is skipped this long
  mutable std::mutex suspects_mu_;
  std::map<std::string, int64_t> suspects_;  // node -> unix ms until which it is skipped
};

}  // namespace rookery::core
