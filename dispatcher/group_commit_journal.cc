#include "dispatcher/group_commit_journal.h"

#include <chrono>
#include <utility>

#include "absl/container/flat_hash_map.h"
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
                                Done done, uint64_t generation) {
  Enqueue(
      {std::move(record), std::move(snapshot), std::move(done), generation});
}

void GroupCommitJournal::AppendSnapshot(SnapshotRecord snapshot, Done done,
                                        uint64_t generation) {
  Enqueue({std::nullopt, std::move(snapshot), std::move(done), generation});
}

void GroupCommitJournal::Enqueue(Pending pending) {
  absl::Status failure;
  {
    absl::MutexLock lock(&mu_);
    failure = failure_;
    if (failure.ok() && pending.generation != generation_.load()) {
      // Written from a state older than the last failure: it may be ahead
      // of what the store holds (or behind it).
      failure = absl::UnavailableError(
          "the journal's store failed and came back since this hall last "
          "read its state from it; retry");
    }
    if (failure.ok()) queue_.push_back(std::move(pending));
  }
  if (!failure.ok()) pending.done(failure);
}

absl::Status GroupCommitJournal::health() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

bool GroupCommitJournal::resuming() const {
  absl::MutexLock lock(&mu_);
  return resuming_;
}

GroupCommitJournal::Stats GroupCommitJournal::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Status GroupCommitJournal::Failed(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  generation_.store(generation_.load() + 1);
  if (!failure_.ok()) return failure_;
  // Asked under mu_, so resuming() and health() change together.
  resuming_ = store_->CanResume();
  if (resuming_) {
    failure_ = absl::UnavailableError(absl::StrCat(
        "the journal's store cannot be reached (", status.message(),
        "); changes are refused until it is back. A change whose reply was "
        "lost may have been made: retry it with the same request id"));
    spdlog::critical(
        "journal write failed, refusing writes until the store is back: {}",
        status.ToString());
  } else {
    failure_ = absl::UnavailableError(absl::StrCat(
        "the journal cannot write (", status.message(),
        "); this server accepts no more changes until it is restarted"));
    spdlog::critical("journal write failed, refusing writes: {}",
                     status.ToString());
  }
  return failure_;
}

void GroupCommitJournal::TryResume(std::vector<Pending>& batch) {
  // Queued before the failure was known: it fails with it.
  const absl::Status failure = health();
  for (Pending& p : batch) p.done(failure);
  batch.clear();
  const absl::Status resumed = store_->Resume();
  if (!resumed.ok()) return;
  absl::MutexLock lock(&mu_);
  failure_ = absl::OkStatus();
  resuming_ = false;
  ++stats_.resumes;
  spdlog::warn(
      "journal: the store is back, writes resume (each hall reads its "
      "state back first)");
}

void GroupCommitJournal::Run() {
  std::vector<Pending> batch;
  std::vector<JournalRecord> records;
  std::vector<SnapshotRecord> snapshots;
  while (true) {
    bool resuming = false;
    {
      absl::MutexLock lock(&mu_);
      const absl::Condition wake(this, &GroupCommitJournal::HasWorkOrStops);
      if (resuming_) {
        mu_.AwaitWithTimeout(wake, kResumeEvery);
      } else {
        mu_.Await(wake);
      }
      if (stopping_ && queue_.empty()) return;  // Nothing left.
      batch.swap(queue_);
      resuming = resuming_;
    }
    if (resuming) {
      TryResume(batch);
      continue;
    }
    records.clear();
    snapshots.clear();
    // Each entry's hall, kept apart: its record's id moves into `records`.
    std::vector<std::string> halls_of;
    halls_of.reserve(batch.size());
    for (Pending& p : batch) {
      halls_of.push_back(p.record ? p.record->hall_id : p.snapshot->hall_id);
      if (p.record) records.push_back(std::move(*p.record));
      if (p.snapshot) snapshots.push_back(std::move(*p.snapshot));
    }
    const auto start = std::chrono::steady_clock::now();
    absl::Status status = health();
    // A commit refused for some halls only (fenced: another node took them)
    // is tried again without them; only their entries fail.
    absl::flat_hash_map<std::string, absl::Status> refused;
    while (status.ok() && !(records.empty() && snapshots.empty())) {
      const absl::Status committed = store_->Commit(records, snapshots);
      const std::vector<std::string> halls = RefusedHalls(committed);
      if (committed.ok() || halls.empty()) {
        status = committed.ok() ? committed : Failed(committed);
        break;
      }
      for (const std::string& hall : halls) {
        spdlog::error("hall {}: its journal records refused: {}", hall,
                      std::string(committed.message()));
        // Not written, so not acknowledged: the client retries where the
        // hall is now.
        refused[hall] = absl::UnavailableError(
            absl::StrCat("hall ", hall, " is no longer this node's (",
                         committed.message(), "); retry at its owner"));
      }
      std::erase_if(records, [&](const JournalRecord& r) {
        return refused.contains(r.hall_id);
      });
      std::erase_if(snapshots, [&](const SnapshotRecord& s) {
        return refused.contains(s.hall_id);
      });
    }
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    {
      absl::MutexLock lock(&mu_);
      ++stats_.batches;
      for (const Pending& p : batch) stats_.records += p.record ? 1 : 0;
      stats_.commit_micros_total += static_cast<uint64_t>(micros);
      stats_.last_batch_size = batch.size();
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      auto it = refused.find(halls_of[i]);
      batch[i].done(it == refused.end() ? status : it->second);
    }
    batch.clear();
  }
}

}  // namespace qcall
