#include "dispatcher/group_commit_journal.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace qcall {

GroupCommitJournal::GroupCommitJournal(JournalStore* store)
    : store_(store), writer_([this] { Run(); }) {}

GroupCommitJournal::~GroupCommitJournal() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
}

void GroupCommitJournal::Append(JournalRecord record,
                                std::optional<SnapshotRecord> snapshot,
                                Done done) {
  Enqueue({std::move(record), std::move(snapshot), std::move(done)});
}

void GroupCommitJournal::AppendSnapshot(SnapshotRecord snapshot, Done done) {
  Enqueue({std::nullopt, std::move(snapshot), std::move(done)});
}

void GroupCommitJournal::Enqueue(Pending pending) {
  absl::Status failure;
  {
    absl::MutexLock lock(&mu_);
    failure = failure_;
    if (failure.ok()) queue_.push_back(std::move(pending));
  }
  if (!failure.ok()) pending.done(failure);
}

absl::Status GroupCommitJournal::health() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

GroupCommitJournal::Stats GroupCommitJournal::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void GroupCommitJournal::Run() {
  std::vector<Pending> batch;
  std::vector<JournalRecord> records;
  std::vector<SnapshotRecord> snapshots;
  while (true) {
    {
      absl::MutexLock lock(
          &mu_, absl::Condition(this, &GroupCommitJournal::HasWorkOrStops));
      if (queue_.empty()) return;  // Stopping with nothing left.
      batch.swap(queue_);
    }
    records.clear();
    snapshots.clear();
    for (Pending& p : batch) {
      if (p.record) records.push_back(std::move(*p.record));
      if (p.snapshot) snapshots.push_back(std::move(*p.snapshot));
    }
    const auto start = std::chrono::steady_clock::now();
    absl::Status status = health();
    if (status.ok()) status = store_->Commit(records, snapshots);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    {
      absl::MutexLock lock(&mu_);
      if (!status.ok() && failure_.ok()) {
        failure_ = absl::UnavailableError(absl::StrCat(
            "the journal cannot write (", status.message(),
            "); this server accepts no more changes until it is restarted"));
        spdlog::critical("journal write failed, refusing writes: {}",
                         status.ToString());
      }
      if (!status.ok()) status = failure_;
      ++stats_.batches;
      for (const Pending& p : batch) stats_.records += p.record ? 1 : 0;
      stats_.commit_micros_total += static_cast<uint64_t>(micros);
      stats_.last_batch_size = batch.size();
    }
    for (Pending& p : batch) p.done(status);
    batch.clear();
  }
}

}  // namespace qcall
