// What every JournalStore promises, run against each store OpenJournalStore
// knows: the SQLite file and a PostgreSQL database (a real server from
// Debian's packages, tests/common/postgres_server.h; skipped, saying so, only
// where its binaries are absent).
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "dispatcher/hall_ownership.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/journal_verify.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"

namespace qcall {
namespace {

using ::testing::HasSubstr;

enum class Kind { kSqlite, kPostgres };

class JournalStoreContractTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kSqlite) {
      dir_ =
          std::filesystem::temp_directory_path() /
          absl::StrCat(
              "qcall-contract-", getpid(), "-",
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "journal.sqlite").string();
      return;
    }
    absl::StatusOr<std::string> url = testing::NewPostgresDatabase();
    if (absl::IsNotFound(url.status())) GTEST_SKIP() << url.status().message();
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The store, its halls "a" and "b" taken where several nodes share it.
  absl::StatusOr<std::unique_ptr<JournalStore>> Open(
      const StoreOptions& options = {}) {
    absl::StatusOr<std::unique_ptr<JournalStore>> store =
        OpenJournalStore(url_, options);
    if (store.ok() && (*store)->ownership() != nullptr) {
      for (const char* hall : {"a", "b"}) {
        if (absl::StatusOr<uint64_t> taken = (*store)->ownership()->Take(hall);
            !taken.ok()) {
          return taken.status();
        }
      }
    }
    return store;
  }
  absl::StatusOr<std::unique_ptr<JournalStore>> Create() {
    return Open({.create = true});
  }

  std::filesystem::path dir_;
  std::string url_;
};

std::vector<JournalRecord> Read(JournalStore* store, const std::string& hall,
                                uint64_t after, uint64_t through) {
  std::vector<JournalRecord> records;
  EXPECT_TRUE(store
                  ->ReadJournal(hall, after, through,
                                [&](const JournalRecord& r) {
                                  records.push_back(r);
                                  return absl::OkStatus();
                                })
                  .ok());
  return records;
}

TEST_P(JournalStoreContractTest, WhatIsCommittedSurvivesReopening) {
  {
    auto store = Create();
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<JournalRecord> records;
    for (uint64_t i = 1; i <= 5; ++i) {
      records.push_back({"a", i, static_cast<int64_t>(1000 * i),
                         i % 2 ? absl::StrCat("req-", i) : "",
                         absl::StrCat("cmd-", i), i % 2 ? "reply" : ""});
    }
    records.push_back(
        {"b", 1, 7, std::string("r\0id", 4), std::string("\0binary", 7), ""});
    ASSERT_TRUE((*store)->Commit(records, {{"a", 3, "state-3"}}).ok());
  }
  auto store = Open();
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->LastIndex("a"), 5u);
  EXPECT_EQ(*(*store)->LastIndex("b"), 1u);
  EXPECT_EQ(*(*store)->LastIndex("none"), 0u);
  EXPECT_EQ(*(*store)->HallIds(), (std::vector<std::string>{"a", "b"}));
  auto snapshot = (*store)->LatestSnapshot("a");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->index, 3u);
  EXPECT_EQ((*snapshot)->state, "state-3");
  EXPECT_FALSE((*(*store)->LatestSnapshot("b")).has_value());

  const std::vector<JournalRecord> after3 =
      Read(store->get(), "a", 3, UINT64_MAX);
  ASSERT_EQ(after3.size(), 2u);
  EXPECT_EQ(after3[0].index, 4u);
  EXPECT_EQ(after3[1].command, "cmd-5");
  EXPECT_EQ(after3[1].request_id, "req-5");
  EXPECT_EQ(after3[1].reply, "reply");
  EXPECT_EQ(after3[1].at_unix_ms, 5000);
  const std::vector<JournalRecord> range = Read(store->get(), "a", 1, 3);
  ASSERT_EQ(range.size(), 2u);
  EXPECT_EQ(range[0].index, 2u);
  EXPECT_EQ(range[1].index, 3u);
  const std::vector<JournalRecord> b = Read(store->get(), "b", 0, UINT64_MAX);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].command, std::string("\0binary", 7));
  EXPECT_EQ(b[0].request_id, std::string("r\0id", 4));
}

TEST_P(JournalStoreContractTest, ADuplicateIndexFailsTheWholeCommit) {
  auto store = Create();
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit({{"a", 1, 0, "", "one", ""}}, {}).ok());
  const absl::Status status = (*store)->Commit(
      {{"a", 2, 0, "", "two", ""}, {"a", 1, 0, "", "again", ""}}, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  // Nothing of the failed batch is kept.
  EXPECT_EQ(*(*store)->LastIndex("a"), 1u);
  EXPECT_TRUE((*store)->Commit({{"a", 2, 0, "", "two", ""}}, {}).ok());
}

// A large journal reads back whole and in order (a store may read it in
// pages), and only the range asked for.
TEST_P(JournalStoreContractTest, ALongJournalReadsBackInOrder) {
  auto store = Create();
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<JournalRecord> records;
  for (uint64_t i = 1; i <= 2500; ++i) {
    records.push_back(
        {"a", i, static_cast<int64_t>(i), "", absl::StrCat("cmd-", i), ""});
  }
  ASSERT_TRUE((*store)->Commit(records, {{"a", 2500, "state"}}).ok());
  const std::vector<JournalRecord> all = Read(store->get(), "a", 0, UINT64_MAX);
  ASSERT_EQ(all.size(), 2500u);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].index, i + 1);
    ASSERT_EQ(all[i].command, absl::StrCat("cmd-", i + 1));
  }
  EXPECT_EQ(Read(store->get(), "a", 999, 2001).size(), 1002u);
  auto snapshot = (*store)->LatestSnapshot("a");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->chain, all.back().chain);
}

