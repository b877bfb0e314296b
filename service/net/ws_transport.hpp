// WebSocket transport: one binary message per Envelope. Beast does the HTTP upgrade; the frames
// after it are ours (ws_frames.hpp), read and written non-blocking like TCP, so a turn's
// messages leave in one writev. The same port answers plain HTTP requests through an optional
// handler (the browser client's page).
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
#include "net/static_files.hpp"
#include "net/transport.hpp"
#include "net/ws_frames.hpp"

namespace rookery::net {

/// Answers a plain (non-upgrade) HTTP request on the WebSocket port (the web game's files);
/// absent: 426.
using HttpFallback = std::function<StaticResponse(const HttpRequest&)>;

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
  boost::asio::ip::tcp::socket& socket() { return boost::beast::get_lowest_layer(ws_).socket(); }
  void on_http_request(const boost::system::error_code& ec);
  void serve_plain_http(const Request& req);
  void wait_readable();
  void on_readable();
  // Decodes what arrived; false once the connection is closing because of it.
  bool on_bytes(char* data, size_t n);
  void write_now();
  void wait_writable();
  // Everything queued is written: the next step of a close, if one is under way.
  void on_drained();
  // Fails the connection: the owner hears `reason`, the peer gets close `code`.
  void fail(uint16_t code, CloseReason reason, std::string detail);
  void finish_close();
  void report_closed(CloseReason reason, std::string_view detail);

  // Only for the handshake (and a plain HTTP answer); the socket is its lowest layer.
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;  // the upgrade request; empty afterwards
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::weak_ptr<TransportOwner> owner_;
  WsDecoder decoder_;
  OutboundQueue queue_;  // TCP-framed buffers; each frame goes out as one WebSocket message
  std::string control_;  // control frames to send (pong, close), between messages
  size_t control_written_ = 0;
  size_t front_written_ = 0;  // bytes of the front message's frame already written
  std::chrono::milliseconds handshake_timeout_;
  const HttpFallback* http_fallback_;
  std::string peer_;
  bool open_ = false;  // WebSocket handshake done
  bool waiting_writable_ = false;
  bool closing_ = false;         // no more messages to the owner
  bool graceful_close_ = false;  // the owner asked: queued messages, then our close frame
  bool close_queued_ = false;    // our close frame is (being) written
  bool close_sent_ = false;      // ... and written; waiting for the peer's close
  bool reported_ = false;        // the owner was told why the connection ended
  bool closed_ = false;
};

}  // namespace rookery::net
