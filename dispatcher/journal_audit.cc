#include "dispatcher/journal_audit.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_verify.h"
#include "engine/hall.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

// The number of "A012": 12.
std::optional<uint32_t> NumberOf(const std::string& ticket) {
  size_t digits = ticket.size();
  while (digits > 0 && absl::ascii_isdigit(ticket[digits - 1])) --digits;
  uint32_t n = 0;
  if (!absl::SimpleAtoi(absl::string_view(ticket).substr(digits), &n)) {
    return std::nullopt;
  }
  return n;
}

// Replays the hall from its first record and follows the tickets issued.
class NumberCheck {
 public:
  // Before record 1 is applied: it must configure the hall.
  absl::Status Apply(const JournalRecord& record) {
    v1::Command command;
    if (!command.ParseFromString(record.command)) {
      return absl::DataLossError(
          absl::StrCat("record ", record.index, " does not parse"));
    }
    if (!hall_) {
      if (!command.has_configure()) return absl::OkStatus();
      absl::TimeZone tz;
      if (!absl::LoadTimeZone(command.configure().config().time_zone(), &tz)) {
        return absl::OkStatus();
      }
      absl::StatusOr<Hall> hall =
          Hall::Create(command.configure().config(), tz);
      if (!hall.ok()) return absl::OkStatus();
      hall_.emplace(*std::move(hall));
    }
    (void)hall_->Apply(command, absl::FromUnixMillis(record.at_unix_ms),
                       &outcome_);
    for (const v1::HallEvent& event : outcome_.events()) {
      if (!event.has_ticket_issued()) continue;
      const v1::Ticket& ticket = event.ticket_issued().ticket();
      HallAudit::Numbers& numbers =
          days_[{ticket.business_day(), ticket.service_code()}];
      numbers.business_day = ticket.business_day();
      numbers.service_code = ticket.service_code();
      const std::optional<uint32_t> n = NumberOf(ticket.number());
      if (numbers.gap.empty() && (!n || *n != numbers.issued + 1)) {
        numbers.gap =
            absl::StrCat("record ", record.index, " issued ", ticket.number(),
                         " after number ", numbers.issued);
      }
      if (n) numbers.issued = *n;
    }
    return absl::OkStatus();
  }

  bool checked() const { return hall_.has_value(); }
  const std::map<std::pair<int32_t, std::string>, HallAudit::Numbers>& days()
      const {
    return days_;
  }

 private:
  std::optional<Hall> hall_;
  Hall::Outcome outcome_;
  std::map<std::pair<int32_t, std::string>, HallAudit::Numbers> days_;
};

}  // namespace

absl::StatusOr<std::vector<HallAudit>> AuditJournal(JournalStore* store) {
  ASSIGN_OR_RETURN(const std::vector<std::string> ids, store->HallIds());
  std::vector<HallAudit> audits;
  for (const std::string& id : ids) {
    HallAudit& audit = audits.emplace_back();
    audit.hall_id = id;
    NumberCheck numbers;
    audit.problem = VerifiedRecords(
        store, id, 0, store->chain().Genesis(id),
        [&](const JournalRecord& record) {
          if (audit.records++ == 0) audit.first_index = record.index;
          return numbers.Apply(record);
        },
        &audit.last_index, &audit.head);
    if (audit.records == 0) audit.head.clear();
    // The store is busy while it reads: the heads are checked after.
    std::vector<std::pair<uint64_t, std::string>> heads;
    absl::Status snapshots =
        store->ReadSnapshots(id, [&](const SnapshotRecord& snapshot) {
          ++audit.snapshots;
          heads.emplace_back(snapshot.index, snapshot.chain);
          return VerifySnapshotChecksum(store->chain(), snapshot);
        });
    for (const auto& [index, head] : heads) {
      if (!snapshots.ok()) break;
      snapshots = VerifySnapshotHead(store, id, index, head);
    }
    if (audit.problem.ok()) audit.problem = snapshots;
    audit.numbers_checked = numbers.checked();
    int32_t last_day = 0;
    for (const auto& [key, day] : numbers.days()) {
      last_day = std::max(last_day, key.first);
      if (audit.problem.ok() && !day.gap.empty()) {
        audit.problem = absl::DataLossError(absl::StrCat(
            "hall ", id, ", service ", day.service_code, ", business day ",
            day.business_day, ": numbers are not contiguous: ", day.gap));
      }
    }
    for (const auto& [key, day] : numbers.days()) {
      if (key.first == last_day) audit.last_day.push_back(day);
    }
  }
  return audits;
}

std::string FormatAudit(const HallAudit& audit) {
  std::string out = absl::StrCat(
      "hall ", audit.hall_id, ": ", audit.records, " records",
      audit.records > 0
          ? absl::StrCat(" (", audit.first_index, "..", audit.last_index, ")")
          : "",
      ", head ", audit.records > 0 ? ChainHex(audit.head) : "-", ", ",
      audit.snapshots, " snapshots, ", audit.problem.ok() ? "OK" : "BROKEN",
      "\n");
  if (!audit.numbers_checked) {
    absl::StrAppend(&out, "  numbers not checked: ",
                    audit.records == 0 && !audit.problem.ok()
                        ? "no record verifies"
                        : "the journal does not begin with the hall's "
                          "configuration",
                    "\n");
  }
  for (const HallAudit::Numbers& day : audit.last_day) {
    absl::StrAppend(&out, "  ", day.business_day, " ", day.service_code, ": ",
                    day.gap.empty()
                        ? absl::StrCat("1..", day.issued, " contiguous")
                        : absl::StrCat("NOT contiguous: ", day.gap),
                    "\n");
  }
  if (!audit.problem.ok()) {
    absl::StrAppend(&out, "  first problem: ", audit.problem.message(), "\n");
  }
  return out;
}

}  // namespace qcall
