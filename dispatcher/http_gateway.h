// HttpGateway answers qcalld's HTTP requests for browsers and probes (the
// contract is docs/http-api.md): gRPC methods as JSON
// (POST /qcall.v1.<Service>/<Method>), a hall's events as Server-Sent Events
// (GET /events), the public ticket status, spoken announcements, QR codes,
// the web pages, /healthz and /metrics. It implements no rule of its own:
// every call goes to the gRPC services through an in-process channel, so
// authentication, validation and journaling are exactly a gRPC client's.
//
//   HttpGateway gateway(server->InProcessChannel(args), &auth, &speech,
//                       {.web_root = "clients/web", .public_token = t},
//                       health, metrics);
//   RETURN_IF_ERROR(http.Start(listen, [&](auto x) { gateway.Handle(x); }));
#ifndef QCALL_DISPATCHER_HTTP_GATEWAY_H_
#define QCALL_DISPATCHER_HTTP_GATEWAY_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dispatcher/auth.h"
#include "dispatcher/hall_locator.h"
#include "dispatcher/http_server.h"
#include "dispatcher/speech.h"

namespace google::protobuf {
class Message;
}

namespace qcall {

// A request target split into its percent-decoded path and query.
struct HttpTarget {
  static HttpTarget Parse(absl::string_view target);
  // The parameter's value, "" when absent.
  std::string Query(const std::string& name) const;
  // Whether the path and every parameter are UTF-8 once percent-decoded:
  // what is not could never name a hall, a ticket or a token.
  bool IsUtf8() const;

  std::string path;
  absl::flat_hash_map<std::string, std::string> query;
};

class HttpGateway {
 public:
  struct Options {
    // The folder of the web pages (clients/web).
    std::string web_root;
    // A display token for every hall, known only to this process: the
    // public ticket page reads through it.
    std::string public_token;
    // Where several nodes share the store: where a hall this node does not
    // serve is. A page or event stream of such a hall is redirected (307)
    // to its owner, a JSON call answered 503 naming it. Null: one node.
    HallLocator* locator = nullptr;
    // Whether this node serves the hall; asked only with a locator.
    std::function<bool(const std::string& hall_id)> serves;
    // This side speaks HTTPS: a page sent to the owner learns its entry
    // address as https://<Host>.
    bool tls = false;
  };

  HttpGateway(std::shared_ptr<grpc::Channel> channel, const Authenticator* auth,
              SpeechCache* speech, Options options,
              std::function<absl::Status()> health,
              std::function<std::string()> metrics);

  // Whether calls may still start on the in-process channel. A call created
  // while the gRPC server shuts down crashes inside libgrpc (1.51: a jump to
  // a null function pointer when the call's stack is made; found by the
  // ASan run, reproduced by requests during a SIGTERM), so the server closes
  // the gate before it shuts gRPC down.
  class CallGate {
   public:
    // Runs `start` (which starts a call) unless the gate is closed; false
    // when it is. May be nested.
    bool Run(absl::FunctionRef<void()> start);
    // No start begins after this returns: it waits for those under way.
    void Close();

   private:
    std::atomic<bool> closed_{false};
    std::atomic<int> starting_{0};
  };

  void Handle(std::shared_ptr<HttpExchange> exchange);
  // Answers new requests with 503 and starts no call from now on; returns
  // once no call is being started. Before the gRPC server shuts down.
  void CloseCalls();
  // Answers new requests with 503 and waits (up to `max_wait`) until no
  // call of the gateway's is in flight, so none answers after the HTTP
  // server is gone. False when some still are.
  bool Stop(std::chrono::milliseconds max_wait);

 private:
  using Exchange = std::shared_ptr<HttpExchange>;

  // How a request for a hall served elsewhere is answered.
  enum class Asked { kPage, kStream, kJson };
  // With a locator, answers a request for `hall_id` when this node does not
  // serve it (true); false when it is served here or exists nowhere.
  bool AnsweredElsewhere(const Exchange& exchange, const std::string& hall_id,
                         Asked asked);
  void Unary(const Exchange& exchange, const std::string& path);
  // Sends `request` to `method` ("/qcall.v1.Kiosk/GetTicket") with
  // `authorization` and answers the exchange with the reply as JSON.
  void CallAndRespond(const Exchange& exchange, const std::string& method,
                      const google::protobuf::Message& request,
                      const std::string& authorization,
                      std::unique_ptr<google::protobuf::Message> reply);
  void Events(const Exchange& exchange, const HttpTarget& target);
  void PublicTicket(const Exchange& exchange, const std::string& hall_id,
                    const std::string& number);
  void Speech(const Exchange& exchange, const HttpTarget& target);
  void Qr(const Exchange& exchange, const HttpTarget& target);
  void StaticFile(const Exchange& exchange, const std::string& name);

  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  const Authenticator* auth_;
  SpeechCache* speech_;
  const Options options_;
  // OK while the journal writes; then its failure (/healthz says it).
  std::function<absl::Status()> health_;
  std::function<std::string()> metrics_;
  std::atomic<bool> stopping_{false};
  CallGate calls_;
  // Unary calls and event streams under way.
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_HTTP_GATEWAY_H_
