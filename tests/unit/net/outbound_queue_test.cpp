// The outbound queue both transports write from: byte accounting, partial writes, O(1) pops,
// and its memory policy.
#include "net/outbound_queue.hpp"

#include <gtest/gtest.h>

#include <array>

namespace rookery::net {
namespace {

std::shared_ptr<const std::string> buf(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

std::string gathered(const OutboundQueue& q) {
  std::array<iovec, 8> iov;
  const size_t n = q.gather(iov.data(), iov.size());
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

TEST(OutboundQueue, CountsAndGathersWhatIsUnsent) {
  OutboundQueue q;
  EXPECT_TRUE(q.empty());
  q.push(buf("hello "));
  q.push(nullptr);
  q.push(buf(""));
  q.push(buf("world"));
  EXPECT_EQ(q.pending_bytes(), 11u);
  EXPECT_EQ(gathered(q), "hello world");
  q.consume(3);  // a partial write
  EXPECT_EQ(q.front_offset(), 3u);
  EXPECT_EQ(q.pending_bytes(), 8u);
  EXPECT_EQ(gathered(q), "lo world");
  q.consume(3);  // the rest of the first buffer, exactly
  EXPECT_EQ(*q.front(), "world");
  EXPECT_EQ(q.front_offset(), 0u);
  q.consume(5);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.pending_bytes(), 0u);
}

TEST(OutboundQueue, GatherStopsAtItsLimit) {
  OutboundQueue q;
  for (int i = 0; i < 10; ++i) q.push(buf(std::string(1, static_cast<char>('a' + i))));
  std::array<iovec, 4> iov;
  EXPECT_EQ(q.gather(iov.data(), iov.size()), 4u);
  EXPECT_EQ(q.pending_bytes(), 10u);
}

TEST(OutboundQueue, ASlowReaderDoesNotGrowTheSpentPrefixForever) {
  OutboundQueue q;
  // Always one buffer behind: the queue never drains, yet its slots stay bounded.
  q.push(buf("x"));
  for (int i = 0; i < 10000; ++i) {
    q.push(buf("y"));
    q.consume(1);
  }
  EXPECT_EQ(q.pending_bytes(), 1u);
  EXPECT_LE(q.capacity(), 4 * OutboundQueue::kCompactAt);
}

TEST(OutboundQueue, KeepsASmallAllocationAndReturnsABurst) {
  OutboundQueue q;
  q.push(buf("a"));
  q.consume(1);
  EXPECT_LE(q.capacity(), OutboundQueue::kKeep);
  for (int i = 0; i < 100; ++i) q.push(buf("b"));
  q.consume(100);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.capacity(), 0u);
  q.push(buf("c"));
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.pending_bytes(), 0u);
}

}  // namespace
}  // namespace rookery::net
