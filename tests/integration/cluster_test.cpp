// A three-node cluster with real parts: three `rookery` processes, each in its own network
// namespace with its own address (three hosts on one machine), one PostgreSQL, one Redis, all
// started by tests/cluster/run.sh, which passes them in:
//   ROOKERY_TEST_PG          the shared PostgreSQL (each test gets a schema of its own)
//   ROOKERY_TEST_REDIS       redis://address:port, reachable from every namespace
//   ROOKERY_TEST_REDIS_STOP / _START  shell commands that stop and start that Redis
//   ROOKERY_TEST_NODES       "namespace=address ..." for the three hosts
// Each test runs its own cluster (its own cluster name and schema), so tests do not meet.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <sstream>

#include "http_support.hpp"
#include "test_support.hpp"

namespace rookery::itest {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

struct Host {
  std::string ns;
  std::string ip;
};

std::vector<Host> test_hosts() {
  std::vector<Host> hosts;
  std::istringstream in(env_or_empty("ROOKERY_TEST_NODES"));
  for (std::string word; in >> word;) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) hosts.push_back({word.substr(0, eq), word.substr(eq + 1)});
  }
  return hosts;
}

class ClusterTest : public ::testing::Test {
 protected:
  struct Node {
    Host host;
    std::unique_ptr<ServerProcess> proc;
    std::string id;
    uint16_t tcp() const { return proc->tcp_port(); }
    uint16_t ws() const { return proc->ws_port(); }
    uint16_t http_port() const { return proc->http_port(); }
  };

