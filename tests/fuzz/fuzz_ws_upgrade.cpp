// The WebSocket port end to end in-process (net/ws_transport.cpp): the input is everything a
// client sends on the connection, the HTTP upgrade request (or a plain HTTP request) and the
// frames after it. A real WsTransport reads it from one end of a local socket pair; the fuzzer
// writes the input into the other end, closes its sending side and reads whatever comes back,
// until the transport reports the connection over. Each data message is echoed, so the write
// path (headers, gathering, close frames) runs too. A plain request gets the port's 426 answer
// (the web game's static files are fuzzed through the side-port's console, fuzz_side_port).
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "base/log.hpp"
#include "net/framing.hpp"
#include "net/ws_transport.hpp"

namespace rookery::fuzz {
namespace {

constexpr uint32_t kMaxFrame = 4096;

// The session's part: counts what arrives, echoes each message, notes the end. Like a session
// it owns its transport, so the transport's pending handlers (which hold the owner) keep it alive.
class EchoOwner final : public net::TransportOwner {
 public:
  void on_open() override { opened = true; }
  void on_message(std::string_view bytes) override {
    if (!opened || bytes.size() > kMaxFrame) std::abort();
    auto frame = std::make_shared<std::string>(net::kFrameHeaderBytes, '\0');
    net::put_frame_length(frame->data(), static_cast<uint32_t>(bytes.size()));
    frame->append(bytes);
    transport->queue(std::move(frame));
    transport->flush();
    // Now and then the server ends the connection itself, as a session does on a bad message.
    if (bytes.size() == 1 && bytes[0] == 'q') transport->close(true);
  }
  void on_transport_closed(net::CloseReason, std::string_view) override { ended = true; }

  std::unique_ptr<net::WsTransport> transport;
  bool opened = false;
  bool ended = false;
};

}  // namespace
}  // namespace rookery::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rookery;
  namespace asio = boost::asio;
  static asio::io_context* io = [] {
    log::configure(log::Level::error, log::Format::text);
    return new asio::io_context(1);
  }();
  if (size > 64 * 1024) return 0;  // fits the socket buffer in one write
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  asio::ip::tcp::socket socket(*io);
  socket.assign(asio::ip::tcp::v4(), fds[0]);
  auto owner = std::make_shared<fuzz::EchoOwner>();
  owner->transport = std::make_unique<net::WsTransport>(std::move(socket), fuzz::kMaxFrame,
                                                        std::chrono::seconds(5), nullptr);
  owner->transport->start(owner);
  if (size > 0 && ::write(fds[1], data, size) != static_cast<ssize_t>(size)) std::abort();
  ::shutdown(fds[1], SHUT_WR);
  // Run until the transport reports the end; read what it sends so it never waits on us.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char sink[16 * 1024];
  io->restart();
  while (!owner->ended && std::chrono::steady_clock::now() < deadline) {
    const size_t ran = io->poll();
    while (::read(fds[1], sink, sizeof sink) > 0) {
    }
    if (ran == 0) io->run_one_for(std::chrono::milliseconds(1));
  }
  if (!owner->ended) std::abort();  // the connection hung: a client could hold it forever
  owner->transport->close(false);
  owner.reset();
  io->restart();
  io->poll();  // handlers of the closed socket finish, and the last holder frees the transport
  ::close(fds[1]);
  return 0;
}
