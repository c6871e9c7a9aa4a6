// DurableReads: a read's answer waits for the commands it saw, and fails
// with the journal.
#include "dispatcher/durable_reads.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace qcall {
namespace {

TEST(DurableReadsTest, AnswersWaitForWhatTheySawAndGoInOrder) {
  DurableReads reads(/*durable=*/5);
  std::vector<int> answered;
  auto note = [&](int name) {
    return [&answered, name](absl::Status durable) {
      EXPECT_TRUE(durable.ok());
      answered.push_back(name);
    };
  };
  reads.AnswerWhenDurable(5, note(1));
  EXPECT_EQ(answered, std::vector<int>{1}) << "durable already";
  reads.AnswerWhenDurable(6, note(2));
  reads.AnswerWhenDurable(8, note(3));
  EXPECT_EQ(answered, std::vector<int>{1});
  reads.Durable(7);
  EXPECT_EQ(answered, (std::vector<int>{1, 2}));
  reads.Durable(8);
  EXPECT_EQ(answered, (std::vector<int>{1, 2, 3}));
}

TEST(DurableReadsTest, AFailureFailsWhatWaitsAndWhatCannotBecomeDurable) {
  DurableReads reads(/*durable=*/5);
  std::optional<absl::Status> waiting, late, old;
  reads.AnswerWhenDurable(6, [&](absl::Status s) { waiting = s; });
  reads.Failed(absl::UnavailableError("disk full"));
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->code(), absl::StatusCode::kUnavailable);
  reads.AnswerWhenDurable(6, [&](absl::Status s) { late = s; });
  ASSERT_TRUE(late);
  EXPECT_EQ(late->code(), absl::StatusCode::kUnavailable);
  reads.AnswerWhenDurable(5, [&](absl::Status s) { old = s; });
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->ok()) << "what was durable before stays readable";
}

}  // namespace
}  // namespace qcall
