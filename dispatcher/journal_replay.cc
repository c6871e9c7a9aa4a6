#include "dispatcher/journal_replay.h"

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {

absl::StatusOr<std::optional<v1::HallConfig>> FirstConfiguration(
    JournalStore* store, const std::string& hall_id) {
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
  return first;
}

absl::Status ApplyJournaled(const std::string& hall_id,
                            const JournalRecord& record, Hall* hall,
                            Hall::Outcome* outcome, Replayed* replayed) {
  Replayed local;
  Replayed& out = replayed != nullptr ? *replayed : local;
  if (!out.command.ParseFromString(record.command)) {
    return absl::DataLossError(absl::StrCat("journal record ", record.index,
                                            " of hall ", hall_id,
                                            " does not parse"));
  }
  out.answered = hall->Apply(out.command,
                             absl::FromUnixMillis(record.at_unix_ms), outcome);
  if (outcome->events().empty()) {
    return absl::DataLossError(
        absl::StrCat("journal record ", record.index, " of hall ", hall_id,
                     " changed nothing on replay; the state has diverged"));
  }
  return absl::OkStatus();
}

}  // namespace qcall
