#include "client/client.hpp"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <utility>
#include <vector>

namespace rookery::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Far above any frame the server sends; only guards against a corrupt length.
constexpr uint32_t kMaxInboundFrame = 256 * 1024 * 1024;

std::string endpoint_text(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

// Completion state shared with a handler, which may outlive the call that started it.
struct Completion {
  bool done = false;
  error_code ec;
};

}  // namespace

// The byte transport under a Client: raw TCP frames or WebSocket messages. Handlers run only
// inside Client::pump_until (on the caller's thread).
class Connection {
 public:
  explicit Connection(Client& client) : client_(client) {}
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::io_context& io() { return io_; }

  /// Starts one read; delivers frames and the close to the client, then calls `done`.
  virtual void async_read(std::function<void()> done) = 0;
  /// Sends an encoded Envelope (`raw` false: framed as the transport requires) or raw bytes.
  virtual void async_send(std::shared_ptr<const std::string> bytes, bool raw,
                          std::shared_ptr<Completion> completion) = 0;
  /// Closes the socket at once; pending handlers complete with operation_aborted.
  virtual void close_now() = 0;

 protected:
  // Opens a socket (with SO_RCVBUF before connect when asked) and connects to the first
  // endpoint of `host` that accepts, within `deadline`.
  void connect_socket(tcp::socket& socket, const std::string& host, uint16_t port, int rcvbuf,
                      Clock::time_point deadline) {
    tcp::resolver resolver(io_);
    auto resolved = std::make_shared<std::pair<Completion, tcp::resolver::results_type>>();
    resolver.async_resolve(host, std::to_string(port),
                           [resolved](const error_code& ec, tcp::resolver::results_type r) {
                             resolved->first.done = true;
                             resolved->first.ec = ec;
                             resolved->second = std::move(r);
                           });
    run_until([&] { return resolved->first.done; }, deadline);
    if (!resolved->first.done) {
      resolver.cancel();
      settle();
      throw ClientError("resolving " + endpoint_text(host, port) + " timed out");
    }
    if (resolved->first.ec) {
      throw ClientError("cannot resolve " + host + ": " + resolved->first.ec.message());
    }
    std::string last_error = "no address";
    for (const auto& entry : resolved->second) {
      error_code ec;
      socket.close(ec);
      socket.open(entry.endpoint().protocol(), ec);
      if (ec) {
        last_error = ec.message();
        continue;
      }
      if (rcvbuf > 0) socket.set_option(asio::socket_base::receive_buffer_size(rcvbuf), ec);
      auto c = std::make_shared<Completion>();
      socket.async_connect(entry.endpoint(), [c](const error_code& e) {
        c->done = true;
        c->ec = e;
      });
      run_until([&] { return c->done; }, deadline);
      if (!c->done) {
        socket.close(ec);
        settle();
        throw ClientError("connecting to " + endpoint_text(host, port) + " timed out");
      }
      if (!c->ec) {
        socket.set_option(tcp::no_delay(true), ec);
        return;
      }
      last_error = c->ec.message();
    }
    throw ClientError("cannot connect to " + endpoint_text(host, port) + ": " + last_error);
  }

  // Runs handlers until `done` or the deadline (connect time only, before the client owns us).
  template <class Done>
  void run_until(Done done, Clock::time_point deadline) {
    while (!done() && Clock::now() < deadline) {
      if (io_.stopped()) io_.restart();
      if (io_.run_one_until(deadline) == 0 && io_.stopped()) break;
    }
  }

  // Lets cancelled handlers run (with operation_aborted) so none is left pending.
  void settle() {
    io_.restart();
    io_.poll();
  }

  // Connection is the Client's friend; the transports below reach it through these.
  void deliver_frame(std::string_view bytes) { client_.on_frame(bytes); }
  void deliver_closed(std::string reason) { client_.on_closed(std::move(reason)); }

  Client& client_;
  asio::io_context io_;  // declared before the derived classes' sockets: destroyed after them
};

namespace {

class TcpConnection final : public Connection {
 public:
  TcpConnection(Client& client, const std::string& host, uint16_t port, int rcvbuf,
                Clock::time_point deadline)
      : Connection(client), socket_(io_) {
    connect_socket(socket_, host, port, rcvbuf, deadline);
  }

