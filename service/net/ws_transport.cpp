#include "net/ws_transport.hpp"

#include <sys/uio.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cerrno>

#include "net/framing.hpp"
#include "net/ws_frames.hpp"

namespace rookery::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

// Upgrade requests are small; anything larger is not a WebSocket client.
constexpr uint32_t kMaxHandshakeBytes = 8 * 1024;
// As for TCP: one read buffer per shard thread; only an incomplete frame stays with a
// connection (WsDecoder), so an idle connection holds no read buffer.
constexpr size_t kReadChunk = 64 * 1024;
thread_local std::array<char, kReadChunk> t_ws_read_buffer;
// Reads per readiness event before yielding to other connections on the shard.
constexpr int kMaxReadsPerWake = 8;
// Queued buffers looked at per writev, and messages framed into one writev (2 spans each).
constexpr size_t kMaxGather = 64;
constexpr size_t kMaxFramesPerWrite = 256;

}  // namespace

WsTransport::WsTransport(asio::ip::tcp::socket socket, uint32_t max_frame_bytes,
                         std::chrono::milliseconds handshake_timeout,
                         const HttpFallback* http_fallback)
    : ws_(std::move(socket)),
      decoder_(max_frame_bytes),
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
  ws_.async_accept(req, [this, keep](const error_code& e) {
    if (closing_) return;
    if (e) {
      report_closed(CloseReason::protocol_error, "websocket handshake: " + e.message());
      return;
    }
    // Session timeouts (handshake, idle) are enforced by the session sweep from here on, and
    // the frames are ours (ws_frames.hpp): Beast's stream is not used after the handshake.
    beast::get_lowest_layer(ws_).expires_never();
    error_code ignored;
    socket().non_blocking(true, ignored);
    open_ = true;
    // Bytes the client sent right behind its upgrade request are its first frames.
    std::string early(static_cast<const char*>(buffer_.cdata().data()), buffer_.size());
    buffer_.clear();
    buffer_.shrink_to_fit();
    keep->on_open();
    if (closing_) return;
    if (!early.empty() && (!on_bytes(early.data(), early.size()) || closed_)) return;
    wait_readable();
    flush();
  });
}

void WsTransport::serve_plain_http(const Request& req) {
  StaticResponse res;
  if (http_fallback_ && *http_fallback_) {
    res = (*http_fallback_)(req);  // complete as it is (a HEAD's Content-Length included)
  } else {
    res.small.version(req.version());
    res.small.result(http::status::upgrade_required);
    res.small.set(http::field::content_type, "text/plain");
    res.small.set(http::field::upgrade, "websocket");
    res.small.body() = "This is a Rookery WebSocket game port: connect with a WebSocket client.\n";
    res.small.prepare_payload();
  }
  res.keep_alive(false);
  res.set(http::field::server, "rookery");
  auto keep = owner_.lock();
  closing_ = true;  // one response, then close: the session never opened
  // The whole response within the handshake timeout: a client that reads a large file too
  // slowly is cut off rather than holding the connection.
  beast::get_lowest_layer(ws_).expires_after(handshake_timeout_);
  auto done = [this, keep](const error_code&, size_t) {
    closing_ = false;
    report_closed(CloseReason::http_served, "plain http request served");
  };
  if (res.file) {
    http::async_write(beast::get_lowest_layer(ws_), *res.file,
                      [file = res.file, done](const error_code& e, size_t n) { done(e, n); });
  } else {
    auto small = std::make_shared<http::response<http::string_body>>(std::move(res.small));
    http::async_write(beast::get_lowest_layer(ws_), *small,
                      [small, done](const error_code& e, size_t n) { done(e, n); });
  }
}

void WsTransport::wait_readable() {
  if (closed_) return;
  auto keep = owner_.lock();
  if (!keep) return;
  socket().async_wait(asio::ip::tcp::socket::wait_read, [this, keep](const error_code& ec) {
    if (closed_) return;
    if (ec) {
      if (ec != asio::error::operation_aborted) report_closed(close_reason_of(ec), ec.message());
      return;
    }
    on_readable();
  });
}

