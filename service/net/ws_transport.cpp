#include "net/ws_transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "net/framing.hpp"

namespace rookery::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

// Upgrade requests are small; anything larger is not a WebSocket client.
constexpr uint32_t kMaxHandshakeBytes = 8 * 1024;

}  // namespace

WsTransport::WsTransport(asio::ip::tcp::socket socket, uint32_t max_frame_bytes,
                         std::chrono::milliseconds handshake_timeout,
                         const HttpFallback* http_fallback)
    : ws_(std::move(socket)),
      max_frame_bytes_(max_frame_bytes),
      handshake_timeout_(handshake_timeout),
      http_fallback_(http_fallback),
      peer_(peer_string(beast::get_lowest_layer(ws_).socket())) {}

WsTransport::~WsTransport() {
  error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void WsTransport::start(std::weak_ptr<TransportOwner> owner) {
  owner_ = std::move(owner);
  auto keep = owner_.lock();
  if (!keep) return;
  error_code ec;
  beast::get_lowest_layer(ws_).socket().set_option(asio::ip::tcp::no_delay(true), ec);
  parser_.emplace();
  parser_->header_limit(kMaxHandshakeBytes);
  parser_->body_limit(kMaxHandshakeBytes);
  beast::get_lowest_layer(ws_).expires_after(handshake_timeout_);
  http::async_read(beast::get_lowest_layer(ws_), buffer_, *parser_,
                   [this, keep](const error_code& e, size_t) { on_http_request(e); });
}

void WsTransport::on_http_request(const error_code& ec) {
  if (closing_) return;
  if (ec) {
    report_closed(ec == beast::error::timeout ? CloseReason::timeout : CloseReason::protocol_error,
                  "http handshake: " + ec.message());
    return;
  }
  Request req = parser_->release();
  parser_.reset();
  if (!websocket::is_upgrade(req)) {
    serve_plain_http(req);
    return;
  }
  auto keep = owner_.lock();
  if (!keep) return;
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "rookery"); }));
  ws_.read_message_max(max_frame_bytes_);
  ws_.binary(true);
  ws_.async_accept(req, [this, keep](const error_code& e) {
    if (closing_) return;
    if (e) {
      report_closed(CloseReason::protocol_error, "websocket handshake: " + e.message());
      return;
    }
    // Session timeouts (handshake, idle) are enforced by the session sweep from here on.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout opt{};
    opt.handshake_timeout = handshake_timeout_;
    opt.idle_timeout = websocket::stream_base::none();
    opt.keep_alive_pings = false;
    ws_.set_option(opt);
    buffer_.clear();
    buffer_.shrink_to_fit();
    open_ = true;
    keep->on_open();
    read_next();
    flush();
  });
}

void WsTransport::serve_plain_http(const Request& req) {
  auto res = std::make_shared<http::response<http::string_body>>();
  if (http_fallback_ && *http_fallback_) {
    *res = (*http_fallback_)(req);
  } else {
    res->result(http::status::upgrade_required);
    res->set(http::field::content_type, "text/plain");
    res->set(http::field::upgrade, "websocket");
    res->body() = "This is a Rookery WebSocket game port: connect with a WebSocket client.\n";
  }
  res->version(req.version());
  res->keep_alive(false);
  res->set(http::field::server, "rookery");
  res->prepare_payload();
  auto keep = owner_.lock();
  closing_ = true;  // one response, then close: the session never opened
  beast::get_lowest_layer(ws_).expires_after(handshake_timeout_);
  http::async_write(beast::get_lowest_layer(ws_), *res,
                    [this, keep, res](const error_code&, size_t) {
                      closing_ = false;
                      report_closed(CloseReason::normal, "plain http request served");
                    });
}

void WsTransport::read_next() {
  auto keep = owner_.lock();
  if (!keep || closing_) return;
  ws_.async_read(buffer_, [this, keep](const error_code& ec, size_t) {
    if (closing_) return;
    if (ec) {
      if (ec == websocket::error::closed || ec == asio::error::eof) {
        report_closed(CloseReason::normal, "peer closed");
      } else if (ec == websocket::error::message_too_big) {
        report_closed(CloseReason::protocol_error, "frame over max_frame_bytes");
      } else if (ec != asio::error::operation_aborted) {
        report_closed(CloseReason::error, ec.message());
      }
      return;
    }
    const auto data = buffer_.cdata();
    keep->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 4096) buffer_.shrink_to_fit();  // idle sessions hold little
    read_next();
  });
}

void WsTransport::queue(std::shared_ptr<const std::string> frames) {
  if (closed_ || (closing_ && !graceful_close_)) return;
  queue_.push(std::move(frames));
}

void WsTransport::flush() {
  if (!open_ || writing_ || closed_) return;
  write_next();
}

void WsTransport::write_next() {
  // Each buffer holds one or more whole frames; the queue drops a buffer once all are sent.
  if (queue_.empty()) {
    if (graceful_close_) finish_close();
    return;
  }
  const std::string& buf = *queue_.front();
  const uint32_t len = get_frame_length(buf.data() + queue_.front_offset());
  const char* payload = buf.data() + queue_.front_offset() + kFrameHeaderBytes;
  const size_t consumed = kFrameHeaderBytes + len;
  auto keep = owner_.lock();
  auto hold = queue_.front();
  writing_ = true;
  ws_.async_write(asio::buffer(payload, len),
                  [this, keep, hold, consumed](const error_code& ec, size_t) {
                    writing_ = false;
                    if (closed_) return;
                    if (ec) {
                      queue_.clear();
                      report_closed(CloseReason::error, ec.message());
                      return;
                    }
                    queue_.consume(consumed);
                    write_next();
                  });
}

void WsTransport::close(bool graceful) {
  if (closed_) return;
  closing_ = true;
  if (graceful && open_) {
    graceful_close_ = true;
    if (!writing_) write_next();
    return;
  }
  finish_close();
}

void WsTransport::finish_close() {
  if (closed_) return;
  closing_ = true;
  if (open_ && graceful_close_) {
    // A proper close frame, bounded by a timer so a silent peer cannot hold the socket.
    graceful_close_ = false;
    auto keep = owner_.lock();
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
    ws_.async_close(websocket::close_code::normal, [this, keep](const error_code&) {
      closed_ = true;
      error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      // The owner asked for this close and waits for it to finish before forgetting the
      // connection: tell it now (else it lingers until its next sweep).
      if (keep) keep->on_transport_closed(CloseReason::normal, "closed");
    });
    return;
  }
  closed_ = true;
  queue_.clear();
  error_code ec;
  beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void WsTransport::report_closed(CloseReason reason, std::string_view detail) {
  if (closing_) return;
  closing_ = true;
  if (auto owner = owner_.lock()) owner->on_transport_closed(reason, detail);
  finish_close();
}

}  // namespace rookery::net