  void SetUp() override {
    hosts_ = test_hosts();
    if (hosts_.size() < 3 || env_or_empty("ROOKERY_TEST_REDIS").empty() ||
        env_or_empty("ROOKERY_TEST_PG").empty()) {
      GTEST_SKIP() << "needs tests/cluster/run.sh (network namespaces, PostgreSQL, Redis)";
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("rookery-cluster-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = test_database(dir_);  // one schema for the whole cluster of this test
    cluster_name_ = "t" + std::to_string(::getpid()) + "-" + std::to_string(++counter_);
    for (size_t i = 0; i < 3; ++i) start_node(i);
  }

  void TearDown() override {
    for (auto& n : nodes_) {
      if (n.proc) n.proc->kill_now();
    }
    // Redis is back for the next test even if this one stopped it and failed.
    if (redis_stopped_) restart_redis();
    if (!dir_.empty()) {
      drop_test_database(dir_);
      if (!HasFailure()) fs::remove_all(dir_);
    }
  }

  void start_node(size_t i) {
    if (nodes_.size() <= i) nodes_.resize(i + 1);
    Node& n = nodes_[i];
    n.host = hosts_[i];
    n.id = "node-" + std::string(1, static_cast<char>('a' + i));
    const fs::path node_dir = dir_ / n.id;
    fs::create_directories(node_dir);
    n.proc = std::make_unique<ServerProcess>(node_dir, ++runs_);
    n.proc->set_prefix({"ip", "netns", "exec", n.host.ns});
    n.proc->start({"--db",
                   db_,
                   "--redis",
                   env_or_empty("ROOKERY_TEST_REDIS"),
                   "--node-id",
                   n.id,
                   "--advertise-host",
                   n.host.ip,
                   "--bind",
                   n.host.ip,
                   "--http-bind",
                   n.host.ip,
                   "--cluster-name",
                   cluster_name_,
                   "--threads",
                   "1",
                   "--relay-max-players",
                   "2",
                   "--lease-ms",
                   "3000",
                   "--admin-ui-root",
                   "none",
                   "--web-root",
                   "none"},
                  kLongWait);
  }

  // Every node sees all `count` nodes (so routing decisions use a full view).
  void wait_for_nodes(size_t count) {
    for (auto& n : nodes_) {
      if (!n.proc || !n.proc->running()) continue;
      ASSERT_TRUE(eventually([&] { return metric(n, "rookery_cluster_nodes") == count; }, kWait))
          << n.id << " sees " << metric(n, "rookery_cluster_nodes") << " nodes";
    }
  }

  // A gauge's value from a node's /metrics (-1 if absent or the node does not answer).
  double metric(const Node& n, const std::string& name) {
    try {
      const auto r = http(n.host.ip, n.http_port(), bhttp::verb::get, "/metrics");
      std::istringstream in(r.body);
      for (std::string line; std::getline(in, line);) {
        if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0) {
          return std::stod(line.substr(line.rfind(' ') + 1));
        }
      }
    } catch (const std::exception&) {
    }
    return -1;
  }

  int readyz(const Node& n) {
    try {
      return http(n.host.ip, n.http_port(), bhttp::verb::get, "/readyz").status;
    } catch (const std::exception&) {
      return 0;
    }
  }

  std::unique_ptr<Client> connect(const Node& n, Via via) {
    auto c = via == Via::tcp ? Client::connect_tcp(n.host.ip, n.tcp())
                             : Client::connect_ws(n.host.ip, n.ws());
    EXPECT_TRUE(c->hello().has_welcome());
    return c;
  }
  std::unique_ptr<Client> guest(const Node& n, const std::string& device, Via via = Via::tcp) {
    auto c = connect(n, via);
    const auto ok = c->login_guest(device);
    EXPECT_TRUE(ok.has_login_ok()) << describe(ok);
    return c;
  }

  // An admin session on node `n` (the account is made in this test's store, as an operator
  // would with the CLI): the cookie and the CSRF token.
  std::pair<std::string, std::string> admin_login(const Node& n) {
    return admin_session(n.host.ip, n.http_port(), db_, "ops");
  }

  void stop_redis() {
    redis_stopped_ = true;
    ASSERT_EQ(std::system(env_or_empty("ROOKERY_TEST_REDIS_STOP").c_str()), 0);
  }
  void restart_redis() {
    ASSERT_EQ(std::system(env_or_empty("ROOKERY_TEST_REDIS_START").c_str()), 0);
    redis_stopped_ = false;
  }

  template <class Pred>
  static bool eventually(Pred p, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!p()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }

  std::vector<Host> hosts_;
  std::vector<Node> nodes_;
  fs::path dir_;
  std::string db_;
  std::string cluster_name_;
  int runs_ = 0;
  bool redis_stopped_ = false;
  static inline int counter_ = 0;
};

TEST_F(ClusterTest, JoinOrCreateFillsRoomsAcrossNodes) {
  wait_for_nodes(3);
  // Rooms of two: the first player makes one on its node, the second (on another node) is sent
  // to it, the third finds every room full and gets a new one.
  auto p1 = guest(nodes_[0], "device-fill-1");
  const auto j1 = p1->join_or_create("relay");
  ASSERT_MSG(j1, Joined);
  const uint64_t room = j1.joined().room().room_id();
  ASSERT_TRUE(eventually([&] { return metric(nodes_[1], "rookery_cluster_rooms") >= 1; }, kWait));

  auto p2 = guest(nodes_[1], "device-fill-2");
  const auto j2 = p2->join_or_create("relay");
  ASSERT_MSG(j2, Joined);
  EXPECT_EQ(j2.joined().room().room_id(), room);
  EXPECT_EQ(p2->redirects_followed(), 1u);
  EXPECT_EQ(p2->endpoint(), nodes_[0].host.ip + ":" + std::to_string(nodes_[0].tcp()));
  EXPECT_EQ(j2.joined().members_size(), 2);

  ASSERT_TRUE(eventually(
      [&] {
        const auto list = p1->list_rooms("relay", true);
        return list.has_room_list() && list.room_list().rooms_size() == 1 &&
               list.room_list().rooms(0).members() == 2;
      },
      kWait));
  auto p3 = guest(nodes_[2], "device-fill-3");
  // Node c's view of the directory must show the room full first (it lags by up to ~1 s),
  // else c would send p3 to a, which finds it full and makes the new room itself.
  ASSERT_TRUE(eventually(
      [&] {
        const auto list = p3->list_rooms("relay", true);
        return list.has_room_list() && list.room_list().rooms_size() == 1 &&
               list.room_list().rooms(0).members() == 2;
      },
      kWait));
  const auto j3 = p3->join_or_create("relay");
  ASSERT_MSG(j3, Joined);
  EXPECT_NE(j3.joined().room().room_id(), room);
  EXPECT_EQ(p3->redirects_followed(), 0u);
  // Both rooms are listed on every node.
  ASSERT_TRUE(eventually(
      [&] {
        const auto list = p2->list_rooms("relay", true);
        return list.has_room_list() && list.room_list().rooms_size() == 2;
      },
      kWait));
}

TEST_F(ClusterTest, JoiningARoomOnAnotherNodeIsRedirectedOverWebSocket) {
  wait_for_nodes(3);
  auto owner = guest(nodes_[2], "device-ws-owner", Via::ws);
  const auto made = owner->create_room("spelltraction", "far away");
  ASSERT_MSG(made, Joined);
  const uint64_t room = made.joined().room().room_id();
  auto visitor = guest(nodes_[0], "device-ws-visitor", Via::ws);
  // The room is known to node a once the directory carries it.
  ASSERT_TRUE(eventually(
      [&] {
        const auto list = visitor->list_rooms("spelltraction");
        return list.has_room_list() && list.room_list().rooms_size() == 1;
      },
      kWait));
  const uint64_t player = visitor->player_id();
  const auto joined = visitor->join(room);
  ASSERT_MSG(joined, Joined);
  EXPECT_EQ(joined.joined().room().room_id(), room);
  EXPECT_EQ(visitor->endpoint(), nodes_[2].host.ip + ":" + std::to_string(nodes_[2].ws()));
  EXPECT_EQ(visitor->player_id(), player);  // the same player, logged in there by the ticket
  // The owner sees the visitor arrive.
  EXPECT_TRUE(owner->wait_for(
      [](const Envelope& e) { return e.has_event() && e.event().has_player_joined(); }, kWait));
  // Without following, the Redirect itself comes back, with a ticket for the room's node.
  client::Options manual;
  manual.follow_redirects = false;
  auto c = Client::connect_tcp(nodes_[1].host.ip, nodes_[1].tcp(), manual);
  c->hello();
  c->login_guest("device-manual");
  ASSERT_TRUE(eventually(
      [&] {
        const auto list = c->list_rooms("spelltraction");
        return list.has_room_list() && list.room_list().rooms_size() == 1;
      },
      kWait));
  const auto r = c->join(room);
  ASSERT_MSG(r, Redirect);
  EXPECT_EQ(r.redirect().host(), nodes_[2].host.ip);
  EXPECT_EQ(r.redirect().tcp_port(), nodes_[2].tcp());
  EXPECT_EQ(r.redirect().node(), nodes_[2].id);
  EXPECT_GT(r.redirect().ttl_ms(), 0u);
  // A ticket works once, and only at its node.
  auto wrong = connect(nodes_[0], Via::tcp);
  Envelope login;
  login.mutable_login()->set_ticket(r.redirect().ticket());
  const auto elsewhere = wrong->request(login, kWait);
  ASSERT_ERROR(elsewhere, TICKET_INVALID);
  auto right = connect(nodes_[2], Via::tcp);
  const auto ok = right->request(login, kWait);
  ASSERT_MSG(ok, LoginOk);
  auto again = connect(nodes_[2], Via::tcp);
  const auto twice = again->request(login, kWait);
  ASSERT_ERROR(twice, TICKET_INVALID);
}

TEST_F(ClusterTest, ALoginOnAnotherNodeEvictsTheFirstSession) {
  wait_for_nodes(3);
  auto first = guest(nodes_[0], "device-evict");
  auto second = guest(nodes_[1], "device-evict");
  const auto kicked = first->wait_for(
      [](const Envelope& e) { return e.has_error() && e.error().code() == proto::KICKED; }, kWait);
  ASSERT_TRUE(kicked);
  EXPECT_NE(kicked->error().message().find("another node"), std::string::npos);
  EXPECT_TRUE(first->wait_closed(kWait));
  // The new session works.
  const auto joined = second->join_or_create("relay");
  EXPECT_MSG(joined, Joined);
}

TEST_F(ClusterTest, AReconnectAtAnotherNodeIsSentToTheNodeThatHoldsTheSeat) {
  wait_for_nodes(3);
  auto player = guest(nodes_[0], "device-reconnect");
  const auto seated = player->join_or_create("relay");
  ASSERT_MSG(seated, Joined);
  const uint64_t room = seated.joined().room().room_id();
  const std::string token = player->token();
  player->drop();  // the connection dies; node a holds the seat for the grace window
  // The player comes back through another node (a load balancer picked it). The directory
  // learns the session's node a few milliseconds after the login (it is written on node a's
  // cluster thread), so a reconnect that fast may be told RECONNECT_EXPIRED: try until it
  // is known, as a client's retry would.
  std::unique_ptr<Client> back;
  Envelope ok;
  ASSERT_TRUE(eventually(
      [&] {
        back = connect(nodes_[1], Via::ws);
        ok = back->reconnect(token);
        return ok.has_login_ok();
      },
      kWait))
      << describe(ok);
  EXPECT_TRUE(ok.login_ok().resumed());
  EXPECT_EQ(ok.login_ok().room_id(), room);
  EXPECT_EQ(back->redirects_followed(), 1u);
  EXPECT_EQ(back->endpoint(), nodes_[0].host.ip + ":" + std::to_string(nodes_[0].ws()));
  const auto joined = back->wait_for([](const Envelope& e) { return e.has_joined(); }, kWait);
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->joined().room().room_id(), room);
  // A token nobody knows is expired everywhere.
  auto stranger = connect(nodes_[2], Via::tcp);
  const auto refused = stranger->reconnect("0123456789abcdef0123456789abcdef");
  ASSERT_ERROR(refused, RECONNECT_EXPIRED);
}

