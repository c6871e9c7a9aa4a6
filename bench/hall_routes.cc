#include "bench/hall_routes.h"

#include <utility>

#include "bench/load_tools.h"
#include "dispatcher/owner_redirect.h"

namespace qcall::load {

HallRoutes::HallRoutes(std::string entry, size_t halls, Connections connections)
    : connections_(connections) {
  std::lock_guard lock(mu_);
  halls_.assign(halls, NodeAt(entry));
}

HallRoutes::Node* HallRoutes::NodeAt(const std::string& target) {
  std::unique_ptr<Node>& node = nodes_[target];
  if (node == nullptr) {
    node = std::make_unique<Node>();
    for (int i = 0; i < connections_.commands; ++i) {
      node->kiosks.push_back(v1::Kiosk::NewStub(Connect(target)));
      node->counters.push_back(v1::Counter::NewStub(Connect(target)));
    }
    for (int i = 0; i < connections_.boards; ++i) {
      node->displays.push_back(v1::Display::NewStub(Connect(target)));
    }
  }
  return node.get();
}

HallRoutes::Node* HallRoutes::NodeOf(size_t hall) {
  std::lock_guard lock(mu_);
  return halls_[hall];
}

v1::Kiosk::Stub* HallRoutes::Kiosk(size_t hall, size_t spread) {
  Node* node = NodeOf(hall);
  return node->kiosks[spread % node->kiosks.size()].get();
}

v1::Counter::Stub* HallRoutes::Counter(size_t hall, size_t spread) {
  Node* node = NodeOf(hall);
  return node->counters[spread % node->counters.size()].get();
}

v1::Display::Stub* HallRoutes::Display(size_t hall, size_t spread) {
  Node* node = NodeOf(hall);
  return node->displays[spread % node->displays.size()].get();
}

bool HallRoutes::Follow(size_t hall, const grpc::ClientContext& context,
                        const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string owner = OwnerGrpcOf(context);
  if (owner.empty()) return false;
  std::lock_guard lock(mu_);
  halls_[hall] = NodeAt(owner);
  ++moves_;
  return true;
}

}  // namespace qcall::load
