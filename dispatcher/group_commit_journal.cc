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

namespace {

// The hall of an entry whose record and snapshot were moved out: their
// hall ids are moved too, so it is asked before (see Run).

}  // namespace

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
        status = committed;
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
    for (size_t i = 0; i < batch.size(); ++i) {
      auto it = refused.find(halls_of[i]);
      batch[i].done(it == refused.end() ? status : it->second);
    }
    batch.clear();
  }
}

}  // namespace qcall