  void async_read(std::function<void()> done) override {
    socket_.async_read_some(asio::buffer(chunk_), [this, done = std::move(done)](
                                                      const error_code& ec, size_t n) {
      if (ec) {
        if (ec != asio::error::operation_aborted) {
          deliver_closed(ec == asio::error::eof ? "eof" : ec.message());
        }
        done();
        return;
      }
      pending_.append(chunk_.data(), n);
      size_t at = 0;
      while (pending_.size() - at >= 4) {
        const auto* p = reinterpret_cast<const unsigned char*>(pending_.data() + at);
        const uint32_t len = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                             static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
        if (len > kMaxInboundFrame) {
          deliver_closed("inbound frame length " + std::to_string(len) + " is not plausible");
          close_now();
          done();
          return;
        }
        if (pending_.size() - at - 4 < len) break;
        deliver_frame(std::string_view(pending_).substr(at + 4, len));
        at += 4 + len;
      }
      pending_.erase(0, at);
      done();
    });
  }

  void async_send(std::shared_ptr<const std::string> bytes, bool raw,
                  std::shared_ptr<Completion> completion) override {
    auto framed = bytes;
    if (!raw) {
      auto out = std::make_shared<std::string>();
      const auto len = static_cast<uint32_t>(bytes->size());
      out->reserve(bytes->size() + 4);
      for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
      out->append(*bytes);
      framed = std::move(out);
    }
    asio::async_write(socket_, asio::buffer(*framed),
                      [framed, completion](const error_code& ec, size_t) {
                        completion->done = true;
                        completion->ec = ec;
                      });
  }

  void close_now() override {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  tcp::socket socket_;
  std::array<char, kReadChunk> chunk_{};
  std::string pending_;  // an incomplete trailing frame
};

class WsConnection final : public Connection {
 public:
  WsConnection(Client& client, const std::string& host, uint16_t port, int rcvbuf,
               Clock::time_point deadline)
      : Connection(client), ws_(io_) {
    connect_socket(ws_.next_layer(), host, port, rcvbuf, deadline);
    ws_.binary(true);
    ws_.read_message_max(kMaxInboundFrame);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "rookery-cpp-client");
    }));
    auto c = std::make_shared<Completion>();
    ws_.async_handshake(endpoint_text(host, port), "/", [c](const error_code& ec) {
      c->done = true;
      c->ec = ec;
    });
    run_until([&] { return c->done; }, deadline);
    if (!c->done) {
      close_now();
      settle();
      throw ClientError("websocket handshake with " + endpoint_text(host, port) + " timed out");
    }
    if (c->ec) {
      throw ClientError("websocket handshake with " + endpoint_text(host, port) +
                        " failed: " + c->ec.message());
    }
  }

  void async_read(std::function<void()> done) override {
    ws_.async_read(buffer_, [this, done = std::move(done)](const error_code& ec, size_t) {
      if (ec) {
        if (ec != asio::error::operation_aborted) {
          if (ec == websocket::error::closed) {
            deliver_closed("websocket close " + std::to_string(ws_.reason().code));
          } else {
            deliver_closed(ec == asio::error::eof ? "eof" : ec.message());
          }
        }
        done();
        return;
      }
      const auto data = buffer_.cdata();
      deliver_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
      buffer_.consume(buffer_.size());
      done();
    });
  }

  void async_send(std::shared_ptr<const std::string> bytes, bool /*raw*/,
                  std::shared_ptr<Completion> completion) override {
    // Beast allows one write at a time; the client waits for each send, so none overlap.
    ws_.async_write(asio::buffer(*bytes), [bytes, completion](const error_code& ec, size_t) {
      completion->done = true;
      completion->ec = ec;
    });
  }

  void close_now() override {
    error_code ec;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    ws_.next_layer().close(ec);
  }

 private:
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
};

}  // namespace

// --- Client ---

Client::Client(Options options) : options_(std::move(options)) {}

Client::~Client() {
  if (connection_) connection_->close_now();
}

std::unique_ptr<Client> Client::connect_tcp(const std::string& host, uint16_t port,
                                            Options options) {
  std::unique_ptr<Client> c(new Client(std::move(options)));
  c->connection_ = std::make_unique<TcpConnection>(*c, host, port, c->options_.rcvbuf_bytes,
                                                   Clock::now() + c->options_.timeout);
  c->host_ = host;
  c->port_ = port;
  return c;
}

