#include "dispatcher/cluster_node.h"

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "spdlog/spdlog.h"

namespace qcall {

ClusterNode::ClusterNode(ClusterStore* store, HallOwnership* ownership,
                         HallHost* host, ClusterOptions options)
    : store_(store),
      ownership_(ownership),
      host_(host),
      options_(std::move(options)) {}

ClusterNode::~ClusterNode() { Stop(); }

void ClusterNode::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

absl::Status ClusterNode::Join(const NodeAddress& self, absl::Duration wait) {
  self_ = self;
  if (absl::Status beat = store_->Heartbeat(self_); !beat.ok()) {
    return absl::Status(beat.code(),
                        absl::StrCat("node ", self_.node,
                                     " cannot register: ", beat.message()));
  }
  const absl::Time until = absl::Now() + wait;
  while (true) {
    absl::Status serve_failure;
    absl::StatusOr<size_t> pending = Step(&serve_failure);
    RETURN_IF_ERROR(serve_failure);
    if (pending.ok() && *pending == 0) break;
    if (absl::Now() >= until) {
      spdlog::warn(
          "node {}: {} halls placed here are not served yet{}", self_.node,
          pending.ok() ? *pending : 0,
          pending.ok() ? std::string() : ": " + pending.status().ToString());
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  spdlog::info("node {}: joined (gRPC {}, HTTP {}), serving {} halls",
               self_.node, self_.grpc, self_.http.empty() ? "-" : self_.http,
               host_->ServedHalls().size());
  threads_.emplace_back([this] { HeartbeatLoop(); });
  threads_.emplace_back([this] { StepLoop(); });
  return absl::OkStatus();
}

void ClusterNode::HeartbeatLoop() {
  bool failing = false;
  do {
    absl::Status beat = store_->Heartbeat(self_);
    if (!beat.ok() && !failing) {
      spdlog::error("node {}: heartbeat failed: {}", self_.node,
                    beat.ToString());
    }
    failing = !beat.ok();
  } while (!stop_.WaitForNotificationWithTimeout(options_.heartbeat_every));
}

void ClusterNode::StepLoop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.step_every)) {
    if (absl::StatusOr<size_t> pending = Step(); !pending.ok()) {
      spdlog::warn("node {}: cluster step failed: {}", self_.node,
                   pending.status().ToString());
    }
  }
}

absl::StatusOr<size_t> ClusterNode::Step(absl::Status* serve_failure) {
  absl::StatusOr<ClusterView> read = store_->View();
  if (!read.ok()) return read.status();
  read->halls.insert(options_.configured_halls.begin(),
                     options_.configured_halls.end());
  auto view = std::make_shared<const ClusterView>(*std::move(read));
  {
    absl::MutexLock lock(&mu_);
    view_ = view;
  }
  const absl::flat_hash_set<std::string> served = host_->ServedHalls();
  const ClusterPlan plan = PlanStep(self_.node, *view, served, options_.lease);
  for (const std::string& node : plan.terminate) {
    if (absl::Status ended = store_->Terminate(node, options_.lease);
        !ended.ok()) {
      spdlog::warn("node {}: cannot end the session of node {}: {}", self_.node,
                   node, ended.ToString());
    }
  }
  // Halls lost to another node (this one was paused or cut off, and
  // fenced): served no more, and nothing to release.
  for (const std::string& hall : served) {
    if (ownership_->HeldEpoch(hall) != 0) continue;
    spdlog::error("hall {}: lost to another node; no longer served here", hall);
    host_->Leave(hall, NotServedHere(hall, LocateIn(*view, self_.node, hall,
                                                    options_.lease)));
  }
  for (const auto& [hall, to] : plan.release) {
    if (ownership_->HeldEpoch(hall) == 0) continue;  // Lost above.
    std::optional<NodeAddress> owner;
    for (const NodeSeen& node : view->nodes) {
      if (node.address.node == to) owner = node.address;
    }
    spdlog::info("hall {}: moves to node {}", hall, to);
    host_->Leave(hall, NotServedHere(hall, owner));
    if (absl::Status released = ownership_->Release(hall); !released.ok()) {
      spdlog::warn("hall {}: not released: {}", hall, released.ToString());
    }
  }
  size_t pending = 0;
  for (const std::string& hall : plan.take) {
    absl::StatusOr<uint64_t> epoch = ownership_->Take(hall);
    if (!epoch.ok()) {
      // Its owner has not let go yet (it is moving, or its node's session
      // has not ended): the next step tries again.
      ++pending;
      if (!absl::IsFailedPrecondition(epoch.status())) {
        spdlog::warn("hall {}: cannot take it: {}", hall,
                     epoch.status().ToString());
      }
      continue;
    }
    if (absl::Status served_now = host_->Serve(hall); !served_now.ok()) {
      ++pending;
      spdlog::error("hall {}: taken but cannot be served: {}", hall,
                    served_now.ToString());
      ownership_->Release(hall).IgnoreError();
      if (serve_failure != nullptr && serve_failure->ok()) {
        *serve_failure = absl::Status(
            served_now.code(),
            absl::StrCat("hall ", hall, ": ", served_now.message()));
      }
    }
  }
  return pending;
}

absl::StatusOr<std::optional<NodeAddress>> ClusterNode::Locate(
    absl::string_view hall_id) {
  std::shared_ptr<const ClusterView> view;
  {
    absl::MutexLock lock(&mu_);
    view = view_;
  }
  if (view == nullptr) return std::nullopt;  // Not joined yet.
  return LocateIn(*view, self_.node, hall_id, options_.lease);
}

}  // namespace qcall
