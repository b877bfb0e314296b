// Password hashing for player accounts: Argon2id through libsodium's crypto_pwhash_str, which
// stores algorithm, cost, salt and hash in one self-describing string ("$argon2id$v=19$...").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rookery::store::password {

// OWASP's Password Storage Cheat Sheet lists Argon2id with m=19 MiB, t=2, p=1 as its baseline:
// memory-hard enough to make GPU guessing costly, yet ~tens of ms per hash, so a login burst
// does not need a big KDF pool. libsodium always uses p=1. Raising these later is safe: the cost
// is stored in each hash, so old hashes still verify.
inline constexpr unsigned long long kOpsLimit = 2;
inline constexpr size_t kMemLimitBytes = size_t{19} * 1024 * 1024;

/// Initialises libsodium once per process; thread-safe. Throws std::runtime_error if it can't.
void ensure_sodium();

/// Returns the encoded Argon2id hash of `password` with a fresh random salt. Slow by design
/// (run it off latency-critical threads); throws std::runtime_error if memory runs out.
std::string hash(std::string_view password);

/// True if `password` matches `encoded` (as made by hash()); false on mismatch or a malformed
/// hash. Takes as long as hash() with the cost stored in `encoded`.
bool verify(const std::string& encoded, std::string_view password);

}  // namespace rookery::store::password
