#include "cluster/cluster.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <future>
#include <random>
#include <stdexcept>

#include "base/clock.hpp"
#include "base/log.hpp"

namespace rookery::cluster {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Cluster::Cluster(ClusterOptions options, LocalSource local)
    : options_(std::move(options)), local_(std::move(local)) {
  if (options_.node_id.empty()) throw std::invalid_argument("cluster: node id is empty");
  redis_ = std::make_unique<RedisConnection>(io_, options_.redis);
  subscriber_ = std::make_unique<RedisConnection>(io_, options_.redis);
  subscriber_->subscribe({options_.prefix + "node:" + options_.node_id, options_.prefix + "all"},
                         [this](const std::string& channel, const std::string& payload) {
                           on_message(channel, payload);
                         });
  directory_ = std::make_unique<Directory>(*redis_, options_.prefix, options_.node_id);
  renew_timer_ = std::make_unique<asio::steady_timer>(io_);
  publish_timer_ = std::make_unique<asio::steady_timer>(io_);
  fetch_timer_ = std::make_unique<asio::steady_timer>(io_);
}

Cluster::~Cluster() {
  stop();
}

template <class Fn>
void Cluster::every(asio::steady_timer& t, std::chrono::milliseconds period, Fn fn) {
  t.expires_after(period);
  t.async_wait([this, &t, period, fn](const boost::system::error_code& ec) {
    if (ec) return;
    fn();
    every(t, period, fn);
  });
}

uint32_t Cluster::start(std::chrono::milliseconds timeout) {
  started_ms_ = unix_millis();
  std::promise<void> numbered;
  auto got = numbered.get_future();
  auto once = std::make_shared<std::once_flag>();
  on_number_ = [&numbered, once] { std::call_once(*once, [&] { numbered.set_value(); }); };
  redis_->on_state([this](bool up) { on_redis_state(up); });
  asio::post(io_, [this] {
    redis_->start();
    subscriber_->start();
    every(*renew_timer_, options_.heartbeat, [this] { renew(); });
    every(*publish_timer_, options_.publish, [this] { publish_rooms(); });
    every(*fetch_timer_, options_.fetch, [this] { fetch(); });
  });
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
  if (got.wait_for(timeout) != std::future_status::ready) {
    stop();
    throw std::runtime_error(
        "cluster: Redis at " + options_.redis.host + ":" + std::to_string(options_.redis.port) +
        " did not grant a node number within " + std::to_string(timeout.count()) + " ms");
  }
  // From here on the promise is gone: later numbers (after a lost claim) need no waiter.
  asio::post(io_, [this] { on_number_ = nullptr; });
  return number_.load();
}

void Cluster::stop() {
  if (!thread_.joinable()) return;
  auto left = std::make_shared<std::promise<void>>();
  auto done = left->get_future();
  asio::post(io_, [this, left] {
    renew_timer_->cancel();
    publish_timer_->cancel();
    fetch_timer_->cancel();
    if (number_ == 0 || !redis_->connected()) {
      left->set_value();
      return;
    }
    directory_->leave(number_, [left](const RedisResult&) { left->set_value(); });
  });
  // A clean exit removes the node at once; if Redis does not answer, the lease does it later.
  done.wait_for(options_.redis.command_timeout + std::chrono::milliseconds(200));
  asio::post(io_, [this] {
    for (auto& [id, w] : waiting_) {
      asio::post(io_, [done = std::move(w.done)] { done(std::nullopt); });
    }
    waiting_.clear();
    redis_->stop();
    subscriber_->stop();
    io_.poll();  // the failed requests' handlers
    io_.stop();
  });
  thread_.join();
}

void Cluster::on_redis_state(bool up) {
  {
    std::lock_guard lock(mu_);
    status_.redis_connects = redis_->connects();
  }
  if (!up) {
    log::warn("cluster directory unreachable",
              {{"redis", options_.redis.host + ":" + std::to_string(options_.redis.port)}});
    return;
  }
  log::info("cluster directory connected",
            {{"redis", options_.redis.host + ":" + std::to_string(options_.redis.port)},
             {"node", options_.node_id}});
  // Redis may have restarted empty: rebuild our rooms hash and renew at once.
  republish_all_ = true;
  if (number_ == 0) {
    claim(32);
  } else {
    renew();
    publish_rooms();
  }
}

void Cluster::claim(int attempts_left) {
  if (attempts_left == 0) {
    log::error("cluster: no free node number after 32 tries", {});
    return;
  }
  static thread_local std::mt19937 rng{std::random_device{}()};
  const uint32_t candidate = std::uniform_int_distribution<uint32_t>(1, kMaxNodeNumber)(rng);
  directory_->claim_number(
      candidate, static_cast<uint32_t>(options_.lease.count()),
      [this, candidate, attempts_left](const RedisResult& r) {
        if (r.failed()) {
          count(&ClusterStatus::redis_errors);
          return;  // the next connect tries again
        }
        if (r.value.integer != 1) {
          claim(attempts_left - 1);
          return;
        }
        number_ = candidate;
        log::info("cluster node number claimed",
                  {{"node", options_.node_id}, {"number", std::to_string(candidate)}});
        renew();
        publish_rooms();
        if (on_number_) on_number_();
      });
}

NodeRecord Cluster::self_record(const LocalState& local) const {
  NodeRecord n;
  n.id = options_.node_id;
  n.number = number_;
  n.host = options_.advertise_host;
  n.tcp_port = options_.tcp_port;
  n.ws_port = options_.ws_port;
  n.http_port = http_port_.load() != 0 ? http_port_.load() : options_.http_port;
  n.version = options_.version;
  n.draining = local.draining;
  n.connections = local.connections;
  n.rooms = static_cast<uint32_t>(local.rooms.size());
  n.started_ms = started_ms_;
  return n;
}

void Cluster::renew() {
  if (number_ == 0 || !redis_->connected()) return;
  const LocalState local = local_();
  directory_->heartbeat(self_record(local), static_cast<uint32_t>(options_.lease.count()),
                        [this](const RedisResult& r) {
                          if (r.failed()) {
                            count(&ClusterStatus::redis_errors);
                            if (r.status == RedisStatus::ok) {
                              // NUMBER_TAKEN: another node holds our number (Redis lost it while we
                              // were cut off and someone claimed it). Our live room ids carry it;
                              // say so loudly.
                              log::error("cluster lease refused", {{"why", r.value.str}});
                            }
                            return;
                          }
                          renewed_steady_ms_.store(steady_ms());
                          std::lock_guard lock(mu_);
                          status_.last_renewal_ms = unix_millis();
                        });
}

void Cluster::publish_rooms() {
  if (number_ == 0 || !redis_->connected() || publishing_) return;
  LocalState local = local_();
  std::map<RoomId, RoomRecord> now;
  for (auto& r : local.rooms) {
    r.node = options_.node_id;
    const RoomId id = r.id;
    now.emplace(id, std::move(r));
  }
  std::vector<RoomRecord> put;
  std::vector<RoomId> removed;
  const bool replace = republish_all_;
  for (const auto& [id, r] : now) {
    auto it = published_.find(id);
    if (replace || it == published_.end() || !(it->second == r)) put.push_back(r);
  }
  if (!replace) {
    for (const auto& [id, r] : published_) {
      if (!now.count(id)) removed.push_back(id);
    }
    if (put.empty() && removed.empty()) return;
  }
  publishing_ = true;
  republish_all_ = false;
  directory_->publish_rooms(put, removed, replace, static_cast<uint32_t>(options_.lease.count()),
                            [this, now = std::move(now)](const RedisResult& r) mutable {
                              publishing_ = false;
                              if (r.failed()) {
                                republish_all_ = true;  // we no longer know what Redis holds
                                count(&ClusterStatus::redis_errors);
                                return;
                              }
                              published_ = std::move(now);
                            });
}

void Cluster::fetch() {
  if (!redis_->connected()) return;
  directory_->fetch([this](std::optional<ClusterView> view, const RedisResult& r) {
    std::lock_guard lock(mu_);
    if (!view) {
      ++status_.redis_errors;
      log::debug("cluster view not read", {{"why", r.what()}});
      return;
    }
    status_.nodes = view->nodes.size();
    status_.rooms = view->rooms.size();
    view_ = std::make_shared<const ClusterView>(std::move(*view));
  });
}

std::shared_ptr<const ClusterView> Cluster::view() const {
  std::lock_guard lock(mu_);
  return view_;
}

void Cluster::count(uint64_t ClusterStatus::*counter) {
  std::lock_guard lock(mu_);
  ++(status_.*counter);
}

ClusterStatus Cluster::status() const {
  ClusterStatus s;
  {
    std::lock_guard lock(mu_);
    s = status_;
  }
  const int64_t last = renewed_steady_ms_.load();
  s.directory_up = last != 0 && steady_ms() - last < options_.lease.count();
  return s;
}

void Cluster::remember_session(const std::string& token_hash) {
  asio::post(io_, [this, token_hash] {
    redis_->command({"SET", options_.prefix + "session:" + token_hash, options_.node_id, "PX",
                     std::to_string(options_.session_ttl.count())},
                    [this](RedisResult r) {
                      if (!r.failed()) return;
                      count(&ClusterStatus::redis_errors);
                    });
  });
}

void Cluster::remember_player(PlayerId player) {
  asio::post(io_, [this, player] {
    redis_->command({"SET", options_.prefix + "player:" + std::to_string(player), options_.node_id,
                     "PX", std::to_string(options_.session_ttl.count())},
                    [](RedisResult) {});
  });
}

void Cluster::forget_player(PlayerId player) {
  asio::post(io_, [this, player] {
    // Only if it is still ours: the player may have logged in on another node since.
    redis_->command({"EVAL",
                     "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end "
                     "return 1",
                     "1", options_.prefix + "player:" + std::to_string(player), options_.node_id},
                    [](RedisResult) {});
  });
}

void Cluster::find_players(std::vector<PlayerId> players,
                           std::function<void(std::vector<std::string> nodes)> done) {
  asio::post(io_, [this, players = std::move(players), done = std::move(done)]() mutable {
    if (players.empty()) {
      done({});
      return;
    }
    std::vector<std::string> argv{"MGET"};
    for (PlayerId p : players) argv.push_back(options_.prefix + "player:" + std::to_string(p));
    redis_->command(std::move(argv), [n = players.size(), done = std::move(done)](RedisResult r) {
      std::vector<std::string> nodes(n);
      if (!r.failed() && r.value.elements.size() == n) {
        for (size_t i = 0; i < n; ++i) nodes[i] = r.value.elements[i].str;
      }
      done(std::move(nodes));
    });
  });
}

void Cluster::find_session(const std::string& token_hash,
                           std::function<void(std::string node)> done) {
  asio::post(io_, [this, token_hash, done = std::move(done)]() mutable {
    redis_->command({"GET", options_.prefix + "session:" + token_hash}, [done = std::move(done)](
                                                                            RedisResult r) {
      done(!r.failed() && r.value.type == RedisValue::Type::string ? r.value.str : std::string());
    });
  });
}

void Cluster::serve(RequestHandler requests, BroadcastHandler broadcasts) {
  request_handler_ = std::move(requests);
  broadcast_handler_ = std::move(broadcasts);
}

void Cluster::publish(const std::string& channel, const json::object& message,
                      std::function<void(bool heard)> done) {
  redis_->command({"PUBLISH", channel, json::serialize(message)},
                  [done = std::move(done)](RedisResult r) {
                    // PUBLISH answers with how many subscribers got it: 0 means nobody listens.
                    if (done) done(!r.failed() && r.value.integer > 0);
                  });
}

void Cluster::request(const std::string& node, json::object body, ReplyHandler done) {
  asio::post(io_, [this, node, body = std::move(body), done = std::move(done)]() mutable {
    count(&ClusterStatus::requests_sent);
    auto fail = [this](ReplyHandler& d) {
      count(&ClusterStatus::requests_failed);
      d(std::nullopt);
    };
    if (!redis_->connected() || !subscriber_->connected()) {
      fail(done);
      return;
    }
    const uint64_t id = next_request_++;
    auto timer = std::make_unique<asio::steady_timer>(io_, options_.request_timeout);
    timer->async_wait([this, id, fail](const boost::system::error_code& ec) mutable {
      if (ec) return;
      auto it = waiting_.find(id);
      if (it == waiting_.end()) return;
      auto d = std::move(it->second.done);
      waiting_.erase(it);
      fail(d);
    });
    waiting_.emplace(id, Waiting{std::move(done), std::move(timer)});
    json::object envelope{
        {"k", "req"}, {"id", id}, {"from", options_.node_id}, {"body", std::move(body)}};
    publish(options_.prefix + "node:" + node, envelope, [this, id, fail](bool heard) mutable {
      if (heard) return;
      // Nobody subscribes to that node's channel: it is gone. Fail now, not at the timeout.
      auto it = waiting_.find(id);
      if (it == waiting_.end()) return;
      auto d = std::move(it->second.done);
      waiting_.erase(it);
      fail(d);
    });
  });
}

void Cluster::broadcast(json::object message) {
  asio::post(io_, [this, message = std::move(message)]() mutable {
    count(&ClusterStatus::broadcasts);
    json::object envelope{{"k", "bc"}, {"from", options_.node_id}, {"body", std::move(message)}};
    publish(options_.prefix + "all", envelope, nullptr);
  });
}

void Cluster::on_message(const std::string& /*channel*/, const std::string& payload) {
  json::object m;
  try {
    m = json::parse(payload).as_object();
  } catch (const std::exception&) {
    log::warn("cluster message not understood", {{"bytes", std::to_string(payload.size())}});
    return;
  }
  const auto* kind = m.if_contains("k");
  const auto* body = m.if_contains("body");
  if (!kind || !kind->is_string() || !body || !body->is_object()) return;
  if (kind->as_string() == "rep") {
    const uint64_t id = message_uint(m, "id");
    if (id == 0) return;
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return;  // too late: the requester gave up
    auto done = std::move(it->second.done);
    waiting_.erase(it);
    done(body->as_object());
    return;
  }
  const auto* from = m.if_contains("from");
  if (!from || !from->is_string()) return;
  const std::string sender(from->as_string());
  if (kind->as_string() == "bc") {
    if (sender != options_.node_id && broadcast_handler_) broadcast_handler_(body->as_object());
    return;
  }
  if (kind->as_string() != "req" || !request_handler_) return;
  const uint64_t id = message_uint(m, "id");
  if (id == 0) return;
  count(&ClusterStatus::requests_served);
  const uint64_t rid = id;
  request_handler_(body->as_object(), [this, sender, rid](json::object reply) {
    asio::post(io_, [this, sender, rid, reply = std::move(reply)]() mutable {
      json::object envelope{{"k", "rep"}, {"id", rid}, {"body", std::move(reply)}};
      publish(options_.prefix + "node:" + sender, envelope, nullptr);
    });
  });
}

}  // namespace rookery::cluster
