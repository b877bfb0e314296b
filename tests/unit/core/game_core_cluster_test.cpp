// The game core's cluster rules with two cores ("a" and "b", one shared SQLite store as a
// cluster shares one PostgreSQL) joined by an in-process fake of the cluster link: where a seat
// is served, what a ticket redeems (once, at its node, before it expires), and what every node
// does on a login, kick or ban elsewhere. The Redis transport has its own tests (cluster/).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <future>
#include <map>
#include <thread>

#include "core/game_core.hpp"
#include "core_fakes.hpp"
#include "games/game_types.hpp"
#include "rooms/room.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::core {
namespace {

namespace json = boost::json;
using store::testing_support::TempDir;

::testing::Environment* const kQuietLogs =
    ::testing::AddGlobalTestEnvironment(new store::testing_support::QuietLogs);

class FakeNet;

// One node's link: its view is built from every core's own rooms and the loads the test sets.
class FakeLink final : public cluster::Link {
 public:
  FakeLink(FakeNet& net, std::string id, uint16_t port)
      : net_(net), id_(std::move(id)), port_(port) {}
  const std::string& node_id() const override { return id_; }
  Endpoint endpoint() const override { return {"host-" + id_, port_, uint16_t(port_ + 1)}; }
  bool available() const override;
  std::shared_ptr<const cluster::ClusterView> view() const override;
  void request(const std::string& node, json::object request, ReplyHandler done) override;
  void broadcast(json::object message) override;
  void remember_session(const std::string& token_hash) override;
  void remember_player(PlayerId player) override;
  void forget_player(PlayerId player) override;
  void find_players(std::vector<PlayerId> players,
                    std::function<void(std::vector<std::string>)> done) override;
  void find_session(const std::string& token_hash,
                    std::function<void(std::string node)> done) override;
  void serve(RequestHandler requests, BroadcastHandler broadcasts) override {
    requests_ = std::move(requests);
    broadcasts_ = std::move(broadcasts);
  }
  RequestHandler requests_;
  BroadcastHandler broadcasts_;

 private:
  FakeNet& net_;
  std::string id_;
  uint16_t port_;
};

// The "cluster": every node's core and link; loads and availability set by the test.
class FakeNet {
 public:
  struct Node {
    GameCore* core = nullptr;
    FakeLink* link = nullptr;
    uint32_t connections = 0;
    bool draining = false;
  };
  std::map<std::string, Node> nodes;
  bool up = true;
  std::vector<std::string> broadcasts;
  std::map<std::string, std::string> sessions;  // token hash -> node
  std::map<PlayerId, std::string> presence;     // player -> node

  std::shared_ptr<const cluster::ClusterView> view() const {
    auto v = std::make_shared<cluster::ClusterView>();
    for (const auto& [id, n] : nodes) {
      cluster::NodeRecord r;
      r.id = id;
      r.connections = n.connections;
      r.draining = n.draining;
      v->nodes.push_back(r);
      for (const auto& l : n.core->local_rooms()) {
        cluster::RoomRecord room = to_record(l);
        room.node = id;
        v->rooms.push_back(room);
      }
    }
    return v;
  }
};

bool FakeLink::available() const {
  return net_.up;
}
std::shared_ptr<const cluster::ClusterView> FakeLink::view() const {
  return net_.view();
}
void FakeLink::request(const std::string& node, json::object request, ReplyHandler done) {
  auto it = net_.nodes.find(node);
  if (!net_.up || it == net_.nodes.end()) {
    done(std::nullopt);
    return;
  }
  it->second.link->requests_(request, [done](json::object reply) { done(std::move(reply)); });
}
void FakeLink::remember_session(const std::string& token_hash) {
  net_.sessions[token_hash] = id_;
}
void FakeLink::find_session(const std::string& token_hash,
                            std::function<void(std::string node)> done) {
  auto it = net_.sessions.find(token_hash);
  done(it == net_.sessions.end() ? "" : it->second);
}
void FakeLink::remember_player(PlayerId player) {
  net_.presence[player] = id_;
}
void FakeLink::forget_player(PlayerId player) {
  if (net_.presence[player] == id_) net_.presence.erase(player);
}
void FakeLink::find_players(std::vector<PlayerId> players,
                            std::function<void(std::vector<std::string>)> done) {
  std::vector<std::string> out;
  for (PlayerId p : players) out.push_back(net_.presence.count(p) ? net_.presence[p] : "");
  done(std::move(out));
}
void FakeLink::broadcast(json::object message) {
  net_.broadcasts.push_back(json::serialize(message));
  if (!net_.up) return;
  for (auto& [id, n] : net_.nodes) {
    if (id != id_) n.link->broadcasts_(message);
  }
}

struct ClusterRulesTest : ::testing::Test {
  TempDir dir;
  std::unique_ptr<store::SqliteStore> store;
  FakeNet net;
  FakeHost host_a, host_b;
  std::unique_ptr<GameCore> a, b;
  std::unique_ptr<FakeLink> link_a, link_b;
  static constexpr uint32_t kTicketTtl = 10000;

