// Fakes of what the game core needs from the process, shared by the core's unit tests: a
// RoomHub that goes nowhere and a Host with one shard (the test's io_context) that records
// every session the core closes and every drain it asks for.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/host.hpp"
#include "rooms/room_hub.hpp"

namespace rookery::core {

// Rooms talk to sessions through this; the core tests only need it to exist.
struct NullHub : rooms::RoomHub {
  void deliver(ShardIndex, std::shared_ptr<const std::vector<SessionId>>,
               std::shared_ptr<const std::string>) override {}
  void send(ShardIndex, SessionId, std::shared_ptr<const std::string>) override {}
  void update_seat(ShardIndex, SessionId, rooms::SeatUpdate) override {}
  void record_matches(std::vector<store::MatchResult>) override {}
  void seat_gone(PlayerId, RoomId) override {}
  void room_disposed(RoomId) override {}
};

// One shard: the test's io_context. Records every session the core closes.
struct FakeHost : Host {
  struct Closed {
    SessionAddress address;
    int code;
    std::string reason;
  };
  boost::asio::io_context io;
  NullHub hub;
  std::vector<Closed> closed;
  bool drain = false;

  RoomPlacement place_room(const std::string&) override { return {0, &io, nullptr}; }
  void post(ShardIndex, std::function<void()> fn) override { boost::asio::post(io, std::move(fn)); }
  void close_session(SessionAddress a, int code, std::string reason) override {
    closed.push_back({a, code, std::move(reason)});
  }
  rooms::RoomHub& room_hub() override { return hub; }
  bool draining() const override { return drain; }
  int drain_requests = 0;
  void request_drain() override { ++drain_requests; }
};

}  // namespace rookery::core
