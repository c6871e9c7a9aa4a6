// The retention purge on simulated time: a hall issues a ticket with a phone
// through its runtime, the clock moves day by day, and once the retention has
// passed the day's key is destroyed and its rows deleted; then no byte of any
// file in the data folder holds the phone, the wrapped key or the key.
#include <sqlite3.h>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/synchronization/notification.h"
#include "dispatcher/clock.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/hall_runtime.h"
#include "dispatcher/private_cipher.h"
#include "dispatcher/recovery.h"
#include "dispatcher/sqlite_journal_store.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

constexpr char kConfig[] = R"pb(
  hall_id: "sim-hall"
  name: "Simulated hall"
  time_zone: "Asia/Shanghai"
  services { code: "BILL" name: "Bills" ticket_prefix: "A" }
  windows {
    number: 3
    name: "Window 3"
    serves { service_code: "BILL" }
  }
)pb";
constexpr char kPhone[] = "13955556666";

bool AnyFileHolds(const std::filesystem::path& dir, const std::string& bytes) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (content.find(bytes) != std::string::npos) return true;
  }
  return false;
}

class PrivateRetentionTest : public ::testing::Test {
 protected:
  void Begin(int32_t hall_days) {
    absl::TimeZone shanghai;
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
    clock_ = std::make_unique<SimulatedClock>(
        absl::FromCivil(absl::CivilSecond(2026, 12, 4, 10, 0, 0), shanghai));
    dir_ = std::filesystem::temp_directory_path() /
           ("qcall-retention-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    cipher_ = std::make_shared<const PrivateCipher>(
        *PrivateCipher::WithMasterKey(std::string(32, 'm')));
    auto store =
        SqliteJournalStore::Open((dir_ / "journal.sqlite").string(),
                                 {.create = true, .private_cipher = cipher_});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    journal_ = std::make_unique<GroupCommitJournal>(store_.get());
    v1::Command configure;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        kConfig, configure.mutable_configure()->mutable_config()));
    if (hall_days > 0) {
      configure.mutable_configure()->mutable_config()->set_private_data_days(
          hall_days);
    }
    RuntimeOptions options;
    options.clock = clock_.get();
    // A tick an hour: a month passes in 744 ticks, not 2.6 million.
    options.tick_interval = absl::Hours(1);
    options.private_data_days = 30;
    absl::Notification configured;
    auto runtime = NewHall(
        configure, "",
        [&](absl::Status, const v1::CommandReply&) { configured.Notify(); },
        journal_.get(), &pool_, options);
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = *std::move(runtime);
    configured.WaitForNotification();
    runtime_->Start();
  }

  void TearDown() override {
    if (runtime_ != nullptr) runtime_->Stop();
    journal_.reset();
    pool_.join();
    runtime_.reset();
    store_.reset();
    clock_.reset();
    std::filesystem::remove_all(dir_);
  }

  v1::CommandReply IssueWithPhone() {
    v1::Command issue;
    issue.mutable_issue_ticket()->set_service_code("BILL");
    absl::Notification done;
    v1::CommandReply reply;
    runtime_->Submit(
        issue, "kiosk-1",
        [&](absl::Status status, const v1::CommandReply& r) {
          EXPECT_TRUE(status.ok()) << status;
          reply = r;
          done.Notify();
        },
        nullptr, kPhone);
    done.WaitForNotification();
    return reply;
  }

  // Advances `days` days. A purge the new day starts runs on the pool
  // afterwards: a check that nothing was erased first gives it time.
  void AdvanceDays(int days) {
    clock_->Advance(absl::Hours(24 * days));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  absl::StatusOr<std::string> Read(int32_t day) {
    return store_->private_data()->Read({.at_unix_ms = 1,
                                         .reader = "test",
                                         .hall_id = "sim-hall",
                                         .business_day = day,
                                         .ticket = "A001",
                                         .reason = "test"});
  }

  bool Held(int32_t day) {
    absl::StatusOr<std::vector<int32_t>> days =
        store_->private_data()->DaysHeld("sim-hall");
    EXPECT_TRUE(days.ok()) << days.status();
    return days.ok() &&
           std::find(days->begin(), days->end(), day) != days->end();
  }

  // Waits up to 10 s for the day's key to go.
  bool ErasedSoon(int32_t day) {
    for (int i = 0; i < 1000 && Held(day); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return !Held(day);
  }

  std::unique_ptr<SimulatedClock> clock_;
  std::filesystem::path dir_;
  std::shared_ptr<const PrivateCipher> cipher_;
  std::unique_ptr<SqliteJournalStore> store_;
  std::unique_ptr<GroupCommitJournal> journal_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<HallRuntime> runtime_;
};

std::string WrappedKey(const std::filesystem::path& dir, int32_t day) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open((dir / "journal.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT wrapped FROM private_keys WHERE business_day = ?",
                     -1, &s, nullptr);
  sqlite3_bind_int(s, 1, day);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) {
    out.assign(static_cast<const char*>(sqlite3_column_blob(s, 0)),
               sqlite3_column_bytes(s, 0));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

TEST_F(PrivateRetentionTest, AfterThirtyDaysThePhoneIsInNoFile) {
  Begin(0);
  const v1::CommandReply reply = IssueWithPhone();
  ASSERT_EQ(reply.ticket().number(), "A001");
  const int32_t day = reply.ticket().business_day();
  ASSERT_EQ(day, 20261204);
  EXPECT_EQ(*Read(day), kPhone);
  const std::string wrapped = WrappedKey(dir_, day);
  ASSERT_FALSE(wrapped.empty());
  const std::string key = *cipher_->UnwrapDayKey(wrapped, "sim-hall", day);
  // 29 days on (2027-01-02) it is still kept, and still in no file as text.
  AdvanceDays(29);
  EXPECT_TRUE(Held(day));
  EXPECT_EQ(*Read(day), kPhone);
  EXPECT_FALSE(AnyFileHolds(dir_, kPhone));
  // The 30th day ends it.
  AdvanceDays(1);
  ASSERT_TRUE(ErasedSoon(day));
  absl::StatusOr<std::string> gone = Read(day);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("erased after 30 days"),
            std::string::npos)
      << gone.status();
  // Every file: the journal, its -wal and -shm, the marker.
  runtime_->Stop();
  journal_.reset();
  pool_.join();
  runtime_.reset();
  store_.reset();
  for (const std::string& bytes : {std::string(kPhone), wrapped, key}) {
    EXPECT_FALSE(AnyFileHolds(dir_, bytes));
  }
}

TEST_F(PrivateRetentionTest, AHallsOwnRetentionOverridesTheServers) {
  Begin(2);
  const int32_t day = IssueWithPhone().ticket().business_day();
  AdvanceDays(1);
  EXPECT_TRUE(Held(day));
  AdvanceDays(1);
  EXPECT_TRUE(ErasedSoon(day));
  EXPECT_NE(Read(day).status().message().find("erased after 2 days"),
            std::string::npos);
}

}  // namespace
}  // namespace qcall
