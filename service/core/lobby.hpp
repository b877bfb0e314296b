// The part of the game core a game session calls: log in, resume, the lobby (list, create,
// join, leaderboard) and the seat bookkeeping around a room's answer. GameCore implements it;
// Session's unit tests use a fake, so the protocol adapter is tested apart from the rules.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/ids.hpp"
#include "core/player_directory.hpp"
#include "rookery.pb.h"
#include "rooms/room_directory.hpp"
#include "store/player_store.hpp"

namespace rookery::rooms {
class Room;
}

namespace rookery::core {

/// A refusal with the protocol's error code (the admin API maps it to an HTTP status) and a
/// message fit for the client. code == ERROR_UNSPECIFIED means no refusal.
struct Refusal {
  proto::ErrorCode code = proto::ERROR_UNSPECIFIED;
  std::string message;
  uint32_t retry_after_ms = 0;  // when waiting helps (LOGIN_THROTTLED): how long
  explicit operator bool() const { return code != proto::ERROR_UNSPECIFIED; }
};

/// How a player proves who they are.
struct Credentials {
  enum class Kind { guest, password, create_account };
  Kind kind = Kind::guest;
  std::string device_id;  // guest
  std::string username;   // password, create_account
  std::string password;   // password, create_account
  std::string display_name;
  std::string address;  // the client's IP: per-address limits
  // False once the client is gone: its password is then not hashed (called on a store thread).
  store::PlayerStore::StillWanted still_wanted;
};

/// What a login came to: the player, or why not (the refusal is empty on success).
struct LoginAnswer {
  Refusal refusal;
  store::Player player;
};
/// Receives a LoginAnswer, once, on any thread.
using LoginCallback = std::function<void(LoginAnswer)>;

/// What a client asks for when it creates a room.
struct RoomSpec {
  std::string type;
  std::string name;          // empty: "<type>-<id>"
  uint32_t max_players = 0;  // 0: the type's default
  PlayerId creator = 0;      // the player asking; 0: an operator (no per-player cap)
  std::string address = "";  // the creator's IP (the per-address cap)
};

/// A request this node does not serve itself: the room, or the best place for a new one, is on
/// another node of the cluster. Lobby::route asks that node for a seat.
struct RemoteRoute {
  enum class Op { reserve, join_or_create, create };
  Op op = Op::reserve;
  std::string node;
  RoomId room = 0;  // reserve: the room; join_or_create: the room to try first (0: any)
  RoomSpec spec;    // create: the room; join_or_create: spec.type
};

/// A room, or why not, or where else. For reservations the seat is held until the room seats
/// or refuses.
struct RoomOutcome {
  RoomOutcome() = default;
  RoomOutcome(std::shared_ptr<rooms::Room> r, Refusal why,
              std::optional<RemoteRoute> elsewhere = std::nullopt)
      : room(std::move(r)), refusal(std::move(why)), remote(std::move(elsewhere)) {}

  std::shared_ptr<rooms::Room> room;
  Refusal refusal;
  std::optional<RemoteRoute> remote;  // set: neither room nor refusal; route() it
};

/// A seat held at another node and how to get there, or why not.
struct Redirection {
  Refusal refusal;
  proto::Redirect redirect;
};

/// A redeemed redirect ticket: the player, with the seat held for it here; or why not.
struct Redeemed {
  Refusal refusal;
  store::Player player;
  std::shared_ptr<rooms::Room> room;
};

/// Result of resuming a session by token.
struct Resumed {
  std::optional<Binding> binding;
  Refusal refusal;
};

/// One page of a lobby listing, and how many rooms match the filter.
struct RoomPage {
  std::vector<rooms::RoomListing> rooms;
  uint32_t total = 0;
  uint32_t next = 0;  // the offset of the next page; 0: this was the last
};

/// What a session asks of the core. Thread-safe; store callbacks run on a store thread.
class Lobby {
 public:
  virtual ~Lobby() = default;
  /// Checks credentials with the store (guest: find or create by device; password: verify;
  /// create_account: register) within the per-address and per-account limits. `done` runs
  /// once, on a store thread or at once; a refusal is what the player is told (BANNED carries
  /// the reason).
  virtual void authenticate(Credentials credentials, LoginCallback done) = 0;
  /// Binds an authenticated player to its new session and closes the player's older session
  /// (one player, one session). Returns the new reconnect token and any held seat.
  virtual Binding bind(const store::Player& player, SessionAddress address) = 0;
  /// Resumes by reconnect token (single use) within the grace window; closes the session the
  /// token belonged to if it is still connected.
  virtual Resumed resume(const std::string& token, SessionAddress address) = 0;
  /// A session ended; a seat it held stays reserved for the reconnect grace window.
  virtual void session_closed(PlayerId player, SessionId session) = 0;
  /// The highest total scores, best first. `done` runs on a store thread.
  virtual void leaderboard(uint32_t limit, store::PlayerStore::TopCallback done) = 0;
  /// Rooms for a lobby listing (the limit is bounded).
  virtual std::vector<rooms::RoomListing> list_rooms(rooms::RoomFilter filter,
                                                     bool unbounded = false) const = 0;
  /// A page of the lobby listing: up to `filter.limit` (bounded) rooms from `offset`.
  virtual RoomPage list_room_page(rooms::RoomFilter filter, uint32_t offset) const = 0;
  /// True once the server started draining: no new rooms or seats.
  virtual bool draining() const = 0;
  /// Validates `spec`, starts the room and reserves a seat in it for the creator.
  virtual RoomOutcome create_and_reserve(const RoomSpec& spec) = 0;
  /// Reserves a seat in room `id` (not draining, exists, open, not full).
  virtual RoomOutcome reserve(RoomId id) = 0;
  /// Reserves a seat in the fullest open room of `type`, creating one if none has room.
  virtual RoomOutcome join_or_create(const std::string& type) = 0;
  /// The player now holds a seat in `room` (a reconnect finds it).
  virtual void seat_held(PlayerId player, const std::shared_ptr<rooms::Room>& room) = 0;
  /// Gives back a reserved or taken seat (a refused join, a leave).
  virtual void release_seat(RoomId id) = 0;
  /// Asks the node of `route` to hold a seat for `player`; `done` runs once, on some other
  /// thread, with a Redirect for the client or a refusal (CLUSTER_UNAVAILABLE if no answer).
  virtual void route(const RemoteRoute& route, PlayerId player,
                     std::function<void(Redirection)> done) = 0;
  /// For a Reconnect this node does not know: the node of the cluster that holds the token's
  /// session, as a Redirect{reconnect}; RECONNECT_EXPIRED if none. `done` on another thread.
  virtual void locate_session(const std::string& token, std::function<void(Redirection)> done) = 0;
  /// Checks a redirect ticket (single use, this node's) and loads its player; the seat it held
  /// comes with it. `done` runs once, on some other thread.
  virtual void redeem(const std::string& ticket, std::function<void(Redeemed)> done) = 0;
};

}  // namespace rookery::core
