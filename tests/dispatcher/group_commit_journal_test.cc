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
    if (unreachable) return absl::UnavailableError("connection lost");
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
  // A database server away (unreachable) that may come back.
  bool CanResume() override { return can_resume; }
  absl::Status Resume() override {
    std::lock_guard lock(mu);
    ++resumes;
    return unreachable ? absl::UnavailableError("still away")
                       : absl::OkStatus();
  }
  JournalChain chain_;
  bool can_resume = false;
  bool unreachable = false;  // Guarded by mu.
  int resumes = 0;           // Guarded by mu.

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
      journal.Append(
          Record(i), std::nullopt,
          [&, i](absl::Status status) {
            EXPECT_TRUE(status.ok()) << status;
            ++durable;
            std::lock_guard lock(order_mu);
            callback_order.push_back(i);
          },
          journal.generation());
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
  journal.Append(
      Record(1), std::nullopt,
      [&](absl::Status status) {
        EXPECT_TRUE(status.ok());
        first_done.Notify();
      },
      journal.generation());
  first_done.WaitForNotification();
  absl::Notification second_done;
  absl::Status second;
  journal.Append(
      Record(2), std::nullopt,
      [&](absl::Status status) {
        second = status;
        second_done.Notify();
      },
      journal.generation());
  second_done.WaitForNotification();
  EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.message()), HasSubstr("disk full"));
  EXPECT_EQ(journal.health().code(), absl::StatusCode::kUnavailable);
  // Later appends fail at once, without touching the store.
  absl::Status third;
  journal.Append(
      Record(3), std::nullopt, [&](absl::Status status) { third = status; },
      journal.generation());
  EXPECT_EQ(third.code(), absl::StatusCode::kUnavailable);
  std::lock_guard lock(store.mu);
  EXPECT_EQ(store.commits, 2);
  EXPECT_EQ(store.indexes, std::vector<uint64_t>{1});
}

TEST(GroupCommitJournalTest, SnapshotsGoInTheSameCommit) {
  FakeStore store;
  GroupCommitJournal journal(&store);
  absl::Notification done;
  journal.Append(
      Record(1), SnapshotRecord{"hall", 1, "state"},
      [&](absl::Status status) {
        EXPECT_TRUE(status.ok()) << status;
        done.Notify();
      },
      journal.generation());
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
    journal.Append(
        {"kept", 1, 0, "", "command", ""}, std::nullopt, [](absl::Status) {},
        journal.generation());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const char* hall : {"kept", "lost", "other"}) {
      journal.Append(
          {hall, std::string(hall) == "kept" ? 2u : 1u, 0, "", "command", ""},
          std::nullopt,
          [&mu, &done, hall](absl::Status status) {
            std::lock_guard lock(mu);
            done.emplace_back(hall, status);
          },
          journal.generation());
    }
    journal.AppendSnapshot(
        {"lost", 1, "state"},
        [&mu, &done](absl::Status s) {
          std::lock_guard lock(mu);
          done.emplace_back("lost snapshot", s);
        },
        journal.generation());
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
  journal.Append(
      {"lost", 1, 0, "", "command", ""}, std::nullopt,
      [&lost](absl::Status s) { lost.set_value(s); }, journal.generation());
  EXPECT_TRUE(absl::IsUnavailable(lost.get_future().get()));
  EXPECT_TRUE(journal.health().ok());
  std::promise<absl::Status> kept;
  journal.Append(
      {"kept", 1, 0, "", "command", ""}, std::nullopt,
      [&kept](absl::Status s) { kept.set_value(s); }, journal.generation());
  EXPECT_TRUE(kept.get_future().get().ok());
}

// The status of an Append, once it is answered.
absl::Status Appended(GroupCommitJournal& journal, uint64_t index,
                      uint64_t generation) {
  absl::Notification done;
  absl::Status status;
  journal.Append(
      Record(index), std::nullopt,
      [&](absl::Status s) {
        status = s;
        done.Notify();
      },
      generation);
  done.WaitForNotification();
  return status;
}

TEST(GroupCommitJournalTest,
     AStoreThatCanResumeWritesAgainOnceBackAndRefusesAnOlderGeneration) {
  FakeStore store;
  store.can_resume = true;
  GroupCommitJournal journal(&store);
  ASSERT_TRUE(Appended(journal, 1, 0).ok());
  {
    std::lock_guard lock(store.mu);
    store.unreachable = true;
  }
  // The commit whose connection was lost: the client is told to retry.
  const absl::Status lost = Appended(journal, 2, 0);
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(lost.message()), HasSubstr("cannot be reached"));
  EXPECT_THAT(std::string(lost.message()), HasSubstr("same request id"));
  EXPECT_EQ(journal.generation(), 1u);
  EXPECT_TRUE(journal.resuming());
  EXPECT_EQ(journal.health().code(), absl::StatusCode::kUnavailable);
  // Refused at once while the store is away, whatever its generation.
  EXPECT_EQ(Appended(journal, 2, 1).code(), absl::StatusCode::kUnavailable);
  // The writer keeps asking the store to resume.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(store.mu);
      if (store.resumes >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lock(store.mu);
    ASSERT_GE(store.resumes, 2);
    store.unreachable = false;
  }
  for (int i = 0; i < 500 && !journal.health().ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(journal.health().ok()) << journal.health();
  EXPECT_FALSE(journal.resuming());
  EXPECT_EQ(journal.stats().resumes, 1u);
  // A hall that has not read its state back since the failure cannot write.
  const absl::Status stale = Appended(journal, 2, 0);
  EXPECT_EQ(stale.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(stale.message()), HasSubstr("came back"));
  EXPECT_TRUE(Appended(journal, 2, 1).ok());
  std::lock_guard lock(store.mu);
  EXPECT_EQ(store.indexes, (std::vector<uint64_t>{1, 2}));
}

}  // namespace
}  // namespace qcall
