// Start-up recovery of one hall: its latest snapshot plus the journal after
// it, replayed through the engine exactly as the commands ran live.
//
//   uint64_t replayed = 0;
//   ASSIGN_OR_RETURN(auto runtime, RecoverHall(config, store, journal, pool,
//                                              options, &replayed));
#ifndef QCALL_DISPATCHER_RECOVERY_H_
#define QCALL_DISPATCHER_RECOVERY_H_

#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "absl/status/statusor.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/hall_runtime.h"
#include "dispatcher/journal_store.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

// A journal that already holds a history keeps the config it ran with (from
// its snapshot); `config` applies to a hall with no snapshot yet.
absl::StatusOr<std::unique_ptr<HallRuntime>> RecoverHall(
    const v1::HallConfig& config, JournalStore* store,
    GroupCommitJournal* journal, boost::asio::thread_pool* pool,
    const RuntimeOptions& options, uint64_t* replayed);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_RECOVERY_H_
