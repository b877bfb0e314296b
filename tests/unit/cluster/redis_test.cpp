// RedisConnection against a real redis-server: replies, binary-safe arguments, failing fast
// while Redis is down, reconnecting after a crash, a deadline when Redis freezes, and pub/sub
// that survives a restart.
#include "cluster/redis.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>

#include "cluster/redis_process.hpp"

namespace rookery::cluster {
namespace {

using namespace std::chrono_literals;

// Runs `io` until `done()` or `limit`; true if done.
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(10ms);
  }
  return true;
}

RedisOptions options_for(const testing::RedisProcess& redis) {
  RedisOptions o = parse_redis_url(redis.url());
  o.command_timeout = 500ms;
  o.connect_timeout = 500ms;
  o.reconnect_min = 20ms;
  o.reconnect_max = 100ms;
  return o;
}

// Sends one command and waits for its answer.
RedisResult call(boost::asio::io_context& io, RedisConnection& c, std::vector<std::string> argv) {
  std::optional<RedisResult> got;
  c.command(std::move(argv), [&](RedisResult r) { got = std::move(r); });
  EXPECT_TRUE(run_until(io, [&] { return got.has_value(); }));
  return got.value_or(RedisResult{});
}

TEST(RedisUrl, ParsesHostAndPort) {
  auto o = parse_redis_url("redis://10.0.0.5:6380");
  EXPECT_EQ(o.host, "10.0.0.5");
  EXPECT_EQ(o.port, 6380);
  o = parse_redis_url("redis.internal");
  EXPECT_EQ(o.host, "redis.internal");
  EXPECT_EQ(o.port, 6379);
  o = parse_redis_url("redis://[::1]:7000/");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 7000);
  for (const char* bad : {"", "redis://", "redis://:6379", "redis://h:0", "redis://h:99999",
                          "redis://h:12ab", "redis://user@h:1", "redis://h:1/0", "redis://[::1"}) {
    EXPECT_THROW(parse_redis_url(bad), std::invalid_argument) << bad;
  }
}

TEST(RedisConnection, AnswersCommandsWithBinarySafeValues) {
  testing::RedisProcess redis;
  boost::asio::io_context io;
  RedisConnection c(io, options_for(redis));
  c.start();
  ASSERT_TRUE(run_until(io, [&] { return c.connected(); }));
  const std::string value("a\0b\r\n", 5);
  EXPECT_EQ(call(io, c, {"SET", "k", value}).value.str, "OK");
  const RedisResult got = call(io, c, {"GET", "k"});
  ASSERT_FALSE(got.failed());
  EXPECT_EQ(got.value.type, RedisValue::Type::string);
  EXPECT_EQ(got.value.str, value);
  EXPECT_TRUE(call(io, c, {"GET", "missing"}).value.is_nil());
  EXPECT_EQ(call(io, c, {"INCRBY", "n", "41"}).value.integer, 41);
  const RedisResult arr = call(io, c, {"EVAL", "return {1, 'x', {2}}", "0"});
  ASSERT_EQ(arr.value.elements.size(), 3u);
  EXPECT_EQ(arr.value.elements[2].elements[0].integer, 2);
  const RedisResult err = call(io, c, {"NOSUCHCOMMAND"});
  EXPECT_EQ(err.status, RedisStatus::ok);
  EXPECT_TRUE(err.failed());
  EXPECT_NE(err.what().find("redis error"), std::string::npos);
}

