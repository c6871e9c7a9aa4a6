// RebuildHall (recovery.h): the hall as its store holds it, what a failed
// write rolls a hall back to. It must refuse what start-up recovery refuses.
#include "dispatcher/recovery.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dispatcher/journal_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "qcall/v1/engine.pb.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {
namespace {

using ::testing::HasSubstr;

v1::HallConfig OneWindowHall() {
  v1::HallConfig c;
  c.set_hall_id("h");
  c.set_name("H");
  c.set_time_zone("Asia/Shanghai");
  auto* s = c.add_services();
  s->set_code("BILL");
  s->set_name("Bill");
  s->set_ticket_prefix("A");
  auto* w = c.add_windows();
  w->set_number(1);
  w->set_name("1");
  w->add_serves()->set_service_code("BILL");
  return c;
}

class RebuildHallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qcall-rebuild-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    absl::StatusOr<std::unique_ptr<JournalStore>> store =
        OpenJournalStore("sqlite:" + (dir_ / "journal.sqlite").string(),
                         {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    v1::Command configure;
    *configure.mutable_configure()->mutable_config() = OneWindowHall();
    Append(configure);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Append(const v1::Command& command) {
    ++index_;
    const int64_t at_ms =
        1'795'000'000'000 + static_cast<int64_t>(index_) * 1000;
    const JournalRecord record{
        "h", index_, at_ms, "", command.SerializeAsString(), ""};
    ASSERT_TRUE(store_->Commit({&record, 1}, {}).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<JournalStore> store_;
  uint64_t index_ = 0;
};

TEST_F(RebuildHallTest, AppliesEveryRecord) {
  v1::Command open;
  open.mutable_open_window()->set_window(1);
  open.mutable_open_window()->set_clerk_id("c1");
  Append(open);
  absl::StatusOr<StoredHall> hall = RebuildHall("h", nullptr, store_.get());
  ASSERT_TRUE(hall.ok()) << hall.status();
  EXPECT_EQ(hall->index, 2u);
  EXPECT_EQ(hall->hall.open_windows(), 1);
}

// Only commands that did something are journaled; one that does nothing on
// replay means the state diverged. Start-up refuses such a journal, and so
// must the rollback after a failed write (it used to apply it silently; the
// journal fuzzer found the two disagreeing).
TEST_F(RebuildHallTest, RefusesARecordThatChangesNothing) {
  v1::Command call;
  call.mutable_call_next()->set_window(1);  // Window 1 is closed.
  Append(call);
  absl::StatusOr<StoredHall> hall = RebuildHall("h", nullptr, store_.get());
  EXPECT_EQ(hall.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(hall.status().message(), HasSubstr("record 2"));
  EXPECT_THAT(hall.status().message(), HasSubstr("changed nothing"));
}

}  // namespace
}  // namespace qcall
