#include "dispatcher/sqlite_journal_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_verify.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

// What every store promises (commits, reads, the chain, --init-store) is
// journal_store_contract_test.cc, run on SQLite too; here what only the
// SQLite file has: its path, its folder, its write-ahead log.
class SqliteJournalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat(
               "qcall-store-test-", getpid(), "-",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "journal.sqlite").string(); }
  // A new journal, as qcalld --init-store makes it.
  absl::StatusOr<std::unique_ptr<SqliteJournalStore>> Create() const {
    return SqliteJournalStore::Open(Path(), {.create = true});
  }

  std::filesystem::path dir_;
};

// The journal's folder must exist: the store does not create folders.
TEST_F(SqliteJournalStoreTest, AMissingFolderIsUnavailable) {
  auto store = SqliteJournalStore::Open(
      (dir_ / "missing" / "x.sqlite").string(), {.create = true});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable)
      << store.status();
}

// Places no process can write a journal to, root included (the tests run as
// root, for whom permission bits stop nothing): a folder on the path that is
// a regular file (ENOTDIR), and a folder where the journal file should be
// (EISDIR). Each must be refused as UNAVAILABLE and leave the path as it was.
TEST_F(SqliteJournalStoreTest, APathNoOneCanWriteIsUnavailable) {
  const std::filesystem::path file = dir_ / "not-a-folder";
  { std::ofstream(file) << "a file, not a folder"; }
  const std::filesystem::path folder = dir_ / "journal.sqlite";
  std::filesystem::create_directory(folder);
  for (const std::filesystem::path& path : {file / "x.sqlite", folder}) {
    SCOPED_TRACE(path.string());
    auto store = SqliteJournalStore::Open(path.string(), {.create = true});
    EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable)
        << store.status();
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(file));
  EXPECT_EQ(std::filesystem::file_size(file), 20u);
  EXPECT_TRUE(std::filesystem::is_directory(folder));
  EXPECT_TRUE(std::filesystem::is_empty(folder));
}

JournalRecord Record(uint64_t index) {
  return {"a", index, 1000, "", "command", ""};
}

TEST_F(SqliteJournalStoreTest, AJournalThatCannotBeWrittenIsRefusedAtOpen) {
  { ASSERT_TRUE(Create().ok()); }
  // Immutable: even root cannot write it (mode bits would not stop root).
  const std::string lock = absl::StrCat("chattr +i ", Path(), " 2>/dev/null");
  if (std::system(lock.c_str()) != 0) {
    GTEST_SKIP() << "this file system cannot make a file immutable (chattr)";
  }
  auto store = SqliteJournalStore::Open(Path());
  std::system(absl::StrCat("chattr -i ", Path()).c_str());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("cannot be written"),
            std::string::npos)
      << store.status();
}