// Only --init-store makes a journal; a start where there is none is refused
// naming both cases, and makes nothing.
TEST_P(JournalStoreContractTest, NoJournalIsRefusedUntilCreated) {
  for (int i = 0; i < 2; ++i) {
    auto refused = Open();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(refused.status().message(), HasSubstr("no journal"));
    EXPECT_THAT(refused.status().message(), HasSubstr("--init-store"));
    EXPECT_THAT(refused.status().message(),
                HasSubstr("starting empty restarts today's numbers at 1"));
  }
  EXPECT_EQ(Open({.read_only = true}).status().code(),
            absl::StatusCode::kNotFound);
  auto made = Create();
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(*(*made)->LastIndex("a"), 0u);
}

TEST_P(JournalStoreContractTest, CreateIsRefusedWhereAJournalIs) {
  {
    auto store = Create();
    ASSERT_TRUE(store.ok()) << store.status();
    const JournalRecord first{"a", 1, 1000, "", "command", ""};
    ASSERT_TRUE((*store)->Commit({&first, 1}, {}).ok());
  }
  auto again = Create();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("a journal already exists"));
  auto kept = Open();
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(*(*kept)->LastIndex("a"), 1u) << "a refused create changes nothing";
}

// Each record carries the chain over the one before it, computed at commit
// from the head kept in memory or read back after reopening; a failed commit
// moves no head. What is written verifies (qcall audit verify's checks, on a
// store opened read only).
TEST_P(JournalStoreContractTest, RecordsAreChainedAndVerify) {
  const JournalChain chain;
  std::vector<JournalRecord> written = {{"a", 1, 10, "r1", "one", "reply"},
                                        {"a", 2, 20, "", "two", ""},
                                        {"a", 3, 30, "", "three", ""}};
  {
    auto store = Create();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Commit({written[0]}, {}).ok());
    ASSERT_FALSE(
        (*store)->Commit({written[1], {"a", 1, 0, "", "again", ""}}, {}).ok());
    ASSERT_TRUE((*store)->Commit({written[1]}, {{"a", 1, "state-1"}}).ok());
  }
  {
    auto store = Open();
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Commit({written[2]}, {{"a", 3, "state"}}).ok());
  }
  auto store = Open({.read_only = true});
  ASSERT_TRUE(store.ok()) << store.status();
  std::string expected = chain.Genesis("a");
  const std::vector<JournalRecord> read = Read(store->get(), "a", 0, 3);
  ASSERT_EQ(read.size(), 3u);
  for (size_t i = 0; i < read.size(); ++i) {
    expected = chain.Next(expected, written[i]);
    EXPECT_EQ(read[i].chain, expected) << "record " << i + 1;
  }
  auto snapshot = (*store)->LatestSnapshot("a");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->chain, expected);
  EXPECT_EQ((*snapshot)->checksum, chain.SnapshotChecksum(**snapshot));
  uint64_t last = 0;
  EXPECT_TRUE(VerifiedRecords(
                  store->get(), "a", 0, chain.Genesis("a"),
                  [](const JournalRecord&) { return absl::OkStatus(); }, &last)
                  .ok());
  EXPECT_EQ(last, 3u);
  std::vector<SnapshotRecord> snapshots;
  EXPECT_TRUE((*store)
                  ->ReadSnapshots("a",
                                  [&](const SnapshotRecord& s) {
                                    snapshots.push_back(s);
                                    return absl::OkStatus();
                                  })
                  .ok());
  ASSERT_EQ(snapshots.size(), 2u);
  for (const SnapshotRecord& s : snapshots) {
    EXPECT_TRUE(VerifySnapshot(store->get(), s).ok()) << s.index;
  }
  // Read only: nothing is written.
  EXPECT_FALSE((*store)->Commit({{"a", 4, 40, "", "four", ""}}, {}).ok());
  EXPECT_EQ(*(*store)->LastIndex("a"), 3u);
}

// A keyed chain is a MAC: a store opened with another key does not verify.
TEST_P(JournalStoreContractTest, AKeyedChainVerifiesWithItsKeyOnly) {
  const std::string key(32, 'k');
  {
    auto store = Open({.create = true, .chain_key = key});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Commit({{"a", 1, 10, "", "one", ""}}, {}).ok());
  }
  for (const std::string& reader_key : {key, std::string(32, 'x')}) {
    auto store = Open({.chain_key = reader_key, .read_only = true});
    ASSERT_TRUE(store.ok()) << store.status();
    const absl::Status verified =
        VerifiedRecords(store->get(), "a", 0, (*store)->chain().Genesis("a"),
                        [](const JournalRecord&) { return absl::OkStatus(); });
    EXPECT_EQ(verified.ok(), reader_key == key) << verified;
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, JournalStoreContractTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         [](const ::testing::TestParamInfo<Kind>& kind) {
                           return kind.param == Kind::kSqlite ? "Sqlite"
                                                              : "Postgres";
                         });

}  // namespace
}  // namespace qcall
