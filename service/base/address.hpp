// Client addresses as the server's limits see them: the key a per-address limit counts under
// (an IPv6 client owns a whole /64, so it is counted as one), and lists of address ranges
// (CIDR) for exemptions and bans.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace rookery::base {

/// The IP part of a transport's peer string ("1.2.3.4:5678" or "::1:5678").
std::string ip_of_peer(std::string_view peer);

/// The key per-address limits count under: an IPv4 address as it is (IPv4-mapped IPv6 too),
/// an IPv6 address as its /64 ("2001:db8:1:2::/64"); unparsable text as it is.
std::string address_key(std::string_view ip);

/// A set of address ranges ("10.0.0.0/8,::1/128,192.0.2.7"), parsed once.
class AddressRanges {
 public:
  AddressRanges() = default;
  /// Parses a comma-separated list (spaces allowed; empty: no ranges). Throws
  /// std::invalid_argument naming the bad entry.
  static AddressRanges parse(std::string_view list);
  /// True if `ip` (text; IPv4-mapped IPv6 counts as IPv4) is in one of the ranges.
  bool contains(std::string_view ip) const;
  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    boost::asio::ip::address base;
    unsigned prefix = 0;
  };
  std::vector<Range> ranges_;
};

}  // namespace rookery::base
