// One Redis connection (Debian's hiredis, async API) driven by an Asio io_context: commands
// answered on that context's thread, each with a deadline; reconnects by itself with backoff;
// optional subscriber mode that re-subscribes after every reconnect. Nothing here blocks: a
// command sent while the connection is down fails at once with `unavailable`, so a caller (the
// cluster directory) never waits on a dead Redis. hiredis writes with write(2), so the process
// must ignore SIGPIPE (rookery's main does), or a Redis that dies mid-write kills it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct redisAsyncContext;

namespace rookery::cluster {

/// A Redis reply, copied out of hiredis's reply tree.
struct RedisValue {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  int64_t integer = 0;
  std::string str;  // string, status and error replies
  std::vector<RedisValue> elements;

  bool is_nil() const { return type == Type::nil; }
};

/// Why a command has no reply.
enum class RedisStatus {
  ok,           // `value` holds the reply (which may be an error reply: see RedisResult::error)
  unavailable,  // not connected (Redis down, or reconnecting)
  timeout,      // no reply within the deadline; the connection is dropped and reconnects
};

/// What a command callback receives.
struct RedisResult {
  RedisStatus status = RedisStatus::unavailable;
  RedisValue value;
  /// True when the command did not succeed: no reply, or Redis answered with an error.
  bool failed() const { return status != RedisStatus::ok || value.type == RedisValue::Type::error; }
  /// A short description of the failure for logs and typed errors.
  std::string what() const;
};

/// Where Redis is and how patient to be with it.
struct RedisOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{2000};
};

/// Parses "redis://host:port" (or "host:port", or "host"); throws std::invalid_argument.
RedisOptions parse_redis_url(const std::string& url);

/// An async Redis connection. Use only on the io_context's thread (construct, call, destroy).
class RedisConnection {
 public:
  using Callback = std::function<void(RedisResult)>;
  /// A pub/sub message: channel, payload.
  using MessageHandler =
      std::function<void(const std::string& channel, const std::string& payload)>;
  /// Connection went up (true) or down (false).
  using StateHandler = std::function<void(bool up)>;

  RedisConnection(boost::asio::io_context& io, RedisOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Connects, and keeps reconnecting until stop().
  void start();
  /// Drops the connection; pending commands fail with `unavailable`. No reconnect.
  void stop();
  /// Sends one command (argv as binary-safe strings). `done` runs once on the io thread, never
  /// from inside this call.
  void command(std::vector<std::string> argv, Callback done);
  /// Subscriber mode: SUBSCRIBE to `channels` now and after every reconnect; messages go to
  /// `handler`. A connection that subscribes must not send other commands.
  void subscribe(std::vector<std::string> channels, MessageHandler handler);
  /// Called on every up/down transition, on the io thread.
  void on_state(StateHandler handler) { state_handler_ = std::move(handler); }

  bool connected() const { return state_ == State::connected; }
  /// Successful connections so far (1 after the first; more after reconnects).
  uint64_t connects() const { return connects_; }

 private:
  enum class State { stopped, waiting, connecting, connected };
  struct Events;  // the Asio side of hiredis's event hooks
  struct Pending {
    Callback done;
    std::chrono::steady_clock::time_point deadline;
  };

  void connect();
  void schedule_reconnect();
  void drop(RedisStatus why);  // frees the context, fails pending commands
  void fail_pending(RedisStatus why);
  void watch_deadlines();
  void set_state(State s);
  void send_subscribe();
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_message(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::io_context& io_;
  const RedisOptions options_;
  redisAsyncContext* ac_ = nullptr;
  std::shared_ptr<Events> events_;
  State state_ = State::stopped;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer deadline_timer_;
  std::chrono::milliseconds backoff_;
  std::map<uint64_t, Pending> pending_;  // by id; replies come back in order
  uint64_t next_id_ = 1;
  uint64_t connects_ = 0;
  std::vector<std::string> channels_;
  MessageHandler message_handler_;
  StateHandler state_handler_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // posted tasks check it
};

}  // namespace rookery::cluster
