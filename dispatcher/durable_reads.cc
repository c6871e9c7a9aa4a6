#include "dispatcher/durable_reads.h"

#include <algorithm>
#include <vector>

namespace qcall {

void DurableReads::AnswerWhenDurable(uint64_t seen,
                                     DurableReads::Answer answer) {
  absl::Status now;
  {
    absl::MutexLock lock(&mu_);
    if (seen > durable_) {
      if (failure_.ok()) {
        waiting_.emplace_back(seen, std::move(answer));
        return;
      }
      now = failure_;
    }
  }
  answer(now);
}

void DurableReads::Durable(uint64_t index) {
  std::vector<DurableReads::Answer> ready;
  {
    absl::MutexLock lock(&mu_);
    durable_ = std::max(durable_, index);
    while (!waiting_.empty() && waiting_.front().first <= durable_) {
      ready.push_back(std::move(waiting_.front().second));
      waiting_.pop_front();
    }
  }
  for (DurableReads::Answer& answer : ready) answer(absl::OkStatus());
}

void DurableReads::Failed(const absl::Status& failure) {
  std::deque<std::pair<uint64_t, DurableReads::Answer>> failed;
  {
    absl::MutexLock lock(&mu_);
    if (failure_.ok()) failure_ = failure;
    failed.swap(waiting_);
  }
  for (auto& [seen, answer] : failed) answer(failure);
}

void DurableReads::Resume(uint64_t durable) {
  absl::MutexLock lock(&mu_);
  failure_ = absl::OkStatus();
  durable_ = durable;
}

uint64_t DurableReads::durable() const {
  absl::MutexLock lock(&mu_);
  return durable_;
}

}  // namespace qcall
