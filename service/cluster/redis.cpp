#include "cluster/redis.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <stdexcept>

namespace rookery::cluster {
namespace asio = boost::asio;

namespace {

RedisValue copy_reply(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      v.type = RedisValue::Type::string;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::status;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RedisValue::Type::error;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::array;
      v.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      v.type = RedisValue::Type::nil;
  }
  return v;
}

}  // namespace

std::string RedisResult::what() const {
  switch (status) {
    case RedisStatus::unavailable:
      return "redis unavailable";
    case RedisStatus::timeout:
      return "redis timed out";
    case RedisStatus::ok:
      break;
  }
  return value.type == RedisValue::Type::error ? "redis error: " + value.str : "ok";
}

RedisOptions parse_redis_url(const std::string& url) {
  std::string rest = url;
  const std::string scheme = "redis://";
  if (rest.rfind(scheme, 0) == 0) rest = rest.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find_first_of("/@?") != std::string::npos) {
    throw std::invalid_argument("expected redis://host:port, got '" + url + "'");
  }
  RedisOptions o;
  std::string host = rest;
  std::string port;
  if (rest.front() == '[') {  // [v6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("unclosed '[' in '" + url + "'");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') throw std::invalid_argument("bad port in '" + url + "'");
      port = rest.substr(close + 2);
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument("no host in '" + url + "'");
  o.host = host;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      throw std::invalid_argument("bad port in '" + url + "'");
    }
    const unsigned long p = std::stoul(port);
    if (p == 0 || p > 65535) throw std::invalid_argument("bad port in '" + url + "'");
    o.port = static_cast<uint16_t>(p);
  }
  return o;
}

// hiredis asks for read and write readiness through five hooks; this maps them onto one
// stream_descriptor's async_wait. hiredis owns the fd (it closes it), so cleanup releases it.
struct RedisConnection::Events : std::enable_shared_from_this<Events> {
  Events(asio::io_context& io, int fd, redisAsyncContext* context) : sd(io, fd), ac(context) {}

  asio::posix::stream_descriptor sd;
  redisAsyncContext* ac;  // null once hiredis cleaned up
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;

  void arm_read() {
    if (reading || !want_read || !ac) return;
    reading = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [self = shared_from_this()](const boost::system::error_code& ec) {
                    self->reading = false;
                    if (ec || !self->ac || !self->want_read) return;
                    redisAsyncHandleRead(self->ac);  // may free the context (ac becomes null)
                    self->arm_read();
                  });
  }
  void arm_write() {
    if (writing || !want_write || !ac) return;
    writing = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_write,
                  [self = shared_from_this()](const boost::system::error_code& ec) {
                    self->writing = false;
                    if (ec || !self->ac || !self->want_write) return;
                    redisAsyncHandleWrite(self->ac);
                    self->arm_write();
                  });
  }

  static void add_read(void* p) {
    auto* e = static_cast<Events*>(p);
    e->want_read = true;
    e->arm_read();
  }
  static void del_read(void* p) { static_cast<Events*>(p)->want_read = false; }
  static void add_write(void* p) {
    auto* e = static_cast<Events*>(p);
    e->want_write = true;
    e->arm_write();
  }
  static void del_write(void* p) { static_cast<Events*>(p)->want_write = false; }
  static void cleanup(void* p) {
    auto* e = static_cast<Events*>(p);
    e->ac = nullptr;
    e->want_read = e->want_write = false;
    // release() cancels the waits and gives the fd back without closing it: hiredis closes it.
    e->sd.release();
  }
};

RedisConnection::RedisConnection(asio::io_context& io, RedisOptions options)
    : io_(io),
      options_(std::move(options)),
      reconnect_timer_(io),
      connect_timer_(io),
      deadline_timer_(io),
      backoff_(options_.reconnect_min) {}

RedisConnection::~RedisConnection() {
  *alive_ = false;
  // Nobody is left to hear about pending commands or state changes.
  pending_.clear();
  state_handler_ = nullptr;
  message_handler_ = nullptr;
  if (ac_) {
    auto* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);
  }
}

void RedisConnection::start() {
  if (state_ != State::stopped) return;
  state_ = State::waiting;
  connect();
}

void RedisConnection::stop() {
  if (state_ == State::stopped) return;
  reconnect_timer_.cancel();
  connect_timer_.cancel();
  deadline_timer_.cancel();
  drop(RedisStatus::unavailable);
  set_state(State::stopped);
}

void RedisConnection::set_state(State s) {
  const bool was_up = state_ == State::connected;
  state_ = s;
  const bool up = s == State::connected;
  if (was_up != up && state_handler_) {
    asio::post(io_, [alive = std::weak_ptr<bool>(alive_), this, up] {
      if (auto a = alive.lock(); a && *a && state_handler_) state_handler_(up);
    });
  }
}

void RedisConnection::connect() {
  if (state_ == State::stopped) return;
  redisAsyncContext* ac = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (!ac) {
    schedule_reconnect();
    return;
  }
  if (ac->err) {
    redisAsyncFree(ac);
    schedule_reconnect();
    return;
  }
  ac_ = ac;
  ac->data = this;
  events_ = std::make_shared<Events>(io_, ac->c.fd, ac);
  ac->ev.data = events_.get();
  ac->ev.addRead = &Events::add_read;
  ac->ev.delRead = &Events::del_read;
  ac->ev.addWrite = &Events::add_write;
  ac->ev.delWrite = &Events::del_write;
  ac->ev.cleanup = &Events::cleanup;
  redisAsyncSetDisconnectCallback(ac, &RedisConnection::on_disconnect);
  // Setting the connect callback arms the first write wait, which completes the connect.
  redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect);
  set_state(State::connecting);
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([alive = std::weak_ptr<bool>(alive_), this, ac](auto ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    if (state_ == State::connecting && ac_ == ac) {
      drop(RedisStatus::unavailable);
      schedule_reconnect();
    }
  });
}

