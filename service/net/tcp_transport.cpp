#include "net/tcp_transport.hpp"

#include <sys/uio.h>

#include <cerrno>

#include <array>
#include <boost/asio/post.hpp>

namespace rookery::net {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// One read buffer per shard thread, shared by every connection on it: reads drain into it and
// only an incomplete trailing frame is copied into the connection (see FrameDecoder).
constexpr size_t kReadChunk = 64 * 1024;
thread_local std::array<char, kReadChunk> t_read_buffer;

// Reads per readiness event before yielding to other connections on the shard.
constexpr int kMaxReadsPerWake = 8;
// Buffers gathered into one writev; Linux allows 1024, more than a flush ever needs.
constexpr size_t kMaxGather = 64;

}  // namespace

TcpTransport::TcpTransport(asio::ip::tcp::socket socket, uint32_t max_frame_bytes)
    : socket_(std::move(socket)), decoder_(max_frame_bytes), peer_(peer_string(socket_)) {}

TcpTransport::~TcpTransport() {
  error_code ec;
  socket_.close(ec);
}

void TcpTransport::start(std::weak_ptr<TransportOwner> owner) {
  owner_ = std::move(owner);
  error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (auto o = owner_.lock()) o->on_open();
  wait_readable();
}

void TcpTransport::wait_readable() {
  if (closing_) return;
  auto keep = owner_.lock();
  if (!keep) return;
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [this, keep](const error_code& ec) {
    if (ec) {
      if (ec != asio::error::operation_aborted) report_closed(close_reason_of(ec), ec.message());
      return;
    }
    on_readable();
  });
}

void TcpTransport::on_readable() {
  auto owner = owner_.lock();
  if (!owner || closing_) return;
  for (int i = 0; i < kMaxReadsPerWake; ++i) {
    error_code ec;
    const size_t n = socket_.read_some(asio::buffer(t_read_buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      wait_readable();  // drained: epoll (edge-triggered) will tell us about new bytes
      return;
    }
    if (ec == asio::error::eof) {
      report_closed(CloseReason::normal, "peer closed");
      return;
    }
    if (ec) {
      report_closed(close_reason_of(ec), ec.message());
      return;
    }
    const auto result = decoder_.feed(t_read_buffer.data(), n, [&](std::string_view frame) {
      owner->on_message(frame);
      return !closing_;
    });
    if (closing_) return;
    if (result != FrameDecoder::Result::ok) {
      report_closed(CloseReason::protocol_error, result == FrameDecoder::Result::empty_frame
                                                     ? "empty frame"
                                                     : "frame over max_frame_bytes");
      return;
    }
  }
  // Still more to read: let other connections run first, then continue without waiting for a
  // new readiness edge (none may come for bytes already buffered).
  asio::post(socket_.get_executor(), [this, owner] { on_readable(); });
}

void TcpTransport::queue(std::shared_ptr<const std::string> frames) {
  if (closed_) return;
  queue_.push(std::move(frames));
}

void TcpTransport::flush() {
  if (closed_ || waiting_writable_ || queue_.empty()) return;
  write_now();
}

void TcpTransport::write_now() {
  // Non-blocking gathered write: in the common case the kernel takes everything at once and no
  // asynchronous operation (nor its allocation) is needed.
  while (!queue_.empty()) {
    std::array<iovec, kMaxGather> iov;
    const size_t count = queue_.gather(iov.data(), iov.size());
    const ssize_t n = ::writev(socket_.native_handle(), iov.data(), static_cast<int>(count));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      on_write_failed(error_code(errno, boost::system::system_category()));
      return;
    }
    queue_.consume(static_cast<size_t>(n));
  }
  if (queue_.empty()) {
    if (closing_) {
      finish_close();
      // A graceful close has sent its last frames: the owner may forget the connection now
      // (else it lingers until its next sweep).
      if (auto owner = owner_.lock()) owner->on_transport_closed(CloseReason::normal, "closed");
    }
    return;
  }
  // The kernel's send buffer is full: wait until it drains, then continue.
  auto keep = owner_.lock();
  waiting_writable_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write, [this, keep](const error_code& ec) {
    waiting_writable_ = false;
    if (closed_) return;
    if (ec) {
      on_write_failed(ec);
      return;
    }
    write_now();
  });
}

void TcpTransport::on_write_failed(const error_code& ec) {
  queue_.clear();
  report_closed(close_reason_of(ec), ec.message());
}

void TcpTransport::close(bool graceful) {
  if (closed_) return;
  closing_ = true;
  decoder_.reset();
  if (graceful && !queue_.empty()) {
    // Stop delivering reads but let the queued frames (e.g. a final error) go out first. A
    // peer that never reads cannot hold us: the session's sweep closes hard after a grace.
    if (!waiting_writable_) write_now();
    return;
  }
  finish_close();
}

void TcpTransport::finish_close() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  queue_.clear();
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  socket_.close(ec);
}

void TcpTransport::report_closed(CloseReason reason, std::string_view detail) {
  if (closing_) return;
  closing_ = true;
  if (auto owner = owner_.lock()) owner->on_transport_closed(reason, detail);
  // The owner may have queued a final Error (e.g. for a bad frame): send it, then close.
  if (!closed_ && !queue_.empty() && reason == CloseReason::protocol_error) {
    if (!waiting_writable_) write_now();
    return;
  }
  finish_close();
}

}  // namespace rookery::net
