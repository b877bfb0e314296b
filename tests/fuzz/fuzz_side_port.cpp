// The HTTP side-port end to end (http/http_server.cpp, side_port.cpp, admin_api.cpp,
// net/static_files.cpp): the input is what a client sends on one side-port connection, one or
// more pipelined HTTP requests. A real SidePort (Beast parser with the server's limits, routing,
// the admin API's JSON bodies and query strings, the console's static files) answers over
// loopback, with a real core::Server and a temporary SQLite store behind it. "@TOKEN@" and
// "@CSRF@" in the input are replaced by a logged-in admin's bearer token and CSRF token, so the
// fuzzer reaches the routes behind authentication (the seeds use them). Checks: every
// connection ends, and no response carries a file from outside the console's folder.
#include <poll.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "base/log.hpp"
#include "core/server.hpp"
#include "games/game_types.hpp"
#include "http/side_port.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::fuzz {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A file beside the console's folder: serving it would be a path traversal.
constexpr std::string_view kSecret = "FUZZ-SECRET-c0ffee";

// Writes `text` to `path`.
void write_file(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Sends `request` on a new connection, closes the sending side, returns all that came back.
// An open-ended event stream (/api/v1/stream) is cut after its first event.
std::string exchange(uint16_t port, const std::string& request) {
  asio::io_context io;
  tcp::socket socket(io);
  // libFuzzer's timeout alarm can interrupt a blocking connect: try again on a fresh socket.
  for (int attempt = 0;; ++attempt) {
    boost::system::error_code ec;
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (!ec) break;
    if (ec != asio::error::interrupted || attempt == 10) {
      std::fprintf(stderr, "cannot connect to the side-port: %s\n", ec.message().c_str());
      std::abort();
    }
    socket = tcp::socket(io);
  }
  // The server may answer and close before it has read everything (a header over the limit):
  // a failed write or shutdown is an answer too.
  boost::system::error_code ignored;
  asio::write(socket, asio::buffer(request), ignored);
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  std::string got;
  const auto start = std::chrono::steady_clock::now();
  socket.non_blocking(true);
  char buf[16 * 1024];
  for (;;) {
    boost::system::error_code ec;
    const size_t n = socket.read_some(asio::buffer(buf), ec);
    if (!ec) {
      got.append(buf, n);
      continue;
    }
    if (ec == asio::error::interrupted) continue;
    if (ec != asio::error::would_block) break;  // end of stream (or reset): the answer is whole
    const auto waited = std::chrono::steady_clock::now() - start;
    if (got.find("text/event-stream") != std::string::npos &&
        (got.find("\n\ndata: ") != std::string::npos || waited > std::chrono::seconds(1))) {
      break;
    }
    if (waited > std::chrono::seconds(30)) {
      std::fprintf(stderr, "side-port connection still open after 30 s; it sent:\n%s\n",
                   got.c_str());
      std::abort();  // a connection that never ends
    }
    pollfd p{socket.native_handle(), POLLIN, 0};
    ::poll(&p, 1, 100);
  }
  return got;
}

// One running server and side-port for the whole fuzzing run.
struct World {
  store::testing_support::TempDir dir{"rookery-fuzz-side-port"};
  config::Config cfg;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<core::Server> server;
  std::unique_ptr<http::SidePort> side_port;
  std::string token;
  std::string csrf;

  World() {
    log::configure(log::Level::error, log::Format::text);
    // The drain route signals the process (SIGTERM), as an operator's drain does; here the
    // request is what is under test, not the drain.
    ::signal(SIGTERM, SIG_IGN);
    cfg.net.threads = 1;
    cfg.net.bind = "127.0.0.1";
    cfg.net.tcp_port = 0;
    cfg.net.ws_port = 0;
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    server = std::make_unique<core::Server>(cfg, *store, games::builtin_game_types({}));
    server->start();
    std::filesystem::create_directories(dir.path("ui/assets"));
    write_file(dir.path("ui/index.html"), "<!doctype html><title>console</title>");
    write_file(dir.path("ui/assets/app.js"), "console.log(1);");
    write_file(dir.path("secret.txt"), kSecret);
    http::SidePortSettings s;
    s.http.port = 0;
    s.http.handler_timeout = std::chrono::seconds(5);
    s.admin_ui_root = dir.path("ui");
    s.build = {"fuzz", "fuzz"};
    side_port = std::make_unique<http::SidePort>(s, *server, *store, *store);
    side_port->start();
    std::promise<store::Status> made;
    store->create_admin("fuzz-admin", "fuzz-admin-password", "admin",
                        [&](store::Status st) { made.set_value(st); });
    if (made.get_future().get() != store::Status::ok || !log_in()) std::abort();
  }

  // Logs the admin in (again, after an input logged it out) and keeps its tokens; false if
  // the side-port refused (after many logins it rate-limits them: the old tokens stay).
  bool log_in() {
    const std::string body = R"({"username":"fuzz-admin","password":"fuzz-admin-password"})";
    const std::string reply = exchange(side_port->port(),
                                       "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                                       "Content-Type: application/json\r\nConnection: close\r\n"
                                       "Content-Length: " +
                                           std::to_string(body.size()) + "\r\n\r\n" + body);
    const auto at = reply.find("\r\n\r\n");
    if (!reply.starts_with("HTTP/1.1 200") || at == std::string::npos) return false;
    const auto o = boost::json::parse(reply.substr(at + 4)).as_object();
    token = std::string(o.at("token").as_string());
    csrf = std::string(o.at("csrf_token").as_string());
    return true;
  }

  // Whether the admin's token still works (an input may have logged it out).
  bool logged_in() {
    return exchange(side_port->port(),
                    "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\n"
                    "Authorization: Bearer " +
                        token + "\r\nConnection: close\r\n\r\n")
        .starts_with("HTTP/1.1 200");
  }

  // Closes the rooms an input made (on their shard, where rooms live), so inputs do not pile up.
  void close_rooms() {
    std::promise<void> done;
    asio::post(server->shard(0).io(), [&] {
      for (const auto& room : server->core().all_rooms()) room->close("fuzz input over");
      done.set_value();
    });
    done.get_future().wait();
  }
};

World& world() {
  static World* w = new World;  // never destroyed: libFuzzer exits without unwinding
  return *w;
}

// `text` with every `from` replaced by `to`.
std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace
}  // namespace rookery::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rookery::fuzz;
  auto& w = world();
  if (size > 64 * 1024) return 0;
  std::string request(reinterpret_cast<const char*>(data), size);
  request = replace_all(std::move(request), "@TOKEN@", w.token);
  request = replace_all(std::move(request), "@CSRF@", w.csrf);
  const std::string reply = exchange(w.side_port->port(), request);
  // ROOKERY_FUZZ_VERBOSE=1: both sides of each exchange on stderr, to read a reproducer's run.
  static const bool verbose = std::getenv("ROOKERY_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, ">>>>\n%s\n<<<<\n%s\n", request.c_str(), reply.c_str());
  if (reply.find(kSecret) != std::string::npos) std::abort();  // a file outside the root
  w.close_rooms();
  if (request.find("logout") != std::string::npos && !w.logged_in()) w.log_in();
  return 0;
}
