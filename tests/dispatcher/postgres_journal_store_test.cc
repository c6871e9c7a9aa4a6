// What only the PostgreSQL store has: halls owned by one node at a time, and
// fencing, against a real server (tests/common/postgres_server.h). What
// every store promises is journal_store_contract_test.cc.
#include "dispatcher/postgres_journal_store.h"

#include <libpq-fe.h>

#include <chrono>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "dispatcher/hall_ownership.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"

namespace qcall {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::PostgresServer;

class PostgresJournalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> url = testing::NewPostgresDatabase();
    if (absl::IsNotFound(url.status())) GTEST_SKIP() << url.status().message();
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    ASSERT_TRUE(PostgresJournalStore::Open(url_, {.create = true}).ok());
  }
  // A node's store, named `node` in the owner table and pg_stat_activity.
  std::unique_ptr<PostgresJournalStore> Node(const std::string& node) {
    auto store = PostgresJournalStore::Open(url_, {.node_name = node});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  // Ends the node's session at the server, as a network cut or a long
  // pause would, and waits until it is gone (its advisory locks with it).
  void Terminate(const std::string& node) {
    absl::StatusOr<std::string> ended = PostgresServer::Query(
        url_, absl::StrCat("SELECT pg_terminate_backend(pid, 5000) FROM "
                           "pg_stat_activity WHERE application_name = "
                           "'qcalld ",
                           node, "'"));
    ASSERT_TRUE(ended.ok()) << ended.status();
    ASSERT_EQ(*ended, "t");
  }
  std::string CommandAt(const std::string& hall, uint64_t index) {
    absl::StatusOr<std::string> command = PostgresServer::Query(
        url_, absl::StrCat("SELECT convert_from(command, 'UTF8') FROM journal "
                           "WHERE hall_id = '",
                           hall, "' AND idx = ", index));
    return command.ok() ? *command : command.status().ToString();
  }

  std::string url_;
};

JournalRecord Record(uint64_t index, const std::string& command) {
  return {"hall-1", index, 1000, "", command, ""};
}

TEST_F(PostgresJournalStoreTest, AHallHasOneOwnerAndANewEpochAtEachTake) {
  auto a = Node("node-a");
  auto b = Node("node-b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->HeldEpoch("hall-1"), 0u);
  ASSERT_EQ(*a->Take("hall-1"), 1u);
  EXPECT_EQ(*a->Take("hall-1"), 1u) << "taking a held hall again: no new epoch";
  const absl::StatusOr<uint64_t> refused = b->Take("hall-1");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      refused.status().message(),
      HasSubstr("hall hall-1 is held by another node (node-a, epoch 1)"));
  EXPECT_EQ(b->HeldEpoch("hall-1"), 0u);
  ASSERT_TRUE(a->Release("hall-1").ok());
  EXPECT_EQ(a->HeldEpoch("hall-1"), 0u);
  ASSERT_EQ(*b->Take("hall-1"), 2u);
  // The store of a node that stops (its session closed) frees its halls.
  b.reset();
  EXPECT_EQ(*a->Take("hall-1"), 3u);
}

TEST_F(PostgresJournalStoreTest, ACommitOfAHallNotTakenIsRefused) {
  auto a = Node("node-a");
  ASSERT_TRUE(a);
  const absl::Status refused = a->Commit({Record(1, "one")}, {});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("hall-1 is not held by this node"));
  EXPECT_EQ(*a->LastIndex("hall-1"), 0u);
}

