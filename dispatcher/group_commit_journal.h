// GroupCommitJournal makes commands durable in batches: one writer thread
// takes everything queued since its last commit and writes it in one
// transaction, so one fsync covers many commands from many halls.
//
//   GroupCommitJournal journal(store.get());
//   journal.Append(std::move(record), std::nullopt, [](absl::Status durable) {
//     // Runs on the writer thread once the record is on disk (or failed).
//   });
//
// A failed write is final: every later Append fails with UNAVAILABLE, so
// nothing that is not durable is ever acknowledged. A commit the store
// refuses for some halls only (RefusedHalls: another node took them) fails
// those halls' entries (UNAVAILABLE: not written, retry at the owner) and
// commits the rest; the journal stays healthy.
#ifndef QCALL_DISPATCHER_GROUP_COMMIT_JOURNAL_H_
#define QCALL_DISPATCHER_GROUP_COMMIT_JOURNAL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/journal_store.h"

namespace qcall {

class GroupCommitJournal {
 public:
  using Done = std::function<void(absl::Status)>;

  struct Stats {
    uint64_t batches = 0;
    uint64_t records = 0;
    uint64_t commit_micros_total = 0;
    uint64_t last_batch_size = 0;
  };

  explicit GroupCommitJournal(JournalStore* store);
  // Commits what is queued, then stops the writer.
  ~GroupCommitJournal();

  void Append(JournalRecord record, std::optional<SnapshotRecord> snapshot,
              Done done);
  // Queues a snapshot on its own, behind the records already appended.
  void AppendSnapshot(SnapshotRecord snapshot, Done done);
  // OK until a write failed; then the failure.
  absl::Status health() const;
  // The store it writes to, for reading what is durable.
  JournalStore* store() const { return store_; }
  Stats stats() const;

 private:
  struct Pending {
    std::optional<JournalRecord> record;
    std::optional<SnapshotRecord> snapshot;
    Done done;
  };
  // Queues `pending`, or fails it at once after a write failure.
  void Enqueue(Pending pending);
  void Run();
  // What wakes the writer.
  bool HasWorkOrStops() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  JournalStore* store_;
  mutable absl::Mutex mu_;
  std::vector<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread writer_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_GROUP_COMMIT_JOURNAL_H_
