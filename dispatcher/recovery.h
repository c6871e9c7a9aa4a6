// Start-up recovery of one hall: its latest snapshot plus the journal after
// it, replayed through the engine exactly as the commands ran live.
//
//   uint64_t replayed = 0;
//   ASSIGN_OR_RETURN(RecoveredHall hall,
//                    RecoverHall(id, &file_config, store, journal, pool,
//                                options, &replayed));
#ifndef QCALL_DISPATCHER_RECOVERY_H_
#define QCALL_DISPATCHER_RECOVERY_H_

#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/hall_runtime.h"
#include "dispatcher/journal_store.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

struct RecoveredHall {
  std::unique_ptr<HallRuntime> runtime;
  // True when the store held nothing of the hall: it starts from `seed`.
  bool fresh = false;
};

// A hall as its store holds it, and the index of the last record applied.
struct StoredHall {
  Hall hall;
  uint64_t index = 0;
  int64_t at_unix_ms = 0;  // Of the last record applied (RebuildHall).
  bool fresh = false;      // The store held nothing of it.
  std::string chain;       // The journal's chain at `index`.
};

// The latest snapshot (its checksum and chain checked: DATA_LOSS when they
// fail), or else the configuration the hall's journal begins with, or else
// `seed` (null: NOT_FOUND); no record applied yet.
absl::StatusOr<StoredHall> LoadBase(const std::string& hall_id,
                                    const v1::HallConfig* seed,
                                    JournalStore* store);
// The same with every record after it applied, each checked against the
// hash chain (journal_verify.h): the hall's durable state (what a failed
// write leaves behind).
absl::StatusOr<StoredHall> RebuildHall(const std::string& hall_id,
                                       const v1::HallConfig* seed,
                                       JournalStore* store);

// The hall starts from its latest snapshot, or else from the configuration
// its journal begins with (each hall's first record is a Configure), or else,
// for a hall the store does not know, from `seed` (null: NOT_FOUND). The
// records replayed are checked against the chain from the snapshot's head on:
// a break is DATA_LOSS naming the hall, the record and what is wrong.
absl::StatusOr<RecoveredHall> RecoverHall(
    const std::string& hall_id, const v1::HallConfig* seed, JournalStore* store,
    GroupCommitJournal* journal, boost::asio::thread_pool* pool,
    const RuntimeOptions& options, uint64_t* replayed);

// The time zone a hall's config names (HallRules checked that it is an IANA
// name, not a path). Loaded zones are cached for the process, so a hall built
// after this call does no file I/O for its zone.
absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name);

// Builds a hall that is not in the store yet from `configure` (a Configure
// command) and submits that command before returning, so it is the hall's
// first record whatever is submitted next: recovery finds the hall's
// configuration there. `reply` runs once it is durable.
absl::StatusOr<std::unique_ptr<HallRuntime>> NewHall(
    const v1::Command& configure, std::string request_id,
    HallRuntime::Reply reply, GroupCommitJournal* journal,
    boost::asio::thread_pool* pool, const RuntimeOptions& options);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_RECOVERY_H_
