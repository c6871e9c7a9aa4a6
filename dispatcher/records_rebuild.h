// The record tables rebuilt from the journal alone: a hall's records replayed
// through the engine from its genesis (the Configure its journal begins
// with, or `seed` for a journal from before that) and each record's events
// handed to `project` in batches, as Commit hands them live.
//
//   RETURN_IF_ERROR(store->ClearRecords());
//   for (const std::string& id : *store->HallIds()) {
//     RETURN_IF_ERROR(RebuildRecords(store, id, seed_or_null,
//         [&](auto batch) { return store->ProjectJournaled(batch); }));
//   }
#ifndef QCALL_DISPATCHER_RECORDS_REBUILD_H_
#define QCALL_DISPATCHER_RECORDS_REBUILD_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "dispatcher/journal_store.h"
#include "qcall/v1/hall_config.pb.h"
#include "qcall/v1/server_config.pb.h"

namespace qcall {

using ProjectBatch =
    std::function<absl::Status(absl::Span<const JournalRecord> batch)>;

// DATA_LOSS when a record does not parse or changes nothing on replay;
// NOT_FOUND when the journal does not begin with a Configure and there is no
// `seed`.
absl::Status RebuildRecords(JournalStore* store, const std::string& hall_id,
                            const v1::HallConfig* seed,
                            const ProjectBatch& project);

// Empties the store's record tables and rebuilds every hall's from its
// journal (`config` gives the seed of a hall whose journal does not begin
// with its configuration). Logs how long it took.
absl::Status RebuildAllRecords(JournalStore* store,
                               const v1::ServerConfig& config);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_RECORDS_REBUILD_H_
