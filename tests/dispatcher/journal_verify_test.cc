// The journal's hash chain against an attacker with the sqlite3 shell: each
// test writes a real hall's journal, closes it, edits the file through the
// SQLite C API as `sqlite3 journal.sqlite "UPDATE ..."` would, and checks
// that both the offline audit and start-up recovery name the first broken
// record and what is wrong.
#include "dispatcher/journal_verify.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "dispatcher/journal_audit.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/recovery.h"
#include "dispatcher/sqlite_journal_store.h"
#include "engine/hall.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kConfig[] = R"pb(
  hall_id: "h1"
  name: "Hall one"
  time_zone: "Asia/Shanghai"
  language: LANGUAGE_EN
  services { code: "BILL" name: "Bills" ticket_prefix: "A" }
  services { code: "TAX" name: "Taxes" ticket_prefix: "B" }
  windows {
    number: 1
    name: "Window 1"
    serves { service_code: "BILL" }
    serves { service_code: "TAX" }
  }
)pb";

constexpr int kRecords = 7;  // A Configure and six tickets.
constexpr int kSnapshotAt = 4;

// Runs `sql` on the file, binding `blob` to ?1 when given.
void Sql(const std::string& path, const std::string& sql,
         const std::string* blob = nullptr) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  if (blob != nullptr) {
    sqlite3_bind_blob(s, 1, blob->data(), static_cast<int>(blob->size()),
                      SQLITE_TRANSIENT);
  }
  EXPECT_EQ(sqlite3_step(s), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

// One blob of one row.
std::string Blob(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) {
    out.assign(static_cast<const char*>(sqlite3_column_blob(s, 0)),
               static_cast<size_t>(sqlite3_column_bytes(s, 0)));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

class JournalVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat(
               "qcall-verify-test-", getpid(), "-",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "journal.sqlite").string(); }

  // A Configure, then tickets for BILL and TAX in turn (record 5 a green
  // channel one), a second apart, as the engine applied them; snapshots
  // after record kSnapshotAt and, when `snapshot_last`, after the last.
  void Write(bool snapshot_last = false, const std::string& key = "") {
    auto store = SqliteJournalStore::Open(
        Path(), {.create = true, .chain_key = key});
    ASSERT_TRUE(store.ok()) << store.status();
    v1::HallConfig config;
    ASSERT_TRUE(
        google::protobuf::TextFormat::ParseFromString(kConfig, &config));
    absl::TimeZone tz;
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
    absl::StatusOr<Hall> hall = Hall::Create(config, tz);
    ASSERT_TRUE(hall.ok()) << hall.status();
    const absl::Time start =
        absl::FromCivil(absl::CivilSecond(2026, 12, 7, 10, 0, 0), tz);
    Hall::Outcome outcome;
    for (int i = 1; i <= kRecords; ++i) {
      v1::Command command;
      if (i == 1) {
        *command.mutable_configure()->mutable_config() = config;
        command.mutable_configure()->set_supervisor_id("test");
      } else {
        command.mutable_issue_ticket()->set_service_code(i % 2 ? "TAX"
                                                               : "BILL");
        if (i == 5) {
          command.mutable_issue_ticket()->set_category(
              v1::CATEGORY_GREEN_CHANNEL);
        }
      }
      const absl::Time at = start + absl::Seconds(i);
      const absl::Status applied = hall->Apply(command, at, &outcome);
      ASSERT_TRUE(applied.ok()) << applied << " record " << i;
      std::vector<SnapshotRecord> snapshots;
      if (i == kSnapshotAt || (snapshot_last && i == kRecords)) {
        snapshots.push_back({"h1", static_cast<uint64_t>(i),
                             hall->Snapshot().SerializeAsString()});
      }
      ASSERT_TRUE(
          (*store)
              ->Commit({{"h1", static_cast<uint64_t>(i), absl::ToUnixMillis(at),
                         "", command.SerializeAsString(), ""}},
                       snapshots)
              .ok());
    }
  }

  // The audit's finding for h1.
  HallAudit Audit(const std::string& key = "") {
    auto store =
        SqliteJournalStore::Open(Path(), {.chain_key = key, .read_only = true});
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return {};
    absl::StatusOr<std::vector<HallAudit>> halls = AuditJournal(store->get());
    EXPECT_TRUE(halls.ok()) << halls.status();
    EXPECT_EQ(halls->size(), 1u);
    return halls->empty() ? HallAudit{} : halls->front();
  }

  // What start-up recovery makes of h1 (the snapshot, then what follows).
  absl::Status Recover(const std::string& key = "") {
    auto store = SqliteJournalStore::Open(Path(), {.chain_key = key});
    if (!store.ok()) return store.status();
    return RebuildHall("h1", nullptr, store->get()).status();
  }

  // The command of record `index`, changed by `edit`, written back.
  void EditCommand(int index, const std::function<void(v1::Command*)>& edit) {
    v1::Command command;
    ASSERT_TRUE(command.ParseFromString(
        Blob(Path(),
             absl::StrCat("SELECT command FROM journal WHERE idx = ", index))));
    edit(&command);
    const std::string bytes = command.SerializeAsString();
    Sql(Path(),
        absl::StrCat("UPDATE journal SET command = ?1 WHERE idx = ", index),
        &bytes);
  }

  std::filesystem::path dir_;
};

