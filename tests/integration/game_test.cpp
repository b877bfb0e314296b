// Rooms and play: SpellTraction scoring, relay echo, the room list, reconnecting to a held seat.
#include "test_support.hpp"

namespace rookery::itest {
namespace {

class GameTest : public IntegrationTest {};

TEST_F(GameTest, TwoPlayersScoreASpellTractionLetter) {
  auto& server = start_server({"--spelltraction-hold-ms", "500"});
  auto a = guest(server, Via::tcp, "device-spell-aaaa");
  auto b = guest(server, Via::ws, "device-spell-bbbb");

  const Envelope ja = a->join_or_create("spelltraction");
  ASSERT_MSG(ja, Joined);
  EXPECT_EQ(ja.joined().room().type(), "spelltraction");
  const Envelope jb = b->join_or_create("spelltraction");
  ASSERT_MSG(jb, Joined);
  ASSERT_EQ(jb.joined().room().room_id(), ja.joined().room().room_id());
  ASSERT_NE(jb.joined().seat(), ja.joined().seat());
  EXPECT_EQ(jb.joined().members_size(), 2);

  // The first player hears about the second.
  ASSERT_TRUE(a->wait_for(is_player_joined(b->player_id()), kWait, Unmatched::keep));

  SpellModel model;
  ASSERT_TRUE(model.apply(jb.joined().snapshot()));
  ASSERT_EQ(model.board.size(), 12u);
  ASSERT_EQ(model.letters.size(), 2u);
  EXPECT_EQ(model.letters[ja.joined().seat()].size(), 3u);

  const ScoredResult r = play_until_scored(*a, *b, model, kLongWait);
  ASSERT_GE(r.cell, 0);
  EXPECT_EQ(r.after.attractor_cell, r.cell) << "the attractor did not reach the scored cell";
  ASSERT_GT(r.scored.seats_size(), 0);
  EXPECT_EQ(r.scored.letter().size(), 1u);
  for (const uint32_t seat : r.scored.seats()) {
    EXPECT_EQ(r.after.scores.at(seat), r.before.scores.at(seat) + 1) << "seat " << seat;
  }
  EXPECT_NE(r.after.board[static_cast<size_t>(r.cell)], r.scored.letter()[0])
      << "the scored letter was not replaced on the board";
}

TEST_F(GameTest, RelayEchoesInputsToAllMembersWithAcks) {
  auto& server = start_server();
  auto a = guest(server, Via::tcp, "device-relay-aaaa");
  auto b = guest(server, Via::ws, "device-relay-bbbb");
  const Envelope ja = a->join_or_create("relay");
  ASSERT_MSG(ja, Joined);
  const Envelope jb = b->join_or_create("relay");
  ASSERT_MSG(jb, Joined);
  ASSERT_EQ(ja.joined().room().room_id(), jb.joined().room().room_id());

  const Envelope acked = a->input_acked(1, "hello from a");
  ASSERT_MSG(acked, State);
  const auto seen = b->wait_for(is_relayed("hello from a"), kWait);
  ASSERT_TRUE(seen.has_value()) << "b never saw a's input";
  const Envelope& seen_by_b = *seen;
  proto::relay::Frame frame;
  ASSERT_TRUE(frame.ParseFromString(seen_by_b.state().payload()));
  bool found = false;
  for (const auto& in : frame.inputs()) {
    if (in.data() != "hello from a") continue;
    found = true;
    EXPECT_EQ(in.seat(), ja.joined().seat());
    EXPECT_EQ(in.seq(), 1u);
  }
  EXPECT_TRUE(found);
  bool ack_for_a = false;
  for (const auto& ack : seen_by_b.state().acks()) {
    ack_for_a = ack_for_a || (ack.seat() == ja.joined().seat() && ack.seq() == 1);
  }
  EXPECT_TRUE(ack_for_a) << describe(seen_by_b);

  // And the other way round, with a binary payload.
  const std::string binary("\x00\x01\xff\xfe", 4);
  ASSERT_MSG(b->input_acked(9, binary), State);
  ASSERT_TRUE(a->wait_for(is_relayed(binary), kWait));

  // An input over the relay's 4 KiB limit is refused, and the member stays.
  ASSERT_ERROR(a->input_acked(2, std::string(5000, 'x')), INVALID_INPUT);
  ASSERT_MSG(a->input_acked(3, "still here"), State);
}

TEST_F(GameTest, RoomListShowsOpenRoomsAndHidesFullOnes) {
  auto& server = start_server();
  auto a = guest(server, Via::tcp, "device-list-aaaa");
  auto b = guest(server, Via::tcp, "device-list-bbbb");
  auto c = guest(server, Via::ws, "device-list-cccc");

  const Envelope created = a->create_room("relay", "duel room", 2);
  ASSERT_MSG(created, Joined);
  const uint64_t room = created.joined().room().room_id();
  EXPECT_EQ(created.joined().room().name(), "duel room");
  EXPECT_EQ(created.joined().room().max_players(), 2u);

  const auto find = [room](const Envelope& list) -> const proto::RoomInfo* {
    for (const auto& r : list.room_list().rooms()) {
      if (r.room_id() == room) return &r;
    }
    return nullptr;
  };
  const Envelope open = b->list_rooms("relay");
  ASSERT_MSG(open, RoomList);
  const proto::RoomInfo* info = find(open);
  ASSERT_NE(info, nullptr) << describe(open);
  EXPECT_EQ(info->name(), "duel room");
  EXPECT_EQ(info->type(), "relay");
  EXPECT_EQ(info->members(), 1u);
  EXPECT_EQ(info->max_players(), 2u);
  EXPECT_EQ(info->state(), proto::OPEN);
  // The type filter applies.
  const Envelope other_type = b->list_rooms("spelltraction");
  ASSERT_MSG(other_type, RoomList);
  EXPECT_EQ(find(other_type), nullptr);

  ASSERT_MSG(b->join(room), Joined);
  const Envelope full = c->list_rooms("relay");
  ASSERT_MSG(full, RoomList);
  EXPECT_EQ(find(full), nullptr) << "a full room is listed: " << describe(full);
  const Envelope with_full = c->list_rooms("relay", /*include_full=*/true);
  ASSERT_MSG(with_full, RoomList);
  ASSERT_NE(find(with_full), nullptr) << describe(with_full);
  EXPECT_EQ(find(with_full)->members(), 2u);
  ASSERT_ERROR(c->join(room), ROOM_FULL);

  // A seat frees up when a member leaves; the room is listed again.
  const Envelope left = b->leave();
  ASSERT_MSG(left, Left);
  EXPECT_EQ(left.left().reason(), "left");
  ASSERT_NE(find(c->list_rooms("relay")), nullptr);
  ASSERT_MSG(c->join(room), Joined);
}

TEST_F(GameTest, RoomRequestErrors) {
  auto& server = start_server();
  auto a = guest(server, Via::tcp, "device-errs-aaaa");
  ASSERT_ERROR(a->input_acked(1, "nowhere"), NOT_IN_ROOM);
  ASSERT_ERROR(a->join(999999), ROOM_NOT_FOUND);
  ASSERT_ERROR(a->create_room("chess"), UNKNOWN_ROOM_TYPE);
  ASSERT_ERROR(a->join_or_create("chess"), UNKNOWN_ROOM_TYPE);
  ASSERT_ERROR(a->leave(), NOT_IN_ROOM);
  ASSERT_MSG(a->join_or_create("relay"), Joined);
  ASSERT_ERROR(a->join_or_create("relay"), ALREADY_IN_ROOM);
  ASSERT_MSG(a->leave(), Left);
  ASSERT_MSG(a->join_or_create("relay"), Joined);
}

TEST_F(GameTest, NewerLoginTakesOverTheSeat) {
  auto& server = start_server();
  auto old_conn = guest(server, Via::tcp, "device-takeover-1");
  auto other = guest(server, Via::tcp, "device-takeover-2");
  const Envelope joined = old_conn->join_or_create("relay");
  ASSERT_MSG(joined, Joined);
  ASSERT_MSG(other->join_or_create("relay"), Joined);

  auto new_conn = connect(server, Via::ws);
  ASSERT_MSG(new_conn->hello(), Welcome);
  const Envelope ok = new_conn->login_guest("device-takeover-1");
  ASSERT_MSG(ok, LoginOk);
  EXPECT_FALSE(ok.login_ok().resumed());
  const auto seat = new_conn->wait_for([](const Envelope& e) { return e.has_joined(); }, kWait);
  ASSERT_TRUE(seat.has_value()) << "the new login did not get the held seat back";
  EXPECT_EQ(seat->joined().seat(), joined.joined().seat());
  EXPECT_EQ(seat->joined().room().room_id(), joined.joined().room().room_id());
  ASSERT_TRUE(old_conn->wait_for(is_error(proto::KICKED), kWait, Unmatched::keep));
  EXPECT_TRUE(old_conn->wait_closed(kWait));
  ASSERT_MSG(new_conn->input_acked(1, "took over"), State);
  ASSERT_TRUE(other->wait_for(is_relayed("took over"), kWait));
}

class ReconnectTest : public IntegrationTest, public ::testing::WithParamInterface<Via> {};

TEST_P(ReconnectTest, ReconnectWithinGraceKeepsTheSeat) {
  auto& server = start_server();
  auto a = guest(server, GetParam(), "device-recon-aaaa");
  auto b = guest(server, Via::tcp, "device-recon-bbbb");
  const Envelope ja = a->join_or_create("relay");
  ASSERT_MSG(ja, Joined);
  ASSERT_MSG(b->join_or_create("relay"), Joined);
  const uint64_t a_player = a->player_id();
  const std::string token = a->token();
  ASSERT_FALSE(token.empty());

  a->drop();
  const auto gone = b->wait_for(is_player_left(a_player, "disconnected"), kWait, Unmatched::keep);
  ASSERT_TRUE(gone.has_value()) << "b did not see a disconnect";
  EXPECT_EQ(gone->event().player_left().seat(), ja.joined().seat());

  auto again = connect(server, GetParam());
  ASSERT_MSG(again->hello(), Welcome);
  const Envelope resumed = again->reconnect(token);
  ASSERT_MSG(resumed, LoginOk);
  EXPECT_TRUE(resumed.login_ok().resumed());
  EXPECT_EQ(resumed.login_ok().player_id(), a_player);
  EXPECT_NE(resumed.login_ok().session_token(), token) << "tokens are single-use";
  const auto joined = again->wait_for([](const Envelope& e) { return e.has_joined(); }, kWait);
  ASSERT_TRUE(joined.has_value()) << "no Joined after the reconnect";
  EXPECT_EQ(joined->joined().seat(), ja.joined().seat());
  EXPECT_EQ(joined->joined().room().room_id(), ja.joined().room().room_id());
  EXPECT_EQ(joined->request_id(), resumed.request_id());

  ASSERT_TRUE(b->wait_for(is_player_reconnected(a_player), kWait, Unmatched::keep))
      << "b did not see the reconnect";
  // The held seat works: inputs from the new connection are relayed under the old seat.
  ASSERT_MSG(again->input_acked(1, "back again"), State);
  const auto relayed = b->wait_for(is_relayed("back again"), kWait);
  ASSERT_TRUE(relayed.has_value());
  // The old token is spent.
  auto thief = connect(server, Via::tcp);
  ASSERT_MSG(thief->hello(), Welcome);
  ASSERT_ERROR(thief->reconnect(token), RECONNECT_EXPIRED);
}

TEST_P(ReconnectTest, TokenIsRefusedAfterTheGraceWindow) {
  auto& server = start_server({"--reconnect-grace-ms", "1000"});
  auto a = guest(server, GetParam(), "device-grace-aaaa");
  auto b = guest(server, Via::tcp, "device-grace-bbbb");
  ASSERT_MSG(a->join_or_create("relay"), Joined);
  ASSERT_MSG(b->join_or_create("relay"), Joined);
  const uint64_t a_player = a->player_id();
  const std::string token = a->token();

  a->drop();
  ASSERT_TRUE(b->wait_for(is_player_left(a_player, "disconnected"), kWait, Unmatched::keep));
  // The room releases the held seat when the grace runs out.
  ASSERT_TRUE(b->wait_for(is_player_left(a_player, "timeout"), kWait, Unmatched::keep))
      << "the held seat was never released";
  std::this_thread::sleep_for(100ms);

  auto again = connect(server, GetParam());
  ASSERT_MSG(again->hello(), Welcome);
  const Envelope refused = again->reconnect(token);
  ASSERT_ERROR(refused, RECONNECT_EXPIRED);
  EXPECT_FALSE(refused.error().fatal());
  // Logging in again works, and the player is no longer seated.
  ASSERT_MSG(again->login_guest("device-grace-aaaa"), LoginOk);
  EXPECT_EQ(again->player_id(), a_player);
  ASSERT_MSG(again->join_or_create("relay"), Joined);
}

INSTANTIATE_TEST_SUITE_P(Transports, ReconnectTest, ::testing::Values(Via::tcp, Via::ws),
                         via_param_name);

}  // namespace
}  // namespace rookery::itest