TEST_F(SqliteJournalStoreTest, ADeletedOrReplacedJournalRefusesCommits) {
  for (const bool replace : {false, true}) {
    auto store = Create();
    ASSERT_TRUE(store.ok()) << store.status();
    const JournalRecord first = Record(1);
    ASSERT_TRUE((*store)->Commit({&first, 1}, {}).ok());
    std::filesystem::remove(Path());
    if (replace) std::ofstream(Path()) << "not the journal";
    const JournalRecord second = Record(2);
    const absl::Status refused = (*store)->Commit({&second, 1}, {});
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << replace;
    EXPECT_NE(refused.message().find("deleted or replaced"), std::string::npos)
        << refused;
    store->reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
}

// A folder without a journal: nothing opens it, and nothing is made there.
TEST_F(SqliteJournalStoreTest, NoJournalIsRefusedAndNothingIsMade) {
  auto refused = SqliteJournalStore::Open(Path());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(refused.status().message());
  EXPECT_NE(message.find("no journal at " + Path()), std::string::npos)
      << message;
  EXPECT_NE(message.find("A new installation: run `qcalld --data " +
                         dir_.string() + " --init-store` once"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("restore it from a backup; starting empty restarts "
                         "today's numbers at 1"),
            std::string::npos)
      << message;
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
  // A journal of another name is named by its URL.
  const std::string other = (dir_ / "halls.sqlite").string();
  EXPECT_NE(SqliteJournalStore::Open(other).status().message().find(
                "`qcalld --store sqlite:" + other + " --init-store`"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(SqliteJournalStoreTest, ALostJournalIsRefusedUntilCreatedAgain) {
  {
    auto store = Create();
    ASSERT_TRUE(store.ok()) << store.status();
    const JournalRecord first = Record(1);
    ASSERT_TRUE((*store)->Commit({&first, 1}, {}).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(Path() + ".created"));
  for (const char* how : {"emptied", "deleted"}) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(Path() + suffix);
    }
    if (std::string(how) == "emptied") std::ofstream(Path()).close();
    auto refused = SqliteJournalStore::Open(Path());
    ASSERT_FALSE(refused.ok()) << how;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("--init-store"),
              std::string::npos)
        << refused.status();
    EXPECT_NE(refused.status().message().find("one was begun here"),
              std::string::npos)
        << refused.status();
  }
  // A valid SQLite file without the journal (the -wal lost before a
  // checkpoint, say) is lost as well.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(Path() + suffix);
  }
  {
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(Path().c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other,
                           "CREATE TABLE other (x); PRAGMA "
                           "journal_mode=WAL",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(other);
  }
  auto replaced = SqliteJournalStore::Open(Path());
  ASSERT_FALSE(replaced.ok());
  EXPECT_EQ(replaced.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(replaced.status().message().find("no journal at"),
            std::string::npos)
      << replaced.status();
  auto fresh = Create();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(*(*fresh)->LastIndex("a"), 0u) << "the operator chose to";
}

// A journal written before the chain existed (the tables as qcall 0.11 made
// them) is chained from its first record when it is opened, snapshots too,
// and then verifies.
TEST_F(SqliteJournalStoreTest, AJournalFromBeforeTheChainIsChainedAtOpen) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(
            db,
            "PRAGMA journal_mode=WAL;"
            "CREATE TABLE journal (hall_id TEXT NOT NULL, idx INTEGER NOT "
            "NULL, at_ms INTEGER NOT NULL, request_id TEXT NOT NULL, command "
            "BLOB NOT NULL, reply BLOB NOT NULL, PRIMARY KEY (hall_id, idx)) "
            "WITHOUT ROWID;"
            "CREATE TABLE snapshots (hall_id TEXT NOT NULL, idx INTEGER NOT "
            "NULL, state BLOB NOT NULL, PRIMARY KEY (hall_id, idx));"
            "INSERT INTO journal VALUES ('a', 1, 10, '', x'01', x''),"
            " ('a', 2, 20, 'r', x'02', x'aa'), ('b', 1, 5, '', x'03', x'');"
            "INSERT INTO snapshots VALUES ('a', 2, x'0102');",
            nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = SqliteJournalStore::Open(Path());
  ASSERT_TRUE(store.ok()) << store.status();
  for (const std::string& hall : std::vector<std::string>{"a", "b"}) {
    uint64_t last = 0;
    EXPECT_TRUE(VerifiedRecords(
                    store->get(), hall, 0, (*store)->chain().Genesis(hall),
                    [](const JournalRecord&) { return absl::OkStatus(); },
                    &last)
                    .ok());
    EXPECT_EQ(last, hall == "a" ? 2u : 1u);
  }
  auto snapshot = (*store)->LatestSnapshot("a");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_TRUE(VerifySnapshot(store->get(), **snapshot).ok());
  // And new records follow the chained ones.
  ASSERT_TRUE((*store)->Commit({{"a", 3, 30, "", "x", ""}}, {}).ok());
  uint64_t last = 0;
  EXPECT_TRUE(VerifiedRecords(
                  store->get(), "a", 0, (*store)->chain().Genesis("a"),
                  [](const JournalRecord&) { return absl::OkStatus(); }, &last)
                  .ok());
  EXPECT_EQ(last, 3u);
}

}  // namespace
}  // namespace qcall
