// Server operations for the side-port (metrics, health, room detail). Called on the side-port
// thread, they reach game state only by posting to shards, and answer on the caller's executor
// without ever waiting there.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>

#include "base/log.hpp"
#include "core/server.hpp"
#include "core/session.hpp"
#include "rooms/room.hpp"

namespace rookery::core {
namespace asio = boost::asio;

namespace {

// Collects answers that shards write on their own threads into shared `Parts`, then finishes
// once on the caller's executor: after the last answer or at the deadline, whichever comes
// first. Shared, so a shard answering after the deadline writes into live memory nobody reads.
template <class Parts>
class Gather : public std::enable_shared_from_this<Gather<Parts>> {
 public:
  using Finish = std::function<void(Parts& parts, bool complete)>;
  Gather(asio::any_io_executor ex, size_t answers, Parts parts, Finish finish)
      : ex_(std::move(ex)),
        timer_(ex_),
        pending_(answers),
        parts_(std::move(parts)),
        finish_(std::move(finish)) {}

  /// Starts the deadline (on the caller's executor, which owns the timer).
  void arm(Millis timeout) {
    asio::dispatch(ex_, [self = this->shared_from_this(), timeout] {
      if (self->pending_answers() == 0) return self->finish(true);
      self->timer_.expires_after(timeout);
      self->timer_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) self->finish(false);
      });
    });
  }
  /// One shard's answer: `write(parts)` under the lock, from that shard's thread.
  template <class Write>
  void answer(Write&& write) {
    bool last = false;
    {
      std::lock_guard lock(mu_);
      write(parts_);
      last = --pending_ == 0;
    }
    if (last) asio::post(ex_, [self = this->shared_from_this()] { self->finish(true); });
  }

 private:
  size_t pending_answers() {
    std::lock_guard lock(mu_);
    return pending_;
  }
  // Runs on ex_ only, so `finished_` and the timer need no lock.
  void finish(bool complete) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    std::lock_guard lock(mu_);
    finish_(parts_, complete);
  }

  asio::any_io_executor ex_;
  asio::steady_timer timer_;
  std::mutex mu_;
  size_t pending_;
  Parts parts_;
  Finish finish_;
  bool finished_ = false;
};

template <class Parts>
std::shared_ptr<Gather<Parts>> make_gather(asio::any_io_executor ex, size_t answers, Parts parts,
                                           typename Gather<Parts>::Finish finish) {
  return std::make_shared<Gather<Parts>>(std::move(ex), answers, std::move(parts),
                                         std::move(finish));
}

const char* state_key(rooms::Room::State s) {
  return rooms::to_string(s);
}

}  // namespace

