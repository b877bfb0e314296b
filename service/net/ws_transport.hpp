// WebSocket transport (Boost.Beast): one binary message per Envelope. The same port answers
// plain HTTP requests through an optional handler (the browser client's page, issue #6).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/outbound_queue.hpp"
#include "net/transport.hpp"

namespace rookery::net {

/// Answers a plain (non-upgrade) HTTP request on the WebSocket port; absent: 426.
using HttpFallback = std::function<boost::beast::http::response<boost::beast::http::string_body>(
    const boost::beast::http::request<boost::beast::http::string_body>&)>;

/// WebSocket transport. Created by the listener on the shard that accepted the socket.
class WsTransport final : public Transport {
 public:
  WsTransport(boost::asio::ip::tcp::socket socket, uint32_t max_frame_bytes,
              std::chrono::milliseconds handshake_timeout, const HttpFallback* http_fallback);
  ~WsTransport() override;

  void start(std::weak_ptr<TransportOwner> owner) override;
  void queue(std::shared_ptr<const std::string> frames) override;
  void flush() override;
  size_t pending_bytes() const override { return queue_.pending_bytes(); }
  void close(bool graceful) override;
  bool is_closed() const override { return closed_; }
  const std::string& peer() const override { return peer_; }
  TransportKind kind() const override { return TransportKind::ws; }

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  void on_http_request(const boost::system::error_code& ec);
  void serve_plain_http(const Request& req);
  void read_next();
  void write_next();
  void finish_close();
  void report_closed(CloseReason reason, std::string_view detail);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::weak_ptr<TransportOwner> owner_;
  OutboundQueue queue_;  // TCP-framed buffers; each frame goes out as one WebSocket message
  uint32_t max_frame_bytes_;
  std::chrono::milliseconds handshake_timeout_;
  const HttpFallback* http_fallback_;
  std::string peer_;
  bool open_ = false;  // WebSocket handshake done
  bool writing_ = false;
  bool closing_ = false;
  bool graceful_close_ = false;
  bool closed_ = false;
};

}  // namespace rookery::net
