// An authoritative game room: an actor owned by one shard. Members' inputs are queued as they
// arrive and applied at the next tick; each tick steps the game, encodes ONE State frame and
// hands the same bytes to every member's shard in one batch.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/histogram.hpp"
#include "base/ids.hpp"
#include "rookery.pb.h"
#include "rooms/game.hpp"
#include "rooms/room_hub.hpp"

namespace rookery::rooms {

/// Tick timing and input counters of every room of one type on one shard. Written only by
/// that shard's thread; the metrics scrape copies it there.
struct TickStats {
  LatencyHistogram duration;  // seconds per tick
  LatencyHistogram lag;       // seconds late against the schedule
  // Seconds from the room receiving an input to the State that acks it being handed to the
  // members' sessions: the tick's wait plus its work, what a player feels of the server.
  LatencyHistogram input_to_state;
  uint64_t overruns = 0;                   // ticks that ended after the next one was due
  uint64_t created = 0;                    // rooms started
  std::map<std::string, uint64_t> closed;  // rooms closed, by close_kind()
  uint64_t inputs = 0;
  uint64_t inputs_dropped = 0;
  uint64_t inputs_invalid = 0;  // rejected by the room type (INVALID_INPUT)
};

/// The bounded metric label for a room's close reason: "empty", "shutdown", or "operator" (the
/// console's and the API's reasons are free text).
const char* close_kind(const std::string& reason);

/// Per-room limits from the configuration.
struct RoomSettings {
  uint32_t max_players = 16;
  uint32_t tick_hz = 20;
  uint32_t input_queue = 32;  // inputs buffered per member between two ticks
  Millis empty_room_timeout{30000};
  Millis reconnect_grace{30000};
  // A tick with nothing to say (empty delta, no events, no acks) is not broadcast, except one
  // State per this interval as a keep-alive: idle rooms cost almost nothing.
  Millis quiet_state_interval{1000};
  // Running stints are written this often (a crash loses at most this much of a game); 0: only
  // when a seat is released.
  Millis checkpoint_interval{5000};
  TickStats* tick_stats = nullptr;  // shard-owned; null in tests that do not need it
};

/// A request to take a seat, carried from a session's shard to the room's shard.
struct JoinRequest {
  PlayerId player = 0;
  std::string display_name;
  SessionId session = 0;
  ShardIndex shard = 0;
  uint32_t request_id = 0;
};

/// Counters a room keeps for metrics and the admin console (read on the room's shard).
struct RoomStats {
  uint64_t ticks = 0;
  uint64_t inputs = 0;
  uint64_t inputs_dropped = 0;  // over the per-member queue bound
  uint64_t inputs_invalid = 0;
  int64_t last_tick_us = 0;  // how long the last tick took
  int64_t last_lag_us = 0;   // how late the last tick started
};

/// A member as shown to operators.
struct MemberView {
  PlayerId player = 0;
  std::string display_name;
  Seat seat = 0;
  bool connected = false;
  int64_t joined_ms = 0;
  int64_t score = 0;
};

/// One room. Every method must be called on the owning shard's thread (post to it).
class Room : public std::enable_shared_from_this<Room> {
 public:
  enum class State { open, locked, closing, disposed };

  Room(RoomId id, std::string type, std::string name, std::unique_ptr<Game> game,
       RoomSettings settings, boost::asio::io_context& io, ShardIndex shard, RoomHub& hub);

  /// Starts the tick timer. Call once, on the room's shard.
  void start();

