// The game protocol's adapter in-process: a Session on a fake transport (frames in, frames out,
// no socket), on a shard whose loop the test runs, over the real game core and a temporary
// SQLite store. The state machine, limits and the close rule, without a network.
#include "core/session.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <boost/asio/post.hpp>

#include "core/lobby.hpp"
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

// Frames in, frames out, over whatever shard a fixture provides.
struct SessionHarness : ::testing::Test {
  std::shared_ptr<FakeTransport::Wire> wire = std::make_shared<FakeTransport::Wire>();
  std::shared_ptr<Session> session;
  size_t read = 0;  // envelopes of wire->sent already returned by next()

  virtual Shard& shard() = 0;

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

// The adapter over the real game core and a temporary SQLite store.
struct SessionTest : SessionHarness {
  TempDir dir;
  config::Config cfg;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<Server> server;

  void SetUp() override {
    cfg.net.threads = 1;
    cfg.server.name = "unit";
    cfg.limits.max_errors = 3;
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    server = std::make_unique<Server>(cfg, *store, games::builtin_game_types({}));
    session = shard().adopt(std::make_unique<FakeTransport>(wire), Admission::admitted);
  }
  void TearDown() override {
    for (const auto& room : server->core().all_rooms()) room->close("test over");
    pump(std::chrono::milliseconds(20));
    store->flush();
  }
  Shard& shard() override { return server->shard(0); }
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

// --- the adapter alone: a scripted core --------------------------------------------------

// A core that records what the session asked and answers what the test scripted. Login answers
// are held until the test releases them, as a slow store would.
class FakeLobby final : public Lobby {
 public:
  std::vector<Credentials> logins;
  std::vector<store::PlayerStore::PlayerCallback> pending_logins;
  std::vector<std::pair<PlayerId, SessionId>> closed_sessions;
  std::vector<RoomId> released;
  Resumed resume_answer;
  RoomOutcome room_answer;  // what create, join and join-or-create answer
  std::vector<std::string> room_requests;
  bool is_draining = false;
  store::Status board_status = store::Status::ok;

  // The scripted store answer becomes the core's answer: ok, BANNED, or store trouble.
  void authenticate(Credentials c, LoginCallback done) override {
    logins.push_back(std::move(c));
    pending_logins.push_back([done = std::move(done)](store::Status st, store::Player p) {
      Refusal r;
      if (st == store::Status::banned) {
        r = {proto::BANNED, "banned: " + p.ban_reason};
      } else if (st != store::Status::ok) {
        r = {proto::STORE_UNAVAILABLE, "scripted: store busy"};
      }
      done({r, std::move(p)});
    });
  }
  Binding bind(const store::Player& p, SessionAddress) override {
    Binding b;
    b.token = "token-" + std::to_string(p.id);
    b.player = p.id;
    b.display_name = p.display_name;
    return b;
  }
  Resumed resume(const std::string& token, SessionAddress) override {
    room_requests.push_back("resume " + token);
    return resume_answer;
  }
  void session_closed(PlayerId player, SessionId session) override {
    closed_sessions.emplace_back(player, session);
  }
  void leaderboard(uint32_t, store::PlayerStore::TopCallback done) override {
    done(board_status, {});
  }
  std::vector<rooms::RoomListing> list_rooms(rooms::RoomFilter, bool) const override {
    rooms::RoomListing l;
    l.id = 7;
    l.type = "relay";
    l.name = "scripted";
    l.members = 1;
    l.max_players = 2;
    return {l};
  }
  RoomPage list_room_page(rooms::RoomFilter f, uint32_t offset) const override {
    RoomPage page;
    page.rooms = list_rooms(f, false);
    page.total = 1;
    page.next = offset;  // scripted: echoes the offset it was given as the next one
    return page;
  }
  bool draining() const override { return is_draining; }
  RoomOutcome create_and_reserve(const RoomSpec& spec) override {
    room_requests.push_back("create " + spec.type);
    return room_answer;
  }
  RoomOutcome reserve(RoomId id) override {
    room_requests.push_back("join " + std::to_string(id));
    return room_answer;
  }
  RoomOutcome join_or_create(const std::string& type) override {
    room_requests.push_back("join_or_create " + type);
    return room_answer;
  }
  void seat_held(PlayerId, const std::shared_ptr<rooms::Room>&) override {}
  void release_seat(RoomId id) override { released.push_back(id); }
  Redirection route_answer;
  std::vector<std::string> routes;
  void route(const RemoteRoute& r, PlayerId player,
             std::function<void(Redirection)> done) override {
    routes.push_back(r.node + " " + std::to_string(r.room) + " for " + std::to_string(player));
    done(route_answer);
  }
  Redirection locate_answer{{proto::RECONNECT_EXPIRED, "scripted: unknown token"}, {}};
  void locate_session(const std::string& token, std::function<void(Redirection)> done) override {
    room_requests.push_back("locate " + token);
    done(locate_answer);
  }
  Redeemed redeem_answer;
  std::vector<std::string> tickets;
  void redeem(const std::string& ticket, std::function<void(Redeemed)> done) override {
    tickets.push_back(ticket);
    done(redeem_answer);
  }
};

// One shard over the fake core; admission and close are counted.
class FakeContext final : public ShardContext {
 public:
  FakeLobby core;
  SessionSettings settings;
  Shard* shard = nullptr;
  int admitted_closed = 0;
  int refused_closed = 0;
  net::HttpFallback fallback;