TEST_F(JournalVerifyTest, AnIntactJournalVerifiesAndItsNumbersRunFromOne) {
  Write();
  const HallAudit audit = Audit();
  EXPECT_TRUE(audit.problem.ok()) << audit.problem;
  EXPECT_EQ(audit.records, 7u);
  EXPECT_EQ(audit.first_index, 1u);
  EXPECT_EQ(audit.last_index, 7u);
  EXPECT_EQ(audit.snapshots, 1u);
  EXPECT_EQ(audit.head.size(), JournalChain::kSize);
  ASSERT_TRUE(audit.numbers_checked);
  ASSERT_EQ(audit.last_day.size(), 2u);
  EXPECT_EQ(audit.last_day[0].service_code, "BILL");
  EXPECT_EQ(audit.last_day[0].issued, 3u);
  EXPECT_EQ(audit.last_day[1].service_code, "TAX");
  EXPECT_EQ(audit.last_day[1].issued, 3u);
  EXPECT_THAT(FormatAudit(audit),
              AllOf(HasSubstr("hall h1: 7 records (1..7), head "),
                    HasSubstr(ChainHex(audit.head)),
                    HasSubstr("20261207 BILL: 1..3 contiguous")));
  EXPECT_TRUE(Recover().ok()) << Recover();
}

TEST_F(JournalVerifyTest, ATicketsServiceChangedIsAnEditedRecord) {
  Write();
  EditCommand(6, [](v1::Command* c) {
    c->mutable_issue_ticket()->set_service_code("TAX");
  });
  const HallAudit audit = Audit();
  EXPECT_EQ(audit.problem.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(audit.problem.message(),
              AllOf(HasSubstr("hall h1"), HasSubstr("broken at record 6"),
                    HasSubstr("edited")));
  EXPECT_EQ(audit.last_index, 5u) << "the last good record";
  // Record 6 comes after the snapshot: start-up replays it, and refuses.
  const absl::Status recovered = Recover();
  EXPECT_EQ(recovered.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(recovered.message(), HasSubstr("broken at record 6: edited"));
}

TEST_F(JournalVerifyTest, ATicketsCategoryChangedIsAnEditedRecord) {
  Write();
  EditCommand(5, [](v1::Command* c) {
    c->mutable_issue_ticket()->set_category(v1::CATEGORY_VIP);
  });
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("hall h1 is broken at record 5: edited"));
  EXPECT_THAT(Recover().message(), HasSubstr("broken at record 5: edited"));
}

TEST_F(JournalVerifyTest, ATimeMovedADayBackIsAnEditedRecord) {
  Write();
  Sql(Path(), "UPDATE journal SET at_ms = at_ms - 86400000 WHERE idx = 6");
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("hall h1 is broken at record 6: edited"));
  EXPECT_EQ(Recover().code(), absl::StatusCode::kDataLoss);
}

TEST_F(JournalVerifyTest, AnEditBeforeTheSnapshotIsFoundByTheAudit) {
  Write();
  EditCommand(3, [](v1::Command* c) {
    c->mutable_issue_ticket()->set_service_code("BILL");
  });
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("broken at record 3: edited"));
  // Start-up replays from the snapshot (record 4) on, and checks the
  // snapshot's head against record 4's chain: that still holds, so the edit
  // of record 3 is the audit's to find.
  EXPECT_TRUE(Recover().ok());
}

