// Raw TCP transport: length-prefixed frames, read through a per-thread scratch buffer so an
// idle connection holds no read buffer, and written with one gathered write per flush.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/framing.hpp"
#include "net/outbound_queue.hpp"
#include "net/transport.hpp"

namespace rookery::net {

/// TCP transport. Created by the listener on the shard that accepted the socket.
class TcpTransport final : public Transport {
 public:
  TcpTransport(boost::asio::ip::tcp::socket socket, uint32_t max_frame_bytes);
  ~TcpTransport() override;

  void start(std::weak_ptr<TransportOwner> owner) override;
  void queue(std::shared_ptr<const std::string> frames) override;
  void flush() override;
  size_t pending_bytes() const override { return queue_.pending_bytes(); }
  void close(bool graceful) override;
  bool is_closed() const override { return closed_; }
  const std::string& peer() const override { return peer_; }
  TransportKind kind() const override { return TransportKind::tcp; }

 private:
  void wait_readable();
  void on_readable();
  void write_now();
  void on_write_failed(const boost::system::error_code& ec);
  void finish_close();
  void report_closed(CloseReason reason, std::string_view detail);

  boost::asio::ip::tcp::socket socket_;
  FrameDecoder decoder_;
  std::weak_ptr<TransportOwner> owner_;
  OutboundQueue queue_;
  std::string peer_;
  bool waiting_writable_ = false;
  bool closing_ = false;  // no more reads or delivery to the owner
  bool closed_ = false;   // socket closed
};

}  // namespace rookery::net
