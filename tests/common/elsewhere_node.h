// ElsewhereNode is a gRPC server that plays a qcalld node which does not
// serve the hall asked for: kiosk issues, counter commands and Watch are
// answered UNAVAILABLE naming `owner` (owner_redirect.h), as a node among
// several sharing a store does. With relay_until_call, each Watch is the
// hall's old owner instead: it relays the owner's stream up to the next call
// (a TicketCalled), runs on_move (what happens then reaches no board), and
// ends saying where the hall is now, as a node that lost the hall does.
//
//   ElsewhereNode elsewhere(qcalld.address());
//   Run({"--server", elsewhere.address(), ...});   // Must reach qcalld.
#ifndef QCALL_TESTS_COMMON_ELSEWHERE_NODE_H_
#define QCALL_TESTS_COMMON_ELSEWHERE_NODE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall::testing {

class ElsewhereNode final : public v1::Kiosk::Service,
                            public v1::Counter::Service,
                            public v1::Display::Service {
 public:
  explicit ElsewhereNode(std::string owner);
  ~ElsewhereNode() override;

  std::string address() const;
  // The owner named from now on.
  void set_owner(std::string owner);
  // Calls and streams answered so far.
  int asked() const { return asked_; }

  grpc::Status IssueTicket(grpc::ServerContext* context,
                           const v1::IssueTicketRequest* request,
                           v1::CommandReply*) override;
  grpc::Status OpenWindow(grpc::ServerContext* context,
                          const v1::OpenWindowRequest* request,
                          v1::CommandReply*) override;
  grpc::Status CallNext(grpc::ServerContext* context,
                        const v1::WindowRequest* request,
                        v1::CommandReply*) override;
  grpc::Status StartServing(grpc::ServerContext* context,
                            const v1::WindowRequest* request,
                            v1::CommandReply*) override;
  grpc::Status Complete(grpc::ServerContext* context,
                        const v1::CompleteRequest* request,
                        v1::CommandReply*) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::WatchResponse>* writer) override;

  // Set before the first call.
  bool relay_until_call = false;
  std::function<void()> on_move = [] {};

 private:
  grpc::Status Elsewhere(const std::string& hall_id,
                         grpc::ServerContext* context);

  std::string owner() const;

  mutable absl::Mutex mu_;
  std::string owner_ ABSL_GUARDED_BY(mu_);
  int port_ = 0;
  std::atomic<int> asked_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace qcall::testing

#endif  // QCALL_TESTS_COMMON_ELSEWHERE_NODE_H_
