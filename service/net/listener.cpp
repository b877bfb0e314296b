#include "net/listener.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <stdexcept>

#include "base/log.hpp"

namespace rookery::net {
namespace asio = boost::asio;
using boost::system::error_code;

Listener::Listener(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint, int backlog,
                   OnAccept on_accept)
    : acceptor_(io), retry_timer_(io), on_accept_(std::move(on_accept)) {
  error_code ec;
  const auto where = [&] {
    return endpoint.address().to_string() + " port " + std::to_string(endpoint.port());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) throw std::runtime_error("cannot open socket for " + where() + ": " + ec.message());
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  // SO_REUSEPORT: every shard binds the same port; the kernel balances accepts among them.
  const int one = 1;
  if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw std::runtime_error("cannot set SO_REUSEPORT for " + where());
  }
  if (endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(false), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot bind " + where() + ": " + ec.message());
  acceptor_.listen(backlog, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where() + ": " + ec.message());
}

uint16_t Listener::port() const {
  error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void Listener::start() {
  accept_next();
}

void Listener::stop() {
  stopped_ = true;
  error_code ec;
  retry_timer_.cancel();
  acceptor_.close(ec);
}

bool accept_must_back_off(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec.value() == ENFILE || ec == asio::error::no_memory;
}

void Listener::accept_next() {
  if (stopped_) return;
  acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped_) return;
    if (!ec) {
      on_accept_(std::move(socket));
      accept_next();
      return;
    }
    if (ec == asio::error::operation_aborted) return;
    if (accept_must_back_off(ec)) {
      log::warn("accept failed, backing off 100 ms",
                {{"error", ec.message()}, {"fix", "raise the open-file limit (rookery doctor)"}});
      retry_timer_.expires_after(kAcceptBackoff);
      retry_timer_.async_wait([this](const error_code& e) {
        if (!e) accept_next();
      });
      return;
    }
    log::debug("accept error", {{"error", ec.message()}});
    accept_next();
  });
}

}  // namespace rookery::net
