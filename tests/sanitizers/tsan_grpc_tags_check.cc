// Shows that tests/sanitizers/tsan_grpc_tags.cc orders gRPC's hand-off of a
// callback tag: a unary callback server answers every call from a thread of
// its own (as qcalld's journal thread does), so the tag that
// ServerCallbackUnaryImpl::Finish sets there is run on one of gRPC's
// threads. Without the shim TSan reports gRPC's inline code reading the tag
// (CallbackWithSuccessTag::Run reading its std::function) against Finish's
// write (linked without the shim: in 5 runs of 5, 4 to 10 reports each);
// with it, nothing.
//
// Built and run by ctest in the TSan build only (tests/CMakeLists.txt), with
// scripts/test's suppressions, which name neither side of that hand-off.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/echo.grpc.pb.h"

namespace {

constexpr int kClients = 4;
constexpr int kCallsEach = 1000;
constexpr int kCalls = kClients * kCallsEach;

// Answers each call on its own thread, in order.
class Answerer {
 public:
  Answerer() : thread_([this] { Run(); }) {}
  ~Answerer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }
  void Post(grpc::ServerUnaryReactor* reactor) {
    {
      std::lock_guard lock(mu_);
      pending_.push_back(reactor);
    }
    ready_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      ready_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;
      grpc::ServerUnaryReactor* reactor = pending_.front();
      pending_.pop_front();
      lock.unlock();
      reactor->Finish(grpc::Status::OK);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<grpc::ServerUnaryReactor*> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

class HandOffService final : public qcall::bench::Echo::CallbackService {
 public:
  explicit HandOffService(Answerer* answerer) : answerer_(answerer) {}
  grpc::ServerUnaryReactor* HandOffEcho(
      grpc::CallbackServerContext* context,
      const qcall::bench::EchoMessage* request,
      qcall::bench::EchoMessage* response) override {
    *response = *request;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    answerer_->Post(reactor);
    return reactor;
  }

 private:
  Answerer* answerer_;
};

}  // namespace

int main() {
  Answerer answerer;
  HandOffService service(&answerer);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "tsan_grpc_tags_check: no server\n");
    return 1;
  }
  auto stub = qcall::bench::Echo::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&stub, &answered, c] {
      for (int i = 0; i < kCallsEach; ++i) {
        grpc::ClientContext context;
        qcall::bench::EchoMessage request;
        request.set_request_id(std::to_string(c * kCallsEach + i));
        qcall::bench::EchoMessage response;
        grpc::Status status = stub->HandOffEcho(&context, request, &response);
        if (status.ok() && response.request_id() == request.request_id()) {
          answered.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  server->Shutdown();
  std::printf("answered %d of %d\n", answered.load(), kCalls);
  return answered.load() == kCalls ? 0 : 1;
}