TEST_F(JournalVerifyTest, AMiddleRowDeletedIsMissing) {
  Write();
  Sql(Path(), "DELETE FROM journal WHERE idx = 6");
  const HallAudit audit = Audit();
  EXPECT_THAT(audit.problem.message(),
              AllOf(HasSubstr("broken at record 6: missing"),
                    HasSubstr("records 6 to 6 were deleted")));
  EXPECT_THAT(Recover().message(), HasSubstr("broken at record 6: missing"));
}

TEST_F(JournalVerifyTest, TheLastRowDeletedIsFoundByTheSnapshotTakenThere) {
  Write(/*snapshot_last=*/true);
  Sql(Path(), "DELETE FROM journal WHERE idx = 7");
  EXPECT_THAT(Audit().problem.message(),
              AllOf(HasSubstr("broken at record 7: missing"),
                    HasSubstr("deleted from its end")));
  EXPECT_THAT(Recover().message(), HasSubstr("deleted from its end"));
}

TEST_F(JournalVerifyTest, TheLastRowDeletedLeavesAHeadThatDiffersFromTheKept) {
  // No snapshot after it: the chain alone cannot tell, but the head the
  // audit prints is no longer the one an auditor kept.
  Write();
  const HallAudit before = Audit();
  Sql(Path(), "DELETE FROM journal WHERE idx = 7");
  const HallAudit after = Audit();
  EXPECT_TRUE(after.problem.ok());
  EXPECT_EQ(after.last_index, 6u);
  EXPECT_NE(ChainHex(after.head), ChainHex(before.head));
}

TEST_F(JournalVerifyTest, AForgedRowAppendedIsForged) {
  Write();
  // A copy of record 7 as record 8, chain value and all.
  Sql(Path(),
      "INSERT INTO journal SELECT hall_id, 8, at_ms + 1000, request_id, "
      "command, reply, chain FROM journal WHERE idx = 7");
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("broken at record 8: forged or edited"));
  EXPECT_THAT(Recover().message(), HasSubstr("broken at record 8: forged"));
  // Without a chain value at all.
  Sql(Path(), "UPDATE journal SET chain = x'' WHERE idx = 8");
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("broken at record 8: forged: it carries no chain"));
}

TEST_F(JournalVerifyTest, TwoRowsSwappedAreOutOfOrder) {
  Write();
  Sql(Path(), "UPDATE journal SET idx = -5 WHERE idx = 5");
  Sql(Path(), "UPDATE journal SET idx = 5 WHERE idx = 6");
  Sql(Path(), "UPDATE journal SET idx = 6 WHERE idx = -5");
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("broken at record 5: out of order: it and record 6 "
                        "were swapped"));
  EXPECT_THAT(Recover().message(), HasSubstr("out of order"));
}

TEST_F(JournalVerifyTest, TwoRowsContentsSwappedAreOutOfOrder) {
  Write();
  // The contents swapped, each row keeping its index and chain value.
  const std::string five =
      Blob(Path(), "SELECT command FROM journal WHERE idx = 5");
  const std::string six =
      Blob(Path(), "SELECT command FROM journal WHERE idx = 6");
  Sql(Path(), "UPDATE journal SET command = ?1 WHERE idx = 5", &six);
  Sql(Path(), "UPDATE journal SET command = ?1 WHERE idx = 6", &five);
  Sql(Path(),
      "UPDATE journal SET at_ms = at_ms + CASE idx WHEN 5 THEN 1000 ELSE "
      "-1000 END WHERE idx IN (5, 6)");
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("broken at record 5: out of order"));
}

// Tickets issued within one millisecond make records alike but for their
// index; an edit of the first of two such is an edit, not a swap.
TEST_F(JournalVerifyTest, AnEditBeforeATwinRecordIsAnEditNotASwap) {
  {
    auto store = SqliteJournalStore::Open(Path(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    v1::Command configure;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        kConfig, configure.mutable_configure()->mutable_config()));
    v1::Command issue;
    issue.mutable_issue_ticket()->set_service_code("BILL");
    constexpr int64_t kAt = 1'796'000'000'000;
    for (uint64_t i = 1; i <= 4; ++i) {
      const v1::Command& command = i == 1 ? configure : issue;
      ASSERT_TRUE(
          (*store)
              ->Commit({{"h1", i, kAt, "", command.SerializeAsString(), ""}},
                       {})
              .ok());
    }
  }
  Sql(Path(), "UPDATE journal SET at_ms = at_ms - 86400000 WHERE idx = 2");
  EXPECT_THAT(Audit().problem.message(),
              HasSubstr("broken at record 2: edited"));
}

