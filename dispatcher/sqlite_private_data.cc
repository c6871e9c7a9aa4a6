// SqliteJournalStore's private tables (private_data_sql.h) made at open, and
// the one-time move of the phones that its journals kept in plain text
// before.
#include <google/protobuf/unknown_field_set.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dispatcher/sqlite_journal_store.h"
#include "engine/hall_rules.h"
#include "engine/hall_texts.h"
#include "engine/status_macros.h"
#include "qcall/v1/api.pb.h"
#include "qcall/v1/engine.pb.h"
#include "spdlog/spdlog.h"

namespace qcall {
namespace {

// The field numbers the phone had before it was kept apart (now reserved).
constexpr int kLegacyIssuePhone = 4;          // Command.IssueTicket.phone
constexpr int kLegacyTicketRecordPhone = 14;  // HallState.TicketRecord.phone

// Takes the length-delimited unknown field `number` out of `message`:
// its value, or "" when it has none.
std::string TakeLegacyField(google::protobuf::Message* message, int number) {
  google::protobuf::UnknownFieldSet* unknown =
      message->GetReflection()->MutableUnknownFields(message);
  std::string value;
  bool found = false;
  for (int i = 0; i < unknown->field_count(); ++i) {
    if (unknown->field(i).number() == number) {
      found = true;
      if (unknown->field(i).type() ==
          google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
        value = unknown->field(i).length_delimited();
      }
    }
  }
  if (found) unknown->DeleteByNumber(number);
  if (value.empty() && found) value = std::string(1, '\0');  // Taken anyway.
  return value;
}

}  // namespace

absl::Status SqliteJournalStore::OpenPrivateTables() {
  ASSIGN_OR_RETURN(const bool had_tables, sql_->HasTable("private_keys"));
  private_ = std::make_unique<SqlPrivateData>(sql_.get(), &mu_, cipher_);
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  int64_t moved = 0;
  int64_t dropped = 0;
  absl::Status status = SqlPrivateData::CreateTables(sql_.get());
  // A journal that had no private tables was written before phones were
  // kept apart: its commands and snapshots may hold them.
  if (status.ok() && !had_tables) status = MoveLegacyPhones(&moved, &dropped);
  if (!status.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    private_->Settle(false);
    return status;
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    absl::Status failed = Error("move the phones out of the journal");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    private_->Settle(false);
    return failed;
  }
  private_->Settle(true);
  if (moved + dropped > 0) {
    // The rows as they were may linger in free pages and in the -wal:
    // rewrite the file, then empty the log.
    RETURN_IF_ERROR(Exec("VACUUM"));
    RETURN_IF_ERROR(Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  return absl::OkStatus();
}

absl::Status SqliteJournalStore::MoveLegacyPhones(int64_t* moved,
                                                  int64_t* dropped) {
  struct Rewrite {
    std::string hall_id;
    int64_t index;
    std::string bytes;
  };
  struct Phone {
    std::string hall_id;
    int32_t business_day;
    std::string ticket;
    std::string phone;
  };
  std::vector<Rewrite> commands;
  std::vector<Rewrite> states;
  std::vector<Phone> phones;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT hall_id, idx, command, reply FROM journal ORDER BY hall_id, idx",
      {}, [&](const SqlRow& row) {
        v1::Command command;
        if (!command.ParseFromString(row.Bytes(2)) ||
            !command.has_issue_ticket()) {
          return;
        }
        std::string phone =
            TakeLegacyField(command.mutable_issue_ticket(), kLegacyIssuePhone);
        if (phone.empty()) return;
        commands.push_back(
            {row.Bytes(0), row.Int(1), command.SerializeAsString()});
        v1::CommandReply reply;
        if (phone[0] != '\0' && reply.ParseFromString(row.Bytes(3)) &&
            !reply.ticket().number().empty()) {
          phones.push_back({row.Bytes(0), reply.ticket().business_day(),
                            reply.ticket().number(), std::move(phone)});
        } else {
          ++*dropped;  // Its ticket cannot be told from the row alone.
        }
      }));
  RETURN_IF_ERROR(sql_->Run(
      "SELECT hall_id, idx, state FROM snapshots", {}, [&](const SqlRow& row) {
        v1::HallState state;
        if (!state.ParseFromString(row.Bytes(2))) return;
        absl::StatusOr<HallRules> rules = HallRules::FromConfig(state.config());
        bool changed = false;
        for (v1::HallState::TicketRecord& t : *state.mutable_tickets()) {
          std::string phone = TakeLegacyField(&t, kLegacyTicketRecordPhone);
          if (phone.empty()) continue;
          changed = true;
          if (phone[0] != '\0' && rules.ok() &&
              t.service() < rules->services().size()) {
            const ServiceRules& service = rules->services()[t.service()];
            phones.push_back(
                {row.Bytes(0), t.business_day(),
                 FormatTicketNumber(service.prefix, t.number(), service.width),
                 std::move(phone)});
          } else {
            ++*dropped;
          }
        }
        if (changed) {
          states.push_back(
              {row.Bytes(0), row.Int(1), state.SerializeAsString()});
        }
      }));
  if (commands.empty() && states.empty()) return absl::OkStatus();
  if (cipher_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "journal ", path_, " holds ", phones.size() + *dropped,
        " customer phone(s) in plain text (written before qcall kept them "
        "apart): start qcalld with --private-key-file (32 bytes, kept outside "
        "the data folder) to move them under encryption"));
  }
  for (const Phone& p : phones) {
    RETURN_IF_ERROR(
        private_->Insert(p.hall_id, p.business_day, p.ticket, p.phone));
  }
  for (const Rewrite& r : commands) {
    RETURN_IF_ERROR(sql_->Run(
        "UPDATE journal SET command = ? WHERE hall_id = ? AND idx = ?",
        {SqlArg::Bytes(r.bytes), r.hall_id, r.index}));
  }
  for (const Rewrite& r : states) {
    RETURN_IF_ERROR(sql_->Run(
        "UPDATE snapshots SET state = ? WHERE hall_id = ? AND idx = ?",
        {SqlArg::Bytes(r.bytes), r.hall_id, r.index}));
  }
  uint64_t records = 0;
  size_t snapshots = 0;
  RETURN_IF_ERROR(ChainAll(&records, &snapshots));
  *moved = static_cast<int64_t>(phones.size());
  spdlog::warn(
      "journal {} held customer phones in plain text: {} moved into the "
      "encrypted private tables, {} erased (their ticket cannot be told from "
      "the record); {} records and {} snapshots rewritten without them and "
      "the whole journal chained again{}: a head kept from before today no "
      "longer matches",
      path_, *moved, *dropped, commands.size(), states.size(),
      chain_.keyed() ? " (keyed)" : "");
  return absl::OkStatus();
}

}  // namespace qcall
