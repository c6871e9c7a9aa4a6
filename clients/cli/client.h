// Client is qcall's connection to qcalld: one channel, the four stubs, and
// what every call shares (the bearer token, the deadline, the request id, the
// one-line error). RunUnary is the whole life of a simple command:
//
//   v1::WindowRequest request;
//   request.set_hall_id(client.hall());
//   request.set_window(3);
//   request.set_request_id(client.RequestId());
//   return RunUnary(client, &v1::Counter::Stub::Recall, request,
//                   [](const v1::CommandReply& reply) -> Shown {
//                     return {absl::StrCat("recalled ", ...)};
//                   });
#ifndef QCALL_CLIENTS_CLI_CLIENT_H_
#define QCALL_CLIENTS_CLI_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "clients/cli/exit_codes.h"
#include "clients/cli/output.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall::cli {

// The options every command takes (see main.cc for their flags).
struct GlobalOptions {
  std::string server = "127.0.0.1:50051";
  // TLS: on with --tls or --tls-ca; the server's certificate is checked
  // against the CA certificates of --tls-ca (PEM text here), or the
  // system's when that is empty.
  bool tls = false;
  std::string tls_ca_pem;
  std::string token;
  std::string hall;
  bool json = false;
  double timeout_seconds = 10;
  // Empty: mutating commands send a fresh random id.
  std::string request_id;
};

class Client {
 public:
  explicit Client(GlobalOptions options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const GlobalOptions& options() const { return options_; }
  const std::string& hall() const { return options_.hall; }
  // `qcall top` switches halls on the same connection.
  void set_hall(std::string hall) { options_.hall = std::move(hall); }
  bool json() const { return options_.json; }

  // The channel to the node asked now (--server, or the hall's owner it
  // named).
  std::shared_ptr<grpc::Channel> channel() const {
    return connection()->channel;
  }

  template <typename Stub>
  std::shared_ptr<Stub> stub() const {
    std::shared_ptr<Connection> connection = this->connection();
    Stub* stub = &std::get<Stub>(connection->stubs);
    return std::shared_ptr<Stub>(std::move(connection), stub);
  }

  // One unary call with the token and the --timeout deadline. A node that
  // does not serve the hall names its owner, which is asked in turn.
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*),
                    const Request& request, Response* response) {
    while (true) {
      grpc::ClientContext context;
      Authorize(&context);
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(static_cast<int64_t>(
                               options_.timeout_seconds * 1000)));
      grpc::Status status =
          (stub<Stub>().get()->*method)(&context, request, response);
      if (!FollowOwner(context, &status)) return status;
    }
  }

  // At most this many owners are followed in a row (a node that names
  // another, which names a third ...): placement is moving faster than
  // the client.
  static constexpr int kMaxHops = 3;
  // After a call that ended UNAVAILABLE naming the hall's owner in
  // qcall-owner-grpc: points this client at the owner and returns true, to
  // ask it again there. False when there is nothing to follow or after
  // kMaxHops hops in a row; then `*status`, if it named an owner, says
  // which nodes were asked. Any other answer starts the count anew.
  bool FollowOwner(const grpc::ClientContext& context, grpc::Status* status);
  // A stream that delivers starts the count of hops anew: a board follows
  // its hall however often it moves.
  void Answered();
  // After `status` from an owner this client followed that cannot be
  // reached (its node died): points the client back at --server, which
  // names the hall's owner now, and returns true. False on --server itself.
  bool BackToEntry(const grpc::Status& status);

  // Adds "authorization: Bearer <token>" (nothing without a token). Streams
  // use it alone: they run without a deadline.
  void Authorize(grpc::ClientContext* context) const;

  // The request id of this run's mutating call: --request-id, or a random
  // one made once, so that the retry hint names the id that was sent.
  const std::string& RequestId();

  // The status in one line, "FAILED_PRECONDITION: hall needs 4 open windows,
  // ...", with gRPC's transport wording replaced by what the user can check.
  std::string Explain(const grpc::Status& status) const;
  // Prints "qcall: <Explain>" on stderr (plus how to retry a mutating call
  // that may or may not have happened) and returns the exit code.
  int Fail(const grpc::Status& status) const;

 private:
  struct Connection {
    explicit Connection(std::shared_ptr<grpc::Channel> to)
        : channel(std::move(to)), stubs(channel, channel, channel, channel) {}
    std::shared_ptr<grpc::Channel> channel;
    std::tuple<v1::Kiosk::Stub, v1::Counter::Stub, v1::Display::Stub,
               v1::Supervisor::Stub>
        stubs;
  };
  std::shared_ptr<Connection> connection() const;
  // The node asked now.
  std::string server() const;

  GlobalOptions options_;
  std::string request_id_;
  mutable absl::Mutex mu_;
  // Replaced when an owner is followed; calls in flight keep the old one.
  std::shared_ptr<Connection> connection_ ABSL_GUARDED_BY(mu_);
  // The nodes asked since the last answer that named no owner, in order.
  std::vector<std::string> asked_ ABSL_GUARDED_BY(mu_);
};

// What a command shows for a reply in human mode, and how it exits.
struct Shown {
  std::string text;
  ExitCode code = kExitOk;
};

// Runs one unary call and prints the reply: one JSON object with --json,
// else `show(reply).text`. Returns the exit code (`show(reply).code` on
// success, so --json and words end alike).
template <typename Stub, typename Request, typename Response, typename Show>
int RunUnary(Client& client,
             grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                          Response*),
             const Request& request, Show show) {
  Response response;
  const grpc::Status status = client.Call(method, request, &response);
  if (!status.ok()) return client.Fail(status);
  Shown shown = show(response);
  if (client.json()) {
    PrintLine(ToJson(response));
  } else if (!shown.text.empty()) {
    PrintLine(shown.text);
  }
  return shown.code;
}

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_CLIENT_H_
