// Secrets for tokens: bytes from the kernel's CSPRNG, rendered as lowercase hex.
#pragma once

#include <cstddef>
#include <string>

namespace rookery {

/// 32 lowercase hex characters (128 random bits) from getrandom(2); throws std::runtime_error
/// if the kernel cannot provide them.
std::string random_hex_token();

/// `n` bytes as 2n lowercase hex characters.
std::string to_hex(const unsigned char* bytes, size_t n);

}  // namespace rookery
