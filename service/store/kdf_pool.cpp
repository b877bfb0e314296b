#include "store/kdf_pool.hpp"

#include <exception>
#include <memory>
#include <utility>

#include "base/log.hpp"
#include "store/password.hpp"

namespace rookery::store {

KdfPool::KdfPool(const void* owner, uint32_t threads, size_t queue_max, Refuse refuse)
    : refuse_(std::move(refuse)), pool_(owner, "store-kdf", queue_max) {
  password::ensure_sodium();
  pool_.start(threads);
  // Made now: built on first use, it would make the first unknown-user login slower than a
  // real one.
  pool_.post([this] { dummy_hash(); });
}

const std::string& KdfPool::dummy_hash() {
  std::call_once(dummy_once_, [this] { dummy_ = password::hash("rookery-timing-equaliser"); });
  return dummy_;
}

void KdfPool::hash(std::string secret, std::function<void(Status, std::string)> next,
                   PlayerStore::StillWanted wanted) {
  // Shared, so a refused task can still answer through `refuse_`.
  auto answer = std::make_shared<std::function<void(Status, std::string)>>(std::move(next));
  const bool queued = pool_.post([secret = std::move(secret), answer, wanted = std::move(wanted)] {
    // A client that left while this waited costs no hash (a login flood that disconnects at
    // once would otherwise keep the pool busy for nobody).
    if (wanted && !wanted()) {
      (*answer)(Status::abandoned, {});
      return;
    }
    std::string hash;
    try {
      hash = password::hash(secret);
    } catch (const std::exception& e) {
      log::error("store: password hashing failed", {{"error", e.what()}});
      (*answer)(Status::failed, {});
      return;
    }
    (*answer)(Status::ok, std::move(hash));
  });
  if (!queued) refuse_([answer] { (*answer)(Status::overloaded, {}); });
}

void KdfPool::verify(bool found, std::string hash, std::string secret,
                     std::function<void(Status)> next, PlayerStore::StillWanted wanted) {
  auto answer = std::make_shared<std::function<void(Status)>>(std::move(next));
  const bool queued = pool_.post([this, found, hash = std::move(hash), secret = std::move(secret),
                                  answer, wanted = std::move(wanted)] {
    if (wanted && !wanted()) {
      (*answer)(Status::abandoned);
      return;
    }
    bool match = false;
    try {
      match = password::verify(found ? hash : dummy_hash(), secret) && found;
    } catch (const std::exception& e) {
      log::error("store: password verify failed", {{"error", e.what()}});
      (*answer)(Status::failed);
      return;
    }
    (*answer)(match ? Status::ok : Status::bad_credentials);
  });
  if (!queued) refuse_([answer] { (*answer)(Status::overloaded); });
}

}  // namespace rookery::store