TEST_F(ClusterTest, KickAndBanFromOneConsoleReachPlayersOnOtherNodes) {
  wait_for_nodes(3);
  auto victim = guest(nodes_[2], "device-ban-victim");
  const auto seated = victim->join_or_create("relay");
  ASSERT_MSG(seated, Joined);
  const uint64_t player = victim->player_id();
  // The operator works on node a's console; the player plays on node c.
  const auto [cookie, csrf] = admin_login(nodes_[0]);
  // A kick from a's console reaches a player on b, with the reason.
  auto kicked = guest(nodes_[1], "device-kick-victim");
  const auto kick = http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::post,
                         "/api/v1/players/" + std::to_string(kicked->player_id()) + "/kick",
                         R"({"reason": "cool off"})", cookie, csrf);
  ASSERT_EQ(kick.status, 200) << kick.body;
  const auto told = kicked->wait_for(
      [](const Envelope& e) { return e.has_error() && e.error().code() == proto::KICKED; }, kWait);
  ASSERT_TRUE(told);
  EXPECT_EQ(told->error().message(), "cool off");
  EXPECT_TRUE(kicked->wait_closed(kWait));

  const auto ban = http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::post,
                        "/api/v1/players/" + std::to_string(player) + "/ban",
                        R"({"duration_s": 3600, "reason": "griefing"})", cookie, csrf);
  ASSERT_EQ(ban.status, 200) << ban.body;
  const auto banned = victim->wait_for(
      [](const Envelope& e) { return e.has_error() && e.error().code() == proto::BANNED; }, kWait);
  ASSERT_TRUE(banned);
  EXPECT_NE(banned->error().message().find("griefing"), std::string::npos);
  // The ban holds on every node.
  for (auto& n : nodes_) {
    auto c = connect(n, Via::tcp);
    const auto refused = c->login_guest("device-ban-victim");
    ASSERT_ERROR(refused, BANNED);
  }
}

