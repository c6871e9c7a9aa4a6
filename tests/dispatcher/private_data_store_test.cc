// The stores' private data, over each store (SQLite and PostgreSQL): phones
// committed with their journal record, encrypted; read only through a
// recorded read; erased with their day's key; and phones of SQLite journals
// from before, moved out of the command rows and snapshots at the first
// open. On SQLite every check of "nowhere" searches the bytes of every file
// in the data folder (a PostgreSQL server's files are its own).
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/private_cipher.h"
#include "dispatcher/sql_connection.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "qcall/v1/api.pb.h"
#include "qcall/v1/engine.pb.h"
#include "tests/common/files_holding.h"
#include "tests/dispatcher/store_kinds.h"

namespace qcall {
namespace {

using ::qcall::testing::FilesHolding;
using ::qcall::testing::StoreKind;

constexpr char kPhone[] = "13912345678";

std::shared_ptr<const PrivateCipher> Cipher(char fill = 'k') {
  return std::make_shared<const PrivateCipher>(
      *PrivateCipher::WithMasterKey(std::string(32, fill)));
}

// An IssueTicket record of `ticket` on `day`, with `phone` apart.
JournalRecord Issued(uint64_t index, const std::string& ticket, int32_t day,
                     const std::string& phone) {
  v1::Command command;
  command.mutable_issue_ticket()->set_service_code("BILL");
  v1::CommandReply reply;
  reply.mutable_ticket()->set_number(ticket);
  reply.mutable_ticket()->set_business_day(day);
  JournalRecord r{"hall-1",
                  index,
                  1'765'000'000'000 + int64_t(index),
                  absl::StrCat("req-", index),
                  command.SerializeAsString(),
                  reply.SerializeAsString()};
  if (!phone.empty()) r.private_data = {day, ticket, phone};
  return r;
}

// A store of one kind, reopened at will with or without a key.
class PrivateDataFixture {
 protected:
  void SetUpPlace(StoreKind kind) {
    absl::StatusOr<testing::StorePlace> place = testing::NewStorePlace(kind);
    if (absl::IsNotFound(place.status())) {
      GTEST_SKIP() << place.status().message();
    }
    ASSERT_TRUE(place.ok()) << place.status();
    place_ = *std::move(place);
  }
  absl::Status Open(std::shared_ptr<const PrivateCipher> cipher = Cipher()) {
    store_.reset();
    absl::StatusOr<std::unique_ptr<JournalStore>> store = testing::OpenStoreAt(
        place_, {.create = !created_, .private_cipher = cipher}, {"hall-1"});
    if (!store.ok()) return store.status();
    created_ = true;
    store_ = *std::move(store);
    return absl::OkStatus();
  }
  bool sqlite() const { return place_.kind == StoreKind::kSqlite; }
  const std::filesystem::path& dir() const { return place_.dir; }
  std::string path() const { return place_.path(); }
  PrivateDataStore* vault() {
    EXPECT_NE(store_->private_data(), nullptr);
    return store_->private_data();
  }
  absl::StatusOr<std::string> ReadPhone(const std::string& ticket, int32_t day,
                                        const std::string& reason =
                                            "call "
                                            "back") {
    return vault()->Read({.at_unix_ms = 1000,
                          .reader = "duty-manager",
                          .hall_id = "hall-1",
                          .business_day = day,
                          .ticket = ticket,
                          .reason = reason});
  }
  // The first column of the first row `sql` finds in the store's database,
  // as bytes.
  std::string Column(const char* sql) {
    absl::StatusOr<std::unique_ptr<SqlConnection>> db =
        OpenSqlConnection(place_.url, /*read_only=*/true);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return "";
    std::optional<std::string> out;
    EXPECT_TRUE((*db)
                    ->Run(sql, {},
                          [&](const SqlRow& row) {
                            if (!out) out = row.Bytes(0);
                          })
                    .ok());
    return out.value_or("");
  }

