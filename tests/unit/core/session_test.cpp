// The game protocol's adapter in-process: a Session on a fake transport (frames in, frames out,
// no socket), on a shard whose loop the test runs, over the real game core and a temporary
// SQLite store. The state machine, limits and the close rule, without a network.
#include "core/session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/server.hpp"
#include "core/shard.hpp"
#include "games/game_types.hpp"
#include "net/framing.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::core {
namespace {

using proto::Envelope;
using store::testing_support::TempDir;

::testing::Environment* const kQuietLogs =
    ::testing::AddGlobalTestEnvironment(new store::testing_support::QuietLogs);

// Records what the session sends; closes only when told to, like a socket whose peer stalls.
class FakeTransport final : public net::Transport {
 public:
  struct Wire {
    std::vector<std::string> sent;  // TCP-framed buffers handed to the "kernel"
    bool closed = false;
    bool graceful = false;
    std::weak_ptr<net::TransportOwner> owner;
  };
  explicit FakeTransport(std::shared_ptr<Wire> wire) : wire_(std::move(wire)) {}
  void start(std::weak_ptr<net::TransportOwner> owner) override {
    wire_->owner = owner;
    if (auto o = owner.lock()) o->on_open();
  }
  void queue(std::shared_ptr<const std::string> frames) override {
    if (!wire_->closed && frames) queued_.push_back(*frames);
  }
  void flush() override {
    for (auto& q : queued_) wire_->sent.push_back(std::move(q));
    queued_.clear();
  }
  size_t pending_bytes() const override { return 0; }
  void close(bool graceful) override {
    flush();
    wire_->graceful = graceful;
    // A graceful close waits for the peer (the test finishes it); a hard one is immediate.
    if (!graceful) wire_->closed = true;
  }
  bool is_closed() const override { return wire_->closed; }
  const std::string& peer() const override { return peer_; }
  net::TransportKind kind() const override { return net::TransportKind::tcp; }

 private:
  std::shared_ptr<Wire> wire_;
  std::vector<std::string> queued_;
  std::string peer_ = "fake:1";
};

struct SessionTest : ::testing::Test {
  TempDir dir;
  config::Config cfg;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<Server> server;
  std::shared_ptr<FakeTransport::Wire> wire = std::make_shared<FakeTransport::Wire>();
  std::shared_ptr<Session> session;
  size_t read = 0;  // envelopes of wire->sent already returned by next()

  void SetUp() override {
    cfg.net.threads = 1;
    cfg.server.name = "unit";
    cfg.limits.max_errors = 3;
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    server = std::make_unique<Server>(cfg, *store, games::builtin_game_types({}));
    session = shard().adopt(std::make_unique<FakeTransport>(wire), true);
  }
  void TearDown() override {
    for (const auto& room : server->core().all_rooms()) room->close("test over");
    pump(std::chrono::milliseconds(20));
    store->flush();
  }
  Shard& shard() { return server->shard(0); }