  const SessionSettings& session_settings() const override { return settings; }
  Lobby& lobby() override { return core; }
  void post(ShardIndex, std::function<void()> fn) override {
    boost::asio::post(shard->io(), std::move(fn));
  }
  Admission admit_connection(const std::string&) override { return Admission::admitted; }
  void connection_closed(const std::string&, bool admitted) override {
    ++(admitted ? admitted_closed : refused_closed);
  }
  SessionId next_session_id() override { return next_id_++; }
  const net::HttpFallback& web_fallback() const override { return fallback; }
  void housekeeping() override {}

 private:
  SessionId next_id_ = 100;
};

struct SessionFakeCoreTest : SessionHarness {
  FakeContext context;
  std::unique_ptr<Shard> the_shard;

  void SetUp() override {
    context.settings.server_name = "fake";
    context.settings.limits.max_errors = 3;
    the_shard = std::make_unique<Shard>(context, 0);
    context.shard = the_shard.get();
    session = shard().adopt(std::make_unique<FakeTransport>(wire), Admission::admitted);
  }
  Shard& shard() override { return *the_shard; }

  // Hello, a guest login, and the scripted store's answer for player `id`.
  void logged_in_as(PlayerId id) {
    send(hello());
    send(guest_login("device-fake-" + std::to_string(id)));
    ASSERT_EQ(context.core.pending_logins.size(), 1u);
    store::Player p;
    p.id = id;
    p.display_name = "P" + std::to_string(id);
    answer_login(store::Status::ok, p);
    ASSERT_TRUE(next([](const Envelope& e) { return e.has_login_ok(); }));
  }
  // The store answers the oldest pending login (on "its" thread: the session hops back).
  void answer_login(store::Status st, store::Player p) {
    auto done = std::move(context.core.pending_logins.front());
    context.core.pending_logins.erase(context.core.pending_logins.begin());
    done(st, std::move(p));
  }
  static Envelope join_or_create(uint32_t rid) {
    Envelope e;
    e.set_request_id(rid);
    e.mutable_join_or_create()->set_type("relay");
    return e;
  }
};

TEST_F(SessionFakeCoreTest, TheLoginRequestReachesTheCoreAsCredentials) {
  send(hello());
  Envelope login;
  login.set_request_id(2);
  login.mutable_login()->mutable_password()->set_username("ann");
  login.mutable_login()->mutable_password()->set_password("secret-123");
  login.mutable_login()->mutable_password()->set_create(true);
  login.mutable_login()->set_display_name("Ann");
  send(login);
  ASSERT_EQ(context.core.logins.size(), 1u);
  const Credentials& c = context.core.logins[0];
  EXPECT_EQ(c.kind, Credentials::Kind::create_account);
  EXPECT_EQ(c.username, "ann");
  EXPECT_EQ(c.password, "secret-123");
  EXPECT_EQ(c.display_name, "Ann");
  store::Player p;
  p.id = 5;
  p.display_name = "Ann";
  p.created = true;
  answer_login(store::Status::ok, p);
  const auto ok = next([](const Envelope& e) { return e.has_login_ok(); });
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->request_id(), 2u);
  EXPECT_EQ(ok->login_ok().player_id(), 5u);
  EXPECT_EQ(ok->login_ok().session_token(), "token-5");
  EXPECT_TRUE(ok->login_ok().created());
  EXPECT_FALSE(ok->login_ok().resumed());
}

TEST_F(SessionFakeCoreTest, APasswordOfAClientThatLeftIsNoLongerWanted) {
  send(hello());
  Envelope login;
  login.set_request_id(2);
  login.mutable_login()->mutable_password()->set_username("ann");
  login.mutable_login()->mutable_password()->set_password("secret-123");
  send(login);
  ASSERT_EQ(context.core.logins.size(), 1u);
  const auto wanted = context.core.logins[0].still_wanted;
  ASSERT_TRUE(wanted);
  EXPECT_TRUE(wanted());
  session->close(net::CloseReason::normal, 0, "client left");
  EXPECT_FALSE(wanted());  // the store skips the hash
}

TEST_F(SessionFakeCoreTest, ARoomOnAnotherNodeIsAnsweredWithARedirect) {
  logged_in_as(8);
  RemoteRoute route;
  route.node = "b";
  route.room = 77;
  context.core.room_answer.remote = route;
  context.core.route_answer.redirect.set_node("b");
  context.core.route_answer.redirect.set_host("10.0.0.2");
  context.core.route_answer.redirect.set_tcp_port(12122);
  context.core.route_answer.redirect.set_ticket("ticket-for-8");
  context.core.route_answer.redirect.set_room_id(77);
  send(join_or_create(9));
  const auto r = next([](const Envelope& e) { return e.has_redirect(); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request_id(), 9u);
  EXPECT_EQ(r->redirect().host(), "10.0.0.2");
  EXPECT_EQ(r->redirect().ticket(), "ticket-for-8");
  EXPECT_EQ(context.core.routes, (std::vector<std::string>{"b 77 for 8"}));
  // Still in the lobby here: another request is served (the join is no longer pending).
  context.core.room_answer = {};
  context.core.route_answer = {};
  context.core.route_answer.refusal = {proto::CLUSTER_UNAVAILABLE, "node b did not answer"};
  context.core.room_answer.remote = route;
  send(join_or_create(10));
  const auto e = next(error(proto::CLUSTER_UNAVAILABLE));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->request_id(), 10u);
}

TEST_F(SessionFakeCoreTest, ATicketLogsInOrIsRefusedWithoutEndingTheConnection) {
  send(hello());
  Envelope login;
  login.set_request_id(4);
  login.mutable_login()->set_ticket("bad-ticket");
  context.core.redeem_answer.refusal = {proto::TICKET_INVALID, "ticket expired"};
  send(login);
  const auto e = next(error(proto::TICKET_INVALID));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->request_id(), 4u);
  EXPECT_EQ(context.core.tickets, (std::vector<std::string>{"bad-ticket"}));