std::unique_ptr<Client> Client::connect_ws(const std::string& host, uint16_t port,
                                           Options options) {
  std::unique_ptr<Client> c(new Client(std::move(options)));
  c->connection_ = std::make_unique<WsConnection>(*c, host, port, c->options_.rcvbuf_bytes,
                                                  Clock::now() + c->options_.timeout);
  c->ws_ = true;
  c->host_ = host;
  c->port_ = port;
  return c;
}

void Client::start_read() {
  read_pending_ = true;
  connection_->async_read([this] { read_pending_ = false; });
}

void Client::pump_until(const std::function<bool()>& done, Deadline deadline) {
  auto& io = connection_->io();
  const bool poll_only = Clock::now() >= deadline;
  while (!done()) {
    if (!closed_ && reading_ && !read_pending_) start_read();
    if (io.stopped()) io.restart();
    if (poll_only) {
      if (io.poll_one() == 0) return;
      continue;
    }
    if (Clock::now() >= deadline) return;
    if (io.run_one_until(deadline) == 0 && io.stopped()) return;  // nothing left to wait for
  }
}

void Client::on_frame(std::string_view bytes) {
  proto::Envelope env;
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    ++unparsed_frames_;
    return;
  }
  remember(env);
  inbox_.push_back(std::move(env));
}

void Client::on_closed(std::string reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = std::move(reason);
}

void Client::remember(const proto::Envelope& env) {
  switch (env.msg_case()) {
    case proto::Envelope::kLoginOk:
      player_id_ = env.login_ok().player_id();
      token_ = env.login_ok().session_token();
      break;
    case proto::Envelope::kJoined:
      room_id_ = env.joined().room().room_id();
      seat_ = env.joined().seat();
      break;
    case proto::Envelope::kLeft:
      if (env.left().room_id() == room_id_) room_id_ = 0;
      break;
    default:
      break;
  }
}

void Client::write(std::string bytes, bool raw, Deadline deadline) {
  if (dropped_) throw ClientError("send after drop()");
  auto completion = std::make_shared<Completion>();
  connection_->async_send(std::make_shared<const std::string>(std::move(bytes)), raw, completion);
  pump_until([&] { return completion->done; }, deadline);
  if (!completion->done) {
    drop();
    throw ClientError("send did not complete within the deadline (peer not reading?)");
  }
  if (completion->ec) throw ClientError("send failed: " + completion->ec.message());
}

void Client::send(const proto::Envelope& env) {
  write(env.SerializeAsString(), false, Clock::now() + options_.timeout);
}

void Client::send_raw(std::string_view bytes) {
  write(std::string(bytes), true, Clock::now() + options_.timeout);
}

std::optional<proto::Envelope> Client::receive(Duration timeout) {
  pump_until([&] { return !inbox_.empty() || closed_; }, Clock::now() + timeout);
  if (inbox_.empty()) return std::nullopt;
  proto::Envelope env = std::move(inbox_.front());
  inbox_.pop_front();
  return env;
}

std::optional<proto::Envelope> Client::wait_for(
    const std::function<bool(const proto::Envelope&)>& match, Duration timeout,
    Unmatched unmatched) {
  const Deadline deadline = Clock::now() + timeout;
  size_t scanned = 0;  // inbox entries already known not to match
  std::optional<proto::Envelope> found;
  const auto scan = [&] {
    for (; scanned < inbox_.size(); ++scanned) {
      if (!match(inbox_[scanned])) continue;
      found = std::move(inbox_[scanned]);
      if (unmatched == Unmatched::drop) {
        inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(scanned) + 1);
      } else {
        inbox_.erase(inbox_.begin() + static_cast<std::ptrdiff_t>(scanned));
      }
      return true;
    }
    if (unmatched == Unmatched::drop) {
      inbox_.clear();
      scanned = 0;
    }
    return closed_;
  };
  pump_until(scan, deadline);
  if (!found && unmatched == Unmatched::drop) inbox_.clear();
  return found;
}

size_t Client::drain(Duration duration) {
  size_t n = inbox_.size();
  inbox_.clear();
  const Deadline deadline = Clock::now() + duration;
  pump_until(
      [&] {
        n += inbox_.size();
        inbox_.clear();
        return closed_;
      },
      deadline);
  n += inbox_.size();
  inbox_.clear();
  return n;
}

bool Client::wait_closed(Duration timeout) {
  const bool was_reading = reading_;
  reading_ = true;
  drain(Duration(0));
  pump_until(
      [&] {
        inbox_.clear();
        return closed_;
      },
      Clock::now() + timeout);
  reading_ = was_reading;
  return closed_;
}

