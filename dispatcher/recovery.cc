#include "dispatcher/recovery.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(name, &tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", name, "' (is tzdata installed?)"));
  }
  return tz;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HallRuntime>> RecoverHall(
    const v1::HallConfig& config, JournalStore* store,
    GroupCommitJournal* journal, boost::asio::thread_pool* pool,
    const RuntimeOptions& options, uint64_t* replayed) {
  ASSIGN_OR_RETURN(const absl::TimeZone tz, LoadZone(config.time_zone()));
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> snapshot,
                   store->LatestSnapshot(config.hall_id()));
  std::optional<Hall> hall;
  uint64_t index = 0;
  if (snapshot) {
    v1::HallState state;
    if (!state.ParseFromString(snapshot->state)) {
      return absl::DataLossError(absl::StrCat("snapshot ", snapshot->index,
                                              " of hall ", config.hall_id(),
                                              " does not parse"));
    }
    ASSIGN_OR_RETURN(Hall restored, Hall::Restore(state, tz));
    hall.emplace(std::move(restored));
    index = snapshot->index;
  } else {
    ASSIGN_OR_RETURN(Hall created, Hall::Create(config, tz));
    hall.emplace(std::move(created));
  }
  ASSIGN_OR_RETURN(const uint64_t last, store->LastIndex(config.hall_id()));
  auto runtime = std::make_unique<HallRuntime>(*std::move(hall), index,
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
    RETURN_IF_ERROR(store->ReadJournal(config.hall_id(),
                                       index > kept ? index - kept : 0, index,
                                       [&](const JournalRecord& record) {
                                         runtime->RememberJournaled(record);
                                         return absl::OkStatus();
                                       }));
  }
  RETURN_IF_ERROR(store->ReadJournal(
      config.hall_id(), index, UINT64_MAX, [&](const JournalRecord& record) {
        ++*replayed;
        return runtime->Replay(record, record.index > publish_from);
      }));
  return runtime;
}

}  // namespace qcall
