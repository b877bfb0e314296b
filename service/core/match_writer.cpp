#include "core/match_writer.hpp"

#include <memory>

namespace rookery::core {

MatchWriter::MatchWriter(store::PlayerStore& store,
                         std::function<void(store::Status, size_t)> on_failure)
    : store_(store), on_failure_(std::move(on_failure)) {}

void MatchWriter::add(std::vector<store::MatchResult> results) {
  if (results.empty()) return;
  std::unique_lock lock(mu_);
  waiting_.insert(waiting_.end(), std::make_move_iterator(results.begin()),
                  std::make_move_iterator(results.end()));
  if (in_flight_ == 0 && !retry_due_) send_locked(lock);
}

void MatchWriter::retry() {
  std::unique_lock lock(mu_);
  retry_due_ = false;
  if (in_flight_ == 0 && !waiting_.empty()) send_locked(lock);
}

void MatchWriter::send_locked(std::unique_lock<std::mutex>& lock) {
  std::vector<store::MatchResult> batch;
  batch.swap(waiting_);
  in_flight_ = batch.size();
  // The batch is kept for the answer: an overloaded store wrote nothing, so it goes back.
  auto kept = std::make_shared<std::vector<store::MatchResult>>(batch);
  lock.unlock();  // the store may answer on this thread (a rejected call)
  store_.record_matches(std::move(batch),
                        [this, kept](store::Status status) { answered(status, std::move(*kept)); });
  lock.lock();
}

void MatchWriter::answered(store::Status status, std::vector<store::MatchResult> batch) {
  std::unique_lock lock(mu_);
  in_flight_ = 0;
  if (status == store::Status::overloaded) {
    // Nothing was written: back in front of what came since, in order, until retry().
    batch.insert(batch.end(), std::make_move_iterator(waiting_.begin()),
                 std::make_move_iterator(waiting_.end()));
    waiting_ = std::move(batch);
    retry_due_ = true;
  } else {
    if (status != store::Status::ok) {
      const size_t lost = batch.size();
      lock.unlock();
      on_failure_(status, lost);
      lock.lock();
    }
    if (!waiting_.empty() && in_flight_ == 0) send_locked(lock);
  }
  settled_.notify_all();
}

bool MatchWriter::flush(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  while (in_flight_ != 0 || !waiting_.empty()) {
    if (in_flight_ == 0) {  // refused before: at shutdown, try again now
      retry_due_ = false;
      send_locked(lock);
      continue;
    }
    if (settled_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return in_flight_ == 0 && waiting_.empty();
    }
  }
  return true;
}

size_t MatchWriter::pending() const {
  std::lock_guard lock(mu_);
  return waiting_.size() + in_flight_;
}

}  // namespace rookery::core