void WsTransport::on_readable() {
  auto owner = owner_.lock();
  if (!owner || closed_) return;
  for (int i = 0; i < kMaxReadsPerWake; ++i) {
    error_code ec;
    const size_t n = socket().read_some(asio::buffer(t_ws_read_buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      wait_readable();
      return;
    }
    if (ec) {
      if (close_sent_) {
        // The peer answered our close by closing too: the handshake is over.
        finish_close();
        owner->on_transport_closed(CloseReason::normal, "closed");
        return;
      }
      report_closed(close_reason_of(ec), ec == asio::error::eof ? "peer closed" : ec.message());
      return;
    }
    if (!on_bytes(t_ws_read_buffer.data(), n) || closed_) return;
  }
  asio::post(socket().get_executor(), [this, owner] { on_readable(); });
}

bool WsTransport::on_bytes(char* data, size_t n) {
  auto owner = owner_.lock();
  if (!owner) return false;
  const uint64_t frames_before = decoder_.frames();
  uint64_t messages = 0;
  const auto result = decoder_.feed(
      data, n,
      [&](std::string_view message) {
        ++messages;
        // After a close began, what still arrives is read (to see the peer's close) and
        // dropped.
        if (!closing_) owner->on_message(message);
        return !closed_;
      },
      [&](WsOpcode op, std::string_view payload) {
        if (op == WsOpcode::ping && !closing_) {
          control_ += ws_control_frame(WsOpcode::pong, payload);
          flush();
        } else if (op == WsOpcode::close) {
          if (close_sent_) {
            finish_close();
            owner->on_transport_closed(CloseReason::normal, "closed");
          } else {
            // The peer starts the close: answer it (RFC 6455 section 5.5.1), then end.
            fail(kWsCloseNormal, CloseReason::normal, "peer closed");
          }
          return false;
        }
        return !closed_;
      });
  // Every frame counts against the client's rate, not only whole messages: a stream of empty
  // continuation frames or pings must not run for free.
  const uint64_t extra = decoder_.frames() - frames_before - messages;
  if (extra > 0 && !closed_ && !closing_) owner->on_extra_frames(extra);
  if (closed_) return false;
  if (result == WsDecoder::Result::ok) return true;
  if (result == WsDecoder::Result::too_big) {
    fail(kWsCloseTooBig, CloseReason::protocol_error, "frame over max_frame_bytes");
  } else {
    fail(kWsCloseProtocolError, CloseReason::protocol_error,
         "websocket protocol: " + decoder_.error());
  }
  return false;
}

void WsTransport::queue(std::shared_ptr<const std::string> frames) {
  // After a failure (a close code of ours on its way) nothing else is sent: WebSocket has
  // its own close codes for protocol errors.
  if (closed_ || (closing_ && !graceful_close_)) return;
  queue_.push(std::move(frames));
}

void WsTransport::flush() {
  if (!open_ || waiting_writable_ || closed_ || close_sent_) return;
  write_now();
}

void WsTransport::write_now() {
  // One non-blocking writev per turn: pending control frames, then every queued message, each
  // as its 2-10 byte header followed by the Envelope bytes already built (no copy).
  while (!closed_) {
    std::array<iovec, kMaxGather> src;
    const size_t spans = queue_.gather(src.data(), src.size());
    std::array<iovec, 2 * kMaxFramesPerWrite + 1> iov;
    std::array<std::array<char, kWsMaxHeaderBytes>, kMaxFramesPerWrite> headers;
    std::array<size_t, kMaxFramesPerWrite> frame_bytes;  // header + payload, on the wire
    std::array<size_t, kMaxFramesPerWrite> queue_bytes;  // length prefix + payload, queued
    size_t count = 0;
    size_t frames = 0;
    // Control frames go out only between messages: never inside a partly written one.
    const bool control = front_written_ == 0 && control_written_ < control_.size();
    if (control) {
      iov[count++] = iovec{control_.data() + control_written_, control_.size() - control_written_};
    }
    {
      for (size_t s = 0; s < spans && frames < kMaxFramesPerWrite; ++s) {
        const char* p = static_cast<const char*>(src[s].iov_base);
        size_t left = src[s].iov_len;
        while (left >= kFrameHeaderBytes && frames < kMaxFramesPerWrite) {
          const uint32_t len = get_frame_length(p);
          const size_t h = put_ws_header(headers[frames].data(), WsOpcode::binary, len);
          size_t skip = frames == 0 ? front_written_ : 0;  // a message begun last time
          const size_t hskip = std::min(skip, h);
          if (hskip < h) iov[count++] = iovec{headers[frames].data() + hskip, h - hskip};
          skip -= hskip;
          if (len - skip > 0) {
            iov[count++] = iovec{const_cast<char*>(p + kFrameHeaderBytes + skip), len - skip};
          }
          frame_bytes[frames] = h + len;
          queue_bytes[frames] = kFrameHeaderBytes + len;
          ++frames;
          p += kFrameHeaderBytes + len;
          left -= kFrameHeaderBytes + len;
        }
      }
    }
    if (count == 0) break;
    const ssize_t n = ::writev(socket().native_handle(), iov.data(), static_cast<int>(count));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable();
      queue_.clear();
      const error_code failed(errno, boost::system::system_category());
      report_closed(close_reason_of(failed), failed.message());
      return;
    }
    size_t written = static_cast<size_t>(n);
    if (control) {
      const size_t c = std::min(written, control_.size() - control_written_);
      control_written_ += c;
      written -= c;
      if (control_written_ == control_.size()) {
        control_.clear();
        control_written_ = 0;
      }
    }
    for (size_t f = 0; f < frames && written > 0; ++f) {
      const size_t before = f == 0 ? front_written_ : 0;
      const size_t left = frame_bytes[f] - before;
      if (written < left) {
        front_written_ = before + written;  // this message is the front one now
        break;
      }
      written -= left;
      queue_.consume(queue_bytes[f]);
      front_written_ = 0;
    }
  }
  if (control_.empty() && queue_.empty() && front_written_ == 0) on_drained();
}

