// Checks a hall's journal against its hash chain (journal_chain.h) and its
// snapshots against their checksums. Recovery checks what it replays; `qcall
// audit verify` checks everything.
//
//   // The records after the snapshot, chained from the snapshot's head:
//   RETURN_IF_ERROR(VerifySnapshot(*store, snapshot));
//   RETURN_IF_ERROR(VerifiedRecords(store, "hall-1", snapshot.index,
//                                   snapshot.chain,
//                                   [&](const JournalRecord& r) {...}));
//
// A break is DATA_LOSS naming the hall, the first bad record's index and
// what is wrong: missing (an index skipped), out of order (two records
// swapped), edited, or forged (the last record, appended or changed).
#ifndef QCALL_DISPATCHER_JOURNAL_VERIFY_H_
#define QCALL_DISPATCHER_JOURNAL_VERIFY_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "dispatcher/journal_store.h"

namespace qcall {

// Reads the hall's records after `after_index`, each checked to follow the
// one before (`head` is the chain at `after_index`: the hall's genesis for
// 0, a snapshot's chain after it), and passes each good one to `visit`.
// `last` (when not null) gets the index and chain of the last good record.
absl::Status VerifiedRecords(
    JournalStore* store, const std::string& hall_id, uint64_t after_index,
    const std::string& head,
    const std::function<absl::Status(const JournalRecord&)>& visit,
    uint64_t* last_index = nullptr, std::string* last_chain = nullptr);

// The snapshot's checksum holds (so it is whole and unchanged), and the
// journal agrees with its chain: the record at its index carries the same
// chain, or the journal does not end before it.
absl::Status VerifySnapshot(JournalStore* store,
                            const SnapshotRecord& snapshot);
// Its two halves: the checksum (no I/O), and the journal's agreement with
// the chain a snapshot of hall_id at `index` carries.
absl::Status VerifySnapshotChecksum(const JournalChain& chain,
                                    const SnapshotRecord& snapshot);
absl::Status VerifySnapshotHead(JournalStore* store, const std::string& hall_id,
                                uint64_t index, const std::string& head);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_JOURNAL_VERIFY_H_
