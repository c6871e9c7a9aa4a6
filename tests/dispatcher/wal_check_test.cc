// The write-ahead log after a crash: a journal is written commit by commit
// and its three files copied while it is open (what kill -9 leaves behind:
// the -wal with every commit, the -shm index), then the copy's -wal is
// damaged as an outside tester did, and opened.
#include "dispatcher/wal_check.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "dispatcher/sqlite_journal_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint64_t kRecords = 50;

class WalCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat(
               "qcall-wal-test-", getpid(), "-",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "live");
    std::filesystem::create_directories(dir_ / "copy");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Live() const {
    return (dir_ / "live" / "journal.sqlite").string();
  }
  std::string Copy() const {
    return (dir_ / "copy" / "journal.sqlite").string();
  }
  std::string Wal() const { return Copy() + "-wal"; }

  // Commits records first..last, one transaction each.
  static void CommitRecords(JournalStore* store, uint64_t first,
                            uint64_t last) {
    for (uint64_t i = first; i <= last; ++i) {
      ASSERT_TRUE(store
                      ->Commit({{"h1", i, static_cast<int64_t>(i), "",
                                 absl::StrCat("ticket ", i), ""}},
                               {})
                      .ok());
    }
  }

  // kRecords commits, the files copied while the journal is open (with
  // `restart_after` > 0, the WAL is checkpointed and begun again after that
  // many records, so older frames lie behind the newer ones).
  void WriteAndCopy(uint64_t restart_after = 0) {
    auto store = SqliteJournalStore::Open(Live(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    if (restart_after > 0) {
      CommitRecords(store->get(), 1, restart_after);
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(Live().c_str(), &db), SQLITE_OK);
      ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(RESTART)", nullptr,
                             nullptr, nullptr),
                SQLITE_OK);
      sqlite3_close(db);
    }
    CommitRecords(store->get(), restart_after + 1, kRecords);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::copy_file(Live() + suffix, Copy() + suffix);
    }
    ASSERT_GT(std::filesystem::file_size(Wal()), 32u);
  }

  std::string ReadWal() const {
    std::ifstream in(Wal(), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  }
  void WriteWal(const std::string& bytes) const {
    std::ofstream(Wal(), std::ios::binary | std::ios::trunc) << bytes;
  }
  // Bytes of a frame: its 24-byte header and a page.
  uint64_t FrameSize() const {
    const std::string wal = ReadWal();
    const auto* p = reinterpret_cast<const unsigned char*>(wal.data());
    return 24 + ((uint64_t{p[8]} << 24) | (uint64_t{p[9]} << 16) |
                 (uint64_t{p[10]} << 8) | p[11]);
  }
  // The offset of frame `n` (0-based).
  uint64_t Frame(uint64_t n) const { return 32 + n * FrameSize(); }
  void Flip8(uint64_t offset) const {
    std::string wal = ReadWal();
    for (uint64_t i = offset; i < offset + 8; ++i) wal[i] ^= 0x5a;
    WriteWal(wal);
  }

  // The records a store on the copy holds.
  uint64_t Records(const StoreOptions& options = {}) const {
    auto store = SqliteJournalStore::Open(Copy(), options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *(*store)->LastIndex("h1") : 0;
  }

  std::filesystem::path dir_;
};

TEST_F(WalCheckTest, AnIntactLogIsCleanAndKeepsEveryRecord) {
  WriteAndCopy();
  const WalReport report = CheckWal(Copy());
  EXPECT_EQ(report.verdict, WalReport::kClean) << report.message;
  EXPECT_GT(report.committed_frames, kRecords);
  EXPECT_EQ(Records(), kRecords);
}

TEST_F(WalCheckTest, ALogBegunAgainOverOlderFramesIsClean) {
  WriteAndCopy(/*restart_after=*/40);
  const WalReport report = CheckWal(Copy());
  EXPECT_EQ(report.verdict, WalReport::kClean) << report.message;
  EXPECT_EQ(Records(), kRecords);
}

TEST_F(WalCheckTest, EightBytesFlippedAreDamageNamingFileAndByte) {
  WriteAndCopy();
  const uint64_t at = Frame(10);
  Flip8(at + 24 + 1000);
  const WalReport report = CheckWal(Copy());
  EXPECT_EQ(report.verdict, WalReport::kDamaged);
  EXPECT_EQ(report.offset, at);
  EXPECT_THAT(report.message,
              AllOf(HasSubstr(Wal()), HasSubstr(absl::StrCat("byte ", at))));
  auto refused = SqliteJournalStore::Open(Copy());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(refused.status().message(),
              AllOf(HasSubstr(Wal()), HasSubstr(absl::StrCat("byte ", at)),
                    HasSubstr("--accept-journal-damage")));
  // The operator's decision: what precedes the damage, and no more.
  EXPECT_LT(Records({.accept_damage = true}), kRecords);
}

TEST_F(WalCheckTest, EightBytesFlippedWithoutTheIndexAreDamageToo) {
  WriteAndCopy();
  std::filesystem::remove(Copy() + "-shm");
  const uint64_t at = Frame(10);
  Flip8(at + 24 + 1000);
  const WalReport report = CheckWal(Copy());
  EXPECT_EQ(report.verdict, WalReport::kDamaged) << report.message;
  EXPECT_EQ(report.offset, at);
  EXPECT_THAT(report.message, HasSubstr("later transaction"));
}

TEST_F(WalCheckTest, EightBytesFlippedInAFrameHeaderAreDamage) {
  WriteAndCopy();
  const uint64_t at = Frame(7);
  Flip8(at + 16);  // Its checksum.
  const WalReport report = CheckWal(Copy());
  EXPECT_EQ(report.verdict, WalReport::kDamaged) << report.message;
  EXPECT_EQ(report.offset, at);
}

TEST_F(WalCheckTest, ALogCutInTheMiddleIsDamage) {
  WriteAndCopy();
  std::filesystem::resize_file(Wal(), Frame(20) + 100);
  const WalReport report = CheckWal(Copy());
  EXPECT_EQ(report.verdict, WalReport::kDamaged) << report.message;
  EXPECT_EQ(report.offset, Frame(20));
  EXPECT_THAT(report.message, HasSubstr("cut short"));
  EXPECT_FALSE(SqliteJournalStore::Open(Copy()).ok());
}

TEST_F(WalCheckTest, ALogCutWithoutTheIndexCannotBeToldFromATornWrite) {
  // The limit, as docs/design.md says: with no -shm left, the frames a cut
  // removed leave no trace. Only a partial frame shows, as a torn write.
  WriteAndCopy();
  std::filesystem::remove(Copy() + "-shm");
  std::filesystem::resize_file(Wal(), Frame(20) + 100);
  EXPECT_EQ(CheckWal(Copy()).verdict, WalReport::kTornTail);
}

TEST_F(WalCheckTest, AHeaderChangedIsDamage) {
  WriteAndCopy();
  Flip8(4);  // The format version and the page size.
  const WalReport report = CheckWal(Copy());
  EXPECT_EQ(report.verdict, WalReport::kDamaged) << report.message;
  EXPECT_EQ(report.offset, 0u);
}

TEST_F(WalCheckTest, ATornWriteAtTheEndIsNotDamage) {
  WriteAndCopy();
  const std::string wal = ReadWal();
  const uint64_t frame = FrameSize();
  // A crash while the next transaction's first frame was being written:
  // part of a frame (a copy of the last one).
  WriteWal(wal + wal.substr(wal.size() - frame, frame / 2));
  const WalReport torn = CheckWal(Copy());
  EXPECT_EQ(torn.verdict, WalReport::kTornTail) << torn.message;
  EXPECT_EQ(torn.offset, wal.size());
  // A whole frame of this log that fails its checksum, nothing after it.
  std::string last = wal.substr(wal.size() - frame, frame);
  last[100] ^= 1;
  WriteWal(wal + last);
  EXPECT_EQ(CheckWal(Copy()).verdict, WalReport::kTornTail);
  EXPECT_EQ(Records(), kRecords);
}

TEST_F(WalCheckTest, NoLogIsClean) {
  EXPECT_EQ(CheckWal(Copy()).verdict, WalReport::kClean);
}

}  // namespace
}  // namespace qcall
