#include "tests/common/elsewhere_node.h"

#include "absl/strings/str_cat.h"
#include "dispatcher/owner_redirect.h"

namespace qcall::testing {

ElsewhereNode::ElsewhereNode(std::string owner) : owner_(std::move(owner)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(static_cast<v1::Kiosk::Service*>(this));
  builder.RegisterService(static_cast<v1::Counter::Service*>(this));
  builder.RegisterService(static_cast<v1::Display::Service*>(this));
  server_ = builder.BuildAndStart();
}

ElsewhereNode::~ElsewhereNode() { server_->Shutdown(); }

void ElsewhereNode::set_owner(std::string owner) {
  absl::MutexLock lock(&mu_);
  owner_ = std::move(owner);
}

std::string ElsewhereNode::owner() const {
  absl::MutexLock lock(&mu_);
  return owner_;
}

std::string ElsewhereNode::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

grpc::Status ElsewhereNode::Elsewhere(const std::string& hall_id,
                                      grpc::ServerContext* context) {
  ++asked_;
  return OwnerRedirect(
      hall_id, NodeAddress{.node = "owner", .grpc = owner(), .http = ""},
      context);
}

grpc::Status ElsewhereNode::IssueTicket(grpc::ServerContext* context,
                                        const v1::IssueTicketRequest* request,
                                        v1::CommandReply*) {
  return Elsewhere(request->hall_id(), context);
}

grpc::Status ElsewhereNode::OpenWindow(grpc::ServerContext* context,
                                       const v1::OpenWindowRequest* request,
                                       v1::CommandReply*) {
  return Elsewhere(request->hall_id(), context);
}

grpc::Status ElsewhereNode::CallNext(grpc::ServerContext* context,
                                     const v1::WindowRequest* request,
                                     v1::CommandReply*) {
  return Elsewhere(request->hall_id(), context);
}

grpc::Status ElsewhereNode::StartServing(grpc::ServerContext* context,
                                         const v1::WindowRequest* request,
                                         v1::CommandReply*) {
  return Elsewhere(request->hall_id(), context);
}

grpc::Status ElsewhereNode::Complete(grpc::ServerContext* context,
                                     const v1::CompleteRequest* request,
                                     v1::CommandReply*) {
  return Elsewhere(request->hall_id(), context);
}

grpc::Status ElsewhereNode::Watch(
    grpc::ServerContext* context, const v1::WatchRequest* request,
    grpc::ServerWriter<v1::WatchResponse>* writer) {
  if (relay_until_call) {
    auto stub = v1::Display::NewStub(
        grpc::CreateChannel(owner(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext upstream;
    for (const auto& [key, value] : context->client_metadata()) {
      if (key == "authorization") {
        upstream.AddMetadata("authorization",
                             std::string(value.data(), value.size()));
      }
    }
    auto reader = stub->Watch(&upstream, *request);
    v1::WatchResponse message;
    while (!context->IsCancelled() && reader->Read(&message)) {
      writer->Write(message);
      if (message.event().has_ticket_called()) break;
    }
    upstream.TryCancel();
    reader->Finish();
    on_move();
  }
  return Elsewhere(request->hall_id(), context);
}

}  // namespace qcall::testing
