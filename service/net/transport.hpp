// The seam between a game session (protocol, limits, rooms) and the bytes on the wire. Two
// transports implement it: raw TCP frames and WebSocket messages.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rookery::net {

/// Why a connection ended; each reason is counted separately in metrics.
enum class CloseReason : uint8_t {
  normal,          // peer closed, or the client left cleanly
  timeout,         // handshake or idle timeout
  slow_consumer,   // outbound queue over its byte bound
  rate_limited,    // repeated rate-limit offences
  protocol_error,  // bad frames, malformed or unexpected messages
  kicked,          // an operator or a newer login of the same player
  shutdown,        // server draining
  refused,         // over --max-connections
  error,           // a socket error on our side
  peer_gone,       // the peer vanished without a close (a closed tab or app, a lost network)
  http_served,     // a plain HTTP request on the WebSocket port, answered: never a game connection
};
inline constexpr int kCloseReasonCount = 11;

/// The reason a failed socket read or write ends a connection: end of stream is a close, a
/// reset or broken pipe is a peer that went away (not our error), anything else an error.
CloseReason close_reason_of(const boost::system::error_code& ec);

/// The kinds of game transport; per-transport counters are arrays of kTransportKinds.
enum class TransportKind : uint8_t { tcp = 0, ws = 1 };
inline constexpr size_t kTransportKinds = 2;

/// Stable lower-case name of a transport kind ("tcp", "ws"), for logs and metric labels.
constexpr const char* to_string(TransportKind kind) {
  return kind == TransportKind::tcp ? "tcp" : "ws";
}

/// Stable lower-case name of a reason, for logs and metric labels.
const char* to_string(CloseReason reason);

/// The socket's peer as "ip:port" (IPv4-mapped IPv6 shown as IPv4), or "?" if unknown.
std::string peer_string(const boost::asio::ip::tcp::socket& socket);

/// Receives what a transport reads. Implemented by the session; called on the shard thread.
class TransportOwner : public std::enable_shared_from_this<TransportOwner> {
 public:
  virtual ~TransportOwner() = default;
  /// The transport is ready (WebSocket: handshake done). The session may send now.
  virtual void on_open() = 0;
  /// One complete inbound message (an Envelope's bytes). Valid only during the call.
  virtual void on_message(std::string_view bytes) = 0;
  /// Frames that carried no whole message of their own (WebSocket fragments after a message's
  /// first, pings, pongs, empty frames): each costs the server as much as a message, so the
  /// owner charges them to its rate limit. TCP has no such frames.
  virtual void on_extra_frames(uint64_t count) { (void)count; }
  /// The transport failed or the peer went away; the transport is already closing. Also called
  /// (reason normal) when a graceful close() the owner asked for has finished.
  virtual void on_transport_closed(CloseReason reason, std::string_view detail) = 0;
};

/// One client connection's byte stream. Single-threaded: every call on the owning shard.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Begins the handshake (if any) and reading; events go to `owner`.
  virtual void start(std::weak_ptr<TransportOwner> owner) = 0;
  /// Queues one or more whole frames (TCP framing, see framing.hpp). Sent on flush().
  virtual void queue(std::shared_ptr<const std::string> frames) = 0;
  /// Starts writing everything queued, gathered into as few syscalls as the transport allows.
  virtual void flush() = 0;
  /// Bytes queued or being written, not yet handed to the kernel.
  virtual size_t pending_bytes() const = 0;
  /// Closes. `graceful`: send what is queued first (bounded by a short timer); else at once.
  virtual void close(bool graceful) = 0;
  /// True once the socket is closed (nothing more will be sent or read).
  virtual bool is_closed() const = 0;
  /// Peer address as "ip:port", for logs.
  virtual const std::string& peer() const = 0;
  /// Which transport this is.
  virtual TransportKind kind() const = 0;
};

}  // namespace rookery::net
