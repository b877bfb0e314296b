#include "net/transport.hpp"

namespace rookery::net {

std::string peer_string(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  }
  return addr.to_string() + ":" + std::to_string(ep.port());
}

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::normal:
      return "normal";
    case CloseReason::timeout:
      return "timeout";
    case CloseReason::slow_consumer:
      return "slow_consumer";
    case CloseReason::rate_limited:
      return "rate_limited";
    case CloseReason::protocol_error:
      return "protocol_error";
    case CloseReason::kicked:
      return "kicked";
    case CloseReason::shutdown:
      return "shutdown";
    case CloseReason::refused:
      return "refused";
    case CloseReason::error:
      return "error";
    case CloseReason::peer_gone:
      return "peer_gone";
    case CloseReason::http_served:
      return "http_served";
  }
  return "error";
}

CloseReason close_reason_of(const boost::system::error_code& ec) {
  namespace e = boost::asio::error;
  if (ec == e::eof) return CloseReason::normal;
  if (ec == e::connection_reset || ec == e::broken_pipe || ec == e::connection_aborted ||
      ec == e::timed_out || ec == e::not_connected || ec == e::network_unreachable ||
      ec == e::host_unreachable) {
    return CloseReason::peer_gone;
  }
  return CloseReason::error;
}

}  // namespace rookery::net