void Client::drop() {
  if (!connection_ || dropped_) return;
  dropped_ = true;
  connection_->close_now();
  on_closed("dropped by client");
  // Let the aborted handlers run now, so none fires later into a finished call.
  auto& io = connection_->io();
  io.restart();
  io.poll();
}

// --- request helpers ---

proto::Envelope Client::request(proto::Envelope env, Duration timeout) {
  const Deadline deadline = Clock::now() + timeout;
  const uint32_t rid = next_request_id();
  env.set_request_id(rid);
  const auto* field =
      proto::Envelope::descriptor()->FindFieldByNumber(static_cast<int>(env.msg_case()));
  const std::string what = field ? field->name() : "empty envelope";
  write(env.SerializeAsString(), false, deadline);
  auto reply = wait_for(
      [rid](const proto::Envelope& e) {
        if (e.request_id() == rid) return true;
        return e.request_id() == 0 && e.has_error() &&
               (e.error().fatal() || e.error().code() == proto::RATE_LIMITED);
      },
      std::max(Duration(0), std::chrono::duration_cast<Duration>(deadline - Clock::now())),
      Unmatched::keep);
  if (reply) return std::move(*reply);
  if (closed_) {
    throw ClientError("connection closed (" + close_reason_ + ") before the reply to " + what);
  }
  throw ClientError("no reply to " + what + " within " + std::to_string(timeout.count()) + " ms");
}

proto::Envelope Client::hello(uint32_t protocol_version) {
  proto::Envelope env;
  env.mutable_hello()->set_protocol_version(protocol_version);
  env.mutable_hello()->set_client(options_.client_name);
  return request(std::move(env), options_.timeout);
}

proto::Envelope Client::login_guest(const std::string& device_id, const std::string& display_name) {
  proto::Envelope env;
  env.mutable_login()->mutable_guest()->set_device_id(device_id);
  env.mutable_login()->set_display_name(display_name);
  return request(std::move(env), options_.timeout);
}

proto::Envelope Client::register_user(const std::string& username, const std::string& password) {
  proto::Envelope env;
  auto* p = env.mutable_login()->mutable_password();
  p->set_username(username);
  p->set_password(password);
  p->set_create(true);
  return request(std::move(env), options_.timeout);
}

proto::Envelope Client::login_user(const std::string& username, const std::string& password) {
  proto::Envelope env;
  auto* p = env.mutable_login()->mutable_password();
  p->set_username(username);
  p->set_password(password);
  return request(std::move(env), options_.timeout);
}

proto::Envelope Client::reconnect(const std::string& session_token) {
  proto::Envelope env;
  env.mutable_reconnect()->set_session_token(session_token);
  proto::Envelope reply = request(std::move(env), options_.timeout);
  if (reply.has_redirect() && options_.follow_redirects)
    return follow(reply.redirect(), session_token);
  return reply;
}

proto::Envelope Client::join_reply(proto::Envelope env) {
  proto::Envelope reply = request(std::move(env), options_.timeout);
  if (reply.has_redirect() && options_.follow_redirects) return follow(reply.redirect());
  return reply;
}