TEST_F(ClusterTest, AnyConsoleShowsTheClusterAndDrainsOneNode) {
  wait_for_nodes(3);
  auto player = guest(nodes_[2], "device-drained");
  const auto seated = player->create_room("relay", "on c");
  ASSERT_MSG(seated, Joined);
  const auto [cookie, csrf] = admin_login(nodes_[0]);
  ASSERT_TRUE(eventually(
      [&] {
        const auto r = http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::get,
                            "/api/v1/cluster", "", cookie);
        const auto o = json::parse(r.body).as_object();
        return o.at("nodes").as_array().size() == 3 &&
               o.at("totals").at("rooms").to_number<int>() == 1;
      },
      kWait));
  const auto view = json::parse(http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::get,
                                     "/api/v1/cluster", "", cookie)
                                    .body)
                        .as_object();
  EXPECT_TRUE(view.at("clustered").as_bool());
  EXPECT_EQ(view.at("node").as_string(), nodes_[0].id);
  EXPECT_TRUE(view.at("directory_up").as_bool());
  int selves = 0;
  for (const auto& n : view.at("nodes").as_array()) {
    const auto& o = n.as_object();
    EXPECT_EQ(o.at("state").as_string(), "serving");
    EXPECT_FALSE(o.at("version").as_string().empty());
    EXPECT_GT(o.at("http_port").to_number<int>(), 0);
    selves += o.at("self").as_bool() ? 1 : 0;
  }
  EXPECT_EQ(selves, 1);
  // The console's rooms list shows the room on c, with its node.
  const auto rooms = json::parse(http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::get,
                                      "/api/v1/rooms", "", cookie)
                                     .body)
                         .as_object();
  ASSERT_EQ(rooms.at("rooms").as_array().size(), 1u);
  EXPECT_EQ(rooms.at("rooms").as_array()[0].at("node").as_string(), nodes_[2].id);

  // The player on c is online, on c, as a's console sees it.
  const auto detail =
      json::parse(http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::get,
                       "/api/v1/players/" + std::to_string(player->player_id()), "", cookie)
                      .body)
          .as_object();
  EXPECT_TRUE(detail.at("online").as_bool());
  EXPECT_EQ(detail.at("node").as_string(), nodes_[2].id);

  // Drain c from a's console: c tells its players, saves, leaves the directory and exits.
  const auto drain = http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::post,
                          "/api/v1/cluster/nodes/" + nodes_[2].id + "/drain", "{}", cookie, csrf);
  ASSERT_EQ(drain.status, 202) << drain.body;
  EXPECT_TRUE(player->wait_for(
      [](const Envelope& e) { return e.has_event() && e.event().has_server_shutdown(); }, kWait));
  EXPECT_EQ(nodes_[2].proc->wait_exit(kLongWait), 0);
  ASSERT_TRUE(eventually([&] { return metric(nodes_[0], "rookery_cluster_nodes") == 2; }, kWait));
  const auto unknown = http(nodes_[0].host.ip, nodes_[0].http_port(), bhttp::verb::post,
                            "/api/v1/cluster/nodes/nobody/drain", "{}", cookie, csrf);
  EXPECT_EQ(unknown.status, 404);
}