  context.core.redeem_answer = {};
  context.core.redeem_answer.player.id = 21;
  context.core.redeem_answer.player.display_name = "Redirected";
  login.set_request_id(5);
  login.mutable_login()->set_ticket("good-ticket");
  send(login);
  const auto ok = next([](const Envelope& m) { return m.has_login_ok(); });
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->request_id(), 5u);
  EXPECT_EQ(ok->login_ok().player_id(), 21u);
  EXPECT_EQ(ok->login_ok().display_name(), "Redirected");
}

TEST_F(SessionFakeCoreTest, ABusyStoreIsNotTheClientsFaultAndTheLoginCanBeRetried) {
  send(hello());
  for (int i = 0; i < 5; ++i) {  // more than max_errors (3)
    send(guest_login("device-busy-store"));
    answer_login(store::Status::overloaded, {});
    const auto e = next(error(proto::STORE_UNAVAILABLE));
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->error().fatal());
  }
  EXPECT_FALSE(session->closed());
  EXPECT_EQ(context.core.logins.size(), 5u);
}

TEST_F(SessionFakeCoreTest, ABanIsFatalAndCarriesTheReason) {
  send(hello());
  send(guest_login("device-banned"));
  store::Player p;
  p.id = 9;
  p.ban_reason = "cheating";
  answer_login(store::Status::banned, p);
  const auto e = next(error(proto::BANNED));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->error().fatal());
  EXPECT_EQ(e->error().message(), "banned: cheating");
  EXPECT_TRUE(session->closed());
  EXPECT_TRUE(context.core.closed_sessions.empty());  // never bound, nothing to release
}

TEST_F(SessionFakeCoreTest, ALoginAnsweredAfterTheClientLeftIsDropped) {
  send(hello());
  send(guest_login("device-gone"));
  session->close(net::CloseReason::normal, 0, "client left");
  wire->closed = true;
  pump(std::chrono::milliseconds(5));
  store::Player p;
  p.id = 11;
  answer_login(store::Status::ok, p);
  pump(std::chrono::milliseconds(5));
  for (const auto& e : all_sent()) EXPECT_FALSE(e.has_login_ok());
  EXPECT_TRUE(context.core.closed_sessions.empty());  // no binding was made for it
  EXPECT_EQ(shard().session_count(), 0u);
  EXPECT_EQ(context.admitted_closed, 1);
}