TEST_F(JournalVerifyTest, ASnapshotTruncatedAtAFieldBoundaryFailsItsChecksum) {
  Write();
  const std::string state =
      Blob(Path(), "SELECT state FROM snapshots WHERE idx = 4");
  v1::HallState whole;
  ASSERT_TRUE(whole.ParseFromString(state));
  // The fields before `tickets` are a prefix of the bytes (protobuf writes
  // fields by number), and parse alone.
  v1::HallState head = whole;
  const google::protobuf::Descriptor* fields = head.GetDescriptor();
  for (int i = 0; i < fields->field_count(); ++i) {
    if (fields->field(i)->number() >= v1::HallState::kTicketsFieldNumber) {
      head.GetReflection()->ClearField(&head, fields->field(i));
    }
  }
  const std::string truncated = head.SerializeAsString();
  ASSERT_LT(truncated.size(), state.size());
  ASSERT_EQ(state.substr(0, truncated.size()), truncated)
      << "not a cut at a field boundary";
  v1::HallState parsed;
  ASSERT_TRUE(parsed.ParseFromString(truncated)) << "it would restore";
  Sql(Path(), "UPDATE snapshots SET state = ?1 WHERE idx = 4", &truncated);
  const absl::Status recovered = Recover();
  EXPECT_EQ(recovered.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(recovered.message(),
              HasSubstr("snapshot of hall h1 at record 4 fails its checksum"));
  EXPECT_THAT(Audit().problem.message(), HasSubstr("fails its checksum"));
}

TEST_F(JournalVerifyTest, ASnapshotByteFlippedFailsItsChecksum) {
  Write();
  std::string state = Blob(Path(), "SELECT state FROM snapshots WHERE idx = 4");
  state[state.size() / 2] ^= 0x01;
  Sql(Path(), "UPDATE snapshots SET state = ?1 WHERE idx = 4", &state);
  EXPECT_THAT(Recover().message(),
              HasSubstr("snapshot of hall h1 at record 4 fails its checksum"));
  EXPECT_THAT(Audit().problem.message(), HasSubstr("fails its checksum"));
}

TEST_F(JournalVerifyTest, AKeyedChainNeedsItsKey) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  Write(false, key);
  EXPECT_TRUE(Audit(key).problem.ok());
  EXPECT_TRUE(Recover(key).ok());
  EXPECT_THAT(Audit().problem.message(),
              AllOf(HasSubstr("broken at record 1"),
                    HasSubstr("another --journal-key-file")));
  EXPECT_THAT(Recover("another key, 16 bytes or more").message(),
              HasSubstr("fails its checksum"));
}

TEST_F(JournalVerifyTest, AForgerWithoutTheKeyCannotRechainAnEdit) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  Write(false, key);
  // The forger edits record 7 and recomputes its chain value as an
  // unkeyed chain would be: the keyed check still fails.
  EditCommand(7, [](v1::Command* c) {
    c->mutable_issue_ticket()->set_service_code("BILL");
  });
  auto store = SqliteJournalStore::Open(Path(), {.read_only = true});
  ASSERT_TRUE(store.ok());
  JournalRecord seven;
  ASSERT_TRUE((*store)
                  ->ReadJournal("h1", 6, 7,
                                [&](const JournalRecord& r) {
                                  seven = r;
                                  return absl::OkStatus();
                                })
                  .ok());
  std::string six;
  ASSERT_TRUE((*store)
                  ->ReadJournal("h1", 5, 6,
                                [&](const JournalRecord& r) {
                                  six = r.chain;
                                  return absl::OkStatus();
                                })
                  .ok());
  store->reset();
  const std::string forged = JournalChain().Next(six, seven);
  Sql(Path(), "UPDATE journal SET chain = ?1 WHERE idx = 7", &forged);
  EXPECT_THAT(Audit(key).problem.message(), HasSubstr("broken at record 7"));
}

}  // namespace
}  // namespace qcall