// A node whose session ended (it was paused, or cut off) while another node
// took its hall, wrote and let it go: when it comes back, its session is
// made again and the hall's lock is free, but the epoch moved on. Its commit
// is refused as fenced, and nothing of it is written.
TEST_F(PostgresJournalStoreTest, AFencedNodeWritesNothing) {
  auto a = Node("node-a");
  ASSERT_TRUE(a);
  ASSERT_EQ(*a->Take("hall-1"), 1u);
  ASSERT_TRUE(a->Commit({Record(1, "a-1")}, {}).ok());
  Terminate("node-a");
  {
    auto b = Node("node-b");
    ASSERT_TRUE(b);
    ASSERT_EQ(*b->Take("hall-1"), 2u);
    ASSERT_TRUE(b->Commit({Record(2, "b-2")}, {}).ok());
  }
  const absl::Status fenced =
      a->Commit({Record(2, "a-2"), {"hall-2", 1, 1000, "", "x", ""}},
                {{"hall-1", 2, "state"}});
  // hall-2 was never taken: refused before anything is sent.
  EXPECT_EQ(fenced.code(), absl::StatusCode::kFailedPrecondition) << fenced;
  const absl::Status again =
      a->Commit({Record(2, "a-2")}, {{"hall-1", 2, "s"}});
  EXPECT_EQ(again.code(), absl::StatusCode::kAborted) << again;
  EXPECT_THAT(again.message(),
              HasSubstr("fenced: hall hall-1 is owned by epoch 2, this node "
                        "held epoch 1"));
  EXPECT_EQ(a->HeldEpoch("hall-1"), 0u);
  EXPECT_EQ(*a->LastIndex("hall-1"), 2u);
  EXPECT_EQ(CommandAt("hall-1", 2), "b-2");
  EXPECT_FALSE((*a->LatestSnapshot("hall-1")).has_value());
  // And it stays refused: the hall is no longer held.
  EXPECT_EQ(a->Commit({Record(3, "a-3")}, {}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*a->LastIndex("hall-1"), 2u);
  // The lock its new session took on the hall went with the fencing, so
  // another node can take the hall (it would wait for a's session to end).
  auto c = Node("node-c");
  ASSERT_TRUE(c);
  const absl::StatusOr<uint64_t> taken = c->Take("hall-1");
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(*taken, 3u);
}

// The same, while the new owner still holds the hall: the node that comes
// back cannot lock it again and has lost it.
TEST_F(PostgresJournalStoreTest, ANodeBackWhileAnotherHoldsItsHallLostIt) {
  auto a = Node("node-a");
  ASSERT_TRUE(a);
  ASSERT_EQ(*a->Take("hall-1"), 1u);
  Terminate("node-a");
  auto b = Node("node-b");
  ASSERT_TRUE(b);
  ASSERT_EQ(*b->Take("hall-1"), 2u);
  const absl::Status lost = a->Commit({Record(1, "a-1")}, {});
  EXPECT_EQ(lost.code(), absl::StatusCode::kFailedPrecondition) << lost;
  EXPECT_THAT(lost.message(), HasSubstr("lost with the connection"));
  EXPECT_EQ(a->HeldEpoch("hall-1"), 0u);
  EXPECT_EQ(*b->LastIndex("hall-1"), 0u);
  EXPECT_TRUE(b->Commit({Record(1, "b-1")}, {}).ok());
}

// A session lost while idle (the server restarted, say) with nobody taking
// the hall meanwhile: the next commit connects again, locks the hall again
// at the same epoch and is written.
TEST_F(PostgresJournalStoreTest, ASessionLostWhileIdleIsMadeAgain) {
  auto a = Node("node-a");
  ASSERT_TRUE(a);
  ASSERT_EQ(*a->Take("hall-1"), 1u);
  ASSERT_TRUE(a->Commit({Record(1, "a-1")}, {}).ok());
  Terminate("node-a");
  ASSERT_TRUE(a->Commit({Record(2, "a-2")}, {}).ok());
  EXPECT_EQ(a->HeldEpoch("hall-1"), 1u);
  // Its lock is held again: no one else can take the hall.
  auto b = Node("node-b");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->Take("hall-1").ok());
  Terminate("node-a");
  EXPECT_EQ(*a->LastIndex("hall-1"), 2u) << "a read connects again too";
}

TEST_F(PostgresJournalStoreTest,
       AServerNotThereIsUnavailableWithoutThePassword) {
  const absl::Status status =
      PostgresJournalStore::Open(
          "postgresql://qcall:s3cret@127.0.0.1:1/qcall?connect_timeout=2")
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("cannot connect to"));
  EXPECT_THAT(status.message(), Not(HasSubstr("s3cret")));
}

