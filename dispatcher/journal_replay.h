// Replaying a hall's journal through the engine, as its commands ran live:
// one rule for start-up recovery, a rebuilt durable state and the record
// tables' rebuild.
//
//   ASSIGN_OR_RETURN(std::optional<v1::HallConfig> genesis,
//                    FirstConfiguration(store, hall_id));
//   ...
//   RETURN_IF_ERROR(store->ReadJournal(hall_id, 0, last, [&](auto& record) {
//     return ApplyJournaled(hall_id, record, &hall, &outcome);
//   }));
#ifndef QCALL_DISPATCHER_JOURNAL_REPLAY_H_
#define QCALL_DISPATCHER_JOURNAL_REPLAY_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dispatcher/journal_store.h"
#include "engine/hall.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

// The configuration a hall's journal begins with (each hall's first record
// is a Configure), or nothing for a journal without one (written before
// halls began with it) or no record at all.
absl::StatusOr<std::optional<v1::HallConfig>> FirstConfiguration(
    JournalStore* store, const std::string& hall_id);

// What a replayed record was, for callers that need more than the hall.
struct Replayed {
  v1::Command command;
  // What the command answered live.
  absl::Status answered;
};

// Applies `record` to `hall` into `outcome` (and `*replayed`, when given).
// Only commands that changed something are journaled, so DATA_LOSS when the
// record does not parse or changes nothing now (the state has diverged).
absl::Status ApplyJournaled(const std::string& hall_id,
                            const JournalRecord& record, Hall* hall,
                            Hall::Outcome* outcome,
                            Replayed* replayed = nullptr);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_JOURNAL_REPLAY_H_