void WsTransport::wait_writable() {
  auto keep = owner_.lock();
  waiting_writable_ = true;
  socket().async_wait(asio::ip::tcp::socket::wait_write, [this, keep](const error_code& ec) {
    waiting_writable_ = false;
    if (closed_) return;
    if (ec) {
      queue_.clear();
      report_closed(close_reason_of(ec), ec.message());
      return;
    }
    write_now();
  });
}

void WsTransport::on_drained() {
  if (close_sent_ || !closing_) return;
  if (graceful_close_ && !close_queued_) {
    // Everything the owner queued is out: now the close frame, then wait for the peer's.
    close_queued_ = true;
    control_ = ws_close_frame(kWsCloseNormal);
    control_written_ = 0;
    write_now();
    return;
  }
  if (close_queued_) {
    // Our close frame is out. The peer answers with its own (or just closes); the owner
    // forces the end if it never does.
    close_sent_ = true;
    error_code ec;
    socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }
}

void WsTransport::close(bool graceful) {
  if (closed_) return;
  closing_ = true;
  if (graceful && open_ && !close_queued_) {
    graceful_close_ = true;
    if (!waiting_writable_) write_now();
    return;
  }
  if (graceful && close_queued_) return;  // already on its way
  finish_close();
}

void WsTransport::fail(uint16_t code, CloseReason reason, std::string detail) {
  if (closed_) return;
  const bool was_closing = closing_;
  if (close_sent_ || front_written_ > 0) {
    // Our close frame is already out, or a message is half written (a close frame now would
    // land inside it): just end the connection.
    report_closed(reason, detail);
    if (was_closing) {
      if (auto owner = owner_.lock()) owner->on_transport_closed(CloseReason::normal, "closed");
    }
    return;
  }
  // Queued messages are dropped; only our close frame goes.
  closing_ = true;
  graceful_close_ = false;
  close_queued_ = true;
  queue_.clear();
  control_ = ws_close_frame(code);
  control_written_ = 0;
  if (!was_closing && !reported_) {
    reported_ = true;
    if (auto owner = owner_.lock()) owner->on_transport_closed(reason, detail);
  }
  if (closed_) return;
  if (!waiting_writable_) write_now();
}

void WsTransport::finish_close() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  queue_.clear();
  decoder_.reset();
  std::string().swap(control_);
  error_code ec;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

void WsTransport::report_closed(CloseReason reason, std::string_view detail) {
  if (reported_ || closed_) {
    finish_close();
    return;
  }
  reported_ = true;
  closing_ = true;
  if (auto owner = owner_.lock()) owner->on_transport_closed(reason, detail);
  finish_close();
}

}  // namespace rookery::net
