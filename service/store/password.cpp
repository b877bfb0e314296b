#include "store/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace rookery::store::password {

void ensure_sodium() {
  // A function-local static runs sodium_init() exactly once, even with racing callers.
  static const int result = sodium_init();
  if (result < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hash(std::string_view password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimitBytes) != 0) {
    throw std::runtime_error("password hashing failed: out of memory");
  }
  return std::string(out);
}

bool verify(const std::string& encoded, std::string_view password) {
  ensure_sodium();
  // libsodium reads `encoded` as a C string of at most STRBYTES; anything longer is not ours.
  if (encoded.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

}  // namespace rookery::store::password