void Server::snapshot(asio::any_io_executor ex, Millis timeout, SnapshotDone done) {
  struct Partial {
    ShardStats stats;
    std::map<std::string, RoomTypeTotals> types;
  };
  std::vector<std::vector<std::shared_ptr<rooms::Room>>> rooms_by_shard(shards_.size());
  for (auto& room : core_.all_rooms()) rooms_by_shard[room->shard()].push_back(std::move(room));
  // What does not live on a shard is read now; the shards' parts are merged at the end.
  ServerSnapshot base;
  base.connections = connections_.load(std::memory_order_relaxed);
  base.max_connections = config_.net.max_connections;
  base.players_online = static_cast<int64_t>(core_.players_connected());
  base.store_queue_depth = store_.queue_depth();
  base.store_errors = static_cast<uint64_t>(store_failures_.load(std::memory_order_relaxed));
  base.limit_refusals = core_.guard().refusals();
  base.draining = draining();
  base.started_unix_ms = started_unix_ms_;
  base.shards = shards_.size();
  base.cluster = cluster_snapshot();
  auto gather =
      make_gather<std::vector<Partial>>(ex, shards_.size(), std::vector<Partial>(shards_.size()),
                                        [base = std::move(base), done = std::move(done)](
                                            std::vector<Partial>& parts, bool complete) mutable {
                                          ServerSnapshot out = std::move(base);
                                          for (const Partial& p : parts) {
                                            out.totals.add(p.stats);
                                            for (const auto& [type, pt] : p.types) {
                                              RoomTypeTotals& tt = out.types[type];
                                              for (const auto& [state, n] : pt.rooms_by_state)
                                                tt.rooms_by_state[state] += n;
                                              tt.members += pt.members;
                                              tt.inputs += pt.inputs;
                                              tt.inputs_dropped += pt.inputs_dropped;
                                              tt.inputs_invalid += pt.inputs_invalid;
                                              tt.tick_duration.merge(pt.tick_duration);
                                              tt.tick_lag.merge(pt.tick_lag);
                                              tt.input_to_state.merge(pt.input_to_state);
                                              tt.tick_overruns += pt.tick_overruns;
                                              tt.created += pt.created;
                                              for (const auto& [why, n] : pt.closed)
                                                tt.closed[why] += n;
                                            }
                                          }
                                          done(std::move(out), complete);
                                        });
  for (ShardIndex i = 0; i < shards_.size(); ++i) {
    Shard& shard = *shards_[i];
    asio::post(shard.io(), [&shard, gather, i, rooms = std::move(rooms_by_shard[i])] {
      Partial p;  // built on the shard's thread, copied in under the gather's lock
      p.stats = shard.stats();
      for (const auto& [type, t] : shard.all_tick_stats()) {
        RoomTypeTotals& tt = p.types[type];
        tt.tick_duration = t.duration;
        tt.tick_lag = t.lag;
        tt.input_to_state = t.input_to_state;
        tt.tick_overruns = t.overruns;
        tt.created = t.created;
        tt.closed = t.closed;
        tt.inputs = t.inputs;
        tt.inputs_dropped = t.inputs_dropped;
        tt.inputs_invalid = t.inputs_invalid;
      }
      for (const auto& room : rooms) {
        if (room->state() == rooms::Room::State::disposed) continue;
        RoomTypeTotals& tt = p.types[room->type()];
        ++tt.rooms_by_state[state_key(room->state())];
        tt.members += room->member_count();
      }
      gather->answer([&](std::vector<Partial>& parts) { parts[i] = std::move(p); });
    });
  }
  gather->arm(timeout);
}

void Server::healthy(asio::any_io_executor ex, Millis timeout, std::function<void(bool)> done) {
  if (!started_) {
    asio::post(ex, [done = std::move(done)] { done(false); });
    return;
  }
  auto gather = make_gather<int>(ex, shards_.size(), 0,
                                 [done = std::move(done)](int&, bool complete) { done(complete); });
  for (auto& shard : shards_) {
    asio::post(shard->io(), [gather] { gather->answer([](int&) {}); });
  }
  gather->arm(timeout);
}

void Server::room_detail(RoomId id, asio::any_io_executor ex, Millis timeout,
                         std::function<void(std::optional<RoomDetail>)> done) {
  rooms::RoomListing listing;
  auto room = core_.find_room(id, &listing);
  if (!room) {
    asio::post(ex, [done = std::move(done)] { done(std::nullopt); });
    return;
  }
  RoomDetail detail;
  detail.listing = listing;
  auto gather = make_gather<RoomDetail>(
      ex, 1, std::move(detail), [done = std::move(done)](RoomDetail& d, bool complete) {
        done(complete ? std::optional<RoomDetail>(std::move(d)) : std::nullopt);
      });
  asio::post(shards_[room->shard()]->io(), [room, gather] {
    auto members = room->members();
    auto stats = room->stats();
    auto summary = room->summary();
    const auto state = room->state();
    gather->answer([&](RoomDetail& d) {
      d.members = std::move(members);
      d.stats = stats;
      d.summary = std::move(summary);
      d.listing.state = state;
    });
  });
  gather->arm(timeout);
}

}  // namespace rookery::core
