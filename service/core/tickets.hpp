// Seats this node holds for players another node redirected here, each behind a ticket: the
// player, the room, an expiry and a random nonce, signed with a key only this process knows
// (libsodium crypto_auth, HMAC-SHA-512-256). A ticket works once, before it expires, at the
// node that issued it; an unused one gives its seat back when it expires.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/ids.hpp"

namespace rookery::rooms {
class Room;
}

namespace rookery::core {

/// Why a ticket was not accepted.
enum class TicketProblem { none, malformed, forged, expired, used };

/// The redirected players' seats on this node. Thread-safe.
class TicketBook {
 public:
  /// A held seat: who it is for, where, until when.
  struct Seat {
    PlayerId player = 0;
    std::shared_ptr<rooms::Room> room;
    int64_t expires_ms = 0;
  };

  explicit TicketBook(std::string node_id);

  /// Holds `room`'s reserved seat for `player` until now + ttl; returns the ticket.
  std::string issue(PlayerId player, std::shared_ptr<rooms::Room> room, int64_t now_ms,
                    int64_t ttl_ms);
  /// The seat behind `ticket`, taken out of the book (single use); nullopt and `problem` else.
  std::optional<Seat> redeem(const std::string& ticket, int64_t now_ms, TicketProblem* problem);
  /// Takes out every seat whose ticket expired unused (the caller gives the seats back).
  std::vector<Seat> expire(int64_t now_ms);
  /// Tickets issued and not yet redeemed or expired.
  size_t outstanding() const;

  static constexpr size_t kMaxTicket = 256;  // bytes a client may send

 private:
  std::string mac(const std::string& body) const;

  const std::string node_id_;
  std::array<unsigned char, 32> key_{};
  mutable std::mutex mu_;
  std::map<std::string, Seat> seats_;  // by nonce
};

/// A short description of `p` for the client.
const char* to_string(TicketProblem p);

}  // namespace rookery::core
