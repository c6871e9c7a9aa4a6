#include "dispatcher/recovery.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_replay.h"
#include "dispatcher/journal_verify.h"
#include "engine/status_macros.h"

namespace qcall {

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(name, &tz)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone '", name.substr(0, 64), "' (is tzdata installed?)"));
  }
  return tz;
}

absl::StatusOr<std::unique_ptr<HallRuntime>> NewHall(
    const v1::Command& configure, std::string request_id,
    HallRuntime::Reply reply, GroupCommitJournal* journal,
    boost::asio::thread_pool* pool, const RuntimeOptions& options) {
  if (!configure.has_configure()) {
    return absl::InternalError("a new hall begins with a Configure command");
  }
  const v1::HallConfig& config = configure.configure().config();
  ASSIGN_OR_RETURN(const absl::TimeZone tz, LoadZone(config.time_zone()));
  ASSIGN_OR_RETURN(Hall hall, Hall::Create(config, tz));
  auto runtime = std::make_unique<HallRuntime>(
      std::move(hall), 0, boost::asio::make_strand(*pool), journal, options);
  // Queued on the strand before anyone else can find the runtime.
  runtime->Submit(configure, std::move(request_id), std::move(reply));
  return runtime;
}

absl::StatusOr<StoredHall> LoadBase(const std::string& hall_id,
                                    const v1::HallConfig* seed,
                                    JournalStore* store) {
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> snapshot,
                   store->LatestSnapshot(hall_id));
  if (snapshot) {
    RETURN_IF_ERROR(VerifySnapshot(store, *snapshot));
    v1::HallState state;
    if (!state.ParseFromString(snapshot->state)) {
      return absl::DataLossError(absl::StrCat("snapshot ", snapshot->index,
                                              " of hall ", hall_id,
                                              " does not parse"));
    }
    ASSIGN_OR_RETURN(const absl::TimeZone tz,
                     LoadZone(state.config().time_zone()));
    ASSIGN_OR_RETURN(Hall restored, Hall::Restore(state, tz));
    return StoredHall{std::move(restored), snapshot->index, 0, false,
                      std::move(snapshot->chain)};
  }
  ASSIGN_OR_RETURN(const std::optional<v1::HallConfig> first,
                   FirstConfiguration(store, hall_id));
  ASSIGN_OR_RETURN(const uint64_t records, store->LastIndex(hall_id));
  if (!first && records > 0 && seed == nullptr) {
    return absl::DataLossError(
        absl::StrCat("hall ", hall_id,
                     " has no snapshot and its journal does not begin with its "
                     "configuration"));
  }
  if (!first && seed == nullptr) {
    return absl::NotFoundError(absl::StrCat("no hall ", hall_id));
  }
  // A journal written before halls began with a Configure runs on `seed`.
  const v1::HallConfig& config = first ? *first : *seed;
  ASSIGN_OR_RETURN(const absl::TimeZone tz, LoadZone(config.time_zone()));
  ASSIGN_OR_RETURN(Hall created, Hall::Create(config, tz));
  return StoredHall{std::move(created), 0, 0, records == 0,
                    store->chain().Genesis(hall_id)};
}

absl::StatusOr<StoredHall> RebuildHall(const std::string& hall_id,
                                       const v1::HallConfig* seed,
                                       JournalStore* store) {
  ASSIGN_OR_RETURN(StoredHall stored, LoadBase(hall_id, seed, store));
  Hall::Outcome outcome;
  RETURN_IF_ERROR(VerifiedRecords(
      store, hall_id, stored.index, stored.chain,
      [&](const JournalRecord& record) {
        // Its own status is what the command answered live; only what it
        // did matters here.
        if (absl::Status applied =
                ApplyJournaled(hall_id, record, &stored.hall, &outcome);
            !applied.ok()) {
          return applied;
        }
        stored.index = record.index;
        stored.at_unix_ms = record.at_unix_ms;
        return absl::OkStatus();
      }));
  return stored;
}

absl::StatusOr<RecoveredHall> RecoverHall(
    const std::string& hall_id, const v1::HallConfig* seed, JournalStore* store,
    GroupCommitJournal* journal, boost::asio::thread_pool* pool,
    const RuntimeOptions& options, uint64_t* replayed) {
  ASSIGN_OR_RETURN(StoredHall base, LoadBase(hall_id, seed, store));
  const uint64_t index = base.index;
  ASSIGN_OR_RETURN(const uint64_t last, store->LastIndex(hall_id));
  auto runtime = std::make_unique<HallRuntime>(std::move(base.hall), index,
                                               boost::asio::make_strand(*pool),
                                               journal, options);
  // Only the newest events are kept for resuming streams, so only the
  // records that can produce them are published.
  const uint64_t publish_from =
      last > options.events_retained ? last - options.events_retained : 0;
  if (index > 0) {
    // Retries of commands the snapshot covers are answered from the replies
    // the journal kept with them.
    const uint64_t kept = options.request_ids_kept;
    RETURN_IF_ERROR(store->ReadJournal(hall_id, index > kept ? index - kept : 0,
                                       index, [&](const JournalRecord& record) {
                                         runtime->RememberJournaled(record);
                                         return absl::OkStatus();
                                       }));
  }
  RETURN_IF_ERROR(VerifiedRecords(
      store, hall_id, index, base.chain, [&](const JournalRecord& record) {
        ++*replayed;
        return runtime->Replay(record, record.index > publish_from);
      }));
  return RecoveredHall{std::move(runtime), base.fresh};
}

}  // namespace qcall
