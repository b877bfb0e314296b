#include "http/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <deque>
#include <optional>
#include <stdexcept>

#include "base/log.hpp"
#include "net/listener.hpp"

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

class Connection;

/// The side-port's connections as a whole: how many are open, streaming or on the probe
/// reserve (counted from any thread: a connection may die on a store thread that held the last
/// reference), and the idle ones that may be closed to make room (side-port thread only).
struct ConnectionPool {
  ConnectionPool(const HttpSettings& s, const Handler& h) : settings(s), handler(h) {}

  // Closes the oldest connection that waits for a next request with nothing sent yet; false if
  // there is none.
  bool evict_idle();
  // Remembers an idle connection (forgetting stale entries once the list grows).
  void add_idle(const std::shared_ptr<Connection>& connection);

  const HttpSettings& settings;
  const Handler& handler;
  std::atomic<uint32_t> open{0};
  std::atomic<uint32_t> streams{0};
  std::atomic<uint32_t> probes{0};
  std::deque<std::weak_ptr<Connection>> idle;
};

namespace {

bool probe_target(const HttpSettings& settings, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return std::find(settings.probe_paths.begin(), settings.probe_paths.end(), path) !=
         settings.probe_paths.end();
}

}  // namespace

/// One side-port connection: wait for a request, read it, answer, repeat while keep-alive.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// `probe_only`: admitted past the cap, for a probe_paths request with a short deadline.
  Connection(asio::ip::tcp::socket socket, std::shared_ptr<ConnectionPool> pool, bool probe_only)
      : stream_(std::move(socket)),
        pool_(std::move(pool)),
        settings_(pool_->settings),
        handler_(pool_->handler),
        timer_(stream_.get_executor()),
        probe_only_(probe_only) {
    pool_->open.fetch_add(1);
    if (probe_only_) pool_->probes.fetch_add(1);
    error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "?" : ep.address().to_string();
  }
  ~Connection() {
    pool_->open.fetch_sub(1);
    if (probe_only_) pool_->probes.fetch_sub(1);
    if (streaming_) pool_->streams.fetch_sub(1);
  }

  void start() { read_next(); }
  /// Waiting for a next request with no byte of it received: may be closed to make room.
  bool idle() const { return idle_; }
  /// Closes the connection (side-port thread).
  void close() {
    error_code ec;
    idle_ = false;
    timer_.cancel();
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream_.close();
  }

 private:
  std::chrono::seconds read_timeout() const {
    return probe_only_ ? settings_.probe_timeout : settings_.read_timeout;
  }

  // Waits until the client sends something (idle: evictable), then reads the request.
  void read_next() {
    parser_.emplace();
    parser_->header_limit(settings_.header_limit);
    parser_->body_limit(settings_.body_limit);
    if (buffer_.size() > 0) return read_request();  // a pipelined request is here already
    idle_ = true;
    pool_->add_idle(shared_from_this());
    timer_.expires_after(read_timeout());
    timer_.async_wait([self = shared_from_this()](const error_code& e) {
      if (!e && self->idle_) self->close();
    });
    stream_.socket().async_wait(asio::socket_base::wait_read,
                                [self = shared_from_this()](const error_code& ec) {
                                  if (!self->idle_) return;  // closed meanwhile
                                  self->idle_ = false;
                                  self->timer_.cancel();
                                  if (ec) return self->close();
                                  self->read_request();
                                });
  }

  void read_request() {
    stream_.expires_after(read_timeout());
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
    if (probe_only_ && !probe_target(settings_, request_->target())) {
      return write_error(bhttp::status::service_unavailable,
                         "the side-port is at its connection limit; only health checks and "
                         "metrics are served");
    }
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
    if (reply.stream.next) {
      if (pool_->streams.fetch_add(1) >= settings_.max_streams) {
        pool_->streams.fetch_sub(1);
        return write_error(bhttp::status::service_unavailable,
                           "too many event streams open on the side-port");
      }
      streaming_ = true;
      return start_stream(std::move(reply.stream));
    }
    stream_.expires_after(settings_.read_timeout);  // the write's own deadline
    if (reply.file) {
      // Streamed from disk a few KiB at a time; the deadline bounds a client that reads slowly.
      auto file = std::move(reply.file);
      if (probe_only_) file->keep_alive(false);
      bhttp::async_write(stream_, *file,
                         [self = shared_from_this(), file](const error_code& e, size_t) {
                           if (e || !file->keep_alive()) return self->close();
                           self->read_next();
                         });
      return;
    }
    res_ = std::make_shared<Response>(std::move(reply.response));
    if (probe_only_) res_->keep_alive(false);
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

  beast::tcp_stream stream_;
  std::shared_ptr<ConnectionPool> pool_;
  const HttpSettings& settings_;
  const Handler& handler_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<const Request> request_;  // the request being answered
  uint64_t turn_ = 0;                       // which request on this connection
  bool awaiting_ = false;                   // its answer has not been written yet
  std::shared_ptr<Response> res_;
  EventStream sse_;
  std::string peer_;
  const bool probe_only_;
  bool idle_ = false;
  bool streaming_ = false;  // counted in pool_->streams
};

bool ConnectionPool::evict_idle() {
  while (!idle.empty()) {
    const std::shared_ptr<Connection> oldest = idle.front().lock();
    idle.pop_front();
    if (oldest && oldest->idle()) {
      oldest->close();
      return true;
    }
  }
  return false;
}

void ConnectionPool::add_idle(const std::shared_ptr<Connection>& connection) {
  // Entries go stale when their connection dies or gets busy; drop those before the list
  // outgrows the connections that can exist, so a busy keep-alive client cannot grow it.
  if (idle.size() >= 2 * (settings.max_connections + settings.probe_reserve)) {
    std::erase_if(idle, [](const std::weak_ptr<Connection>& w) {
      const auto c = w.lock();
      return !c || !c->idle();
    });
  }
  idle.push_back(connection);
}

HttpServer::HttpServer(const HttpSettings& settings, Handler handler)
    : settings_(settings),
      handler_(std::move(handler)),
      io_(1),
      acceptor_(io_),
      retry_timer_(io_),
      pool_(std::make_shared<ConnectionPool>(settings_, handler_)) {
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
    retry_timer_.cancel();
  });
  io_.stop();
  thread_.join();
}

void HttpServer::accept_next() {
  acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (net::accept_must_back_off(ec)) {
      log::warn("side-port accept failed, backing off 100 ms",
                {{"error", ec.message()}, {"fix", "raise the open-file limit (rookery doctor)"}});
      retry_timer_.expires_after(net::kAcceptBackoff);
      retry_timer_.async_wait([this](const error_code& e) {
        if (!e) accept_next();
      });
      return;
    }
    if (!ec) admit(std::move(socket));
    accept_next();
  });
}

// Under the cap: a normal connection. At the cap: room is made by closing the oldest idle
// keep-alive connection; failing that, the newcomer may still ask for a health check or the
// metrics on the probe reserve; past that it is closed.
void HttpServer::admit(asio::ip::tcp::socket socket) {
  const uint32_t open = pool_->open.load() - pool_->probes.load();
  bool probe_only = false;
  if (open >= settings_.max_connections && !pool_->evict_idle()) {
    if (pool_->probes.load() >= settings_.probe_reserve) {
      error_code ignored;
      socket.close(ignored);
      return;
    }
    probe_only = true;
  }
  std::make_shared<Connection>(std::move(socket), pool_, probe_only)->start();
}

}  // namespace rookery::http
