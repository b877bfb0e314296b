#include "rooms/room_directory.hpp"

#include <algorithm>

#include "rookery.pb.h"

namespace rookery::rooms {

void RoomDirectory::add(const std::shared_ptr<Room>& room, RoomListing listing) {
  std::lock_guard lock(mu_);
  rooms_[listing.id] = Entry{std::move(listing), room};
}

Reservation RoomDirectory::reserve(RoomId id) {
  std::lock_guard lock(mu_);
  auto it = rooms_.find(id);
  if (it == rooms_.end() || it->second.listing.state == Room::State::closing ||
      it->second.listing.state == Room::State::disposed) {
    return {proto::ROOM_NOT_FOUND, nullptr};
  }
  RoomListing& l = it->second.listing;
  if (l.state == Room::State::locked) return {proto::ROOM_LOCKED, nullptr};
  if (l.members >= l.max_players) return {proto::ROOM_FULL, nullptr};
  ++l.members;
  return {0, it->second.room};
}

Reservation RoomDirectory::reserve_any(const std::string& type) {
  std::lock_guard lock(mu_);
  Entry* best = nullptr;
  for (auto& [id, e] : rooms_) {
    const RoomListing& l = e.listing;
    if (l.type != type || l.state != Room::State::open || l.members >= l.max_players) continue;
    if (!best || l.members > best->listing.members) best = &e;
  }
  if (!best) return {0, nullptr};
  ++best->listing.members;
  return {0, best->room};
}

void RoomDirectory::release(RoomId id) {
  std::lock_guard lock(mu_);
  auto it = rooms_.find(id);
  if (it != rooms_.end() && it->second.listing.members > 0) --it->second.listing.members;
}

void RoomDirectory::set_state(RoomId id, Room::State state) {
  std::lock_guard lock(mu_);
  auto it = rooms_.find(id);
  if (it != rooms_.end()) it->second.listing.state = state;
}

void RoomDirectory::remove(RoomId id) {
  std::lock_guard lock(mu_);
  rooms_.erase(id);
}

std::vector<RoomListing> RoomDirectory::list(const RoomFilter& filter) const {
  std::vector<RoomListing> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : rooms_) {
      const RoomListing& l = e.listing;
      if (!filter.type.empty() && l.type != filter.type) continue;
      if (l.state == Room::State::closing || l.state == Room::State::disposed) continue;
      if (!filter.include_locked && l.state == Room::State::locked) continue;
      if (!filter.include_full && l.members >= l.max_players) continue;
      out.push_back(l);
    }
  }
  std::sort(out.begin(), out.end(), [](const RoomListing& a, const RoomListing& b) {
    if (a.members != b.members) return a.members > b.members;
    return a.id < b.id;
  });
  if (out.size() > filter.limit) out.resize(filter.limit);
  return out;
}

std::shared_ptr<Room> RoomDirectory::find(RoomId id, RoomListing* listing) const {
  std::lock_guard lock(mu_);
  auto it = rooms_.find(id);
  if (it == rooms_.end()) return nullptr;
  if (listing) *listing = it->second.listing;
  return it->second.room;
}

std::vector<std::shared_ptr<Room>> RoomDirectory::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Room>> out;
  out.reserve(rooms_.size());
  for (const auto& [id, e] : rooms_) out.push_back(e.room);
  return out;
}

size_t RoomDirectory::size() const {
  std::lock_guard lock(mu_);
  return rooms_.size();
}

}  // namespace rookery::rooms
