// A game session: one client connection's protocol state machine (hello -> login -> lobby <->
// room), its limits (rate, errors, timeouts, outbound bound) and its link to a room. The bytes
// come and go through a Transport (TCP or WebSocket), so both transports share all of this.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/ids.hpp"
#include "config/config.hpp"
#include "net/token_bucket.hpp"
#include "net/transport.hpp"
#include "rookery.pb.h"
#include "rooms/room_hub.hpp"
#include "store/player_store.hpp"

namespace rookery::rooms {
class Room;
}

namespace rookery::core {

/// The configuration a session sees: its own limits and what Welcome announces.
struct SessionSettings {
  config::LimitsConfig limits;
  std::string server_name;          // Welcome.server_name
  uint32_t reconnect_grace_ms = 0;  // Welcome.reconnect_grace_ms
  uint32_t max_connections = 0;     // named when a connection is refused
};

class Lobby;
class Shard;
struct Binding;
struct RoomOutcome;
struct Redeemed;
struct LoginAnswer;
enum class Admission : uint8_t;
enum class LoginKind : uint8_t;
struct Redirection;

/// One connected client. Lives on its shard's thread; owned by the shard's session table.
class Session final : public net::TransportOwner {
 public:
  /// Not admitted: the session only says why (SERVER_FULL, ADDRESS_LIMIT) and closes.
  Session(Shard& shard, SessionId id, std::unique_ptr<net::Transport> transport,
          Admission admission);
  ~Session() override;

  /// Starts the transport.
  void start();

  // net::TransportOwner
  void on_open() override;
  void on_message(std::string_view bytes) override;
  void on_extra_frames(uint64_t count) override;
  void on_transport_closed(net::CloseReason reason, std::string_view detail) override;

  /// Queues frames for the client; a client whose unsent bytes pass the bound is disconnected.
  void send(std::shared_ptr<const std::string> frames);
  /// Hands queued frames to the transport (called once per loop turn by the shard).
  void flush();
  /// Counts one Error message sent, by code (rookery_errors_sent_total).
  void count_error(proto::ErrorCode code);
  /// Counts one login answer: `code` 0 for a login, else the refusal's code.
  void count_login(LoginKind kind, int code);
  /// Closes with a reason; a fatal Error with `code` (answering `request_id`) is sent first
  /// when code != 0.
  void close(net::CloseReason reason, int code, const std::string& message,
             uint32_t request_id = 0);
  /// Enforces handshake/idle timeouts; called about once a second by the shard.
  void sweep(int64_t now_ms);
  /// Applies a seat change decided by a room.
  void on_seat_update(rooms::SeatUpdate update);
  /// Tells the client the server is draining (ServerShutdown event).
  void notify_shutdown(uint32_t deadline_ms);

  SessionId id() const { return id_; }
  PlayerId player() const { return player_; }
  bool closed() const { return closed_; }
  bool dirty = false;  // on the shard's flush list

 private:
  enum class Phase : uint8_t { awaiting_hello, awaiting_login, authenticating, lobby };

  void reply(uint32_t request_id, proto::Envelope& env);
  void error(uint32_t request_id, proto::ErrorCode code, const std::string& message,
             bool counts = true, uint32_t retry_after_ms = 0);
  void handle(const proto::Envelope& env);
  // Takes a token for one inbound frame; false (and an offence, perhaps the close) if none.
  bool within_rate(int64_t now);
  void on_hello(uint32_t rid, const proto::Hello& m);
  void on_login(uint32_t rid, const proto::Login& m);
  void on_login_done(uint32_t rid, LoginAnswer answer);  // by value: moved in from a post
  void on_ticket(uint32_t rid, const std::string& ticket);
  void on_redeemed(uint32_t rid, Redeemed redeemed);  // by value: moved in from a post
  void on_routed(uint32_t rid, Redirection redirection);
  void on_reconnect(uint32_t rid, const proto::Reconnect& m);
  void bound(uint32_t rid, const Binding& binding, bool resumed, bool created);
  void on_list_rooms(uint32_t rid, const proto::ListRooms& m);
  void on_create_room(uint32_t rid, const proto::CreateRoom& m);
  void on_join_room(uint32_t rid, const proto::JoinRoom& m);
  void on_join_or_create(uint32_t rid, const proto::JoinOrCreate& m);
  void on_leave(uint32_t rid);
  void on_input(const proto::Input& m);
  void on_leaderboard(uint32_t rid, const proto::GetLeaderboard& m);
  bool can_join(uint32_t rid);
  // The game core's rules, through the shard's context.
  Lobby& lobby();
  void request_seat(uint32_t rid, const std::shared_ptr<rooms::Room>& room);
  // Asks for a seat in the room the core chose, or replies with the core's refusal.
  void seat_in(uint32_t rid, const RoomOutcome& outcome);
  // Logs the close and undoes what the session holds in the game: directory entry, room seat.
  void release_directory_state(net::CloseReason reason, std::string_view detail);
  // Checks (at the end of this loop turn) whether the closed session's socket is gone.
  void reap_soon();
  // Forgets a closed session whose socket is closed (`force`: closes it first).
  void reap(bool force);

  Shard& shard_;
  const SessionSettings& settings_;
  SessionId id_;
  std::unique_ptr<net::Transport> transport_;
  std::shared_ptr<rooms::Room> room_;  // set while seated (its methods run on its shard)
  Seat seat_ = 0;
  bool join_pending_ = false;
  PlayerId player_ = 0;
  std::string display_name_;
  int64_t connected_ms_;
  int64_t last_activity_ms_;
  int64_t close_started_ms_ = 0;
  net::TokenBucket bucket_;
  uint32_t errors_ = 0;
  uint32_t rate_offences_ = 0;
  Phase phase_ = Phase::awaiting_hello;
  Admission admission_;
  std::string address_;  // the client's IP, for the per-address limits
  // Cleared when the session closes; the store reads it from its threads (a password waiting
  // to be hashed for a client that left is skipped).
  std::shared_ptr<std::atomic<bool>> open_ = std::make_shared<std::atomic<bool>>(true);
  bool closed_ = false;  // the game side is over; the socket may still be flushing
  bool reaped_ = false;  // left the shard's table and the connection count
  bool logged_in_counted_ = false;
  bool opened_ = false;      // a game connection (WebSocket: upgraded), not a page load
  LoginKind login_kind_{};   // of the login in progress (guest first), for the counters
  uint8_t transport_index_;  // net::TransportKind, indexes the per-transport counters
};

}  // namespace rookery::core
