// A blocking Rookery client for tests and tools: one connection over raw TCP (length-prefixed
// frames) or WebSocket (one binary message per Envelope), with a deadline on every call so
// nothing can hang a caller forever. Protocol: service/proto/rookery.proto.
//
// Thread-safety: a Client is used by one thread at a time; different Clients are independent
// (each owns its io_context), so a test may drive several from one thread or one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "rookery.pb.h"

namespace rookery::client {

using Duration = std::chrono::milliseconds;

/// The connection failed, was closed before an answer came, or a call ran out of time.
class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a connection is opened.
struct Options {
  int rcvbuf_bytes = 0;                     // > 0: SO_RCVBUF set before connecting (slow readers)
  Duration timeout{10000};                  // default deadline of connect and request helpers
  std::string client_name = "rookery-cpp";  // sent in Hello.client
  bool follow_redirects = true;  // join helpers follow a Redirect to the room's node by themselves
};

/// What wait_for does with messages that do not match.
enum class Unmatched { drop, keep };

class Connection;

/// One connection to a Rookery server. Inbound Envelopes are read into an inbox in arrival order;
/// receive/wait_for take from it. Request helpers send one request with a fresh request_id and
/// return the direct reply (same request_id), or an Error that answers it: a fatal Error, or a
/// RATE_LIMITED Error with request_id 0 (the request was dropped). Unrelated messages that arrive
/// meanwhile stay in the inbox, in order. Helpers throw ClientError on timeout or if the
/// connection closes with no answer.
class Client {
 public:
  /// Connects over raw TCP; throws ClientError on failure or timeout.
  static std::unique_ptr<Client> connect_tcp(const std::string& host, uint16_t port,
                                             Options options = {});
  /// Connects over WebSocket (path "/", binary messages); throws ClientError on failure.
  static std::unique_ptr<Client> connect_ws(const std::string& host, uint16_t port,
                                            Options options = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- raw access ---

  /// Sends one Envelope as is (request_id untouched); throws ClientError on failure/timeout.
  void send(const proto::Envelope& env);
  /// Sends bytes untouched: TCP writes them to the stream (no framing added); WebSocket sends
  /// them as one binary message. For garbage and oversize-frame tests.
  void send_raw(std::string_view bytes);
  /// Next inbound Envelope, waiting up to `timeout` (0: only what is already readable). nullopt
  /// on timeout or when the connection is closed and the inbox is empty: see closed().
  std::optional<proto::Envelope> receive(Duration timeout);
  /// Reads until an Envelope satisfies `match` or `timeout` passes. Searches the inbox first.
  /// Unmatched::drop discards the messages before the match (and all read on timeout);
  /// Unmatched::keep leaves them in the inbox in order. nullopt on timeout or close.
  std::optional<proto::Envelope> wait_for(const std::function<bool(const proto::Envelope&)>& match,
                                          Duration timeout, Unmatched unmatched = Unmatched::drop);
  /// Reads and discards everything for `duration` (0: whatever is readable now); returns how
  /// many Envelopes were discarded, including those already in the inbox.
  size_t drain(Duration duration);
  /// Reads (discarding) until the server closes the connection; true if it did within `timeout`.
  bool wait_closed(Duration timeout);
  /// True once the server closed the connection (EOF, reset, WebSocket close) or it failed.
  bool closed() const { return closed_; }
  /// Why the connection ended ("eof", "websocket close 1009", an error text); empty while open.
  const std::string& close_reason() const { return close_reason_; }
  /// Messages waiting in the inbox.
  size_t inbox_size() const { return inbox_.size(); }
  /// Inbound frames that did not parse as an Envelope (a server bug if ever non-zero).
  size_t unparsed_frames() const { return unparsed_frames_; }
  /// false: stop starting socket reads, so the kernel buffers fill and the server sees a reader
  /// that does not read (slow-consumer tests). receive() then only returns what is in the inbox.
  void set_reading(bool reading) { reading_ = reading; }
  /// Closes the socket at once, without any goodbye (a dropped connection).
  void drop();

  // --- request helpers (reply Envelope, or an Error answering the request) ---

  /// Hello with `protocol_version`; reply: Welcome or Error.
  proto::Envelope hello(uint32_t protocol_version = 1);
  /// Guest login; reply: LoginOk (sets player_id(), token()) or Error.
  proto::Envelope login_guest(const std::string& device_id, const std::string& display_name = "");
  /// Registers a password account (Login.password.create = true); reply: LoginOk or Error.
  proto::Envelope register_user(const std::string& username, const std::string& password);
  /// Logs in to a password account; reply: LoginOk or Error.
  proto::Envelope login_user(const std::string& username, const std::string& password);
  /// Resumes a session by token; reply: LoginOk{resumed} or Error. If the seat was held, a
  /// Joined with the same request_id follows (it stays in the inbox; seat() is set on arrival).
  proto::Envelope reconnect(const std::string& session_token);
  /// JoinOrCreate `type`; reply: Joined (sets room_id(), seat()) or Error.
  proto::Envelope join_or_create(const std::string& type);
  /// CreateRoom; reply: Joined or Error.
  proto::Envelope create_room(const std::string& type, const std::string& name = "",
                              uint32_t max_players = 0);
  /// JoinRoom; reply: Joined or Error.
  proto::Envelope join(uint64_t room_id);
  /// Leave; reply: Left or Error.
  proto::Envelope leave();
  /// ListRooms; reply: RoomList or Error.
  proto::Envelope list_rooms(const std::string& type = "", bool include_full = false,
                             bool include_locked = false);
  /// Ping; reply: Pong or Error.
  proto::Envelope ping(uint64_t client_time = 0);
  /// Sends an Input. The protocol has no direct reply: the room acks it in a later State.
  void input(uint32_t seq, std::string_view payload);
  /// Sends an Input and waits for the State that acks it for seat(); that State, or an Error
  /// answering it (INVALID_INPUT, NOT_IN_ROOM, RATE_LIMITED, or fatal).
  proto::Envelope input_acked(uint32_t seq, std::string_view payload);
  /// Sends `env` with a fresh request_id and returns the reply, as the helpers above do.
  proto::Envelope request(proto::Envelope env, Duration timeout);
  /// Follows a Redirect (the join helpers do it by themselves unless Options.follow_redirects
  /// is false): connects to its node over the same transport, Hello, Login{ticket}. On success
  /// this Client is now that connection (the old one is closed) and the Joined is returned;
  /// otherwise the Error (or a ClientError) and the old connection is kept as it was.
  /// A Redirect{reconnect} (an answer to Reconnect) is followed the same way with Reconnect
  /// `session_token` there; its LoginOk is returned (a Joined may follow, as for reconnect()).
  proto::Envelope follow(const proto::Redirect& redirect, const std::string& session_token = "");
  /// Redirects followed so far.
  uint32_t redirects_followed() const { return redirects_; }
  /// host:port this Client is connected to now.
  std::string endpoint() const { return host_ + ":" + std::to_string(port_); }

  // --- set as LoginOk, Joined and Left arrive (read into the inbox) ---

  uint64_t player_id() const { return player_id_; }
  const std::string& token() const { return token_; }
  uint64_t room_id() const { return room_id_; }
  uint32_t seat() const { return seat_; }
  Duration timeout() const { return options_.timeout; }

 private:
  friend class Connection;
  explicit Client(Options options);

  using Deadline = std::chrono::steady_clock::time_point;
  // Runs the event loop until `done()`, the connection closes, or `deadline`; reads keep going
  // (into the inbox) unless set_reading(false).
  void pump_until(const std::function<bool()>& done, Deadline deadline);
  void start_read();
  void on_frame(std::string_view bytes);
  void on_closed(std::string reason);
  void write(std::string bytes, bool raw, Deadline deadline);
  void remember(const proto::Envelope& env);
  uint32_t next_request_id() { return ++last_request_id_; }
  proto::Envelope join_reply(proto::Envelope env);

  Options options_;
  std::unique_ptr<Connection> connection_;
  bool ws_ = false;
  std::string host_;
  uint16_t port_ = 0;
  uint32_t redirects_ = 0;
  std::deque<proto::Envelope> inbox_;
  bool reading_ = true;
  bool read_pending_ = false;
  bool closed_ = false;
  bool dropped_ = false;  // drop() closed the socket: nothing more can be sent
  std::string close_reason_;
  size_t unparsed_frames_ = 0;
  uint32_t last_request_id_ = 0;
  uint64_t player_id_ = 0;
  std::string token_;
  uint64_t room_id_ = 0;
  uint32_t seat_ = 0;
};

/// A short description of an Envelope for assertion messages ("error BAD_FRAME: ...").
std::string describe(const proto::Envelope& env);

}  // namespace rookery::client
