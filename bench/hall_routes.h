// HallRoutes sends each hall's load to the node that serves it. Every hall
// starts at the entry node; a node that does not serve a hall answers
// UNAVAILABLE naming its owner (owner_redirect.h), and from then on the
// hall's counters, kiosks and boards go there. Each node gets connections
// of its own, made once, shared by all its halls.
//
//   HallRoutes routes(entry, halls, {.commands = 2, .boards = 0});
//   routes.Counter(h, h)->async()->CallNext(&context, ..., [&](Status s) {
//     if (routes.Follow(h, context, s)) ... // send it again: Counter(h, h)
//   });
#ifndef QCALL_BENCH_HALL_ROUTES_H_
#define QCALL_BENCH_HALL_ROUTES_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "qcall/v1/api.grpc.pb.h"

namespace qcall::load {

class HallRoutes {
 public:
  // Connections to each node; a kind with none is not asked for.
  struct Connections {
    int commands = 2;  // For the kiosks and counters.
    int boards = 8;
  };
  // A call of one hall follows at most this many owners in a row.
  static constexpr int kMaxHops = 3;

  HallRoutes(std::string entry, size_t halls, Connections connections);

  // The stubs of hall `hall`'s node now; `spread` picks among its
  // connections.
  v1::Kiosk::Stub* Kiosk(size_t hall, size_t spread);
  v1::Counter::Stub* Counter(size_t hall, size_t spread);
  v1::Display::Stub* Display(size_t hall, size_t spread);

  // After a call of `hall` ended with `status`: true when it named the
  // hall's owner, which the hall is sent to now (make the call again).
  bool Follow(size_t hall, const grpc::ClientContext& context,
              const grpc::Status& status);
  // Halls sent to another node so far.
  int64_t moves() const { return moves_; }

 private:
  struct Node {
    std::vector<std::unique_ptr<v1::Kiosk::Stub>> kiosks;
    std::vector<std::unique_ptr<v1::Counter::Stub>> counters;
    std::vector<std::unique_ptr<v1::Display::Stub>> displays;
  };
  Node* NodeAt(const std::string& target);  // Under mu_.
  Node* NodeOf(size_t hall);

  const Connections connections_;
  std::mutex mu_;
  // Nodes are never removed: a stub, once handed out, stays valid.
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::vector<Node*> halls_;
  std::atomic<int64_t> moves_{0};
};

}  // namespace qcall::load

#endif  // QCALL_BENCH_HALL_ROUTES_H_