TEST(RedisConnection, FailsFastWhileRedisIsDown) {
  RedisOptions o;
  o.port = testing::free_loopback_port();  // nothing listens there
  o.reconnect_min = 20ms;
  boost::asio::io_context io;
  RedisConnection c(io, o);
  c.start();
  const auto t0 = std::chrono::steady_clock::now();
  const RedisResult r = call(io, c, {"PING"});
  EXPECT_EQ(r.status, RedisStatus::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_FALSE(c.connected());
}

TEST(RedisConnection, ReconnectsAfterRedisRestarts) {
  testing::RedisProcess redis;
  boost::asio::io_context io;
  RedisConnection c(io, options_for(redis));
  std::vector<bool> transitions;
  c.on_state([&](bool up) { transitions.push_back(up); });
  c.start();
  ASSERT_TRUE(run_until(io, [&] { return c.connected(); }));
  redis.restart();
  ASSERT_TRUE(run_until(
      io, [&] { return c.connects() >= 2 && c.connected(); }, 10s));
  EXPECT_EQ(call(io, c, {"PING"}).value.str, "PONG");
  run_until(
      io, [&] { return transitions.size() >= 3; }, 1s);
  EXPECT_EQ(transitions, (std::vector<bool>{true, false, true}));
}

TEST(RedisConnection, AFrozenRedisTimesOutAndTheConnectionRecovers) {
  testing::RedisProcess redis;
  boost::asio::io_context io;
  RedisConnection c(io, options_for(redis));
  c.start();
  ASSERT_TRUE(run_until(io, [&] { return c.connected(); }));
  redis.pause();
  const auto t0 = std::chrono::steady_clock::now();
  const RedisResult r = call(io, c, {"PING"});
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, RedisStatus::timeout);
  EXPECT_GE(waited, 450ms);
  EXPECT_LT(waited, 1500ms);
  redis.resume();
  ASSERT_TRUE(run_until(
      io, [&] { return c.connected() && c.connects() >= 2; }, 10s));
  EXPECT_EQ(call(io, c, {"PING"}).value.str, "PONG");
}

TEST(RedisConnection, SubscriberHearsMessagesBeforeAndAfterARestart) {
  testing::RedisProcess redis;
  boost::asio::io_context io;
  RedisConnection sub(io, options_for(redis));
  RedisConnection pub(io, options_for(redis));
  std::vector<std::string> heard;
  sub.subscribe({"ch:a", "ch:b"}, [&](const std::string& ch, const std::string& payload) {
    heard.push_back(ch + "=" + payload);
  });
  sub.start();
  pub.start();
  ASSERT_TRUE(run_until(io, [&] { return sub.connected() && pub.connected(); }));
  // PUBLISH answers with the number of subscribers that got it: wait until ours is counted.
  ASSERT_TRUE(run_until(io, [&] {
    return call(io, pub, {"PUBLISH", "ch:a", "1"}).value.integer == 1;
  }));
  call(io, pub, {"PUBLISH", "ch:b", "2"});
  call(io, pub, {"PUBLISH", "ch:other", "x"});
  ASSERT_TRUE(run_until(io, [&] { return heard.size() >= 2; }));
  EXPECT_EQ(heard[0], "ch:a=1");
  EXPECT_EQ(heard[1], "ch:b=2");

  redis.restart();
  ASSERT_TRUE(run_until(
      io, [&] { return sub.connected() && pub.connected() && sub.connects() >= 2; }, 10s));
  ASSERT_TRUE(run_until(io, [&] {
    return call(io, pub, {"PUBLISH", "ch:b", "3"}).value.integer == 1;
  }));
  ASSERT_TRUE(run_until(io, [&] { return heard.size() >= 3; }));
  EXPECT_EQ(heard.back(), "ch:b=3");
}

TEST(RedisConnection, StopFailsPendingCommandsAndDestructionIsSilent) {
  testing::RedisProcess redis;
  boost::asio::io_context io;
  std::optional<RedisResult> got;
  {
    RedisConnection c(io, options_for(redis));
    c.start();
    ASSERT_TRUE(run_until(io, [&] { return c.connected(); }));
    redis.pause();
    c.command({"PING"}, [&](RedisResult r) { got = std::move(r); });
    c.stop();
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
    EXPECT_EQ(got->status, RedisStatus::unavailable);
    bool late = false;
    c.command({"PING"}, [&](RedisResult) { late = true; });
    run_until(
        io, [&] { return late; }, 100ms);
    EXPECT_TRUE(late);  // answered `unavailable` at once: stopped
  }
  redis.resume();
  io.restart();
  io.run_for(50ms);  // nothing left that refers to the destroyed connection
}

}  // namespace
}  // namespace rookery::cluster
