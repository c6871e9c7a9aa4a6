#include "dispatcher/records_rebuild.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dispatcher/journal_replay.h"
#include "dispatcher/records.h"
#include "engine/hall.h"
#include "engine/status_macros.h"
#include "spdlog/spdlog.h"

namespace qcall {

absl::Status RebuildRecords(JournalStore* store, const std::string& hall_id,
                            const v1::HallConfig* seed,
                            const ProjectBatch& project) {
  constexpr uint64_t kBatch = 4096;
  ASSIGN_OR_RETURN(const std::optional<v1::HallConfig> first,
                   FirstConfiguration(store, hall_id));
  if (!first && seed == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "hall ", hall_id,
        "'s journal does not begin with its configuration, and the config "
        "file has none: its records cannot be rebuilt"));
  }
  const v1::HallConfig& genesis = first ? *first : *seed;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(genesis.time_zone(), &tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", genesis.time_zone(), "'"));
  }
  ASSIGN_OR_RETURN(Hall hall, Hall::Create(genesis, tz));
  auto config = std::make_shared<const v1::HallConfig>(hall.rules().config());
  Hall::Outcome outcome;
  ASSIGN_OR_RETURN(const uint64_t last, store->LastIndex(hall_id));
  for (uint64_t after = 0; after < last; after += kBatch) {
    std::vector<JournalRecord> batch;
    RETURN_IF_ERROR(store->ReadJournal(
        hall_id, after, after + kBatch, [&](const JournalRecord& read) {
          if (absl::Status applied =
                  ApplyJournaled(hall_id, read, &hall, &outcome);
              !applied.ok()) {
            return applied;
          }
          for (const v1::HallEvent& event : outcome.events()) {
            if (event.has_hall_configured()) {
              config =
                  std::make_shared<const v1::HallConfig>(hall.rules().config());
              break;
            }
          }
          JournalRecord& record = batch.emplace_back();
          record.hall_id = hall_id;
          record.index = read.index;
          record.at_unix_ms = read.at_unix_ms;
          record.events = std::make_shared<const RecordEvents>(RecordEvents{
              {outcome.events().begin(), outcome.events().end()}, config});
          return absl::OkStatus();
        }));
    RETURN_IF_ERROR(project(batch));
  }
  return absl::OkStatus();
}

absl::Status RebuildAllRecords(JournalStore* store,
                               const v1::ServerConfig& config) {
  const absl::Time start = absl::Now();
  RETURN_IF_ERROR(store->ClearRecords());
  ASSIGN_OR_RETURN(const std::vector<std::string> halls, store->HallIds());
  for (const std::string& id : halls) {
    const v1::HallConfig* seed = nullptr;
    for (const v1::HallConfig& hall : config.halls()) {
      if (hall.hall_id() == id) seed = &hall;
    }
    RETURN_IF_ERROR(RebuildRecords(
        store, id, seed, [store](absl::Span<const JournalRecord> batch) {
          return store->ProjectJournaled(batch);
        }));
  }
  spdlog::warn("the record tables were built from the journal ({} halls) in {}",
               halls.size(), absl::FormatDuration(absl::Now() - start));
  return absl::OkStatus();
}

}  // namespace qcall
