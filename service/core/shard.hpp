// A shard: one io_context run by one thread, owning the sessions it accepted and the rooms
// placed on it. Nothing on a shard is touched by another thread; other threads post to it.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/ids.hpp"
#include "net/listener.hpp"
#include "net/transport.hpp"
#include "net/ws_transport.hpp"
#include "rookery.pb.h"
#include "rooms/room.hpp"

namespace rookery::core {

class Lobby;
class Session;
struct SessionSettings;

/// Whether a new connection may stay, and if not why (the session says so and closes).
enum class Admission : uint8_t { admitted, server_full, address_full };

/// What a shard and its sessions need from the server that runs them. Server implements it;
/// Session's unit tests give a shard a fake (one shard, a fake core).
class ShardContext {
 public:
  virtual ~ShardContext() = default;
  /// The limits and Welcome fields sessions use.
  virtual const SessionSettings& session_settings() const = 0;
  /// The game core's rules for sessions.
  virtual Lobby& lobby() = 0;
  /// Runs `fn` on shard `shard`'s thread (where a room lives), later.
  virtual void post(ShardIndex shard, std::function<void()> fn) = 0;
  /// Admission: counts a new connection from `ip`, or says why not (over --max-connections,
  /// draining, over the address's cap).
  virtual Admission admit_connection(const std::string& ip) = 0;
  /// A connection from `ip` ended (admitted or not).
  virtual void connection_closed(const std::string& ip, bool admitted) = 0;
  /// A process-wide unique session id.
  virtual SessionId next_session_id() = 0;
  /// Answers plain HTTP requests on the WebSocket port (the web game, if configured).
  virtual const net::HttpFallback& web_fallback() const = 0;
  /// The core's once-a-second housekeeping (expired reconnect seats), run by shard 0.
  virtual void housekeeping() = 0;
};

/// How a login was asked for, for the login counters.
enum class LoginKind : uint8_t { guest, password, create_account, ticket, reconnect };
inline constexpr size_t kLoginKinds = 5;
/// Stable lower-case name of a login kind, for metric labels.
const char* to_string(LoginKind kind);
/// Slots for counters by proto::ErrorCode (every code is below this).
inline constexpr size_t kErrorCodeSlots = 64;

/// Plain (non-atomic) counters of one shard, read by posting to the shard. Summed across
/// shards when metrics are scraped, so counting never contends between threads.
struct ShardStats {
  std::array<uint64_t, net::kTransportKinds> accepted{};  // by net::TransportKind
  std::array<int64_t, net::kTransportKinds> open{};       // by net::TransportKind
  std::array<uint64_t, net::kCloseReasonCount> closed{};  // by CloseReason
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;  // buffers handed to transports (one per tick per member)
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  int64_t logged_in = 0;
  // Connections to the WebSocket port that never became game connections: [0] plain HTTP
  // requests answered (page loads of the web game), [1] handshakes that failed or timed out.
  std::array<uint64_t, 2> ws_not_game{};
  std::array<uint64_t, kErrorCodeSlots> errors_sent{};  // Error messages sent, by code
  // Login attempts by kind, then result: [0] logged in, else the refusal's proto::ErrorCode.
  std::array<std::array<uint64_t, kErrorCodeSlots>, kLoginKinds> logins{};

  /// Adds another shard's counters.
  void add(const ShardStats& o);
};

/// One event-loop thread and what it owns.
class Shard {
 public:
  Shard(ShardContext& context, ShardIndex index);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  /// Opens this shard's listeners (SO_REUSEPORT on shared ports). Throws on bind failure.
  void listen(const boost::asio::ip::tcp::endpoint& tcp, const boost::asio::ip::tcp::endpoint& ws,
              int backlog);
  /// Starts the thread (accepting, sweeping timeouts).
  void start();
  /// Stops accepting new connections (posted; returns at once).
  void stop_accepting();
  /// Stops the loop and joins the thread.
  void stop_and_join();

  boost::asio::io_context& io() { return io_; }
  ShardIndex index() const { return index_; }
  ShardContext& context() { return context_; }
  uint16_t tcp_port() const { return tcp_ ? tcp_->port() : 0; }
  uint16_t ws_port() const { return ws_ ? ws_->port() : 0; }
  ShardStats& stats() { return stats_; }

  // --- shard-thread only ---
  /// Starts a session on a new connection's transport (not admitted: it only says why, then
  /// closes). The listeners call it; tests hand it a fake transport.
  std::shared_ptr<Session> adopt(std::unique_ptr<net::Transport> transport, Admission admission);
  /// The session with this id, or null.
  Session* find(SessionId id);
  /// Queues `frames` to every listed session and flushes once at the end of the loop turn.
  void deliver(const std::vector<SessionId>& sessions,
               const std::shared_ptr<const std::string>& frames);
  /// Arranges for `session` to be flushed at the end of this loop turn (one write per turn).
  void mark_dirty(Session& session);
  /// Forgets a closed session (destroyed after the current handler returns).
  void remove(SessionId id);
  /// Calls `fn(Session&)` for every session.
  template <class Fn>
  void for_each_session(Fn&& fn) {
    std::vector<std::shared_ptr<Session>> all;  // fn may close (and remove) sessions
    all.reserve(sessions_.size());
    for (auto& [id, s] : sessions_) all.push_back(s);
    for (auto& s : all) fn(*s);
  }
  size_t session_count() const { return sessions_.size(); }
  /// Scratch Envelope reused for parsing inbound messages (no allocation per message).
  proto::Envelope& scratch_envelope() { return scratch_; }
  /// Tick and input counters of this shard's rooms of `type`. Entries are created before the
  /// threads start (Server constructor) so the map itself never changes afterwards.
  rooms::TickStats& tick_stats(const std::string& type) { return tick_stats_[type]; }
  const std::map<std::string, rooms::TickStats>& all_tick_stats() const { return tick_stats_; }

 private:
  void on_accept(boost::asio::ip::tcp::socket socket, bool websocket);
  void flush_dirty();
  void schedule_sweep();
  void sweep();

  ShardContext& context_;
  ShardIndex index_;
  boost::asio::io_context io_;
  std::thread thread_;
  std::unique_ptr<net::Listener> tcp_;
  std::unique_ptr<net::Listener> ws_;
  boost::asio::steady_timer sweep_timer_;
  std::unordered_map<SessionId, std::shared_ptr<Session>> sessions_;
  std::vector<std::shared_ptr<Session>> dirty_;
  std::vector<std::shared_ptr<Session>> flushing_;   // dirty_ of the turn being flushed
  std::vector<std::shared_ptr<Session>> graveyard_;  // closed this turn; freed after it
  bool flush_posted_ = false;
  ShardStats stats_;
  std::map<std::string, rooms::TickStats> tick_stats_;
  proto::Envelope scratch_;
};

}  // namespace rookery::core