// One hall of a commit fenced: the commit names it (one epoch query for
// all), writes nothing, and the others commit without it.
TEST_F(PostgresJournalStoreTest, ACommitFencedForOneHallNamesIt) {
  auto a = Node("node-a");
  ASSERT_TRUE(a);
  ASSERT_EQ(*a->Take("hall-1"), 1u);
  ASSERT_EQ(*a->Take("hall-2"), 1u);
  Terminate("node-a");
  {
    auto b = Node("node-b");
    ASSERT_TRUE(b);
    ASSERT_EQ(*b->Take("hall-1"), 2u);
  }
  const std::vector<JournalRecord> both = {Record(1, "a-1"),
                                           {"hall-2", 1, 1000, "", "x", ""}};
  const absl::Status fenced = a->Commit(both, {});
  EXPECT_EQ(fenced.code(), absl::StatusCode::kAborted) << fenced;
  EXPECT_EQ(RefusedHalls(fenced), std::vector<std::string>{"hall-1"});
  EXPECT_EQ(*a->LastIndex("hall-2"), 0u);
  ASSERT_TRUE(a->Commit({both[1]}, {}).ok());
  EXPECT_EQ(*a->LastIndex("hall-2"), 1u);
  EXPECT_EQ(*a->LastIndex("hall-1"), 0u);
  // Not held any more: refused the same way, by name.
  const absl::Status not_held = a->Commit(both, {});
  EXPECT_EQ(not_held.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RefusedHalls(not_held), std::vector<std::string>{"hall-1"});
}

// The node table: a heartbeat registers the node's session; a node late
// past the lease has its session ended, and its next heartbeat comes back
// on a new one.
TEST_F(PostgresJournalStoreTest, ALateNodesSessionIsEndedAndItComesBack) {
  auto a = Node("node-a");
  auto b = Node("node-b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Heartbeat({"node-a", "10.0.0.1:50051", "http://a"}).ok());
  ASSERT_TRUE(a->Take("hall-1").ok());
  absl::StatusOr<ClusterView> view = b->View();
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_EQ(view->nodes.size(), 1u);
  EXPECT_EQ(view->nodes[0].address.grpc, "10.0.0.1:50051");
  EXPECT_TRUE(view->nodes[0].session_alive);
  EXPECT_LT(view->now - view->nodes[0].heartbeat, absl::Seconds(1));
  EXPECT_EQ(view->owners.at("hall-1"), "node-a");
  // Within its lease: left alone.
  ASSERT_TRUE(b->Terminate("node-a", absl::Seconds(60)).ok());
  ASSERT_TRUE(b->View().ok());
  EXPECT_TRUE(b->View()->nodes[0].session_alive);
  // Past it: ended, and its hall's lock with it.
  ASSERT_TRUE(b->Terminate("node-a", absl::ZeroDuration()).ok());
  absl::StatusOr<uint64_t> taken = absl::UnavailableError("not tried");
  for (int i = 0; i < 50 && !taken.ok(); ++i) {
    taken = b->Take("hall-1");
    if (!taken.ok()) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_FALSE(b->View()->nodes[0].session_alive);
  // Back: a new session, registered by its heartbeat; the hall is lost.
  ASSERT_TRUE(a->Heartbeat({"node-a", "10.0.0.1:50051", "http://a"}).ok());
  EXPECT_TRUE(b->View()->nodes[0].session_alive);
  EXPECT_EQ(a->HeldEpoch("hall-1"), 0u);
}

// The server itself goes away and comes back (a primary killed, restarted or
// replaced by its promoted standby): on a server of the test's own.
class PostgresResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PostgresServer>> server =
        PostgresServer::Start();
    if (absl::IsNotFound(server.status())) {
      GTEST_SKIP() << server.status().message();
    }
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<std::string> url = server_->NewDatabase();
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    ASSERT_TRUE(PostgresJournalStore::Open(url_, {.create = true}).ok());
    auto a = PostgresJournalStore::Open(url_, {.node_name = "node-a"});
    ASSERT_TRUE(a.ok()) << a.status();
    a_ = *std::move(a);
    ASSERT_EQ(*a_->Take("hall-1"), 1u);
    ASSERT_TRUE(a_->Commit({Record(1, "a-1")}, {}).ok());
  }

  std::unique_ptr<PostgresServer> server_;
  std::string url_;
  std::unique_ptr<PostgresJournalStore> a_;
};