  // Runs the shard's loop (the store answers on its threads and posts back here).
  void pump(std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
      shard().io().restart();
      shard().io().poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void send(const Envelope& e) { session->on_message(e.SerializeAsString()); }
  std::vector<Envelope> all_sent() const {
    std::vector<Envelope> out;
    for (const auto& buf : wire->sent) {
      size_t at = 0;
      while (at + net::kFrameHeaderBytes <= buf.size()) {
        const uint32_t len = net::get_frame_length(buf.data() + at);
        Envelope e;
        e.ParseFromArray(buf.data() + at + net::kFrameHeaderBytes, static_cast<int>(len));
        out.push_back(e);
        at += net::kFrameHeaderBytes + len;
      }
    }
    return out;
  }
  // The next envelope the session sent for which `pred` holds, running the loop meanwhile.
  template <class Pred>
  std::optional<Envelope> next(Pred pred,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto sent = all_sent();
      for (; read < sent.size(); ++read) {
        if (pred(sent[read])) return sent[read++];
      }
      if (std::chrono::steady_clock::now() > end) return std::nullopt;
      pump(std::chrono::milliseconds(2));
    }
  }
  static auto error(proto::ErrorCode code) {
    return [code](const Envelope& e) { return e.has_error() && e.error().code() == code; };
  }
  static Envelope hello(uint32_t version = 1) {
    Envelope e;
    e.set_request_id(1);
    e.mutable_hello()->set_protocol_version(version);
    return e;
  }
  static Envelope guest_login(const std::string& device) {
    Envelope e;
    e.set_request_id(2);
    e.mutable_login()->mutable_guest()->set_device_id(device);
    return e;
  }
  void log_in(const std::string& device) {
    send(hello());
    ASSERT_TRUE(next([](const Envelope& e) { return e.has_welcome(); }));
    send(guest_login(device));
    ASSERT_TRUE(next([](const Envelope& e) { return e.has_login_ok(); }));
  }
};

TEST_F(SessionTest, HelloGetsWelcomeWithTheServersLimits) {
  Envelope list;
  list.set_request_id(9);
  list.mutable_list_rooms();
  send(list);
  ASSERT_TRUE(next(error(proto::NOT_AUTHENTICATED)));
  send(hello());
  const auto w = next([](const Envelope& e) { return e.has_welcome(); });
  ASSERT_TRUE(w);
  EXPECT_EQ(w->request_id(), 1u);
  EXPECT_EQ(w->welcome().server_name(), "unit");
  EXPECT_EQ(w->welcome().max_frame_bytes(), cfg.limits.max_frame_bytes);
  send(hello());
  ASSERT_TRUE(next(error(proto::INVALID_ARGUMENT)));
}

TEST_F(SessionTest, WrongProtocolVersionIsFatal) {
  send(hello(99));
  const auto e = next(error(proto::PROTOCOL_VERSION));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->error().fatal());
  EXPECT_TRUE(session->closed());
}

TEST_F(SessionTest, GuestLoginThenJoinOrCreate) {
  log_in("device-session-test-1");
  Envelope join;
  join.set_request_id(3);
  join.mutable_join_or_create()->set_type("relay");
  send(join);
  const auto joined = next([](const Envelope& e) { return e.has_joined(); });
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->request_id(), 3u);
  EXPECT_EQ(joined->joined().room().type(), "relay");
  send(join);
  ASSERT_TRUE(next(error(proto::ALREADY_IN_ROOM)));
}

TEST_F(SessionTest, ASecondLoginWhileTheFirstRunsIsRefused) {
  send(hello());
  ASSERT_TRUE(next([](const Envelope& e) { return e.has_welcome(); }));
  send(guest_login("device-session-test-2"));
  Envelope reconnect;
  reconnect.set_request_id(5);
  reconnect.mutable_reconnect()->set_session_token("whatever");
  send(reconnect);  // before the store answered the login
  const auto e = next(error(proto::INVALID_ARGUMENT));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->request_id(), 5u);
  ASSERT_TRUE(next([](const Envelope& m) { return m.has_login_ok(); }));
}

TEST_F(SessionTest, MalformedMessagesSpendTheErrorBudget) {
  send(hello());
  for (uint32_t i = 0; i < cfg.limits.max_errors; ++i) session->on_message("\xff\xff\xff");
  EXPECT_FALSE(session->closed());
  session->on_message("\xff\xff\xff");
  ASSERT_TRUE(next(error(proto::TOO_MANY_ERRORS)));
  EXPECT_TRUE(session->closed());
}

TEST_F(SessionTest, AClosedSessionStaysUntilItsSocketIsClosed) {
  log_in("device-session-test-3");
  session->close(net::CloseReason::kicked, proto::KICKED, "bye");
  pump(std::chrono::milliseconds(10));
  // The game side is over, the socket is still flushing: still in the table and counted.
  EXPECT_TRUE(session->closed());
  EXPECT_TRUE(wire->graceful);
  EXPECT_EQ(shard().session_count(), 1u);
  EXPECT_EQ(shard().stats().open[0], 1);
  // The transport finishes its close and says so.
  wire->closed = true;
  session->on_transport_closed(net::CloseReason::normal, "closed");
  pump(std::chrono::milliseconds(10));
  EXPECT_EQ(shard().session_count(), 0u);
  EXPECT_EQ(shard().stats().open[0], 0);
}

}  // namespace
}  // namespace rookery::core
