// RequestMemory: a retry gets the first reply, waits for the first commit,
// and a reused id with another command is refused; SnapshotSchedule's rule.
#include "dispatcher/request_memory.h"

#include <optional>

#include "dispatcher/snapshot_schedule.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

struct Answered {
  std::optional<absl::Status> status;
  v1::CommandReply reply;
  RequestMemory::Reply Catch() {
    return [this](absl::Status s, const v1::CommandReply& r) {
      status = s;
      reply = r;
    };
  }
};

v1::CommandReply ReplyWithSeq(uint64_t seq) {
  v1::CommandReply reply;
  reply.set_seq(seq);
  return reply;
}

TEST(RequestMemoryTest, ARetryWaitsForTheFirstCommitThenGetsItsReply) {
  RequestMemory memory(10);
  Answered first;
  RequestMemory::Reply reply = first.Catch();
  EXPECT_FALSE(memory.Answer("k-1", "issue BILL", reply)) << "a new id";
  auto pending = memory.Remember("k-1", "issue BILL", ReplyWithSeq(7));

  Answered retry;
  RequestMemory::Reply retry_reply = retry.Catch();
  EXPECT_TRUE(memory.Answer("k-1", "issue BILL", retry_reply));
  EXPECT_FALSE(retry.status) << "not before the commit";
  RequestMemory::Settle(pending, absl::OkStatus(), ReplyWithSeq(7));
  ASSERT_TRUE(retry.status);
  EXPECT_TRUE(retry.status->ok());
  EXPECT_EQ(retry.reply.seq(), 7u);

  Answered later;
  RequestMemory::Reply later_reply = later.Catch();
  EXPECT_TRUE(memory.Answer("k-1", "issue BILL", later_reply));
  ASSERT_TRUE(later.status) << "settled: answered at once";
  EXPECT_EQ(later.reply.seq(), 7u);
}

TEST(RequestMemoryTest, AFailedCommitFailsTheRetriesThatWaited) {
  RequestMemory memory(10);
  auto pending = memory.Remember("k-1", "issue BILL", ReplyWithSeq(7));
  Answered retry;
  RequestMemory::Reply reply = retry.Catch();
  ASSERT_TRUE(memory.Answer("k-1", "issue BILL", reply));
  RequestMemory::Settle(pending, absl::UnavailableError("disk full"),
                        ReplyWithSeq(7));
  ASSERT_TRUE(retry.status);
  EXPECT_EQ(retry.status->code(), absl::StatusCode::kUnavailable);
}

TEST(RequestMemoryTest, AnIdReusedForAnotherCommandIsRefused) {
  RequestMemory memory(10);
  memory.RememberDurable("k-1", "issue BILL", ReplyWithSeq(3));
  Answered other;
  RequestMemory::Reply reply = other.Catch();
  EXPECT_TRUE(memory.Answer("k-1", "issue PLAN", reply));
  ASSERT_TRUE(other.status);
  EXPECT_EQ(other.status->code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(other.status->message(),
            "request_id k-1 was already used for a different request");
}

TEST(RequestMemoryTest, TheOldestIdsAreForgottenFirst) {
  RequestMemory memory(2);
  memory.RememberDurable("a", "x", ReplyWithSeq(1));
  memory.RememberDurable("b", "x", ReplyWithSeq(2));
  memory.RememberDurable("c", "x", ReplyWithSeq(3));
  EXPECT_EQ(memory.size(), 2u);
  Answered answered;
  RequestMemory::Reply reply = answered.Catch();
  EXPECT_FALSE(memory.Answer("a", "x", reply));
  EXPECT_TRUE(memory.Answer("b", "x", reply));
  EXPECT_EQ(answered.reply.seq(), 2u);
}

TEST(SnapshotScheduleTest, EveryNCommandsOrAsManyAsTheHallHoldsTickets) {
  SnapshotSchedule schedule(100, /*last=*/50);
  EXPECT_FALSE(schedule.Due(149, 10));
  EXPECT_TRUE(schedule.Due(150, 10));
  EXPECT_FALSE(schedule.Due(150, 1000)) << "a big hall snapshots less often";
  EXPECT_TRUE(schedule.Due(1050, 1000));
  schedule.Taken(150);
  EXPECT_FALSE(schedule.Due(200, 10));
  EXPECT_TRUE(schedule.Due(250, 10));
}

}  // namespace
}  // namespace qcall
