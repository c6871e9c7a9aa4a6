#include "dispatcher/private_data_sql.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

constexpr char kNoPrivateKey[] =
    "this server keeps no private data: start it with --private-key-file";

}  // namespace

absl::Status SqlPrivateData::CreateTables(SqlConnection* sql) {
  for (const char* ddl : {
           "CREATE TABLE IF NOT EXISTS private_keys ("
           " hall_id TEXT NOT NULL, business_day INTEGER NOT NULL,"
           " wrapped BLOB NOT NULL, PRIMARY KEY (hall_id, business_day))"
           " WITHOUT ROWID",
           "CREATE TABLE IF NOT EXISTS private_data ("
           " hall_id TEXT NOT NULL, business_day INTEGER NOT NULL,"
           " ticket TEXT NOT NULL, sealed BLOB NOT NULL,"
           " PRIMARY KEY (hall_id, business_day, ticket)) WITHOUT ROWID",
           "CREATE TABLE IF NOT EXISTS private_erased ("
           " hall_id TEXT NOT NULL, business_day INTEGER NOT NULL,"
           " days INTEGER NOT NULL, erased_at_ms INTEGER NOT NULL,"
           " PRIMARY KEY (hall_id, business_day)) WITHOUT ROWID",
       }) {
    RETURN_IF_ERROR(sql->Exec(sql->Schema(ddl)));
  }
  // Reads of one millisecond are listed in the order they were recorded:
  // SQLite's rowid, a sequence of PostgreSQL's of that name.
  RETURN_IF_ERROR(sql->Exec(absl::StrCat(
      "CREATE TABLE IF NOT EXISTS private_reads (",
      sql->dialect() == SqlDialect::kPostgres ? " rowid bigserial," : "",
      sql->Schema(" at_ms INTEGER NOT NULL, reader TEXT NOT NULL, hall_id "
                  "TEXT NOT NULL, business_day INTEGER NOT NULL, ticket TEXT "
                  "NOT NULL, reason TEXT NOT NULL, outcome TEXT NOT NULL)"))));
  return sql->Exec(
      "CREATE INDEX IF NOT EXISTS private_reads_by_hall"
      " ON private_reads (hall_id, at_ms)");
}

SqlPrivateData::~SqlPrivateData() {
  for (auto& [day, held] : day_keys_) WipeSecret(&held.key);
}

absl::Status SqlPrivateData::Write(const JournalRecord& record) {
  mu_->AssertHeld();
  if (record.private_data.empty()) return absl::OkStatus();
  if (cipher_ == nullptr) return absl::FailedPreconditionError(kNoPrivateKey);
  const PrivateEntry& p = record.private_data;
  return Insert(record.hall_id, p.business_day, p.ticket, p.phone);
}

absl::Status SqlPrivateData::Insert(absl::string_view hall_id,
                                    int32_t business_day,
                                    absl::string_view ticket,
                                    absl::string_view phone) {
  mu_->AssertHeld();
  ASSIGN_OR_RETURN(const std::string key,
                   DayKey(hall_id, business_day, /*make=*/true));
  const std::string sealed =
      PrivateCipher::Seal(key, hall_id, business_day, ticket, phone);
  return sql_->Run(
      "INSERT INTO private_data (hall_id, business_day, ticket, sealed) "
      "VALUES (?, ?, ?, ?) ON CONFLICT (hall_id, business_day, ticket) DO "
      "UPDATE SET sealed = excluded.sealed",
      {hall_id, business_day, ticket, SqlArg::Bytes(sealed)});
}

