// The relay game's input handling (any bytes in Input.payload, forwarded verbatim) through the
// rooms::Game seam; every delta must parse as a relay Frame holding only accepted inputs.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "game_driver.hpp"
#include "games/relay/relay_game.hpp"
#include "relay.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto game = rookery::fuzz::make_game("relay", 1);
  rookery::fuzz::drive_game(
      *game, data, size,
      [](const std::string& delta) {
        rookery::proto::relay::Frame frame;
        if (!frame.ParseFromString(delta)) std::abort();
        for (const auto& input : frame.inputs()) {
          if (input.data().size() > rookery::games::RelayGame::kMaxPayloadBytes) std::abort();
        }
      },
      [](const std::string& snapshot) {
        if (!snapshot.empty()) std::abort();  // the relay keeps no state
      });
  return 0;
}
