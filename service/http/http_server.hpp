// The HTTP side-port (Boost.Beast, HTTP/1.1, keep-alive). It runs on its own thread and
// io_context, never on a game shard. Handlers answer through a Respond callback, so slow work
// (a store call, a password hash) continues elsewhere and the side-port thread stays free for
// /healthz and /metrics; a request not answered within `handler_timeout` gets a 503.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/static_files.hpp"

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

/// What a handler produces: a normal response, a file streamed from disk (when `file` is
/// set), or (when `stream.next` is set) an SSE stream.
struct Reply {
  Response response;
  EventStream stream;
  std::shared_ptr<net::FileResponse> file = nullptr;
};

/// Delivers a handler's answer; callable once, from any thread (later calls are ignored).
using Respond = std::function<void(Reply)>;

/// Starts answering one request; called on the side-port thread, which it must not block.
/// `peer` is the client's address. The request stays valid while someone holds `request`.
using Handler = std::function<void(std::shared_ptr<const Request> request, const std::string& peer,
                                   Respond respond)>;

/// Side-port limits. The connection cap cannot lock out health checks and scrapes: at the cap,
/// the oldest idle keep-alive connection is closed to make room, SSE streams have their own
/// cap, and `probe_reserve` more connections may ask for a `probe_paths` target only.
struct HttpSettings {
  std::string bind = "127.0.0.1";
  uint16_t port = 8080;
  uint32_t header_limit = 8 * 1024;   // larger headers: 431
  uint32_t body_limit = 1024 * 1024;  // larger bodies: 413
  std::chrono::seconds read_timeout{30};
  uint32_t max_connections = 256;            // side-port connections at once (streams included)
  uint32_t max_streams = 64;                 // SSE streams at once; more: 503
  uint32_t probe_reserve = 16;               // past the cap, connections for probe_paths only
  std::chrono::seconds probe_timeout{5};     // such a connection's request must come this fast
  std::chrono::seconds handler_timeout{20};  // unanswered past this: 503
  std::vector<std::string> probe_paths{"/healthz", "/readyz", "/metrics"};
};

struct ConnectionPool;

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
  void admit(boost::asio::ip::tcp::socket socket);

  HttpSettings settings_;
  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // accept backoff when file descriptors run out
  std::thread thread_;
  uint16_t port_ = 0;
  std::shared_ptr<ConnectionPool> pool_;
};

/// A response with a body and content type, for handlers.
Response make_response(const Request& req, boost::beast::http::status status,
                       std::string content_type, std::string body);

}  // namespace rookery::http
