// A listening socket on one shard. Every shard opens its own listener on the same port with
// SO_REUSEPORT, so the kernel spreads new connections across shards without a shared accept
// lock.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

namespace rookery::net {

/// True when an accept failed for want of file descriptors, buffers or memory: accepting again
/// at once would fail again at 100% of a core, so wait kAcceptBackoff (the connections wait in
/// the backlog). Every listener of the server (game ports and side-port) follows this rule.
bool accept_must_back_off(const boost::system::error_code& ec);
inline constexpr std::chrono::milliseconds kAcceptBackoff{100};

/// Accepts connections on one shard and hands each socket to `on_accept` (on that shard).
class Listener {
 public:
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket)>;

  /// Binds and listens; throws std::runtime_error naming the address if that fails. An IPv6
  /// wildcard address also accepts IPv4 (dual stack).
  Listener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, int backlog,
           OnAccept on_accept);

  /// The bound port (useful when 0 was asked for).
  uint16_t port() const;
  /// Starts accepting; call on the shard's thread.
  void start();
  /// Stops accepting and closes the socket; call on the shard's thread.
  void stop();

 private:
  void accept_next();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  OnAccept on_accept_;
  bool stopped_ = false;
};

}  // namespace rookery::net
