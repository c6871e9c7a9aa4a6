#include "dispatcher/journal_verify.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "dispatcher/journal_chain.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

absl::Status Broken(const std::string& hall_id, uint64_t index,
                    absl::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "journal of hall ", hall_id, " is broken at record ", index, ": ", what));
}

constexpr absl::string_view kKeyHint =
    " (or the journal was chained with another --journal-key-file, or "
    "without one)";

}  // namespace

absl::Status VerifiedRecords(
    JournalStore* store, const std::string& hall_id, uint64_t after_index,
    const std::string& head,
    const std::function<absl::Status(const JournalRecord&)>& visit,
    uint64_t* last_index, std::string* last_chain) {
  const JournalChain& chain = store->chain();
  uint64_t index = after_index;
  std::string previous = head;
  // The first record that does not follow, and the one after it (to tell
  // two swapped records from an edited one).
  std::optional<JournalRecord> broken;
  std::optional<JournalRecord> next;
  const absl::Status read = store->ReadJournal(
      hall_id, after_index, UINT64_MAX, [&](const JournalRecord& record) {
        if (broken) {
          next = record;
          return absl::CancelledError("read enough");
        }
        if (record.index == index + 1) {
          std::string expected = chain.Next(previous, record);
          if (expected == record.chain) {
            RETURN_IF_ERROR(visit(record));
            index = record.index;
            previous = std::move(expected);
            return absl::OkStatus();
          }
        }
        broken = record;
        return absl::OkStatus();
      });
  if (last_index != nullptr) *last_index = index;
  if (last_chain != nullptr) *last_chain = previous;
  if (!read.ok() && !next) return read;
  if (!broken) return absl::OkStatus();
  const JournalRecord& r = *broken;
  if (r.index != index + 1) {
    return Broken(hall_id, index + 1,
                  absl::StrCat("missing: the next record held is ", r.index,
                               ", so records ", index + 1, " to ", r.index - 1,
                               " were deleted"));
  }
  if (r.chain.size() != JournalChain::kSize) {
    return Broken(hall_id, r.index,
                  "forged: it carries no chain value (a row written by hand)");
  }
  if (next && next->index == r.index + 1) {
    // Swapped only if the pair, put back in order, gives both chain values:
    // two records alike but for their index (tickets issued within one
    // millisecond) would otherwise make an edit of the first look like a
    // swap.
    JournalRecord moved = *next;
    moved.index = r.index;
    const std::string if_moved = chain.Next(previous, moved);
    JournalRecord moved_back = r;
    moved_back.index = next->index;
    const std::string then = chain.Next(if_moved, moved_back);
    if ((if_moved == r.chain && then == next->chain) ||
        (if_moved == next->chain && then == r.chain)) {
      return Broken(hall_id, r.index,
                    absl::StrCat("out of order: it and record ", next->index,
                                 " were swapped"));
    }
  }
  const absl::string_view hint = index == 0 ? kKeyHint : "";
  if (!next) {
    return Broken(hall_id, r.index,
                  absl::StrCat("forged or edited: the last record does not "
                               "match its chain value (appended by hand, or "
                               "changed)",
                               hint));
  }
  return Broken(hall_id, r.index,
                absl::StrCat("edited: its contents no longer match its chain "
                             "value",
                             hint));
}

absl::Status VerifySnapshotChecksum(const JournalChain& chain,
                                    const SnapshotRecord& snapshot) {
  if (chain.SnapshotChecksum(snapshot) != snapshot.checksum) {
    return absl::DataLossError(absl::StrCat(
        "snapshot of hall ", snapshot.hall_id, " at record ", snapshot.index,
        " fails its checksum: it was truncated or edited", kKeyHint));
  }
  return absl::OkStatus();
}

absl::Status VerifySnapshotHead(JournalStore* store, const std::string& hall_id,
                                uint64_t index, const std::string& head) {
  std::optional<std::string> at_index;
  RETURN_IF_ERROR(store->ReadJournal(hall_id, index - 1, index,
                                     [&](const JournalRecord& record) {
                                       at_index = record.chain;
                                       return absl::OkStatus();
                                     }));
  if (at_index && *at_index != head) {
    return Broken(hall_id, index,
                  "its chain value differs from the snapshot taken there: "
                  "records up to it were changed");
  }
  if (!at_index) {
    ASSIGN_OR_RETURN(const uint64_t last, store->LastIndex(hall_id));
    if (last < index) {
      return Broken(hall_id, last + 1,
                    absl::StrCat("missing: the journal ends at record ", last,
                                 " but a snapshot was taken at record ", index,
                                 ", so records ", last + 1, " to ", index,
                                 " were deleted from its end"));
    }
  }
  return absl::OkStatus();
}

absl::Status VerifySnapshot(JournalStore* store,
                            const SnapshotRecord& snapshot) {
  RETURN_IF_ERROR(VerifySnapshotChecksum(store->chain(), snapshot));
  return VerifySnapshotHead(store, snapshot.hall_id, snapshot.index,
                            snapshot.chain);
}

}  // namespace qcall