proto::Envelope Client::follow(const proto::Redirect& redirect, const std::string& session_token) {
  const std::string host = redirect.host().empty() ? host_ : redirect.host();
  const auto port = static_cast<uint16_t>(ws_ ? redirect.ws_port() : redirect.tcp_port());
  // Everything that belongs to the old connection, to put back if the new one fails.
  auto old = std::move(connection_);
  auto old_inbox = std::move(inbox_);
  inbox_.clear();
  const bool old_read_pending = read_pending_, old_closed = closed_;
  const std::string old_reason = close_reason_;
  const std::string old_host = host_;
  const uint16_t old_port = port_;
  auto restore = [&] {
    if (connection_) connection_->close_now();
    connection_ = std::move(old);
    inbox_ = std::move(old_inbox);
    read_pending_ = old_read_pending;
    closed_ = old_closed;
    close_reason_ = old_reason;
    host_ = old_host;
    port_ = old_port;
  };
  try {
    read_pending_ = false;
    closed_ = false;
    close_reason_.clear();
    const Deadline deadline = Clock::now() + options_.timeout;
    if (ws_) {
      connection_ =
          std::make_unique<WsConnection>(*this, host, port, options_.rcvbuf_bytes, deadline);
    } else {
      connection_ =
          std::make_unique<TcpConnection>(*this, host, port, options_.rcvbuf_bytes, deadline);
    }
    host_ = host;
    port_ = port;
    const proto::Envelope welcome = hello();
    if (!welcome.has_welcome()) {
      restore();
      return welcome;
    }
    proto::Envelope login;
    if (redirect.reconnect()) {
      login.mutable_reconnect()->set_session_token(session_token);
    } else {
      login.mutable_login()->set_ticket(redirect.ticket());
    }
    const proto::Envelope ok = request(login, options_.timeout);
    if (!ok.has_login_ok()) {
      restore();
      return ok;
    }
    if (redirect.reconnect()) {
      old->close_now();
      ++redirects_;
      return ok;  // a held seat's Joined follows with the same request id
    }
    // Joined follows LoginOk with the same request id (or an Error if the seat went away).
    const uint32_t rid = ok.request_id();
    auto joined = wait_for([rid](const proto::Envelope& e) { return e.request_id() == rid; },
                           options_.timeout, Unmatched::keep);
    if (!joined) throw ClientError("no Joined after the redirect's login (" + close_reason_ + ")");
    old->close_now();  // the server closes it anyway (KICKED: logged in on another node)
    ++redirects_;
    return *joined;
  } catch (const ClientError&) {
    restore();
    throw;
  }
}

proto::Envelope Client::join_or_create(const std::string& type) {
  proto::Envelope env;
  env.mutable_join_or_create()->set_type(type);
  return join_reply(std::move(env));
}

proto::Envelope Client::create_room(const std::string& type, const std::string& name,
                                    uint32_t max_players) {
  proto::Envelope env;
  auto* c = env.mutable_create_room();
  c->set_type(type);
  c->set_name(name);
  c->set_max_players(max_players);
  return join_reply(std::move(env));
}

proto::Envelope Client::join(uint64_t room_id) {
  proto::Envelope env;
  env.mutable_join_room()->set_room_id(room_id);
  return join_reply(std::move(env));
}

proto::Envelope Client::leave() {
  proto::Envelope env;
  env.mutable_leave();
  return request(std::move(env), options_.timeout);
}

proto::Envelope Client::list_rooms(const std::string& type, bool include_full,
                                   bool include_locked) {
  proto::Envelope env;
  auto* l = env.mutable_list_rooms();
  l->set_type(type);
  l->set_include_full(include_full);
  l->set_include_locked(include_locked);
  return request(std::move(env), options_.timeout);
}

proto::Envelope Client::ping(uint64_t client_time) {
  proto::Envelope env;
  env.mutable_ping()->set_client_time(client_time);
  return request(std::move(env), options_.timeout);
}

void Client::input(uint32_t seq, std::string_view payload) {
  proto::Envelope env;
  env.mutable_input()->set_seq(seq);
  env.mutable_input()->set_payload(std::string(payload));
  send(env);
}

proto::Envelope Client::input_acked(uint32_t seq, std::string_view payload) {
  const Deadline deadline = Clock::now() + options_.timeout;
  input(seq, payload);
  const uint32_t seat = seat_;
  auto reply = wait_for(
      [seat, seq](const proto::Envelope& e) {
        if (e.has_state()) {
          for (const auto& ack : e.state().acks()) {
            if (ack.seat() == seat && ack.seq() >= seq) return true;
          }
          return false;
        }
        if (!e.has_error() || e.request_id() != 0) return false;
        const auto code = e.error().code();
        return e.error().fatal() || code == proto::INVALID_INPUT || code == proto::NOT_IN_ROOM ||
               code == proto::RATE_LIMITED;
      },
      std::max(Duration(0), std::chrono::duration_cast<Duration>(deadline - Clock::now())),
      Unmatched::keep);
  if (reply) return std::move(*reply);
  if (closed_) throw ClientError("connection closed (" + close_reason_ + ") before the input ack");
  throw ClientError("input seq " + std::to_string(seq) + " not acked in time");
}

std::string describe(const proto::Envelope& env) {
  if (env.has_error()) {
    return "Error{" + proto::ErrorCode_Name(env.error().code()) +
           (env.error().fatal() ? ", fatal" : "") + ", request_id " +
           std::to_string(env.request_id()) + ": " + env.error().message() + "}";
  }
  std::string text = env.ShortDebugString();
  constexpr size_t kMax = 300;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

}  // namespace rookery::client
