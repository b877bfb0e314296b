// Envelope decoding through the session state machine (core/session.cpp), in-process: the input
// is a client's TCP byte stream, split by the real FrameDecoder as the TCP transport does, and
// every frame goes to a Session on a fake transport, over the real game core and a temporary
// SQLite store (as in tests/unit/core/session_test.cpp). Between frames the shard's loop runs
// and the store is waited for, so a guest login really logs in and the lobby and rooms are
// reached. Everything the session sends must be whole frames holding valid Envelopes.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "core/server.hpp"
#include "core/session.hpp"
#include "core/shard.hpp"
#include "games/game_types.hpp"
#include "net/framing.hpp"
#include "rookery.pb.h"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::fuzz {
namespace {

// Checks what the session hands to the "kernel": whole frames, each a valid Envelope.
class CheckingTransport final : public net::Transport {
 public:
  void start(std::weak_ptr<net::TransportOwner> owner) override {
    if (auto o = owner.lock()) o->on_open();
  }
  void queue(std::shared_ptr<const std::string> frames) override {
    if (!frames) std::abort();
    size_t whole = 0;
    net::for_each_frame(*frames, [&](std::string_view frame) {
      proto::Envelope e;
      if (!e.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) std::abort();
      whole += net::kFrameHeaderBytes + frame.size();
    });
    if (whole != frames->size()) std::abort();
  }
  void flush() override {}
  size_t pending_bytes() const override { return 0; }
  void close(bool /*graceful*/) override { closed = true; }
  bool is_closed() const override { return closed; }
  const std::string& peer() const override { return peer_; }
  net::TransportKind kind() const override { return net::TransportKind::tcp; }

  bool closed = false;

 private:
  std::string peer_ = "fuzz:1";
};

// One server for the whole run: a shard that is never started (its loop is run here), its
// store in a temporary folder.
struct World {
  store::testing_support::TempDir dir{"rookery-fuzz-session"};
  config::Config cfg;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<core::Server> server;

  World() {
    log::configure(log::Level::error, log::Format::text);
    // Invalid UTF-8 in a string field is a parse failure the session answers; protobuf would
    // also print a line for each, thousands a second.
    google::protobuf::SetLogHandler(nullptr);
    cfg.net.threads = 1;
    cfg.server.name = "fuzz";
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    server = std::make_unique<core::Server>(cfg, *store, games::builtin_game_types({}));
  }
  core::Shard& shard() { return server->shard(0); }
  // Runs what is due on the shard, waits for the store's answers and runs what they posted.
  void pump() {
    shard().io().restart();
    shard().io().poll();
    store->flush();
    shard().io().restart();
    shard().io().poll();
  }
};

World& world() {
  static World* w = new World;  // never destroyed: libFuzzer exits without unwinding
  return *w;
}

}  // namespace
}  // namespace rookery::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rookery;
  auto& w = fuzz::world();
  auto transport = std::make_unique<fuzz::CheckingTransport>();
  fuzz::CheckingTransport& wire = *transport;
  const auto session = w.shard().adopt(std::move(transport), core::Admission::admitted);
  net::FrameDecoder decoder(w.cfg.limits.max_frame_bytes);
  const auto result =
      decoder.feed(reinterpret_cast<const char*>(data), size, [&](std::string_view frame) {
        session->on_message(frame);
        w.pump();
        return !wire.closed;
      });
  // The connection ends as the TCP transport would end it: a bad frame, or the peer leaving.
  if (!wire.closed) {
    wire.closed = true;
    session->on_transport_closed(result == net::FrameDecoder::Result::ok
                                     ? net::CloseReason::normal
                                     : net::CloseReason::protocol_error,
                                 "fuzz input over");
  }
  w.pump();
  // Rooms made by this input go too, so one input cannot fill the server for the next.
  for (const auto& room : w.server->core().all_rooms()) room->close("fuzz input over");
  w.pump();
  return 0;
}
