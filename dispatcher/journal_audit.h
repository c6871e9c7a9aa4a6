// AuditJournal checks a whole journal offline, for an auditor: every hall's
// chain from its first record (journal_verify.h), every snapshot, and, by
// replaying the records through the engine, that each service's ticket
// numbers of each business day run 1..n without a gap or a repeat.
//
//   ASSIGN_OR_RETURN(auto store, OpenJournalStore(url, {.read_only = true}));
//   ASSIGN_OR_RETURN(std::vector<HallAudit> halls, AuditJournal(store.get()));
//   for (const HallAudit& hall : halls) std::cout << FormatAudit(hall);
#ifndef QCALL_DISPATCHER_JOURNAL_AUDIT_H_
#define QCALL_DISPATCHER_JOURNAL_AUDIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dispatcher/journal_store.h"

namespace qcall {

struct HallAudit {
  std::string hall_id;
  uint64_t records = 0;  // Records that verified, from the first on.
  uint64_t first_index = 0;
  uint64_t last_index = 0;
  std::string head;  // The chain at last_index: keep it to find a later cut.
  uint64_t snapshots = 0;
  // One service's numbers on one business day.
  struct Numbers {
    int32_t business_day = 0;  // YYYYMMDD.
    std::string service_code;
    uint32_t issued = 0;  // 1..issued, when contiguous.
    std::string gap;      // What breaks the run, empty when none.
  };
  // Those of the last business day in the journal; `problem` names any gap
  // of an earlier day.
  std::vector<Numbers> last_day;
  bool numbers_checked = false;  // The journal begins with a Configure.
  // The first thing found wrong (the chain, a snapshot, a number); OK when
  // none.
  absl::Status problem;
};

absl::StatusOr<std::vector<HallAudit>> AuditJournal(JournalStore* store);

// A line for the hall, a line per service of its last day, and the problem.
std::string FormatAudit(const HallAudit& audit);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_JOURNAL_AUDIT_H_
