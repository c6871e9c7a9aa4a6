#include "dispatcher/group_commit_journal.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/notification.h"
#include "dispatcher/journal_chain.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using ::testing::HasSubstr;

// Records what is committed, commit by commit; can be slow, and can fail from
// a given commit.
class FakeStore : public JournalStore {
 public:
  // One successful Commit call: the record and snapshot indexes it wrote.
  struct Committed {
    std::vector<uint64_t> records;
    std::vector<uint64_t> snapshots;
  };

  absl::Status Commit(absl::Span<const JournalRecord> records,
                      absl::Span<const SnapshotRecord> snapshots) override {
    std::this_thread::sleep_for(commit_delay);
    std::lock_guard lock(mu);
    ++commits;
    if (fail_from_commit > 0 && commits >= fail_from_commit) {
      return absl::InternalError("disk full");
    }
    // A hall another node took: the whole commit is refused, naming it.
    std::vector<std::string> fenced_here;
    for (const JournalRecord& r : records) {
      if (fenced.contains(r.hall_id)) fenced_here.push_back(r.hall_id);
    }
    for (const SnapshotRecord& s : snapshots) {
      if (fenced.contains(s.hall_id)) fenced_here.push_back(s.hall_id);
    }
    if (!fenced_here.empty()) {
      return RefuseHalls(absl::AbortedError("fenced"), fenced_here);
    }
    Committed& c = committed.emplace_back();
    for (const JournalRecord& r : records) {
      indexes.push_back(r.index);
      c.records.push_back(r.index);
    }
    for (const SnapshotRecord& s : snapshots) c.snapshots.push_back(s.index);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<SnapshotRecord>> LatestSnapshot(
      absl::string_view) override {
    return std::nullopt;
  }
  absl::StatusOr<uint64_t> LastIndex(absl::string_view) override { return 0; }
  absl::StatusOr<std::vector<std::string>> HallIds() override {
    return std::vector<std::string>();
  }
  absl::Status ReadJournal(
      absl::string_view, uint64_t, uint64_t,
      const std::function<absl::Status(const JournalRecord&)>&) override {
    return absl::OkStatus();
  }
  absl::Status ReadSnapshots(
      absl::string_view,
      const std::function<absl::Status(const SnapshotRecord&)>&) override {
    return absl::OkStatus();
  }
  const JournalChain& chain() const override { return chain_; }
  JournalChain chain_;

  std::chrono::milliseconds commit_delay{0};
  int fail_from_commit = 0;
  absl::flat_hash_set<std::string> fenced;
  std::mutex mu;
  int commits = 0;
  std::vector<uint64_t> indexes;
  std::vector<Committed> committed;
};

JournalRecord Record(uint64_t index) {
  return {"hall", index, 0, "", "command", ""};
}

TEST(GroupCommitJournalTest, ManyCommandsShareOneCommitAndStayInOrder) {
  FakeStore store;
  store.commit_delay = std::chrono::milliseconds(5);
  std::atomic<int> durable{0};
  std::vector<uint64_t> callback_order;
  std::mutex order_mu;
  {
    GroupCommitJournal journal(&store);
    for (uint64_t i = 1; i <= 1000; ++i) {
      journal.Append(Record(i), std::nullopt, [&, i](absl::Status status) {
        EXPECT_TRUE(status.ok()) << status;
        ++durable;
        std::lock_guard lock(order_mu);
        callback_order.push_back(i);
      });
    }
  }  // The destructor commits what is queued.
  EXPECT_EQ(durable.load(), 1000);
  ASSERT_EQ(store.indexes.size(), 1000u);
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(store.indexes[i], i + 1);
    EXPECT_EQ(callback_order[i], i + 1);
  }
  // 1,000 appends during 5 ms commits: far fewer commits than commands.
  EXPECT_LT(store.commits, 100);
}

