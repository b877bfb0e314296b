// SpellTraction's input decoding (a Move in Input.payload) and the rules it drives, through the
// rooms::Game seam; every encoded delta and snapshot must parse as a Frame. See README.md.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "game_driver.hpp"
#include "spelltraction.pb.h"

namespace {

// A state payload the server would send to every member: it must parse.
void check_frame(const std::string& bytes, bool full) {
  rookery::proto::spelltraction::Frame frame;
  if (!frame.ParseFromString(bytes)) std::abort();
  if (full && !frame.full()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t seed = 0;
  for (int i = 0; i < 8; ++i) seed = seed << 8 | data[i];
  auto game = rookery::fuzz::make_game("spelltraction", seed);
  rookery::fuzz::drive_game(
      *game, data + 8, size - 8, [](const std::string& d) { check_frame(d, false); },
      [](const std::string& s) { check_frame(s, true); });
  return 0;
}
