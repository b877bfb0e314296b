// The HTTP side-port (Boost.Beast, HTTP/1.1, keep-alive). It runs on its own thread and
// io_context, never on a game shard. Handlers answer through a Respond callback, so slow work
// (a store call, a password hash) continues elsewhere and the side-port thread stays free for
// /healthz and /metrics; a request not answered within `handler_timeout` gets a 503.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace rookery::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// Hands one Server-Sent Event's data (without the "data: " prefix) to the stream; callable
/// once, from any thread. An empty string ends the stream.
using Emit = std::function<void(std::string data)>;

/// A Server-Sent Events stream: `next(emit)` is called on the side-port thread `interval` after
/// the previous event was written and answers through `emit`, now or later.
struct EventStream {
  std::chrono::milliseconds interval{1000};
  std::function<void(Emit emit)> next;
};

/// What a handler produces: a normal response, or (when `stream.next` is set) an SSE stream.
struct Reply {
  Response response;
  EventStream stream;
};

/// Delivers a handler's answer; callable once, from any thread (later calls are ignored).
using Respond = std::function<void(Reply)>;

/// Starts answering one request; called on the side-port thread, which it must not block.
/// `peer` is the client's address. The request stays valid while someone holds `request`.
using Handler = std::function<void(std::shared_ptr<const Request> request, const std::string& peer,
                                   Respond respond)>;

/// Side-port limits.
struct HttpSettings {
  std::string bind = "127.0.0.1";
  uint16_t port = 8080;
  uint32_t header_limit = 8 * 1024;   // larger headers: 431
  uint32_t body_limit = 1024 * 1024;  // larger bodies: 413
  std::chrono::seconds read_timeout{30};
  uint32_t max_connections = 256;            // side-port connections at once
  std::chrono::seconds handler_timeout{20};  // unanswered past this: 503
};

/// The side-port server.
class HttpServer {
 public:
  /// Binds the port; throws std::runtime_error naming the address on failure.
  HttpServer(const HttpSettings& settings, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Starts the thread.
  void start();
  /// Stops accepting, closes connections, joins the thread.
  void stop();
  /// The bound port.
  uint16_t port() const { return port_; }
  /// Runs the side-port thread's work (handlers finishing work begun elsewhere, timers).
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  void accept_next();

  HttpSettings settings_;
  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::shared_ptr<int> live_;  // counts open connections via use_count
};

/// A response with a body and content type, for handlers.
Response make_response(const Request& req, boost::beast::http::status status,
                       std::string content_type, std::string body);

}  // namespace rookery::http
