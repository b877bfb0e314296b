#include "core/tickets.hpp"

#include <sodium.h>

#include <charconv>
#include <stdexcept>

#include "base/random.hpp"

namespace rookery::core {

namespace {

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

const char* to_string(TicketProblem p) {
  switch (p) {
    case TicketProblem::none:
      return "ok";
    case TicketProblem::malformed:
      return "ticket is malformed";
    case TicketProblem::forged:
      return "ticket was not issued by this node";
    case TicketProblem::expired:
      return "ticket expired";
    case TicketProblem::used:
      return "ticket was already used";
  }
  return "ticket refused";
}

TicketBook::TicketBook(std::string node_id) : node_id_(std::move(node_id)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  crypto_auth_keygen(key_.data());
}

std::string TicketBook::mac(const std::string& body) const {
  const std::string signed_text = node_id_ + "|" + body;
  unsigned char tag[crypto_auth_BYTES];
  crypto_auth(tag, reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(),
              key_.data());
  return to_hex(tag, sizeof tag);
}

std::string TicketBook::issue(PlayerId player, std::shared_ptr<rooms::Room> room, int64_t now_ms,
                              int64_t ttl_ms) {
  const std::string nonce = random_hex_token();
  const int64_t expires = now_ms + ttl_ms;
  const std::string body = std::to_string(player) + "." + std::to_string(expires) + "." + nonce;
  {
    std::lock_guard lock(mu_);
    seats_.emplace(nonce, Seat{player, std::move(room), expires});
  }
  return body + "." + mac(body);
}

std::optional<TicketBook::Seat> TicketBook::redeem(const std::string& ticket, int64_t now_ms,
                                                   TicketProblem* problem) {
  auto fail = [&](TicketProblem p) -> std::optional<Seat> {
    if (problem) *problem = p;
    return std::nullopt;
  };
  if (ticket.size() > kMaxTicket) return fail(TicketProblem::malformed);
  const auto last = ticket.rfind('.');
  if (last == std::string::npos) return fail(TicketProblem::malformed);
  const std::string body = ticket.substr(0, last);
  const std::string tag = ticket.substr(last + 1);
  const auto a = body.find('.');
  const auto b = a == std::string::npos ? a : body.find('.', a + 1);
  PlayerId player = 0;
  int64_t expires = 0;
  if (b == std::string::npos || !parse_number(std::string_view(body).substr(0, a), player) ||
      !parse_number(std::string_view(body).substr(a + 1, b - a - 1), expires)) {
    return fail(TicketProblem::malformed);
  }
  const std::string nonce = body.substr(b + 1);
  const std::string expected = mac(body);
  if (tag.size() != expected.size() ||
      sodium_memcmp(tag.data(), expected.data(), expected.size()) != 0) {
    return fail(TicketProblem::forged);
  }
  if (now_ms >= expires) return fail(TicketProblem::expired);
  std::lock_guard lock(mu_);
  auto it = seats_.find(nonce);
  if (it == seats_.end() || it->second.player != player) return fail(TicketProblem::used);
  Seat seat = std::move(it->second);
  seats_.erase(it);
  if (problem) *problem = TicketProblem::none;
  return seat;
}

std::vector<TicketBook::Seat> TicketBook::expire(int64_t now_ms) {
  std::vector<Seat> gone;
  std::lock_guard lock(mu_);
  for (auto it = seats_.begin(); it != seats_.end();) {
    if (it->second.expires_ms <= now_ms) {
      gone.push_back(std::move(it->second));
      it = seats_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

size_t TicketBook::outstanding() const {
  std::lock_guard lock(mu_);
  return seats_.size();
}

}  // namespace rookery::core
