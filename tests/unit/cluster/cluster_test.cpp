// The cluster directory against a real redis-server: records round-trip, two nodes see each
// other and each other's rooms, a room change shows within the publish period, a node that
// stops renewing leaves within its lease, a clean stop leaves at once, a Redis restart is
// repaired by itself, and a node cannot start without Redis.
#include "cluster/cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "cluster/redis_process.hpp"

namespace rookery::cluster {
namespace {

using namespace std::chrono_literals;

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A node's local state that the test changes under the cluster's feet.
struct FakeNode {
  std::mutex mu;
  LocalState state;
  Cluster::LocalSource source() {
    return [this] {
      std::lock_guard lock(mu);
      return state;
    };
  }
  void set_rooms(std::vector<RoomRecord> rooms) {
    std::lock_guard lock(mu);
    state.rooms = std::move(rooms);
  }
};

ClusterOptions options(const testing::RedisProcess& redis, const std::string& id) {
  ClusterOptions o;
  o.redis = parse_redis_url(redis.url());
  o.redis.reconnect_min = 20ms;
  o.redis.reconnect_max = 100ms;
  o.redis.command_timeout = 500ms;
  o.prefix = "test:";
  o.node_id = id;
  o.advertise_host = "10.0.0." + id;
  o.tcp_port = 12122;
  o.ws_port = 12123;
  o.http_port = 8080;
  o.version = "1.2.3";
  o.lease = 1000ms;
  o.heartbeat = 200ms;
  o.publish = 50ms;
  o.fetch = 50ms;
  return o;
}

RoomRecord room(RoomId id, uint32_t members) {
  RoomRecord r;
  r.id = id;
  r.type = "spelltraction";
  r.name = "room " + std::to_string(id);
  r.members = members;
  r.max_players = 8;
  r.state = "open";
  r.tick_hz = 20;
  r.created_ms = 1700000000000;
  return r;
}

bool has_node(const ClusterView& v, const std::string& id) {
  return std::any_of(v.nodes.begin(), v.nodes.end(), [&](auto& n) { return n.id == id; });
}
const RoomRecord* find_room(const ClusterView& v, RoomId id) {
  for (const auto& r : v.rooms) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

TEST(ClusterRecords, RoundTripAndRejectBadInput) {
  NodeRecord n{"a", 7, "10.0.0.1", 1, 2, 3, "v", true, 40, 5, 99};
  EXPECT_EQ(node_from_json(to_json(n)), n);
  RoomRecord r = room(42, 3);
  r.node = "a";
  r.name = "quote \" tab \t nul " + std::string(1, '\0');
  EXPECT_EQ(room_from_json(to_json(r)), r);
  for (const char* bad : {"", "[]", "{", "{\"id\":\"a\"}", "{\"id\":\"a\",\"number\":-1}",
                          "{\"id\":\"a\",\"number\":1,\"tcp\":70000}", "{\"id\":7,\"number\":1}"}) {
    EXPECT_FALSE(node_from_json(bad).has_value()) << bad;
  }
  for (const char* bad : {"{}", "{\"id\":1,\"node\":\"a\",\"state\":\"weird\"}",
                          "{\"id\":0,\"node\":\"a\",\"state\":\"open\"}",
                          "{\"id\":1,\"node\":\"\",\"state\":\"open\"}"}) {
    EXPECT_FALSE(room_from_json(bad).has_value()) << bad;
  }
  EXPECT_EQ(node_number_of((RoomId{5} << kRoomIdBits) | 77), 5u);
}

TEST(Cluster, TwoNodesSeeEachOtherAndEachOthersRooms) {
  testing::RedisProcess redis;
  FakeNode fa, fb;
  fa.state.connections = 10;
  fa.set_rooms({room(101, 2)});
  fb.set_rooms({room(201, 5), room(202, 1)});
  Cluster a(options(redis, "a"), fa.source());
  Cluster b(options(redis, "b"), fb.source());
  const uint32_t na = a.start(5s);
  const uint32_t nb = b.start(5s);
  EXPECT_NE(na, 0u);
  EXPECT_NE(na, nb);
  ASSERT_TRUE(eventually([&] {
    auto v = a.view();
    return has_node(*v, "a") && has_node(*v, "b") && v->rooms.size() == 3;
  }));
  auto v = a.view();
  const auto& nodes = v->nodes;
  const auto it = std::find_if(nodes.begin(), nodes.end(), [](auto& n) { return n.id == "a"; });
  EXPECT_EQ(it->host, "10.0.0.a");
  EXPECT_EQ(it->connections, 10u);
  EXPECT_EQ(it->rooms, 1u);
  EXPECT_EQ(it->number, na);
  ASSERT_NE(find_room(*v, 201), nullptr);
  EXPECT_EQ(find_room(*v, 201)->node, "b");
  EXPECT_EQ(find_room(*v, 201)->members, 5u);
  EXPECT_TRUE(a.status().directory_up);
  EXPECT_EQ(a.status().nodes, 2u);

  // A change (members, a room gone, a room made) shows at the other node promptly.
  fb.set_rooms({room(201, 6), room(203, 0)});
  ASSERT_TRUE(eventually(
      [&] {
        auto w = a.view();
        const RoomRecord* r = find_room(*w, 201);
        return r && r->members == 6 && !find_room(*w, 202) && find_room(*w, 203);
      },
      2s));
}

TEST(Cluster, ANodeThatStopsRenewingLeavesWithinItsLease) {
  testing::RedisProcess redis;
  FakeNode fa, fb;
  fb.set_rooms({room(201, 1)});
  Cluster a(options(redis, "a"), fa.source());
  a.start(5s);
  // Node b is a bare directory client that registers once and then goes silent (as a node
  // killed with -9 does): nothing removes it but its lease.
  {
    boost::asio::io_context io;
    RedisConnection c(io, parse_redis_url(redis.url()));
    Directory d(c, "test:", "b");
    c.start();
    int left = 3;
    auto step = [&](const RedisResult& r) {
      EXPECT_FALSE(r.failed()) << r.what();
      --left;
    };
    while (!c.connected()) io.run_one_for(10ms);
    d.claim_number(9, 1000, step);
    NodeRecord self{"b", 9, "h", 1, 2, 3, "v", false, 0, 1, 0};
    d.heartbeat(self, 1000, step);
    d.publish_rooms({[] {
                      auto r = room(201, 1);
                      r.node = "b";
                      return r;
                    }()},
                    {}, true, 1000, step);
    while (left > 0) io.run_one_for(10ms);
  }
  ASSERT_TRUE(eventually([&] { return has_node(*a.view(), "b") && find_room(*a.view(), 201); }));
  const auto seen = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return !has_node(*a.view(), "b"); }, 3s));
  EXPECT_EQ(find_room(*a.view(), 201), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - seen, 1500ms);
  // Its number is free again.
  EXPECT_EQ(redis.command({"EXISTS", "test:number:9"}), "0");
}