TEST_F(SessionFakeCoreTest, RoomRefusalsFromTheCoreAreRelayedWithoutSpendingTheErrorBudget) {
  logged_in_as(3);
  context.core.room_answer.refusal = {proto::ROOM_FULL, "scripted: full"};
  for (uint32_t rid = 10; rid < 16; ++rid) {  // twice max_errors
    send(join_or_create(rid));
    const auto e = next(error(proto::ROOM_FULL));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->request_id(), rid);
    EXPECT_EQ(e->error().message(), "scripted: full");
  }
  EXPECT_FALSE(session->closed());
  EXPECT_EQ(context.core.room_requests.size(), 6u);
  // A refusal that is the client's fault does spend it.
  context.core.room_answer.refusal = {proto::INVALID_ARGUMENT, "scripted: bad name"};
  for (uint32_t rid = 20; rid < 24; ++rid) send(join_or_create(rid));
  ASSERT_TRUE(next(error(proto::TOO_MANY_ERRORS)));
  EXPECT_TRUE(session->closed());
}

TEST_F(SessionFakeCoreTest, WhileDrainingNoSeatIsAskedFor) {
  logged_in_as(4);
  context.core.is_draining = true;
  send(join_or_create(30));
  ASSERT_TRUE(next(error(proto::SHUTTING_DOWN)));
  EXPECT_TRUE(context.core.room_requests.empty());
}

TEST_F(SessionFakeCoreTest, ListingsAndLeaderboardFailuresAreTranslated) {
  logged_in_as(6);
  Envelope list;
  list.set_request_id(40);
  list.mutable_list_rooms();
  send(list);
  const auto rooms = next([](const Envelope& e) { return e.has_room_list(); });
  ASSERT_TRUE(rooms);
  ASSERT_EQ(rooms->room_list().rooms_size(), 1);
  EXPECT_EQ(rooms->room_list().rooms(0).name(), "scripted");
  EXPECT_EQ(rooms->room_list().rooms(0).room_id(), 7u);
  context.core.board_status = store::Status::failed;
  Envelope board;
  board.set_request_id(41);
  board.mutable_get_leaderboard();
  send(board);
  const auto e = next(error(proto::STORE_UNAVAILABLE));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->request_id(), 41u);
}

TEST_F(SessionFakeCoreTest, AReconnectForASessionOnAnotherNodeIsRedirectedThere) {
  send(hello());
  context.core.resume_answer.refusal = {proto::RECONNECT_EXPIRED, "scripted: expired"};
  context.core.locate_answer = {};
  context.core.locate_answer.redirect.set_node("b");
  context.core.locate_answer.redirect.set_host("10.0.0.2");
  context.core.locate_answer.redirect.set_reconnect(true);
  Envelope reconnect;
  reconnect.set_request_id(6);
  reconnect.mutable_reconnect()->set_session_token("token-on-b");
  send(reconnect);
  const auto r = next([](const Envelope& e) { return e.has_redirect(); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request_id(), 6u);
  EXPECT_TRUE(r->redirect().reconnect());
  // Not logged in here: a login still works on this connection.
  send(guest_login("device-after-redirect"));
  EXPECT_EQ(context.core.pending_logins.size(), 1u);
}

TEST_F(SessionFakeCoreTest, AReconnectRefusalComesFromTheCoreAndTheCloseIsReportedOnce) {
  send(hello());
  context.core.resume_answer.refusal = {proto::RECONNECT_EXPIRED, "scripted: expired"};
  Envelope reconnect;
  reconnect.set_request_id(3);
  reconnect.mutable_reconnect()->set_session_token("old-token");
  send(reconnect);
  ASSERT_TRUE(next(error(proto::RECONNECT_EXPIRED)));
  // Unknown here, so the cluster is asked (the fake knows nothing either).
  ASSERT_EQ(context.core.room_requests,
            (std::vector<std::string>{"resume old-token", "locate old-token"}));
  // Then a login; the session ends; the core hears of it once, with this session's id.
  send(guest_login("device-after-refusal"));
  store::Player p;
  p.id = 12;
  answer_login(store::Status::ok, p);
  ASSERT_TRUE(next([](const Envelope& e) { return e.has_login_ok(); }));
  session->close(net::CloseReason::normal, 0, "bye");
  session->close(net::CloseReason::normal, 0, "bye again");
  session->on_transport_closed(net::CloseReason::normal, "closed");
  ASSERT_EQ(context.core.closed_sessions.size(), 1u);
  EXPECT_EQ(context.core.closed_sessions[0].first, 12);
  EXPECT_EQ(context.core.closed_sessions[0].second, session->id());
}

}  // namespace
}  // namespace rookery::core