  testing::StorePlace place_;
  bool created_ = false;
  std::unique_ptr<JournalStore> store_;
};

class PrivateDataStoreTest : public PrivateDataFixture,
                             public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { SetUpPlace(GetParam()); }
  void TearDown() override { store_.reset(); }
};

INSTANTIATE_TEST_SUITE_P(Stores, PrivateDataStoreTest,
                         ::testing::Values(StoreKind::kSqlite,
                                           StoreKind::kPostgres),
                         testing::StoreKindName);

// Journals that held phones in plain text were only ever SQLite files.
class SqlitePrivateDataTest : public PrivateDataFixture,
                              public ::testing::Test {
 protected:
  void SetUp() override { SetUpPlace(StoreKind::kSqlite); }
  void TearDown() override { store_.reset(); }
};

TEST_P(PrivateDataStoreTest, APhoneIsKeptEncryptedAndReadWithARecordedRead) {
  ASSERT_TRUE(Open().ok());
  ASSERT_NE(store_->private_data(), nullptr);
  ASSERT_TRUE(store_
                  ->Commit({Issued(1, "A001", 20261207, kPhone),
                            Issued(2, "A002", 20261207, "")},
                           {})
                  .ok());
  absl::StatusOr<std::string> phone = ReadPhone("A001", 20261207, "complaint");
  ASSERT_TRUE(phone.ok()) << phone.status();
  EXPECT_EQ(*phone, kPhone);
  absl::StatusOr<std::string> none = ReadPhone("A002", 20261207);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("has no private data"),
            std::string::npos)
      << none.status();
  // Both reads were recorded, newest first, with who, why and what came of
  // it.
  absl::StatusOr<std::vector<v1::PrivateDataRead>> reads =
      vault()->ListReads("hall-1", 0, 10);
  ASSERT_TRUE(reads.ok()) << reads.status();
  ASSERT_EQ(reads->size(), 2u);
  EXPECT_EQ((*reads)[0].ticket(), "A002");
  EXPECT_EQ((*reads)[0].outcome(), "no private data");
  EXPECT_EQ((*reads)[1].ticket(), "A001");
  EXPECT_EQ((*reads)[1].reader(), "duty-manager");
  EXPECT_EQ((*reads)[1].reason(), "complaint");
  EXPECT_EQ((*reads)[1].outcome(), "returned");
  EXPECT_EQ((*reads)[1].business_day(), 20261207);
  EXPECT_TRUE(vault()->ListReads("hall-2", 0, 10)->empty());
  // The journal's command row does not hold it, nor does any file.
  store_
      ->ReadJournal("hall-1", 0, 10,
                    [](const JournalRecord& r) {
                      EXPECT_EQ(r.command.find(kPhone), std::string::npos);
                      return absl::OkStatus();
                    })
      .IgnoreError();
  EXPECT_NE(Column("SELECT sealed FROM private_data"), "");
  if (sqlite()) {
    EXPECT_TRUE(FilesHolding(dir(), kPhone).empty());
  }
  store_.reset();
  if (sqlite()) {
    EXPECT_TRUE(FilesHolding(dir(), kPhone).empty());
  }
  // A restart keeps it readable; another master key cannot open it.
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(*ReadPhone("A001", 20261207), kPhone);
  ASSERT_TRUE(Open(Cipher('x')).ok());
  EXPECT_EQ(ReadPhone("A001", 20261207).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_P(PrivateDataStoreTest, WithoutAKeyNothingIsKept) {
  ASSERT_TRUE(Open(nullptr).ok());
  EXPECT_EQ(store_->private_data(), nullptr);
  const absl::Status refused =
      store_->Commit({Issued(1, "A001", 20261207, kPhone)}, {});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("--private-key-file"), std::string::npos);
  // The whole batch was rolled back: no record, no phone.
  EXPECT_EQ(*store_->LastIndex("hall-1"), 0u);
  EXPECT_TRUE(store_->Commit({Issued(1, "A001", 20261207, "")}, {}).ok());
  EXPECT_EQ(Column("SELECT sealed FROM private_data"), "");
  store_.reset();
  if (sqlite()) {
    EXPECT_TRUE(FilesHolding(dir(), kPhone).empty());
  }
}

TEST_P(PrivateDataStoreTest, PurgeDestroysTheDaysKeyAndEveryCopy) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(store_
                  ->Commit({Issued(1, "A001", 20261101, "13911110001"),
                            Issued(2, "A001", 20261102, "13911110002"),
                            Issued(3, "A001", 20261130, "13911110003")},
                           {})
                  .ok());
  const std::string wrapped =
      Column("SELECT wrapped FROM private_keys WHERE business_day = 20261101");
  const std::string sealed =
      Column("SELECT sealed FROM private_data WHERE business_day = 20261101");
  ASSERT_EQ(wrapped.size(), 24u + 32u + 16u);
  ASSERT_FALSE(sealed.empty());
  const std::string day_key =
      *Cipher()->UnwrapDayKey(wrapped, "hall-1", 20261101);
  if (sqlite()) {
    ASSERT_FALSE(FilesHolding(dir(), wrapped).empty());  // The search works.
  }
  EXPECT_EQ(*vault()->DaysHeld("hall-1"),
            (std::vector<int32_t>{20261101, 20261102, 20261130}));