TEST(Cluster, ACleanStopLeavesAtOnce) {
  testing::RedisProcess redis;
  FakeNode fa, fb;
  fb.set_rooms({room(201, 1)});
  Cluster a(options(redis, "a"), fa.source());
  a.start(5s);
  {
    Cluster b(options(redis, "b"), fb.source());
    b.start(5s);
    ASSERT_TRUE(eventually([&] { return find_room(*a.view(), 201) != nullptr; }));
    b.stop();
  }
  ASSERT_TRUE(eventually([&] { return !has_node(*a.view(), "b"); }, 300ms));
  EXPECT_EQ(redis.command({"EXISTS", "test:rooms:b"}), "0");
}

TEST(Cluster, RepairsItselfAfterRedisRestartsEmpty) {
  testing::RedisProcess redis;
  FakeNode fa;
  fa.set_rooms({room(101, 2)});
  Cluster a(options(redis, "a"), fa.source());
  const uint32_t number = a.start(5s);
  ASSERT_TRUE(eventually([&] { return find_room(*a.view(), 101) != nullptr; }));
  redis.kill_now();
  // Down: the directory says so within the lease, and the last view stays readable.
  ASSERT_TRUE(eventually([&] { return !a.status().directory_up; }, 3s));
  EXPECT_NE(find_room(*a.view(), 101), nullptr);
  redis.start();
  ASSERT_TRUE(eventually([&] { return a.status().directory_up; }, 5s));
  ASSERT_TRUE(eventually([&] { return find_room(*a.view(), 101) != nullptr; }, 3s));
  EXPECT_EQ(a.node_number(), number);
  EXPECT_EQ(redis.command({"GET", "test:number:" + std::to_string(number)}), "a");
  EXPECT_GE(a.status().redis_connects, 2u);
}

