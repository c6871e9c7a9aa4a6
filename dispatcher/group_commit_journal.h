// GroupCommitJournal makes commands durable in batches: one writer thread
// takes everything queued since its last commit and writes it in one
// transaction, so one fsync covers many commands from many halls.
//
//   GroupCommitJournal journal(store.get());
//   journal.Append(std::move(record), std::nullopt, [](absl::Status durable) {
//     // Runs on the writer thread once the record is on disk (or failed).
//   }, journal.generation());
//
// After a failed write every Append fails with UNAVAILABLE, so nothing that
// is not durable is ever acknowledged. The failure is final, unless the store
// can resume (JournalStore::CanResume: a connection to PostgreSQL lost, its
// primary killed): then the writer tries JournalStore::Resume every
// kResumeEvery and writes resume once it succeeds (the store reachable again,
// a standby promoted). Every failure starts a new generation, and an Append
// of an older one is refused: a hall reads its state back from the store
// (what the failed commit did is unknown) before it writes again.
// A commit the store refuses for some halls only (RefusedHalls: another node
// took them) fails those halls' entries (UNAVAILABLE: not written, retry at
// the owner) and commits the rest; the journal stays healthy.
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
#include "absl/time/time.h"
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
    uint64_t resumes = 0;  // Failures the store came back from.
  };

  explicit GroupCommitJournal(JournalStore* store);
  // Commits what is queued, then stops the writer.
  ~GroupCommitJournal();

  // How often a store that can resume is asked to, while it cannot.
  static constexpr absl::Duration kResumeEvery = absl::Milliseconds(200);

  // `generation`: the generation() the caller's state matches the store at;
  // refused (UNAVAILABLE) when a failure came since.
  void Append(JournalRecord record, std::optional<SnapshotRecord> snapshot,
              Done done, uint64_t generation);
  // Queues a snapshot on its own, behind the records already appended.
  void AppendSnapshot(SnapshotRecord snapshot, Done done, uint64_t generation);
  // OK while the journal writes; the failure after a write failed, until the
  // store resumed (if it can).
  absl::Status health() const;
  // Goes up by one at every failed write.
  uint64_t generation() const { return generation_.load(); }
  // True while a failure waits for the store to resume; false when it is
  // final (or there is none).
  bool resuming() const;
  // The store it writes to, for reading what is durable.
  JournalStore* store() const { return store_; }
  Stats stats() const;

 private:
  struct Pending {
    std::optional<JournalRecord> record;
    std::optional<SnapshotRecord> snapshot;
    Done done;
    uint64_t generation = 0;
  };
  // Queues `pending`, or fails it at once after a write failure.
  void Enqueue(Pending pending);
  void Run();
  // While the store is unreachable: fails `batch`, and asks the store to
  // resume once.
  void TryResume(std::vector<Pending>& batch);
  // Records a failed commit; the status its batch is answered with.
  absl::Status Failed(const absl::Status& status);
  // What wakes the writer.
  bool HasWorkOrStops() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  JournalStore* store_;
  mutable absl::Mutex mu_;
  std::vector<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  bool resuming_ ABSL_GUARDED_BY(mu_) = false;
  // Written under mu_.
  std::atomic<uint64_t> generation_{0};
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread writer_;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_GROUP_COMMIT_JOURNAL_H_
