// RequestMemory keeps a hall's last request ids with the first reply to
// each, so that a retry (a kiosk that lost the answer, a client that timed
// out) gets that reply instead of acting twice: also across a restart (the
// journal keeps the replies), and also while the first is still being
// committed (the retry then waits for the same commit). Used on the hall's
// strand; Settle runs on the journal's writer.
//
//   if (memory.Answer(request_id, fingerprint, reply)) return;  // A retry.
//   ... apply, journal ...
//   auto pending = memory.Remember(request_id, fingerprint, result);
//   // Once the commit is known:
//   RequestMemory::Settle(pending, durable_status, result);
#ifndef QCALL_DISPATCHER_REQUEST_MEMORY_H_
#define QCALL_DISPATCHER_REQUEST_MEMORY_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "qcall/v1/api.pb.h"

namespace qcall {

class RequestMemory {
 public:
  using Reply = std::function<void(absl::Status, const v1::CommandReply&)>;
  // Whether a remembered command is on disk yet.
  class Pending;

  // Remembers the last `kept` ids; the oldest are forgotten first.
  explicit RequestMemory(size_t kept) : kept_(kept) {}

  // When `request_id` was seen: takes `reply` and answers it (now, or once
  // the first command is durable), and returns true. A different command under
  // the same id is answered INVALID_ARGUMENT. False for an id not remembered:
  // the caller applies the command.
  bool Answer(const std::string& request_id, const std::string& fingerprint,
              Reply& reply);

  // Remembers a command that succeeded live; settle the result with Settle
  // once its commit is known.
  std::shared_ptr<Pending> Remember(const std::string& request_id,
                                    std::string fingerprint,
                                    const v1::CommandReply& reply);
  // Remembers a command that is durable already (replayed from the journal).
  void RememberDurable(const std::string& request_id, std::string fingerprint,
                       const v1::CommandReply& reply);

  // Answers the retries that waited for `pending`, with `durable` (the
  // commit's status) and the first reply.
  static void Settle(const std::shared_ptr<Pending>& pending,
                     const absl::Status& durable,
                     const v1::CommandReply& reply);

  // Forgets the commands whose commit failed, so that their retries are
  // applied afresh: after the journal resumed and the hall was read back
  // from the store (those that landed are remembered again from there).
  void ForgetFailed();

  size_t size() const { return remembered_.size(); }

 private:
  struct Remembered {
    std::string fingerprint;
    v1::CommandReply reply;
    std::shared_ptr<Pending> pending;  // Null: durable.
  };
  void Keep(const std::string& request_id, Remembered remembered);

  const size_t kept_;
  absl::flat_hash_map<std::string, Remembered> remembered_;
  std::deque<std::string> order_;
};

class RequestMemory::Pending {
 private:
  friend class RequestMemory;
  absl::Mutex mu_;
  std::optional<absl::Status> settled_ ABSL_GUARDED_BY(mu_);
  std::vector<Reply> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_REQUEST_MEMORY_H_
