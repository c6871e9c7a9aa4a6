#include "dispatcher/placement.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Duration kLease = absl::Seconds(2);

NodeSeen Node(const std::string& name, absl::Duration age,
              bool session_alive = true) {
  return {{name, name + ":50051", "http://" + name + ":8080"},
          kNow - age,
          session_alive};
}

ClusterView ViewOf(std::vector<NodeSeen> nodes, int halls) {
  ClusterView view;
  view.now = kNow;
  view.nodes = std::move(nodes);
  for (int i = 0; i < halls; ++i) view.halls.insert(absl::StrCat("hall-", i));
  return view;
}

TEST(PlacementTest, ANodeIsLiveWhileItsSessionLivesAndItsHeartbeatIsYoung) {
  EXPECT_TRUE(IsLive(Node("a", absl::Milliseconds(1999)), kNow, kLease));
  EXPECT_FALSE(IsLive(Node("a", absl::Seconds(2)), kNow, kLease));
  // Killed: its session went at once, its heartbeat is still young.
  EXPECT_FALSE(IsLive(Node("a", absl::Milliseconds(100), false), kNow, kLease));
}

TEST(PlacementTest, HallsSpreadEvenlyAndEveryNodeAgrees) {
  const ClusterView view =
      ViewOf({Node("a", absl::ZeroDuration()), Node("b", absl::ZeroDuration()),
              Node("c", absl::ZeroDuration())},
             300);
  std::map<std::string, int> per_node;
  int taken = 0;
  for (const char* self : {"a", "b", "c"}) {
    const ClusterPlan plan = PlanStep(self, view, {}, kLease);
    per_node[self] = static_cast<int>(plan.take.size());
    taken += per_node[self];
    EXPECT_TRUE(plan.release.empty());
    EXPECT_TRUE(plan.terminate.empty());
  }
  // Each hall is taken by exactly one node.
  EXPECT_EQ(taken, 300);
  for (const auto& [node, halls] : per_node) {
    EXPECT_GT(halls, 70) << node;
    EXPECT_LT(halls, 130) << node;
  }
}

TEST(PlacementTest, AJoiningNodeTakesOnlyItsShare) {
  const std::vector<std::string> two = {"a", "b"};
  const std::vector<std::string> three = {"a", "b", "c"};
  int moved = 0;
  for (int i = 0; i < 600; ++i) {
    const std::string hall = absl::StrCat("hall-", i);
    const std::string before = *PlaceHall(hall, two);
    const std::string after = *PlaceHall(hall, three);
    // A hall moves only to the new node, never between the old ones.
    if (before != after) {
      EXPECT_EQ(after, "c") << hall;
      ++moved;
    }
  }
  EXPECT_GT(moved, 150);
  EXPECT_LT(moved, 250);
}

TEST(PlacementTest, OwnersReleaseToTheNodeThatJoined) {
  ClusterView view = ViewOf(
      {Node("a", absl::ZeroDuration()), Node("b", absl::ZeroDuration())}, 60);
  // "a" served everything while alone.
  const absl::flat_hash_set<std::string> served = view.halls;
  const ClusterPlan plan = PlanStep("a", view, served, kLease);
  EXPECT_TRUE(plan.take.empty());
  ASSERT_FALSE(plan.release.empty());
  for (const auto& [hall, to] : plan.release) EXPECT_EQ(to, "b") << hall;
  // ... and "b" takes exactly those.
  const ClusterPlan joined = PlanStep("b", view, {}, kLease);
  ASSERT_EQ(joined.take.size(), plan.release.size());
  for (size_t i = 0; i < joined.take.size(); ++i) {
    EXPECT_EQ(joined.take[i], plan.release[i].first);
  }
}

TEST(PlacementTest, ADeadNodesHallsGoToTheLiveOnes) {
  const ClusterView all =
      ViewOf({Node("a", absl::ZeroDuration()), Node("b", absl::ZeroDuration()),
              Node("c", absl::ZeroDuration())},
             90);
  absl::flat_hash_set<std::string> of_c;
  for (const std::string& hall : PlanStep("c", all, {}, kLease).take) {
    of_c.insert(hall);
  }
  // c was killed: its session is gone, its heartbeat still young.
  ClusterView after = all;
  after.nodes[2] = Node("c", absl::Milliseconds(300), false);
  size_t taken = 0;
  for (const char* self : {"a", "b"}) {
    absl::flat_hash_set<std::string> served;
    for (const std::string& hall : PlanStep(self, all, {}, kLease).take) {
      served.insert(hall);
    }
    const ClusterPlan plan = PlanStep(self, after, served, kLease);
    EXPECT_TRUE(plan.release.empty());
    EXPECT_TRUE(plan.terminate.empty());  // Nothing to end: it is gone.
    for (const std::string& hall : plan.take) {
      EXPECT_TRUE(of_c.contains(hall)) << hall;
    }
    taken += plan.take.size();
  }
  EXPECT_EQ(taken, of_c.size());
}

TEST(PlacementTest, APausedNodeIsEndedOnceItsLeaseRunsOut) {
  ClusterView view = ViewOf(
      {Node("a", absl::ZeroDuration()), Node("b", absl::Milliseconds(1500))},
      10);
  EXPECT_TRUE(PlanStep("a", view, {}, kLease).terminate.empty());
  // The same view 600 ms later: b (paused, session open) is late.
  view.now += absl::Milliseconds(600);
  view.nodes[0].heartbeat = view.now;
  const ClusterPlan plan = PlanStep("a", view, {}, kLease);
  EXPECT_EQ(plan.terminate, std::vector<std::string>{"b"});
  EXPECT_EQ(plan.take.size(), 10u);  // All of them, b being dead.
}

TEST(PlacementTest, ANodeThatIsLateItselfMovesNothing) {
  const ClusterView view = ViewOf(
      {Node("a", absl::Seconds(3)), Node("b", absl::ZeroDuration())}, 20);
  const ClusterPlan plan = PlanStep("a", view, view.halls, kLease);
  EXPECT_TRUE(plan.take.empty());
  EXPECT_TRUE(plan.release.empty());
}

TEST(PlacementTest, LocateNamesALiveOwnerElseMovingElseNotFound) {
  ClusterView view =
      ViewOf({Node("a", absl::ZeroDuration()), Node("b", absl::Seconds(5))}, 3);
  view.owners = {{"hall-0", "a"}, {"hall-1", "b"}, {"hall-2", "self"}};
  auto a = LocateIn(view, "self", "hall-0", kLease);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->grpc, "a:50051");
  EXPECT_EQ((*a)->http, "http://a:8080");
  // b is dead: the hall is moving.
  auto b = LocateIn(view, "self", "hall-1", kLease);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  // Its last owner is the asking node, which does not serve it: moving.
  auto self = LocateIn(view, "self", "hall-2", kLease);
  ASSERT_TRUE(self.ok());
  EXPECT_FALSE(self->has_value());
  EXPECT_TRUE(absl::IsNotFound(
      LocateIn(view, "self", "no-such-hall", kLease).status()));
}

}  // namespace
}  // namespace qcall