  absl::StatusOr<int> erased =
      vault()->Purge("hall-1", 20261103, 30, 1'765'000'000'000);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(*erased, 2);
  EXPECT_EQ(*vault()->DaysHeld("hall-1"), (std::vector<int32_t>{20261130}));
  absl::StatusOr<std::string> gone = ReadPhone("A001", 20261101);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("erased after 30 days"),
            std::string::npos)
      << gone.status();
  EXPECT_EQ(*ReadPhone("A001", 20261130), "13911110003");
  EXPECT_EQ(vault()->ListReads("hall-1", 0, 1)->at(0).outcome(), "returned");
  EXPECT_EQ(vault()->ListReads("hall-1", 0, 2)->at(1).outcome(), "erased");
  // Again: nothing left to erase.
  EXPECT_EQ(*vault()->Purge("hall-1", 20261103, 30, 1'765'000'000'000), 0);
  EXPECT_EQ(Column("SELECT wrapped FROM private_keys WHERE business_day < "
                   "20261103"),
            "");
  EXPECT_EQ(Column("SELECT sealed FROM private_data WHERE business_day < "
                   "20261103"),
            "");
  if (sqlite()) {
    for (const std::string& bytes : {wrapped, sealed, day_key}) {
      EXPECT_TRUE(FilesHolding(dir(), bytes).empty());
    }
  }
  store_.reset();
  if (sqlite()) {
    for (const std::string& bytes :
         {wrapped, sealed, day_key, std::string("13911110001")}) {
      EXPECT_TRUE(FilesHolding(dir(), bytes).empty());
    }
  }
  // Erased stays erased across a restart.
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(ReadPhone("A001", 20261102).status().code(),
            absl::StatusCode::kNotFound);
}

// A journal from before phones were kept apart: the phone in the IssueTicket
// command (field 4) and in the snapshot's ticket (field 14).
TEST_F(SqlitePrivateDataTest, PhonesOfAnOldJournalAreMovedOutAtFirstOpen) {
  ASSERT_TRUE(Open(nullptr).ok());
  JournalRecord with_reply = Issued(1, "A001", 20261207, "");
  JournalRecord without_reply = Issued(2, "A002", 20261207, "");
  without_reply.request_id.clear();
  without_reply.reply.clear();
  for (auto [record, phone] : {std::pair{&with_reply, "13900000001"},
                               std::pair{&without_reply, "13900000002"}}) {
    v1::Command command;
    ASSERT_TRUE(command.ParseFromString(record->command));
    command.mutable_issue_ticket()
        ->GetReflection()
        ->MutableUnknownFields(command.mutable_issue_ticket())
        ->AddLengthDelimited(4, phone);
    record->command = command.SerializeAsString();
  }
  v1::HallState state;
  state.mutable_config()->set_hall_id("hall-1");
  state.mutable_config()->set_time_zone("Asia/Shanghai");
  auto* service = state.mutable_config()->add_services();
  service->set_code("BILL");
  service->set_name("Bills");
  service->set_ticket_prefix("A");
  auto* window = state.mutable_config()->add_windows();
  window->set_number(1);
  window->set_name("1");
  window->add_serves()->set_service_code("BILL");
  auto* ticket = state.add_tickets();
  ticket->set_service(0);
  ticket->set_number(2);
  ticket->set_business_day(20261207);
  ticket->GetReflection()->MutableUnknownFields(ticket)->AddLengthDelimited(
      14, "13900000002");
  ASSERT_TRUE(store_
                  ->Commit({with_reply, without_reply},
                           {{"hall-1", 2, state.SerializeAsString()}})
                  .ok());
  store_.reset();
  {
    // What an old qcalld's file looked like: no private tables.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE private_keys; DROP TABLE private_data;"
                           "DROP TABLE private_erased; DROP TABLE "
                           "private_reads",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  ASSERT_FALSE(FilesHolding(dir(), "13900000001").empty());
  // Without a key it refuses to start: the phones would stay in plain text.
  const absl::Status refused = Open(nullptr);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("3 customer phone(s) in plain text"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.message().find("--private-key-file"), std::string::npos);
  // With one, they move; a phone whose record has no reply comes back from
  // the snapshot, which names its ticket.
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(*ReadPhone("A001", 20261207), "13900000001");
  EXPECT_EQ(*ReadPhone("A002", 20261207), "13900000002");
  store_.reset();
  EXPECT_TRUE(FilesHolding(dir(), "13900000001").empty());
  EXPECT_TRUE(FilesHolding(dir(), "13900000002").empty());
  // The rows without them are chained again, and so is the snapshot.
  ASSERT_TRUE(Open().ok());
  const JournalChain& chain = store_->chain();
  std::string head = chain.Genesis("hall-1");
  int records = 0;
  ASSERT_TRUE(store_
                  ->ReadJournal(
                      "hall-1", 0, 10,
                      [&](const JournalRecord& r) {
                        v1::Command command;
                        EXPECT_TRUE(command.ParseFromString(r.command));
                        EXPECT_EQ(command.issue_ticket()
                                      .GetReflection()
                                      ->GetUnknownFields(command.issue_ticket())
                                      .field_count(),
                                  0);
                        head = chain.Next(head, r);
                        EXPECT_EQ(r.chain, head);
                        ++records;
                        return absl::OkStatus();
                      })
                  .ok());
  EXPECT_EQ(records, 2);
  absl::StatusOr<std::optional<SnapshotRecord>> snapshot =
      store_->LatestSnapshot("hall-1");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->chain, head);
  EXPECT_EQ((*snapshot)->checksum, chain.SnapshotChecksum(**snapshot));
  // Once moved, an open without the key is fine again (nothing in plain
  // text), though it keeps no new phones.
  ASSERT_TRUE(Open(nullptr).ok());
}

}  // namespace
}  // namespace qcall
