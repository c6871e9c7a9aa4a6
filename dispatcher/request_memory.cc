#include "dispatcher/request_memory.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace qcall {

bool RequestMemory::Answer(const std::string& request_id,
                           const std::string& fingerprint, Reply& reply) {
  auto it = remembered_.find(request_id);
  if (it == remembered_.end()) return false;
  const Remembered& first = it->second;
  if (first.fingerprint != fingerprint) {
    reply(absl::InvalidArgumentError(
              absl::StrCat("request_id ", request_id,
                           " was already used for a different request")),
          {});
    return true;
  }
  absl::Status settled;
  if (first.pending != nullptr) {
    absl::MutexLock lock(&first.pending->mu_);
    if (!first.pending->settled_) {
      first.pending->waiting_.push_back(std::move(reply));
      return true;
    }
    settled = *first.pending->settled_;
  }
  reply(settled, first.reply);
  return true;
}

std::shared_ptr<RequestMemory::Pending> RequestMemory::Remember(
    const std::string& request_id, std::string fingerprint,
    const v1::CommandReply& reply) {
  auto pending = std::make_shared<Pending>();
  Keep(request_id, {std::move(fingerprint), reply, pending});
  return pending;
}

void RequestMemory::RememberDurable(const std::string& request_id,
                                    std::string fingerprint,
                                    const v1::CommandReply& reply) {
  Keep(request_id, {std::move(fingerprint), reply, nullptr});
}

void RequestMemory::Keep(const std::string& request_id, Remembered remembered) {
  remembered_[request_id] = std::move(remembered);
  order_.push_back(request_id);
  if (order_.size() > kept_) {
    // A retry still waiting on a forgotten entry keeps its Pending alive and
    // is answered by the journal's writer all the same.
    remembered_.erase(order_.front());
    order_.pop_front();
  }
}

void RequestMemory::ForgetFailed() {
  absl::erase_if(remembered_, [](const auto& entry) {
    const std::shared_ptr<Pending>& pending = entry.second.pending;
    if (pending == nullptr) return false;
    absl::MutexLock lock(&pending->mu_);
    return pending->settled_.has_value() && !pending->settled_->ok();
  });
}

void RequestMemory::Settle(const std::shared_ptr<Pending>& pending,
                           const absl::Status& durable,
                           const v1::CommandReply& reply) {
  std::vector<Reply> waiting;
  {
    absl::MutexLock lock(&pending->mu_);
    pending->settled_ = durable;
    waiting.swap(pending->waiting_);
  }
  for (Reply& r : waiting) r(durable, reply);
}

}  // namespace qcall