absl::StatusOr<std::string> SqlPrivateData::DayKey(absl::string_view hall_id,
                                                   int32_t business_day,
                                                   bool make) {
  if (cipher_ == nullptr) return absl::FailedPreconditionError(kNoPrivateKey);
  const std::pair<std::string, int32_t> day{std::string(hall_id), business_day};
  if (auto it = day_keys_.find(day); it != day_keys_.end()) {
    return it->second.key;
  }
  std::optional<std::string> wrapped;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT wrapped FROM private_keys WHERE hall_id = ? AND business_day = ?",
      {hall_id, business_day},
      [&](const SqlRow& row) { wrapped = row.Bytes(0); }));
  if (wrapped.has_value()) {
    ASSIGN_OR_RETURN(std::string key,
                     cipher_->UnwrapDayKey(*wrapped, hall_id, business_day));
    day_keys_[day] = HeldKey{key, false};
    return key;
  }
  if (!make) {
    return absl::NotFoundError(
        absl::StrCat("hall ", hall_id, " holds no key for day ", business_day));
  }
  PrivateCipher::DayKey made = cipher_->NewDayKey(hall_id, business_day);
  if (absl::Status kept = sql_->Run(
          "INSERT INTO private_keys (hall_id, business_day, wrapped) VALUES "
          "(?, ?, ?)",
          {hall_id, business_day, SqlArg::Bytes(made.wrapped)});
      !kept.ok()) {
    WipeSecret(&made.key);
    return kept;
  }
  day_keys_[day] = HeldKey{made.key, true};
  std::string key = std::move(made.key);
  return key;
}

void SqlPrivateData::Settle(bool committed) {
  mu_->AssertHeld();
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

absl::StatusOr<std::string> SqlPrivateData::Read(const PrivateRead& read) {
  absl::MutexLock lock(mu_);
  if (cipher_ == nullptr) return absl::FailedPreconditionError(kNoPrivateKey);
  absl::Status refusal;
  std::string phone;
  std::string outcome;
  std::optional<int64_t> erased_after;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT days FROM private_erased WHERE hall_id = ? AND business_day = ?",
      {read.hall_id, read.business_day},
      [&](const SqlRow& row) { erased_after = row.Int(0); }));
  if (erased_after.has_value()) {
    outcome = "erased";
    refusal = absl::NotFoundError(absl::StrCat(
        "the private data of hall ", read.hall_id, "'s business day ",
        read.business_day, " was erased after ", *erased_after,
        " days (its retention)"));
  } else {
    std::optional<std::string> sealed;
    RETURN_IF_ERROR(sql_->Run(
        "SELECT sealed FROM private_data WHERE hall_id = ? AND business_day = "
        "? AND ticket = ?",
        {read.hall_id, read.business_day, read.ticket},
        [&](const SqlRow& row) { sealed = row.Bytes(0); }));
    if (sealed.has_value()) {
      absl::StatusOr<std::string> key =
          DayKey(read.hall_id, read.business_day, /*make=*/false);
      absl::StatusOr<std::string> opened =
          key.ok() ? PrivateCipher::Open(*key, read.hall_id, read.business_day,
                                         read.ticket, *sealed)
                   : key.status();
      if (opened.ok()) {
        phone = *std::move(opened);
        outcome = "returned";
      } else {
        outcome = "failed";
        refusal = absl::DataLossError(opened.status().message());
      }
    } else {
      outcome = "no private data";
      refusal = absl::NotFoundError(absl::StrCat(
          "ticket ", read.ticket, " of hall ", read.hall_id, "'s business day ",
          read.business_day,
          " has no private data (none was given when it was issued, or no "
          "such ticket)"));
    }
  }
  // The read is durable before anything is returned.
  if (absl::Status recorded = sql_->Run(
          "INSERT INTO private_reads (at_ms, reader, hall_id, business_day, "
          "ticket, reason, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {read.at_unix_ms, read.reader, read.hall_id, read.business_day,
           read.ticket, read.reason, outcome});
      !recorded.ok()) {
    WipeSecret(&phone);
    return recorded;
  }
  if (!refusal.ok()) return refusal;
  return phone;
}

