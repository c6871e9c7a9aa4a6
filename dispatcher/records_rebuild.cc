#include "dispatcher/records_rebuild.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dispatcher/records.h"
#include "engine/hall.h"
#include "engine/status_macros.h"
#include "spdlog/spdlog.h"

namespace qcall {

absl::Status RebuildRecords(JournalStore* store, const std::string& hall_id,
                            const v1::HallConfig* seed,
                            const ProjectBatch& project) {
  constexpr uint64_t kBatch = 4096;
  std::optional<v1::HallConfig> first;
  RETURN_IF_ERROR(
      store->ReadJournal(hall_id, 0, 1, [&](const JournalRecord& record) {
        v1::Command command;
        if (command.ParseFromString(record.command) &&
            command.has_configure()) {
          first = command.configure().config();
        }
        return absl::OkStatus();
      }));
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
          v1::Command command;
          if (!command.ParseFromString(read.command)) {
            return absl::DataLossError(absl::StrCat(
                "journal record ", read.index, " of hall ", hall_id,
                " does not parse"));
          }
          (void)hall.Apply(command, absl::FromUnixMillis(read.at_unix_ms),
                           &outcome);
          if (outcome.events().empty()) {
            return absl::DataLossError(absl::StrCat(
                "journal record ", read.index, " of hall ", hall_id,
                " changed nothing on replay; the state has diverged"));
          }
          for (const v1::HallEvent& event : outcome.events()) {
            if (event.has_hall_configured()) {
              config = std::make_shared<const v1::HallConfig>(
                  hall.rules().config());
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
