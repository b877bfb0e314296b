// The config file parser (config/config.cpp) through its public entry, config::parse with
// --config naming a file that holds the input. Bad input must be a ConfigError (the server
// names the key and stops); any other exception or a crash is a defect. A file that parses is
// dumped (the config file format) and parsed again, and must give the same configuration.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "store/store_fixtures.hpp"

namespace {

// Parses `text` as the config file, no environment and no other flags.
rookery::config::Config parse_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return rookery::config::parse({"rookery", "--config", path}, {}).config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* dir = new rookery::store::testing_support::TempDir("rookery-fuzz-config");
  static const std::string path = dir->path("rookery.conf");
  rookery::config::Config config;
  try {
    config = parse_file(path, std::string(reinterpret_cast<const char*>(data), size));
  } catch (const rookery::config::ConfigError&) {
    return 0;  // refused, with the key named: what bad input should get
  }
  const std::string dumped = rookery::config::dump(config);
  if (parse_file(path, dumped) != config) std::abort();
  return 0;
}