absl::StatusOr<std::vector<v1::PrivateDataRead>> SqlPrivateData::ListReads(
    absl::string_view hall_id, int64_t since_unix_ms, int limit) {
  absl::MutexLock lock(mu_);
  std::vector<v1::PrivateDataRead> reads;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT at_ms, reader, business_day, ticket, reason, outcome FROM "
      "private_reads WHERE hall_id = ? AND at_ms >= ? ORDER BY at_ms DESC, "
      "rowid DESC LIMIT ?",
      {hall_id, since_unix_ms, static_cast<int64_t>(limit)},
      [&](const SqlRow& row) {
        v1::PrivateDataRead& r = reads.emplace_back();
        r.set_at_unix_ms(row.Int(0));
        r.set_reader(row.Text(1));
        r.set_hall_id(std::string(hall_id));
        r.set_business_day(static_cast<int32_t>(row.Int(2)));
        r.set_ticket(row.Text(3));
        r.set_reason(row.Text(4));
        r.set_outcome(row.Text(5));
      }));
  return reads;
}

absl::StatusOr<int> SqlPrivateData::Purge(absl::string_view hall_id,
                                          int32_t first_kept_day, int32_t days,
                                          int64_t now_unix_ms) {
  absl::MutexLock lock(mu_);
  std::vector<int32_t> due;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT business_day FROM private_keys WHERE hall_id = ? AND "
      "business_day < ? UNION SELECT business_day FROM private_data WHERE "
      "hall_id = ? AND business_day < ?",
      {hall_id, first_kept_day, hall_id, first_kept_day},
      [&](const SqlRow& row) {
        due.push_back(static_cast<int32_t>(row.Int(0)));
      }));
  if (due.empty()) return 0;
  RETURN_IF_ERROR(sql_->Begin());
  auto erase = [&]() -> absl::Status {
    for (const char* sql :
         {"DELETE FROM private_data WHERE hall_id = ? AND business_day < ?",
          "DELETE FROM private_keys WHERE hall_id = ? AND business_day < ?"}) {
      RETURN_IF_ERROR(sql_->Run(sql, {hall_id, first_kept_day}));
    }
    for (int32_t day : due) {
      RETURN_IF_ERROR(sql_->Run(
          "INSERT INTO private_erased (hall_id, business_day, days, "
          "erased_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (hall_id, "
          "business_day) DO UPDATE SET days = excluded.days, erased_at_ms = "
          "excluded.erased_at_ms",
          {hall_id, day, days, now_unix_ms}));
    }
    return sql_->Commit();
  };
  if (absl::Status erased = erase(); !erased.ok()) {
    sql_->Rollback();
    return erased;
  }
  for (int32_t day : due) {
    if (auto it = day_keys_.find(std::make_pair(std::string(hall_id), day));
        it != day_keys_.end()) {
      WipeSecret(&it->second.key);
      day_keys_.erase(it);
    }
  }
  // What was deleted lingers in the files until the database reuses its
  // space. SQLite (secure_delete) zeroed the pages, but the -wal's old
  // frames hold them until the log is emptied; PostgreSQL's dead rows stay
  // in the table's pages until VACUUM clears them.
  RETURN_IF_ERROR(sql_->Exec(sql_->dialect() == SqlDialect::kSqlite
                                 ? "PRAGMA wal_checkpoint(TRUNCATE)"
                                 : "VACUUM private_data, private_keys"));
  return static_cast<int>(due.size());
}

absl::StatusOr<std::vector<int32_t>> SqlPrivateData::DaysHeld(
    absl::string_view hall_id) {
  absl::MutexLock lock(mu_);
  std::vector<int32_t> days;
  RETURN_IF_ERROR(sql_->Run(
      "SELECT business_day FROM private_keys WHERE hall_id = ? ORDER BY "
      "business_day",
      {hall_id}, [&](const SqlRow& row) {
        days.push_back(static_cast<int32_t>(row.Int(0)));
      }));
  return days;
}

}  // namespace qcall
