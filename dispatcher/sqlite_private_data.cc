// SqliteJournalStore's private data: the tables
//   private_keys   (hall_id, business_day, wrapped)  a day's key, wrapped
//   private_data   (hall_id, business_day, ticket, sealed)  nonce+ciphertext
//   private_erased (hall_id, business_day, days, erased_at_ms)
//   private_reads  (at_ms, reader, hall_id, business_day, ticket, reason,
//                   outcome)
// in the journal's file, and the one-time move of the phones that journals
// kept in plain text before.
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

constexpr char kNoPrivateKey[] =
    "this server keeps no private data: start it with --private-key-file";

// A prepared statement, finalized however the caller leaves.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) {
      sqlite3_finalize(s_);
      s_ = nullptr;
    }
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return s_ != nullptr; }
  sqlite3_stmt* get() const { return s_; }
  void Text(int i, absl::string_view text) {
    sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void Blob(int i, absl::string_view blob) {
    sqlite3_bind_blob(s_, i, blob.data(), static_cast<int>(blob.size()),
                      SQLITE_TRANSIENT);
  }
  void Int(int i, int64_t value) {
    sqlite3_bind_int64(s_, i, static_cast<sqlite3_int64>(value));
  }
  int Step() { return sqlite3_step(s_); }
  int64_t IntAt(int i) const { return sqlite3_column_int64(s_, i); }
  std::string BytesAt(int i) const {
    const void* data = sqlite3_column_blob(s_, i);
    const int size = sqlite3_column_bytes(s_, i);
    return data == nullptr ? std::string()
                           : std::string(static_cast<const char*>(data), size);
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

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
  bool had_tables = false;
  {
    Statement probe(db_,
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                    "name = 'private_keys'");
    if (!probe.ok()) return Error("read schema");
    had_tables = probe.Step() == SQLITE_ROW;
  }
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  int64_t moved = 0;
  int64_t dropped = 0;
  absl::Status status = Exec(
      "CREATE TABLE IF NOT EXISTS private_keys ("
      " hall_id TEXT NOT NULL, business_day INTEGER NOT NULL,"
      " wrapped BLOB NOT NULL, PRIMARY KEY (hall_id, business_day))"
      " WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS private_data ("
      " hall_id TEXT NOT NULL, business_day INTEGER NOT NULL,"
      " ticket TEXT NOT NULL, sealed BLOB NOT NULL,"
      " PRIMARY KEY (hall_id, business_day, ticket)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS private_erased ("
      " hall_id TEXT NOT NULL, business_day INTEGER NOT NULL,"
      " days INTEGER NOT NULL, erased_at_ms INTEGER NOT NULL,"
      " PRIMARY KEY (hall_id, business_day)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS private_reads ("
      " at_ms INTEGER NOT NULL, reader TEXT NOT NULL, hall_id TEXT NOT NULL,"
      " business_day INTEGER NOT NULL, ticket TEXT NOT NULL,"
      " reason TEXT NOT NULL, outcome TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS private_reads_by_hall"
      " ON private_reads (hall_id, at_ms)");
  // A journal that had no private tables was written before phones were
  // kept apart: its commands and snapshots may hold them.
  if (status.ok() && !had_tables) status = MoveLegacyPhones(&moved, &dropped);
  if (!status.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    SettleDayKeys(false);
    return status;
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    absl::Status failed = Error("move the phones out of the journal");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    SettleDayKeys(false);
    return failed;
  }
  SettleDayKeys(true);
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
  {
    Statement read(db_,
                   "SELECT hall_id, idx, command, reply FROM journal ORDER BY "
                   "hall_id, idx");
    if (!read.ok()) return Error("read the journal for phones");
    int rc;
    while ((rc = read.Step()) == SQLITE_ROW) {
      v1::Command command;
      if (!command.ParseFromString(read.BytesAt(2)) ||
          !command.has_issue_ticket()) {
        continue;
      }
      std::string phone =
          TakeLegacyField(command.mutable_issue_ticket(), kLegacyIssuePhone);
      if (phone.empty()) continue;
      commands.push_back(
          {read.BytesAt(0), read.IntAt(1), command.SerializeAsString()});
      v1::CommandReply reply;
      if (phone[0] != '\0' && reply.ParseFromString(read.BytesAt(3)) &&
          !reply.ticket().number().empty()) {
        phones.push_back({read.BytesAt(0), reply.ticket().business_day(),
                          reply.ticket().number(), std::move(phone)});
      } else {
        ++*dropped;  // Its ticket cannot be told from the row alone.
      }
    }
    if (rc != SQLITE_DONE) return Error("read the journal for phones");
  }
  {
    Statement read(db_, "SELECT hall_id, idx, state FROM snapshots");
    if (!read.ok()) return Error("read the snapshots for phones");
    int rc;
    while ((rc = read.Step()) == SQLITE_ROW) {
      v1::HallState state;
      if (!state.ParseFromString(read.BytesAt(2))) continue;
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
              {read.BytesAt(0), t.business_day(),
               FormatTicketNumber(service.prefix, t.number(), service.width),
               std::move(phone)});
        } else {
          ++*dropped;
        }
      }
      if (changed) {
        states.push_back(
            {read.BytesAt(0), read.IntAt(1), state.SerializeAsString()});
      }
    }
    if (rc != SQLITE_DONE) return Error("read the snapshots for phones");
  }
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
        InsertPrivate(p.hall_id, p.business_day, p.ticket, p.phone));
  }
  {
    Statement write(db_,
                    "UPDATE journal SET command = ? WHERE hall_id = ? AND "
                    "idx = ?");
    if (!write.ok()) return Error("rewrite the journal without phones");
    for (const Rewrite& r : commands) {
      write.Blob(1, r.bytes);
      write.Text(2, r.hall_id);
      write.Int(3, r.index);
      if (write.Step() != SQLITE_DONE) return Error("rewrite a record");
      sqlite3_reset(write.get());
    }
  }
  {
    Statement write(db_,
                    "UPDATE snapshots SET state = ? WHERE hall_id = ? AND "
                    "idx = ?");
    if (!write.ok()) return Error("rewrite the snapshots without phones");
    for (const Rewrite& r : states) {
      write.Blob(1, r.bytes);
      write.Text(2, r.hall_id);
      write.Int(3, r.index);
      if (write.Step() != SQLITE_DONE) return Error("rewrite a snapshot");
      sqlite3_reset(write.get());
    }
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

absl::Status SqliteJournalStore::WritePrivate(const JournalRecord& record) {
  if (record.private_data.empty()) return absl::OkStatus();
  if (cipher_ == nullptr) return absl::FailedPreconditionError(kNoPrivateKey);
  const PrivateEntry& p = record.private_data;
  return InsertPrivate(record.hall_id, p.business_day, p.ticket, p.phone);
}

absl::Status SqliteJournalStore::InsertPrivate(absl::string_view hall_id,
                                               int32_t business_day,
                                               absl::string_view ticket,
                                               absl::string_view phone) {
  ASSIGN_OR_RETURN(const std::string key,
                   DayKey(hall_id, business_day, /*make=*/true));
  Statement insert(db_,
                   "INSERT OR REPLACE INTO private_data (hall_id, "
                   "business_day, ticket, sealed) VALUES (?, ?, ?, ?)");
  if (!insert.ok()) return Error("keep private data");
  insert.Text(1, hall_id);
  insert.Int(2, business_day);
  insert.Text(3, ticket);
  insert.Blob(4,
              PrivateCipher::Seal(key, hall_id, business_day, ticket, phone));
  if (insert.Step() != SQLITE_DONE) return Error("keep private data");
  return absl::OkStatus();
}

absl::StatusOr<std::string> SqliteJournalStore::DayKey(
    absl::string_view hall_id, int32_t business_day, bool make) {
  if (cipher_ == nullptr) return absl::FailedPreconditionError(kNoPrivateKey);
  const std::pair<std::string, int32_t> day{std::string(hall_id), business_day};
  if (auto it = day_keys_.find(day); it != day_keys_.end()) {
    return it->second.key;
  }
  Statement read(db_,
                 "SELECT wrapped FROM private_keys WHERE hall_id = ? AND "
                 "business_day = ?");
  if (!read.ok()) return Error("read a day key");
  read.Text(1, hall_id);
  read.Int(2, business_day);
  const int rc = read.Step();
  if (rc == SQLITE_ROW) {
    ASSIGN_OR_RETURN(
        std::string key,
        cipher_->UnwrapDayKey(read.BytesAt(0), hall_id, business_day));
    day_keys_[day] = HeldKey{key, false};
    return key;
  }
  if (rc != SQLITE_DONE) return Error("read a day key");
  if (!make) {
    return absl::NotFoundError(absl::StrCat("hall ", hall_id,
                                            " holds no key "
                                            "for day ",
                                            business_day));
  }
  PrivateCipher::DayKey made = cipher_->NewDayKey(hall_id, business_day);
  Statement insert(db_,
                   "INSERT INTO private_keys (hall_id, business_day, wrapped) "
                   "VALUES (?, ?, ?)");
  if (!insert.ok()) return Error("keep a day key");
  insert.Text(1, hall_id);
  insert.Int(2, business_day);
  insert.Blob(3, made.wrapped);
  if (insert.Step() != SQLITE_DONE) {
    WipeSecret(&made.key);
    return Error("keep a day key");
  }
  day_keys_[day] = HeldKey{made.key, true};
  std::string key = std::move(made.key);
  return key;
}

void SqliteJournalStore::SettleDayKeys(bool committed) {
  for (auto it = day_keys_.begin(); it != day_keys_.end();) {
    if (it->second.uncommitted && !committed) {
      WipeSecret(&it->second.key);
      day_keys_.erase(it++);
    } else {
      it->second.uncommitted = false;
      ++it;
    }
  }
}

absl::StatusOr<std::string> SqliteJournalStore::Read(const PrivateRead& read) {
  absl::MutexLock lock(&mu_);
  if (cipher_ == nullptr) return absl::FailedPreconditionError(kNoPrivateKey);
  absl::Status refusal;
  std::string phone;
  std::string outcome;
  {
    Statement erased(db_,
                     "SELECT days FROM private_erased WHERE hall_id = ? AND "
                     "business_day = ?");
    if (!erased.ok()) return Error("read private data");
    erased.Text(1, read.hall_id);
    erased.Int(2, read.business_day);
    if (erased.Step() == SQLITE_ROW) {
      outcome = "erased";
      refusal = absl::NotFoundError(absl::StrCat(
          "the private data of hall ", read.hall_id, "'s business day ",
          read.business_day, " was erased after ", erased.IntAt(0),
          " days (its retention)"));
    }
  }
  if (outcome.empty()) {
    Statement data(db_,
                   "SELECT sealed FROM private_data WHERE hall_id = ? AND "
                   "business_day = ? AND ticket = ?");
    if (!data.ok()) return Error("read private data");
    data.Text(1, read.hall_id);
    data.Int(2, read.business_day);
    data.Text(3, read.ticket);
    const int rc = data.Step();
    if (rc == SQLITE_ROW) {
      absl::StatusOr<std::string> key =
          DayKey(read.hall_id, read.business_day, /*make=*/false);
      absl::StatusOr<std::string> opened =
          key.ok() ? PrivateCipher::Open(*key, read.hall_id, read.business_day,
                                         read.ticket, data.BytesAt(0))
                   : key.status();
      if (opened.ok()) {
        phone = *std::move(opened);
        outcome = "returned";
      } else {
        outcome = "failed";
        refusal = absl::DataLossError(opened.status().message());
      }
    } else if (rc == SQLITE_DONE) {
      outcome = "no private data";
      refusal = absl::NotFoundError(absl::StrCat(
          "ticket ", read.ticket, " of hall ", read.hall_id, "'s business day ",
          read.business_day,
          " has no private data (none was given when it was issued, or no "
          "such ticket)"));
    } else {
      return Error("read private data");
    }
  }
  // The read is on disk before anything is returned.
  Statement record(db_,
                   "INSERT INTO private_reads (at_ms, reader, hall_id, "
                   "business_day, ticket, reason, outcome) VALUES (?, ?, ?, "
                   "?, ?, ?, ?)");
  if (!record.ok()) {
    WipeSecret(&phone);
    return Error("record the read");
  }
  record.Int(1, read.at_unix_ms);
  record.Text(2, read.reader);
  record.Text(3, read.hall_id);
  record.Int(4, read.business_day);
  record.Text(5, read.ticket);
  record.Text(6, read.reason);
  record.Text(7, outcome);
  if (record.Step() != SQLITE_DONE) {
    WipeSecret(&phone);
    return Error("record the read");
  }
  if (!refusal.ok()) return refusal;
  return phone;
}

absl::StatusOr<std::vector<v1::PrivateDataRead>> SqliteJournalStore::ListReads(
    absl::string_view hall_id, int64_t since_unix_ms, int limit) {
  absl::MutexLock lock(&mu_);
  Statement list(db_,
                 "SELECT at_ms, reader, business_day, ticket, reason, outcome "
                 "FROM private_reads WHERE hall_id = ? AND at_ms >= ? ORDER "
                 "BY at_ms DESC, rowid DESC LIMIT ?");
  if (!list.ok()) return Error("list the reads");
  list.Text(1, hall_id);
  list.Int(2, since_unix_ms);
  list.Int(3, limit);
  std::vector<v1::PrivateDataRead> reads;
  int rc;
  while ((rc = list.Step()) == SQLITE_ROW) {
    v1::PrivateDataRead& r = reads.emplace_back();
    r.set_at_unix_ms(list.IntAt(0));
    r.set_reader(list.BytesAt(1));
    r.set_hall_id(std::string(hall_id));
    r.set_business_day(static_cast<int32_t>(list.IntAt(2)));
    r.set_ticket(list.BytesAt(3));
    r.set_reason(list.BytesAt(4));
    r.set_outcome(list.BytesAt(5));
  }
  if (rc != SQLITE_DONE) return Error("list the reads");
  return reads;
}

absl::StatusOr<int> SqliteJournalStore::Purge(absl::string_view hall_id,
                                              int32_t first_kept_day,
                                              int32_t days,
                                              int64_t now_unix_ms) {
  absl::MutexLock lock(&mu_);
  std::vector<int32_t> due;
  {
    Statement find(db_,
                   "SELECT business_day FROM private_keys WHERE hall_id = ?1 "
                   "AND business_day < ?2 UNION SELECT business_day FROM "
                   "private_data WHERE hall_id = ?1 AND business_day < ?2");
    if (!find.ok()) return Error("find private data to erase");
    find.Text(1, hall_id);
    find.Int(2, first_kept_day);
    int rc;
    while ((rc = find.Step()) == SQLITE_ROW) {
      due.push_back(static_cast<int32_t>(find.IntAt(0)));
    }
    if (rc != SQLITE_DONE) return Error("find private data to erase");
  }
  if (due.empty()) return 0;
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto erase = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    for (const char* sql :
         {"DELETE FROM private_data WHERE hall_id = ? AND business_day < ?",
          "DELETE FROM private_keys WHERE hall_id = ? AND business_day < ?"}) {
      Statement del(db_, sql);
      if (!del.ok()) return Error("erase private data");
      del.Text(1, hall_id);
      del.Int(2, first_kept_day);
      if (del.Step() != SQLITE_DONE) return Error("erase private data");
    }
    Statement note(db_,
                   "INSERT OR REPLACE INTO private_erased (hall_id, "
                   "business_day, days, erased_at_ms) VALUES (?, ?, ?, ?)");
    if (!note.ok()) return Error("note an erased day");
    for (int32_t day : due) {
      note.Text(1, hall_id);
      note.Int(2, day);
      note.Int(3, days);
      note.Int(4, now_unix_ms);
      if (note.Step() != SQLITE_DONE) return Error("note an erased day");
      sqlite3_reset(note.get());
    }
    return absl::OkStatus();
  };
  if (absl::Status erased = erase(); !erased.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return erased;
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    absl::Status failed = Error("erase private data");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return failed;
  }
  for (int32_t day : due) {
    if (auto it = day_keys_.find(std::make_pair(std::string(hall_id), day));
        it != day_keys_.end()) {
      WipeSecret(&it->second.key);
      day_keys_.erase(it);
    }
  }
  // secure_delete zeroed the pages in the file; the old frames of the -wal
  // still hold the wrapped keys and ciphertext until the log is emptied.
  RETURN_IF_ERROR(Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return static_cast<int>(due.size());
}

absl::StatusOr<std::vector<int32_t>> SqliteJournalStore::DaysHeld(
    absl::string_view hall_id) {
  absl::MutexLock lock(&mu_);
  Statement list(db_,
                 "SELECT business_day FROM private_keys WHERE hall_id = ? "
                 "ORDER BY business_day");
  if (!list.ok()) return Error("list the private days");
  list.Text(1, hall_id);
  std::vector<int32_t> days;
  int rc;
  while ((rc = list.Step()) == SQLITE_ROW) {
    days.push_back(static_cast<int32_t>(list.IntAt(0)));
  }
  if (rc != SQLITE_DONE) return Error("list the private days");
  return days;
}

}  // namespace qcall
