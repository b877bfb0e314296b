// Server operations for the side-port (metrics, health, admin actions). They run on the
// side-port thread and reach game state only by posting to shards and waiting, bounded.
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <mutex>

#include "base/log.hpp"
#include "core/server.hpp"
#include "core/session.hpp"
#include "rooms/room.hpp"

namespace rookery::core {
namespace asio = boost::asio;

namespace {

// Counts down replies from shards; shared so a late reply after a timeout is harmless.
struct Gather {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;

  void done() {
    std::lock_guard lock(mu);
    if (--pending == 0) cv.notify_all();
  }
  bool wait(Millis timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [this] { return pending == 0; });
  }
};

const char* state_key(rooms::Room::State s) {
  return rooms::to_string(s);
}

}  // namespace

bool Server::snapshot(ServerSnapshot& out, Millis timeout) {
  // Per-shard partial results live in shared state: a shard answering after the timeout
  // writes into memory that is still alive, and nobody reads it any more.
  struct Partial {
    ShardStats stats;
    std::map<std::string, RoomTypeTotals> types;
  };
  auto gather = std::make_shared<Gather>();
  auto parts = std::make_shared<std::vector<Partial>>(shards_.size());
  std::vector<std::vector<std::shared_ptr<rooms::Room>>> rooms_by_shard(shards_.size());
  for (auto& room : core_.all_rooms()) rooms_by_shard[room->shard()].push_back(std::move(room));
  gather->pending = shards_.size();
  for (ShardIndex i = 0; i < shards_.size(); ++i) {
    Shard& shard = *shards_[i];
    asio::post(shard.io(), [&shard, gather, parts, i, rooms = std::move(rooms_by_shard[i])] {
      Partial p;
      p.stats = shard.stats();
      for (const auto& [type, t] : shard.all_tick_stats()) {
        RoomTypeTotals& tt = p.types[type];
        tt.tick_duration = t.duration;
        tt.tick_lag = t.lag;
        tt.inputs = t.inputs;
        tt.inputs_dropped = t.inputs_dropped;
      }
      for (const auto& room : rooms) {
        if (room->state() == rooms::Room::State::disposed) continue;
        RoomTypeTotals& tt = p.types[room->type()];
        ++tt.rooms_by_state[state_key(room->state())];
        tt.members += room->member_count();
      }
      {
        std::lock_guard lock(gather->mu);
        (*parts)[i] = std::move(p);
      }
      gather->done();
    });
  }
  const bool complete = gather->wait(timeout);
  std::lock_guard lock(gather->mu);
  for (const Partial& p : *parts) {
    auto& t = out.totals;
    for (size_t k = 0; k < net::kTransportKinds; ++k) {
      t.accepted[k] += p.stats.accepted[k];
      t.open[k] += p.stats.open[k];
    }
    for (size_t k = 0; k < t.closed.size(); ++k) t.closed[k] += p.stats.closed[k];
    t.messages_in += p.stats.messages_in;
    t.messages_out += p.stats.messages_out;
    t.bytes_in += p.stats.bytes_in;
    t.bytes_out += p.stats.bytes_out;
    t.logged_in += p.stats.logged_in;
    for (const auto& [type, pt] : p.types) {
      RoomTypeTotals& tt = out.types[type];
      for (const auto& [state, n] : pt.rooms_by_state) tt.rooms_by_state[state] += n;
      tt.members += pt.members;
      tt.inputs += pt.inputs;
      tt.inputs_dropped += pt.inputs_dropped;
      tt.tick_duration.merge(pt.tick_duration);
      tt.tick_lag.merge(pt.tick_lag);
    }
  }
  out.connections = connections_.load(std::memory_order_relaxed);
  out.max_connections = config_.net.max_connections;
  out.players_online = static_cast<int64_t>(core_.players_connected());
  out.store_queue_depth = store_.queue_depth();
  out.store_errors = static_cast<uint64_t>(store_failures_.load(std::memory_order_relaxed));
  out.draining = draining();
  out.started_unix_ms = started_unix_ms_;
  out.shards = shards_.size();
  return complete;
}

bool Server::healthy(Millis timeout) {
  if (!started_) return false;
  auto gather = std::make_shared<Gather>();
  gather->pending = shards_.size();
  for (auto& shard : shards_) asio::post(shard->io(), [gather] { gather->done(); });
  return gather->wait(timeout);
}

std::optional<Server::RoomDetail> Server::room_detail(RoomId id, Millis timeout) {
  rooms::RoomListing listing;
  auto room = core_.find_room(id, &listing);
  if (!room) return std::nullopt;
  auto gather = std::make_shared<Gather>();
  auto detail = std::make_shared<RoomDetail>();
  detail->listing = listing;
  gather->pending = 1;
  asio::post(shards_[room->shard()]->io(), [room, detail, gather] {
    {
      std::lock_guard lock(gather->mu);
      detail->members = room->members();
      detail->stats = room->stats();
      detail->summary = room->summary();
      detail->listing.state = room->state();
    }
    gather->done();
  });
  if (!gather->wait(timeout)) return std::nullopt;
  std::lock_guard lock(gather->mu);
  return *detail;
}

}  // namespace rookery::core