TEST(GroupCommitJournalTest,
     AFailedWriteIsFinalAndNothingAfterItIsAcknowledged) {
  FakeStore store;
  store.fail_from_commit = 2;
  GroupCommitJournal journal(&store);
  absl::Notification first_done;
  journal.Append(Record(1), std::nullopt, [&](absl::Status status) {
    EXPECT_TRUE(status.ok());
    first_done.Notify();
  });
  first_done.WaitForNotification();
  absl::Notification second_done;
  absl::Status second;
  journal.Append(Record(2), std::nullopt, [&](absl::Status status) {
    second = status;
    second_done.Notify();
  });
  second_done.WaitForNotification();
  EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.message()), HasSubstr("disk full"));
  EXPECT_EQ(journal.health().code(), absl::StatusCode::kUnavailable);
  // Later appends fail at once, without touching the store.
  absl::Status third;
  journal.Append(Record(3), std::nullopt,
                 [&](absl::Status status) { third = status; });
  EXPECT_EQ(third.code(), absl::StatusCode::kUnavailable);
  std::lock_guard lock(store.mu);
  EXPECT_EQ(store.commits, 2);
  EXPECT_EQ(store.indexes, std::vector<uint64_t>{1});
}

TEST(GroupCommitJournalTest, SnapshotsGoInTheSameCommit) {
  FakeStore store;
  GroupCommitJournal journal(&store);
  absl::Notification done;
  journal.Append(Record(1), SnapshotRecord{"hall", 1, "state"},
                 [&](absl::Status status) {
                   EXPECT_TRUE(status.ok()) << status;
                   done.Notify();
                 });
  done.WaitForNotification();
  // One Commit call carried both: a crash cannot keep one without the other.
  std::lock_guard lock(store.mu);
  ASSERT_EQ(store.commits, 1);
  ASSERT_EQ(store.committed.size(), 1u);
  EXPECT_EQ(store.committed[0].records, std::vector<uint64_t>{1});
  EXPECT_EQ(store.committed[0].snapshots, std::vector<uint64_t>{1});
  const GroupCommitJournal::Stats stats = journal.stats();
  EXPECT_EQ(stats.batches, 1u);
  EXPECT_EQ(stats.records, 1u);
}

// A commit refused for one hall (another node took it) fails that hall's
// entries only; the other halls' are committed and the journal stays
// healthy.
TEST(GroupCommitJournalTest, AFencedHallFailsOnlyItsOwnEntries) {
  FakeStore store;
  store.fenced = {"lost"};
  std::vector<std::pair<std::string, absl::Status>> done;
  std::mutex mu;
  {
    // One batch: the writer waits behind the first commit.
    store.commit_delay = std::chrono::milliseconds(50);
    GroupCommitJournal journal(&store);
    journal.Append({"kept", 1, 0, "", "command", ""}, std::nullopt,
                   [](absl::Status) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const char* hall : {"kept", "lost", "other"}) {
      journal.Append(
          {hall, std::string(hall) == "kept" ? 2u : 1u, 0, "", "command", ""},
          std::nullopt, [&mu, &done, hall](absl::Status status) {
            std::lock_guard lock(mu);
            done.emplace_back(hall, status);
          });
    }
    journal.AppendSnapshot({"lost", 1, "state"}, [&mu, &done](absl::Status s) {
      std::lock_guard lock(mu);
      done.emplace_back("lost snapshot", s);
    });
  }
  ASSERT_EQ(done.size(), 4u);
  for (const auto& [hall, status] : done) {
    if (absl::string_view(hall).substr(0, 4) == "lost") {
      // Not written: the client is told to retry where the hall is.
      EXPECT_TRUE(absl::IsUnavailable(status)) << hall << ": " << status;
    } else {
      EXPECT_TRUE(status.ok()) << hall << ": " << status;
    }
  }
  // The refused commit wrote nothing; its retry wrote the others.
  ASSERT_EQ(store.committed.size(), 2u);
  EXPECT_THAT(store.committed[1].records, ::testing::ElementsAre(2, 1));
  EXPECT_TRUE(store.committed[1].snapshots.empty());
}

TEST(GroupCommitJournalTest, AFencedHallLeavesTheJournalHealthy) {
  FakeStore store;
  store.fenced = {"lost"};
  GroupCommitJournal journal(&store);
  std::promise<absl::Status> lost;
  journal.Append({"lost", 1, 0, "", "command", ""}, std::nullopt,
                 [&lost](absl::Status s) { lost.set_value(s); });
  EXPECT_TRUE(absl::IsUnavailable(lost.get_future().get()));
  EXPECT_TRUE(journal.health().ok());
  std::promise<absl::Status> kept;
  journal.Append({"kept", 1, 0, "", "command", ""}, std::nullopt,
                 [&kept](absl::Status s) { kept.set_value(s); });
  EXPECT_TRUE(kept.get_future().get().ok());
}

}  // namespace
}  // namespace qcall