  void SetUp() override {
    store::StoreOptions o;
    o.path = dir.db();
    store = std::make_unique<store::SqliteStore>(o);
    a = make_core(host_a);
    b = make_core(host_b);
    link_a = std::make_unique<FakeLink>(net, "a", 1000);
    link_b = std::make_unique<FakeLink>(net, "b", 2000);
    net.nodes["a"] = {a.get(), link_a.get()};
    net.nodes["b"] = {b.get(), link_b.get()};
    a->join_cluster(*link_a, 1, kTicketTtl);
    b->join_cluster(*link_b, 2, kTicketTtl);
  }
  void TearDown() override {
    for (auto* c : {a.get(), b.get()}) {
      for (const auto& room : c->all_rooms()) room->close("test over");
    }
    host_a.io.poll();
    host_b.io.poll();
  }
  std::unique_ptr<GameCore> make_core(FakeHost& host) {
    return std::make_unique<GameCore>(config::RoomsConfig{}, *store,
                                      games::builtin_game_types(games::GameSettings{}), host);
  }

  store::Player guest(const std::string& device) {
    std::promise<store::Player> p;
    Credentials c;
    c.device_id = device;
    a->authenticate(c, [&](LoginAnswer answer) {
      EXPECT_FALSE(answer.refusal) << answer.refusal.message;
      p.set_value(answer.player);
    });
    return p.get_future().get();
  }
  static Redirection route(GameCore& core, const RemoteRoute& r, PlayerId player) {
    std::promise<Redirection> p;
    core.route(r, player, [&](Redirection out) { p.set_value(std::move(out)); });
    return p.get_future().get();
  }
  static Redeemed redeem(GameCore& core, const std::string& ticket) {
    std::promise<Redeemed> p;
    core.redeem(ticket, [&](Redeemed out) { p.set_value(std::move(out)); });
    return p.get_future().get();
  }
  static uint32_t members(GameCore& core, RoomId id) {
    rooms::RoomListing l;
    EXPECT_TRUE(core.find_room(id, &l));
    return l.members;
  }
};

TEST_F(ClusterRulesTest, RoomIdsCarryTheNodeNumber) {
  const auto ra = a->create_room({"relay", "", 0});
  const auto rb = b->create_room({"relay", "", 0});
  ASSERT_TRUE(ra.room && rb.room);
  EXPECT_EQ(cluster::node_number_of(ra.room->id()), 1u);
  EXPECT_EQ(cluster::node_number_of(rb.room->id()), 2u);
  EXPECT_LT(rb.room->id(), uint64_t{1} << 53);  // exact in a JavaScript number
}

TEST_F(ClusterRulesTest, JoinOrCreateGoesToAnOpenRoomElsewhereAndTheTicketSeatsOnce) {
  const auto there = b->join_or_create("relay");  // b has a relay room with one seat taken
  ASSERT_TRUE(there.room);
  const RoomId room = there.room->id();
  const auto p = guest("device-redirect");

  const auto out = a->join_or_create("relay");
  ASSERT_FALSE(out.room);
  ASSERT_TRUE(out.remote);
  EXPECT_EQ(out.remote->node, "b");
  EXPECT_EQ(out.remote->room, room);
  EXPECT_EQ(a->room_count(), 0u);  // nothing made here

  const Redirection r = route(*a, *out.remote, p.id);
  ASSERT_FALSE(r.refusal) << r.refusal.message;
  EXPECT_EQ(r.redirect.node(), "b");
  EXPECT_EQ(r.redirect.host(), "host-b");
  EXPECT_EQ(r.redirect.tcp_port(), 2000u);
  EXPECT_EQ(r.redirect.ws_port(), 2001u);
  EXPECT_EQ(r.redirect.room_id(), room);
  EXPECT_EQ(r.redirect.ttl_ms(), kTicketTtl);
  EXPECT_EQ(members(*b, room), 2u);  // the seat is held for the player
  EXPECT_EQ(b->tickets_outstanding(), 1u);

  EXPECT_EQ(redeem(*a, r.redirect.ticket()).refusal.code, proto::TICKET_INVALID);  // a's? no
  const Redeemed ok = redeem(*b, r.redirect.ticket());
  ASSERT_FALSE(ok.refusal) << ok.refusal.message;
  EXPECT_EQ(ok.player.id, p.id);
  ASSERT_TRUE(ok.room);
  EXPECT_EQ(ok.room->id(), room);
  const Redeemed again = redeem(*b, r.redirect.ticket());
  EXPECT_EQ(again.refusal.code, proto::TICKET_INVALID);
  EXPECT_NE(again.refusal.message.find("already used"), std::string::npos);
  std::string forged = r.redirect.ticket();
  forged[0] = forged[0] == '1' ? '2' : '1';  // another player's id, same signature
  EXPECT_NE(redeem(*b, forged).refusal.message.find("not issued"), std::string::npos);
  EXPECT_EQ(redeem(*b, "garbage").refusal.code, proto::TICKET_INVALID);
}

TEST_F(ClusterRulesTest, AnUnusedTicketGivesItsSeatBack) {
  b->join_cluster(*link_b, 2, 50);  // short tickets
  const auto there = b->join_or_create("relay");
  const RoomId room = there.room->id();
  const auto p = guest("device-expiry");
  const Redirection r = route(*a, RemoteRoute{RemoteRoute::Op::reserve, "b", room, {}}, p.id);
  ASSERT_FALSE(r.refusal);
  EXPECT_EQ(members(*b, room), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  b->expire_disconnected();
  EXPECT_EQ(members(*b, room), 1u);
  EXPECT_EQ(b->tickets_outstanding(), 0u);
  EXPECT_NE(redeem(*b, r.redirect.ticket()).refusal.message.find("expired"), std::string::npos);
}

TEST_F(ClusterRulesTest, JoinRoomByIdIsRoutedByTheIdsNode) {
  const auto there = b->create_room({"relay", "", 0});
  const RoomId room = there.room->id();
  const auto out = a->reserve(room);
  ASSERT_TRUE(out.remote);
  EXPECT_EQ(out.remote->op, RemoteRoute::Op::reserve);
  EXPECT_EQ(out.remote->node, "b");
  // b's number, but no such room there; and a room of a's own stays here.
  EXPECT_EQ(a->reserve(room + 1000).refusal.code, proto::ROOM_NOT_FOUND);
  EXPECT_EQ(a->reserve((uint64_t{1} << 32) | 999).refusal.code, proto::ROOM_NOT_FOUND);
  net.up = false;
  EXPECT_EQ(a->reserve(room).refusal.code, proto::CLUSTER_UNAVAILABLE);
  // b's refusals travel back as they are.
  net.up = true;
  b->lock_room(room, true);
  const auto p = guest("device-locked");
  EXPECT_EQ(route(*a, *out.remote, p.id).refusal.code, proto::ROOM_LOCKED);
  net.nodes.erase("b");
  EXPECT_EQ(route(*a, *out.remote, p.id).refusal.code, proto::CLUSTER_UNAVAILABLE);
}

TEST_F(ClusterRulesTest, NewRoomsGoToTheLeastLoadedNodeByAClearMargin) {
  net.nodes["a"].connections = 5;
  net.nodes["b"].connections = 0;
  auto out = a->join_or_create("relay");
  EXPECT_TRUE(out.room);  // 5 vs 0 is no clear margin: here, no hop
  a->release_seat(out.room->id());
  a->close_room(out.room->id(), "test");
  host_a.io.poll();
  a->room_disposed(out.room->id());

  net.nodes["a"].connections = 500;
  net.nodes["b"].connections = 100;
  out = a->join_or_create("relay");
  ASSERT_TRUE(out.remote);
  EXPECT_EQ(out.remote->node, "b");
  EXPECT_EQ(out.remote->room, 0u);
  const auto made = a->create_and_reserve({"spelltraction", "big", 4});
  ASSERT_TRUE(made.remote);
  EXPECT_EQ(made.remote->op, RemoteRoute::Op::create);
  EXPECT_EQ(made.remote->spec.name, "big");
  // A bad spec is refused here, with its reason, not sent away.
  EXPECT_EQ(a->create_and_reserve({"chess", "", 0}).refusal.code, proto::UNKNOWN_ROOM_TYPE);
  // A draining node takes no new rooms; with the directory down, a room here keeps play going.
  net.nodes["b"].draining = true;
  EXPECT_TRUE(a->join_or_create("spelltraction").room);
  net.nodes["b"].draining = false;
  net.up = false;
  EXPECT_TRUE(a->join_or_create("relay").room);
}

TEST_F(ClusterRulesTest, ListRoomsShowsTheClusterWhileTheDirectoryIsUp) {
  a->create_room({"relay", "here", 0});
  b->create_room({"relay", "there", 0});
  b->create_room({"spelltraction", "other", 0});
  rooms::RoomFilter f;
  f.type = "relay";
  f.limit = 10;
  auto list = a->list_rooms(f);
  ASSERT_EQ(list.size(), 2u);
  std::map<std::string, std::string> node_of;
  for (const auto& l : list) node_of[l.name] = l.node;
  EXPECT_EQ(node_of["here"], "");
  EXPECT_EQ(node_of["there"], "b");
  f.limit = 1;
  EXPECT_EQ(a->list_rooms(f).size(), 1u);
  f.limit = 10;
  net.nodes["b"].draining = true;
  EXPECT_EQ(a->list_rooms(f).size(), 1u);
  net.nodes["b"].draining = false;
  net.up = false;
  EXPECT_EQ(a->list_rooms(f).size(), 1u);
}

TEST_F(ClusterRulesTest, ALoginOnOneNodeEndsTheSessionOnTheOther) {
  const auto p = guest("device-evict");
  a->bind(p, {0, 11});
  b->bind(p, {0, 22});
  ASSERT_EQ(host_a.closed.size(), 1u);
  EXPECT_EQ(host_a.closed[0].address.session, 11u);
  EXPECT_EQ(host_a.closed[0].code, proto::KICKED);
  EXPECT_NE(host_a.closed[0].reason.find("another node"), std::string::npos);
  EXPECT_TRUE(host_b.closed.empty());
  EXPECT_FALSE(a->online(p.id));
  EXPECT_TRUE(b->online(p.id));
}

TEST_F(ClusterRulesTest, AReconnectAtTheWrongNodeIsSentToTheSessionsNode) {
  const auto p = guest("device-reconnect");
  const Binding bound = a->bind(p, {0, 11});
  std::promise<Redirection> found;
  b->locate_session(bound.token, [&](Redirection r) { found.set_value(std::move(r)); });
  const Redirection r = found.get_future().get();
  ASSERT_FALSE(r.refusal) << r.refusal.message;
  EXPECT_TRUE(r.redirect.reconnect());
  EXPECT_EQ(r.redirect.node(), "a");
  EXPECT_TRUE(r.redirect.ticket().empty());
  // An unknown token, and a token of a node that is gone, are expired.
  std::promise<Redirection> unknown;
  b->locate_session("no-such-token", [&](Redirection x) { unknown.set_value(std::move(x)); });
  EXPECT_EQ(unknown.get_future().get().refusal.code, proto::RECONNECT_EXPIRED);
  net.nodes.erase("a");
  std::promise<Redirection> gone;
  b->locate_session(bound.token, [&](Redirection x) { gone.set_value(std::move(x)); });
  EXPECT_EQ(gone.get_future().get().refusal.code, proto::RECONNECT_EXPIRED);
  net.nodes["a"] = {a.get(), link_a.get()};
  net.up = false;
  std::promise<Redirection> down;
  b->locate_session(bound.token, [&](Redirection x) { down.set_value(std::move(x)); });
  EXPECT_EQ(down.get_future().get().refusal.code, proto::CLUSTER_UNAVAILABLE);
}

TEST_F(ClusterRulesTest, EveryNodeKnowsWhereAPlayerIsOnline) {
  const auto p = guest("device-where-p");
  const auto q = guest("device-where-q");
  const auto r = guest("device-where-r");
  a->bind(p, {0, 11});
  b->bind(q, {0, 12});
  auto where = [&](GameCore& core) {
    std::promise<std::vector<std::string>> got;
    core.where_online({p.id, q.id, r.id}, [&](auto nodes) { got.set_value(std::move(nodes)); });
    return got.get_future().get();
  };
  EXPECT_EQ(where(*a), (std::vector<std::string>{"a", "b", ""}));
  EXPECT_EQ(where(*b), (std::vector<std::string>{"a", "b", ""}));
  // Kicked here: gone everywhere. A node that left: its presence is not trusted.
  a->kick(p.id, "bye");
  EXPECT_EQ(where(*b), (std::vector<std::string>{"", "b", ""}));
  net.nodes.erase("b");
  EXPECT_EQ(where(*a), (std::vector<std::string>{"", "", ""}));
  net.nodes["b"] = {b.get(), link_b.get()};
}

TEST_F(ClusterRulesTest, KickAndBanReachThePlayersNode) {
  const auto p = guest("device-kick");
  const auto q = guest("device-ban");
  a->bind(p, {0, 11});
  a->bind(q, {0, 12});
  b->kick(p.id, "be nice");
  ASSERT_EQ(host_a.closed.size(), 1u);
  EXPECT_EQ(host_a.closed[0].code, proto::KICKED);
  EXPECT_EQ(host_a.closed[0].reason, "be nice");

  std::promise<store::Status> banned;
  b->ban(q.id, unix_millis() + 60'000, "cheating", [&](store::Status st) { banned.set_value(st); });
  ASSERT_EQ(banned.get_future().get(), store::Status::ok);
  ASSERT_EQ(host_a.closed.size(), 2u);
  EXPECT_EQ(host_a.closed[1].code, proto::BANNED);
  EXPECT_EQ(host_a.closed[1].address.session, 12u);
}

TEST_F(ClusterRulesTest, ABannedPlayersTicketIsRefusedAndTheSeatGoesBack) {
  const auto there = b->join_or_create("relay");
  const RoomId room = there.room->id();
  const auto p = guest("device-banned-ticket");
  const Redirection r = route(*a, RemoteRoute{RemoteRoute::Op::reserve, "b", room, {}}, p.id);
  ASSERT_FALSE(r.refusal);
  std::promise<store::Status> banned;
  a->ban(p.id, unix_millis() + 60'000, "no", [&](store::Status st) { banned.set_value(st); });
  ASSERT_EQ(banned.get_future().get(), store::Status::ok);
  EXPECT_EQ(redeem(*b, r.redirect.ticket()).refusal.code, proto::BANNED);
  EXPECT_EQ(members(*b, room), 1u);
}

TEST_F(ClusterRulesTest, ADrainAskedOnOneNodeDrainsTheNamedOne) {
  std::vector<Refusal> answers;
  auto answer = [&](Refusal r) { answers.push_back(std::move(r)); };
  a->drain_node("b", answer);
  EXPECT_EQ(host_b.drain_requests, 1);
  EXPECT_EQ(host_a.drain_requests, 0);
  a->drain_node("a", answer);
  EXPECT_EQ(host_a.drain_requests, 1);
  a->drain_node("gone", answer);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_FALSE(answers[0]);
  EXPECT_FALSE(answers[1]);
  EXPECT_EQ(answers[2].code, proto::CLUSTER_UNAVAILABLE);
}

TEST_F(ClusterRulesTest, NonsenseRequestsAreRefused) {
  std::optional<json::object> reply;
  auto answer = [&](json::object r) { reply = std::move(r); };
  link_b->requests_(json::object{{"op", "format-disk"}}, answer);
  EXPECT_EQ(reply->at("code").as_int64(), proto::INTERNAL);
  link_b->requests_(json::object{{"op", "seat"}, {"kind", "reserve"}, {"player", 0}}, answer);
  EXPECT_EQ(reply->at("code").as_int64(), proto::INVALID_ARGUMENT);
  link_b->requests_(json::object{{"op", "seat"}, {"kind", "steal"}, {"player", 5}}, answer);
  EXPECT_EQ(reply->at("code").as_int64(), proto::INTERNAL);
  link_b->requests_(
      json::object{{"op", "seat"}, {"kind", "join_or_create"}, {"player", 5}, {"type", "chess"}},
      answer);
  EXPECT_EQ(reply->at("code").as_int64(), proto::UNKNOWN_ROOM_TYPE);
  // Broadcasts with no player change nothing.
  link_b->broadcasts_(json::object{{"op", "ban"}, {"player", "x"}});
  EXPECT_TRUE(host_b.closed.empty());
}

}  // namespace
}  // namespace rookery::core