TEST_F(ClusterTest, AKilledNodeLeavesTheDirectoryAndItsPlayersCanGoBack) {
  wait_for_nodes(3);
  auto on_c = guest(nodes_[2], "device-kill-c");
  const auto made = on_c->create_room("relay", "doomed");
  ASSERT_MSG(made, Joined);
  const uint64_t room = made.joined().room().room_id();
  auto on_a = guest(nodes_[0], "device-kill-a");
  ASSERT_TRUE(eventually(
      [&] {
        const auto l = on_a->list_rooms("relay");
        return l.has_room_list() && l.room_list().rooms_size() == 1;
      },
      kWait));

  const auto killed_at = Clock::now();
  nodes_[2].proc->send_signal(SIGKILL);
  EXPECT_TRUE(on_c->wait_closed(kWait));  // the player on c sees its connection end at once
  // Within the lease (3 s) plus a view refresh, c and its room are gone from a's view.
  for (size_t i : {0, 1}) {
    ASSERT_TRUE(eventually([&] { return metric(nodes_[i], "rookery_cluster_nodes") == 2; }, 10s));
  }
  EXPECT_LT(Clock::now() - killed_at, 6s);
  const auto l = on_a->list_rooms("relay");
  ASSERT_MSG(l, RoomList);
  EXPECT_EQ(l.room_list().rooms_size(), 0);
  const auto gone = on_a->join(room);
  ASSERT_ERROR(gone, ROOM_NOT_FOUND);
  // c's player logs in again on a surviving node and plays on.
  auto back = guest(nodes_[1], "device-kill-c");
  const auto rejoined = back->join_or_create("relay");
  EXPECT_MSG(rejoined, Joined);
}

TEST_F(ClusterTest, NodesKeepServingWithoutRedisAndRecoverByThemselves) {
  wait_for_nodes(3);
  auto local = guest(nodes_[0], "device-redis-local");
  const auto joined = local->join_or_create("relay");
  ASSERT_MSG(joined, Joined);
  auto far = guest(nodes_[1], "device-redis-far");
  const auto far_room = far->create_room("spelltraction", "far");
  ASSERT_MSG(far_room, Joined);
  ASSERT_TRUE(eventually([&] { return metric(nodes_[0], "rookery_cluster_rooms") >= 2; }, kWait));

  stop_redis();
  ASSERT_TRUE(eventually([&] { return readyz(nodes_[0]) == 503; }, 10s));
  EXPECT_EQ(metric(nodes_[0], "rookery_cluster_directory_up"), 0);
  // The room here keeps running: inputs are still applied and acknowledged.
  const auto acked = local->input_acked(1, "");
  EXPECT_MSG(acked, State);
  // A room elsewhere cannot be reached: a typed error, not a hang.
  auto third = guest(nodes_[0], "device-redis-third");
  const auto unreachable = third->join(far_room.joined().room().room_id());
  ASSERT_ERROR(unreachable, CLUSTER_UNAVAILABLE);
  // A new room here still works (it is published once Redis is back).
  const auto here = third->join_or_create("spelltraction");
  EXPECT_MSG(here, Joined);

  restart_redis();
  for (auto& n : nodes_) {
    ASSERT_TRUE(eventually([&] { return readyz(n) == 200; }, kLongWait)) << n.id;
  }
  wait_for_nodes(3);
  // Every node republished its rooms into the empty Redis.
  ASSERT_TRUE(eventually([&] { return metric(nodes_[2], "rookery_cluster_rooms") >= 3; }, kWait));
  auto fourth = guest(nodes_[2], "device-redis-fourth");
  const auto there = fourth->join(far_room.joined().room().room_id());
  ASSERT_MSG(there, Joined);
  EXPECT_EQ(fourth->redirects_followed(), 1u);
}

}  // namespace
}  // namespace rookery::itest
