// Client address keys and address ranges (base/address.hpp).
#include "base/address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace rookery::base {
namespace {

TEST(AddressTest, PeerStringsGiveTheirAddress) {
  EXPECT_EQ(ip_of_peer("192.0.2.7:5555"), "192.0.2.7");
  EXPECT_EQ(ip_of_peer("2001:db8::1:443"), "2001:db8::1");
  EXPECT_EQ(ip_of_peer("?"), "?");
}

TEST(AddressTest, AnIpv6ClientCountsAsItsSlash64) {
  EXPECT_EQ(address_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(address_key("::ffff:192.0.2.7"), "192.0.2.7");  // a dual-stack listener's IPv4
  EXPECT_EQ(address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:2::99"), address_key("2001:db8:1:2:ffff::1"));
  EXPECT_NE(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
}

TEST(AddressTest, RangesMatchByPrefix) {
  const auto r = AddressRanges::parse("10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::1");
  EXPECT_TRUE(r.contains("10.200.3.4"));
  EXPECT_FALSE(r.contains("11.0.0.1"));
  EXPECT_TRUE(r.contains("192.0.2.7"));
  EXPECT_FALSE(r.contains("192.0.2.8"));
  EXPECT_TRUE(r.contains("::ffff:10.1.1.1"));
  EXPECT_TRUE(r.contains("2001:db8:ffff::1"));
  EXPECT_FALSE(r.contains("2001:db9::1"));
  EXPECT_TRUE(r.contains("::1"));
  EXPECT_FALSE(r.contains("not an address"));
  EXPECT_TRUE(AddressRanges::parse("0.0.0.0/0").contains("203.0.113.9"));
  EXPECT_TRUE(AddressRanges::parse("").empty());
}

TEST(AddressTest, BadRangesAreNamed) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/x", "host.example", "10.0.0.0/"}) {
    try {
      (void)AddressRanges::parse(bad);
      ADD_FAILURE() << bad << " parsed";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace rookery::base
