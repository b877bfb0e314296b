#include "base/address.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

namespace rookery::base {
namespace ip = boost::asio::ip;

namespace {

// The address, with IPv4-mapped IPv6 ("::ffff:1.2.3.4", what a dual-stack listener reports
// for an IPv4 client) turned into IPv4; false on bad text.
bool parse(std::string_view text, ip::address& out) {
  boost::system::error_code ec;
  out = ip::make_address(std::string(text), ec);
  if (ec) return false;
  if (out.is_v6() && out.to_v6().is_v4_mapped()) {
    out = ip::make_address_v4(ip::v4_mapped, out.to_v6());
  }
  return true;
}

// True if the first `prefix` bits of a and b agree.
template <size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 unsigned prefix) {
  for (size_t i = 0; i < N && prefix > 0; ++i) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const auto mask = static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ip_of_peer(std::string_view peer) {
  const size_t colon = peer.rfind(':');
  return std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
}

std::string address_key(std::string_view text) {
  ip::address a;
  if (!parse(text, a)) return std::string(text);
  if (a.is_v4()) return a.to_string();
  auto bytes = a.to_v6().to_bytes();
  for (size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return ip::address_v6(bytes).to_string() + "/64";
}

AddressRanges AddressRanges::parse(std::string_view list) {
  AddressRanges out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    const size_t slash = entry.find('/');
    Range r;
    if (!base::parse(entry.substr(0, slash), r.base)) {
      throw std::invalid_argument("'" + std::string(entry) + "' is not an address or range");
    }
    const unsigned max_prefix = r.base.is_v4() ? 32 : 128;
    r.prefix = max_prefix;
    if (slash != std::string_view::npos) {
      const std::string_view bits = entry.substr(slash + 1);
      const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), r.prefix);
      if (ec != std::errc() || end != bits.data() + bits.size() || r.prefix > max_prefix) {
        throw std::invalid_argument("'" + std::string(entry) + "' has a bad prefix length");
      }
    }
    out.ranges_.push_back(r);
  }
  return out;
}

bool AddressRanges::contains(std::string_view text) const {
  ip::address a;
  if (ranges_.empty() || !base::parse(text, a)) return false;
  for (const Range& r : ranges_) {
    if (a.is_v4() && r.base.is_v4()) {
      if (same_prefix(a.to_v4().to_bytes(), r.base.to_v4().to_bytes(), r.prefix)) return true;
    } else if (a.is_v6() && r.base.is_v6()) {
      if (same_prefix(a.to_v6().to_bytes(), r.base.to_v6().to_bytes(), r.prefix)) return true;
    }
  }
  return false;
}

}  // namespace rookery::base
