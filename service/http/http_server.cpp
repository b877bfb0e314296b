#include "http/http_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <stdexcept>

#include "base/log.hpp"

namespace rookery::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using boost::system::error_code;

Response make_response(const Request& req, bhttp::status status, std::string content_type,
                       std::string body) {
  Response res{status, req.version()};
  res.set(bhttp::field::server, "rookery");
  res.set(bhttp::field::content_type, std::move(content_type));
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

namespace {

/// One side-port connection: read a request, answer, repeat while keep-alive.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, const HttpSettings& settings, const Handler& handler,
             std::shared_ptr<int> live)
      : stream_(std::move(socket)),
        settings_(settings),
        handler_(handler),
        live_(std::move(live)),
        timer_(stream_.get_executor()) {
    error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "?" : ep.address().to_string();
  }

  void start() { read_next(); }

 private:
  void read_next() {
    parser_.emplace();
    parser_->header_limit(settings_.header_limit);
    parser_->body_limit(settings_.body_limit);
    stream_.expires_after(settings_.read_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, size_t) { self->on_read(ec); });
  }

  void on_read(const error_code& ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout) return close();
    if (ec == bhttp::error::header_limit) {
      return write_error(bhttp::status::request_header_fields_too_large,
                         "request headers over the limit");
    }
    if (ec == bhttp::error::body_limit) {
      return write_error(bhttp::status::payload_too_large, "request body over the limit");
    }
    if (ec) return close();
    request_ = std::make_shared<const Request>(parser_->release());
    const uint64_t turn = ++turn_;
    // No answer in time (a lost callback, a store that hangs): the client hears so, and a late
    // answer is dropped.
    timer_.expires_after(settings_.handler_timeout);
    timer_.async_wait([self = shared_from_this(), turn](const error_code& e) {
      if (e || self->turn_ != turn || !self->awaiting_) return;
      log::warn("side-port request not answered in time",
                {{"target", std::string(self->request_->target())}});
      self->on_reply(turn, Reply{make_response(*self->request_, bhttp::status::service_unavailable,
                                               "application/json",
                                               R"({"error":{"code":"timeout","message":)"
                                               R"("the server did not answer in time"}})"),
                                 {}});
    });
    awaiting_ = true;
    Respond respond = [self = shared_from_this(), turn](Reply reply) {
      auto ex = self->stream_.get_executor();
      asio::post(ex, [self, turn, reply = std::move(reply)]() mutable {
        self->on_reply(turn, std::move(reply));
      });
    };
    try {
      handler_(request_, peer_, std::move(respond));
    } catch (const std::exception& e) {
      log::error("side-port handler failed",
                 {{"target", std::string(request_->target())}, {"error", e.what()}});
      on_reply(turn, Reply{make_response(
                               *request_, bhttp::status::internal_server_error, "application/json",
                               R"({"error":{"code":"internal","message":"internal error"}})"),
                           {}});
    }
  }

  // The handler's answer for request `turn` (ignored if that request was answered already).
  void on_reply(uint64_t turn, Reply reply) {
    if (turn != turn_ || !awaiting_) return;
    awaiting_ = false;
    timer_.cancel();
    if (reply.stream.next) return start_stream(std::move(reply.stream));
    res_ = std::make_shared<Response>(std::move(reply.response));
    stream_.expires_after(settings_.read_timeout);  // the write's own deadline
    bhttp::async_write(stream_, *res_, [self = shared_from_this()](const error_code& e, size_t) {
      if (e || !self->res_->keep_alive()) return self->close();
      self->read_next();
    });
  }

  void write_error(bhttp::status status, const std::string& message) {
    Request dummy;
    dummy.version(11);
    res_ = std::make_shared<Response>(make_response(dummy, status, "application/json",
                                                    R"({"error":{"code":")" +
                                                        std::to_string(static_cast<int>(status)) +
                                                        R"(","message":")" + message + R"("}})"));
    res_->keep_alive(false);
    bhttp::async_write(stream_, *res_,
                       [self = shared_from_this()](const error_code&, size_t) { self->close(); });
  }

  void start_stream(EventStream stream) {
    stream_.expires_never();
    sse_ = std::move(stream);
    auto head = std::make_shared<std::string>(
        "HTTP/1.1 200 OK\r\nServer: rookery\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n");
    asio::async_write(stream_.socket(), asio::buffer(*head),
                      [self = shared_from_this(), head](const error_code& ec, size_t) {
                        if (ec) return self->close();
                        self->stream_event();
                      });
  }

  void stream_event() {
    sse_.next([self = shared_from_this()](std::string data) {
      auto ex = self->stream_.get_executor();
      asio::post(ex,
                 [self, data = std::move(data)]() mutable { self->write_event(std::move(data)); });
    });
  }

  void write_event(std::string data) {
    if (data.empty()) return close();
    auto chunk = std::make_shared<std::string>("data: " + data + "\n\n");
    asio::async_write(stream_.socket(), asio::buffer(*chunk),
                      [self = shared_from_this(), chunk](const error_code& ec, size_t) {
                        if (ec) return self->close();
                        self->timer_.expires_after(self->sse_.interval);
                        self->timer_.async_wait([self](const error_code& e) {
                          if (!e) self->stream_event();
                        });
                      });
  }

  void close() {
    error_code ec;
    timer_.cancel();
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const HttpSettings& settings_;
  const Handler& handler_;
  std::shared_ptr<int> live_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<const Request> request_;  // the request being answered
  uint64_t turn_ = 0;                       // which request on this connection
  bool awaiting_ = false;                   // its answer has not been written yet
  std::shared_ptr<Response> res_;
  EventStream sse_;
  std::string peer_;
};

}  // namespace

HttpServer::HttpServer(const HttpSettings& settings, Handler handler)
    : settings_(settings),
      handler_(std::move(handler)),
      io_(1),
      acceptor_(io_),
      live_(std::make_shared<int>(0)) {
  error_code ec;
  const auto addr = asio::ip::make_address(settings_.bind, ec);
  if (ec) throw std::runtime_error("invalid http_bind address '" + settings_.bind + "'");
  const asio::ip::tcp::endpoint ep(addr, settings_.port);
  const std::string where = settings_.bind + " port " + std::to_string(settings_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (ec) throw std::runtime_error("cannot bind side-port " + where + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on side-port " + where + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  accept_next();
  thread_ = std::thread([this] { io_.run(); });
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    error_code ec;
    acceptor_.close(ec);
  });
  io_.stop();
  thread_.join();
}

void HttpServer::accept_next() {
  acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      // live_.use_count() - 1 connections are open; past the cap, close the newcomer.
      if (static_cast<uint32_t>(live_.use_count() - 1) >= settings_.max_connections) {
        error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection>(std::move(socket), settings_, handler_, live_)->start();
      }
    }
    accept_next();
  });
}

}  // namespace rookery::http