void RedisConnection::schedule_reconnect() {
  if (state_ == State::stopped) return;
  set_state(State::waiting);
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
  reconnect_timer_.async_wait([alive = std::weak_ptr<bool>(alive_), this](auto ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    if (state_ == State::waiting) connect();
  });
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self || self->ac_ != ac) return;
  if (status != REDIS_OK) {
    // hiredis frees the context right after this callback.
    self->ac_ = nullptr;
    asio::post(self->io_, [alive = std::weak_ptr<bool>(self->alive_), self] {
      if (auto a = alive.lock(); a && *a) self->schedule_reconnect();
    });
    return;
  }
  self->connect_timer_.cancel();
  redisEnableKeepAlive(&self->ac_->c);
  self->backoff_ = self->options_.reconnect_min;
  ++self->connects_;
  self->set_state(State::connected);
  if (!self->channels_.empty()) self->send_subscribe();
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int /*status*/) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self || self->ac_ != ac) return;  // we dropped it ourselves
  self->ac_ = nullptr;
  self->fail_pending(RedisStatus::unavailable);
  asio::post(self->io_, [alive = std::weak_ptr<bool>(self->alive_), self] {
    if (auto a = alive.lock(); a && *a) self->schedule_reconnect();
  });
}

void RedisConnection::drop(RedisStatus why) {
  fail_pending(why);
  if (!ac_) return;
  auto* ac = ac_;
  ac_ = nullptr;
  redisAsyncFree(ac);  // pending hiredis callbacks run with no reply; they find nothing
}

void RedisConnection::fail_pending(RedisStatus why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    asio::post(io_, [done = std::move(p.done), why] {
      RedisResult r;
      r.status = why;
      done(std::move(r));
    });
  }
}

void RedisConnection::command(std::vector<std::string> argv, Callback done) {
  if (state_ != State::connected || !ac_) {
    asio::post(io_, [done = std::move(done)] { done(RedisResult{}); });
    return;
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  const uint64_t id = next_id_++;
  if (redisAsyncCommandArgv(ac_, &RedisConnection::on_reply, reinterpret_cast<void*>(id),
                            static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
    asio::post(io_, [done = std::move(done)] { done(RedisResult{}); });
    return;
  }
  const bool idle = pending_.empty();
  pending_.emplace(
      id, Pending{std::move(done), std::chrono::steady_clock::now() + options_.command_timeout});
  if (idle) watch_deadlines();
}

void RedisConnection::watch_deadlines() {
  if (pending_.empty()) return;
  deadline_timer_.expires_at(pending_.begin()->second.deadline);
  deadline_timer_.async_wait([alive = std::weak_ptr<bool>(alive_), this](auto ec) {
    auto a = alive.lock();
    if (ec || !a || !*a || pending_.empty()) return;
    if (pending_.begin()->second.deadline <= std::chrono::steady_clock::now()) {
      // Replies come in order: the oldest is overdue, so Redis is stuck or the link is dead.
      drop(RedisStatus::timeout);
      schedule_reconnect();
      return;
    }
    watch_deadlines();
  });
}

void RedisConnection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self) return;
  const auto id = reinterpret_cast<uint64_t>(privdata);
  auto it = self->pending_.find(id);
  if (it == self->pending_.end()) return;  // failed already (timeout, drop)
  RedisResult r;
  if (reply) {
    r.status = RedisStatus::ok;
    r.value = copy_reply(static_cast<redisReply*>(reply));
  }
  auto done = std::move(it->second.done);
  const bool was_oldest = it == self->pending_.begin();
  self->pending_.erase(it);
  // Callbacks never run inside hiredis: they may send, stop or destroy freely.
  asio::post(self->io_,
             [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  if (was_oldest) {
    self->deadline_timer_.cancel();
    self->watch_deadlines();
  }
}

void RedisConnection::subscribe(std::vector<std::string> channels, MessageHandler handler) {
  channels_ = std::move(channels);
  message_handler_ = std::move(handler);
  if (connected()) send_subscribe();
}

void RedisConnection::send_subscribe() {
  if (!ac_ || channels_.empty()) return;
  std::vector<const char*> args{"SUBSCRIBE"};
  std::vector<size_t> lens{9};
  for (const auto& c : channels_) {
    args.push_back(c.data());
    lens.push_back(c.size());
  }
  redisAsyncCommandArgv(ac_, &RedisConnection::on_message, nullptr, static_cast<int>(args.size()),
                        args.data(), lens.data());
}

void RedisConnection::on_message(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self || !reply || !self->message_handler_) return;
  const RedisValue v = copy_reply(static_cast<redisReply*>(reply));
  if (v.type != RedisValue::Type::array || v.elements.size() != 3 ||
      v.elements[0].str != "message") {
    return;  // subscribe confirmations
  }
  asio::post(self->io_, [alive = std::weak_ptr<bool>(self->alive_), self,
                         channel = v.elements[1].str, payload = v.elements[2].str] {
    if (auto a = alive.lock(); a && *a && self->message_handler_) {
      self->message_handler_(channel, payload);
    }
  });
}

}  // namespace rookery::cluster