TEST(Cluster, RequestsReachTheirNodeAndRepliesComeBack) {
  testing::RedisProcess redis;
  FakeNode fa, fb;
  Cluster a(options(redis, "a"), fa.source());
  Cluster b(options(redis, "b"), fb.source());
  std::atomic<int> a_heard{0}, b_heard{0};
  a.serve(
      [](const boost::json::object& req, std::function<void(boost::json::object)> respond) {
        // Answer from another thread, as the core does after a store call.
        std::thread([req, respond] { respond({{"echo", req.at("n")}, {"by", "a"}}); }).detach();
      },
      [&](const boost::json::object&) { ++a_heard; });
  b.serve([](const boost::json::object&, std::function<void(boost::json::object)>) {},
          [&](const boost::json::object& m) {
            if (m.at("text") == "hi") ++b_heard;
          });
  a.start(5s);
  b.start(5s);
  ASSERT_TRUE(eventually([&] { return a.available() && b.available(); }));
  std::promise<std::optional<boost::json::object>> got;
  b.request("a", {{"n", 7}}, [&](std::optional<boost::json::object> r) { got.set_value(r); });
  auto reply = got.get_future().get();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->at("echo").as_int64(), 7);
  EXPECT_EQ(reply->at("by").as_string(), "a");

  // A node nobody serves fails at once (PUBLISH reached no one), not at the timeout.
  const auto t0 = std::chrono::steady_clock::now();
  std::promise<bool> none;
  b.request("nobody", {{"n", 1}}, [&](auto r) { none.set_value(r.has_value()); });
  EXPECT_FALSE(none.get_future().get());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);

  // A broadcast reaches the others, not the sender.
  a.broadcast({{"text", "hi"}});
  ASSERT_TRUE(eventually([&] { return b_heard == 1; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(a_heard, 0);
  EXPECT_EQ(b.status().requests_sent, 2u);
  EXPECT_EQ(b.status().requests_failed, 1u);
  EXPECT_EQ(a.status().requests_served, 1u);
}

TEST(Cluster, RequestsFailAtOnceWhileRedisIsDown) {
  testing::RedisProcess redis;
  FakeNode fa;
  Cluster a(options(redis, "a"), fa.source());
  a.serve([](auto&, auto) {}, [](auto&) {});
  a.start(5s);
  redis.kill_now();
  ASSERT_TRUE(eventually([&] { return !a.available(); }, 3s));
  const auto t0 = std::chrono::steady_clock::now();
  std::promise<bool> r;
  a.request("b", {{"n", 1}}, [&](auto reply) { r.set_value(reply.has_value()); });
  EXPECT_FALSE(r.get_future().get());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
}

TEST(Cluster, CannotStartWithoutRedis) {
  ClusterOptions o;
  o.redis.port = testing::free_loopback_port();
  o.node_id = "lonely";
  FakeNode f;
  Cluster c(o, f.source());
  const auto t0 = std::chrono::steady_clock::now();
  try {
    c.start(500ms);
    FAIL() << "started without Redis";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("did not grant a node number"), std::string::npos);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST(Cluster, ANumberHeldByAnotherNodeIsNotTaken) {
  testing::RedisProcess redis;
  boost::asio::io_context io;
  RedisConnection c(io, parse_redis_url(redis.url()));
  c.start();
  while (!c.connected()) io.run_one_for(10ms);
  Directory mine(c, "test:", "x");
  Directory theirs(c, "test:", "y");
  std::vector<int64_t> got;
  auto record = [&](const RedisResult& r) { got.push_back(r.value.integer); };
  mine.claim_number(5, 5000, record);
  theirs.claim_number(5, 5000, record);
  mine.claim_number(5, 5000, record);  // renewing our own claim
  while (got.size() < 3) io.run_one_for(10ms);
  EXPECT_EQ(got, (std::vector<int64_t>{1, 0, 1}));
  std::optional<RedisResult> hb;
  theirs.heartbeat(NodeRecord{"y", 5, "h", 1, 2, 3, "v", false, 0, 0, 0}, 5000,
                   [&](const RedisResult& r) { hb = r; });
  while (!hb) io.run_one_for(10ms);
  EXPECT_TRUE(hb->failed());
  EXPECT_NE(hb->value.str.find("NUMBER_TAKEN"), std::string::npos);
}

}  // namespace
}  // namespace rookery::cluster