TEST_F(PostgresResumeTest, AServerAwayAtACommitIsResumedAtANewEpochOnceBack) {
  EXPECT_FALSE(a_->CanResume());
  server_->Kill();
  const absl::Status away = a_->Commit({Record(2, "a-2")}, {});
  EXPECT_EQ(away.code(), absl::StatusCode::kUnavailable) << away;
  EXPECT_TRUE(a_->CanResume());
  EXPECT_EQ(a_->Resume().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(a_->Resume().ok());
  EXPECT_FALSE(a_->CanResume());
  EXPECT_EQ(a_->HeldEpoch("hall-1"), 2u) << "taken again, at a new epoch";
  ASSERT_TRUE(a_->Commit({Record(2, "a-2")}, {}).ok());
  EXPECT_EQ(*a_->LastIndex("hall-1"), 2u);
  // Its lock is held again: no one else can take the hall.
  auto b = PostgresJournalStore::Open(url_, {.node_name = "node-b"});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE((*b)->Take("hall-1").ok());
}

// The connection cut while the commit waits in the server: whether it was
// written is unknown, and the store says it can resume.
TEST_F(PostgresResumeTest, ACommitCutOffMidwayHasAnUnknownOutcome) {
  // Another session holds the hall's owner row, so the commit waits at its
  // epoch check, inside its transaction.
  PGconn* blocker = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(blocker), CONNECTION_OK);
  PQclear(PQexec(blocker, "BEGIN"));
  PQclear(PQexec(blocker,
                 "SELECT * FROM hall_owner WHERE hall_id = 'hall-1' FOR "
                 "UPDATE"));
  auto commit = std::async(std::launch::async,
                           [&] { return a_->Commit({Record(2, "a-2")}, {}); });
  bool waiting = false;
  for (int i = 0; i < 500 && !waiting; ++i) {
    absl::StatusOr<std::string> lock = PostgresServer::Query(
        url_,
        "SELECT wait_event_type FROM pg_stat_activity WHERE "
        "application_name = 'qcalld node-a'");
    waiting = lock.ok() && *lock == "Lock";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(waiting) << "the commit never waited for the row";
  server_->Kill();
  PQfinish(blocker);
  const absl::Status cut = commit.get();
  EXPECT_EQ(cut.code(), absl::StatusCode::kUnavailable) << cut;
  EXPECT_THAT(cut.message(), HasSubstr("whether it was written is unknown"));
  EXPECT_TRUE(a_->CanResume());
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(a_->Resume().ok());
  EXPECT_EQ(*a_->LastIndex("hall-1"), 1u) << "it had not been written";
  EXPECT_TRUE(a_->Commit({Record(2, "a-2")}, {}).ok());
}

// Another node took the hall while the server was away from this one (and
// let it go): Resume finds its epoch moved on, and the hall is lost.
TEST_F(PostgresResumeTest, AHallTakenByAnotherMeanwhileIsLostAtResume) {
  server_->Kill();
  EXPECT_FALSE(a_->Commit({Record(2, "a-2")}, {}).ok());
  ASSERT_TRUE(server_->Restart().ok());
  {
    auto b = PostgresJournalStore::Open(url_, {.node_name = "node-b"});
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_EQ(*(*b)->Take("hall-1"), 2u);
    ASSERT_TRUE((*b)->Commit({Record(2, "b-2")}, {}).ok());
  }
  ASSERT_TRUE(a_->Resume().ok());
  EXPECT_EQ(a_->HeldEpoch("hall-1"), 0u);
  EXPECT_EQ(a_->Commit({Record(3, "a-3")}, {}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*a_->LastIndex("hall-1"), 2u);
}

}  // namespace
}  // namespace qcall