  /// Seats a player (the directory already reserved the seat). Answers via hub.update_seat.
  void join(JoinRequest request);
  /// Moves a held seat to a new session (reconnect or a newer login). Refused if not held.
  void reattach(JoinRequest request);
  /// Releases the player's seat (reason "left" or "kicked"); answers the session with Left.
  /// `session` 0 releases whatever session holds it (operator kick).
  void leave(PlayerId player, SessionId session, ShardIndex shard, uint32_t request_id,
             const std::string& reason);
  /// The session's connection dropped: hold the seat for the reconnect grace.
  void disconnected(PlayerId player, SessionId session);
  /// Queues one input; applied at the next tick. Ignored unless `session` holds `seat`.
  void push_input(Seat seat, SessionId session, uint32_t seq, std::string payload);
  /// Sends an operator notice to every member with the next tick.
  void broadcast_notice(const std::string& text);
  /// Locks (joins refused) or unlocks the room.
  void set_locked(bool locked);
  /// Closes: tells members why, releases every seat (results persisted), then disposes.
  void close(const std::string& reason);

  RoomId id() const { return id_; }
  ShardIndex shard() const { return shard_; }
  const std::string& type() const { return type_; }
  State state() const { return state_; }
  const RoomStats& stats() const { return stats_; }
  uint32_t member_count() const { return member_count_; }
  /// Every seated member (connected or held).
  std::vector<MemberView> members() const;
  /// A one-line, human-readable picture of the game (for the admin console).
  std::string summary() const { return game_->summary(); }

 private:
  struct Member {
    PlayerId player = 0;  // 0: seat free
    std::string display_name;
    SessionId session = 0;  // 0 while disconnected (seat held)
    ShardIndex shard = 0;
    TimePoint disconnected_at{};
    int64_t joined_ms = 0;
    uint32_t queued_inputs = 0;
    uint32_t last_seq = 0;
    bool acked = false;          // sent input this tick
    bool recorded = false;       // a checkpoint of this stint is in the store
    int64_t recorded_score = 0;  // the score it wrote
  };
  struct QueuedInput {
    Seat seat;
    PlayerId player;  // a seat can change hands before the tick: apply only to its sender
    uint32_t seq;
    std::string payload;
    TimePoint received;  // for the input-to-state histogram
  };

  void schedule_tick();
  void on_tick();
  void finish_tick(TimePoint started);  // timing, empty-room check, next tick
  void expire_held_seats(TimePoint now);
  void release_seat(Seat seat, const std::string& reason, uint32_t request_id, bool tell_session);
  // The seat's stint as it stands, marked as recorded (for a checkpoint or the release).
  store::MatchResult stint(Seat seat, int64_t now_ms);
  void checkpoint(TimePoint now);
  void grant(Seat seat, uint32_t request_id);
  void refuse(const JoinRequest& request, int error_code, const std::string& message);
  void queue_event(proto::Envelope& env);
  // Sends the queued events followed by `last` to every connected member.
  void broadcast_with_events(const proto::Envelope& last);
  // A "released" seat update carrying Left{reason} for the session.
  SeatUpdate left_update(Seat seat, uint32_t request_id, const std::string& reason) const;
  void fill_member(Seat seat, proto::Member* out) const;
  int find_seat(PlayerId player) const;
  void rebuild_recipients();
  void dispose();

  RoomId id_;
  std::string type_;
  std::string name_;
  std::unique_ptr<Game> game_;
  RoomSettings settings_;
  boost::asio::steady_timer timer_;
  ShardIndex shard_;
  RoomHub& hub_;
  State state_ = State::open;

  std::vector<Member> members_;  // index = seat
  uint32_t member_count_ = 0;    // seats taken, connected or held
  std::vector<QueuedInput> inputs_;
  std::vector<TimePoint> applied_at_;  // receipt times of the inputs the current tick applied
  std::string pending_events_;         // framed Event envelopes, sent with the next tick
  std::vector<std::shared_ptr<const std::vector<SessionId>>> recipients_;  // by shard
  bool recipients_dirty_ = true;
  TimePoint next_tick_{};
  TimePoint last_broadcast_{};
  TimePoint last_checkpoint_{};
  TimePoint empty_since_{};
  uint64_t tick_ = 0;
  RoomStats stats_;
  proto::Envelope state_env_;  // reused each tick
  std::string payload_;        // reused each tick
};

/// Lower-case state name for logs, metrics and the admin API.
const char* to_string(Room::State state);

}  // namespace rookery::rooms
