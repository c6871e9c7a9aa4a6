#include "clients/cli/client.h"

#include <cstdio>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "dispatcher/owner_redirect.h"

namespace qcall::cli {

namespace {

// gRPC waits up to two minutes between connection attempts by default; a
// board must be back within seconds of qcalld. (The minimum backoff stays at
// its 20 s: it is also how long one connection attempt may take.)
grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 10'000);
  return args;
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(
    const GlobalOptions& options) {
  if (!options.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_ca_pem;  // Empty: the system's roots.
  return grpc::SslCredentials(ssl);
}

}  // namespace

Client::Client(GlobalOptions options)
    : options_(std::move(options)),
      connection_(std::make_shared<Connection>(grpc::CreateCustomChannel(
          options_.server, Credentials(options_), ChannelArgs()))),
      asked_({options_.server}) {}

std::shared_ptr<Client::Connection> Client::connection() const {
  absl::MutexLock lock(&mu_);
  return connection_;
}

std::string Client::server() const {
  absl::MutexLock lock(&mu_);
  return asked_.back();
}

void Client::Answered() {
  absl::MutexLock lock(&mu_);
  asked_ = {asked_.back()};
}

bool Client::BackToEntry(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
      channel()->GetState(false) == GRPC_CHANNEL_READY) {
    return false;
  }
  absl::MutexLock lock(&mu_);
  if (asked_.back() == options_.server) return false;
  connection_ = std::make_shared<Connection>(grpc::CreateCustomChannel(
      options_.server, Credentials(options_), ChannelArgs()));
  asked_ = {options_.server};
  return true;
}

bool Client::FollowOwner(const grpc::ClientContext& context,
                         grpc::Status* status) {
  const std::string owner =
      status->error_code() == grpc::StatusCode::UNAVAILABLE
          ? OwnerGrpcOf(context)
          : "";
  absl::MutexLock lock(&mu_);
  if (owner.empty()) {
    asked_ = {asked_.back()};
    return false;
  }
  if (static_cast<int>(asked_.size()) > kMaxHops) {
    *status = grpc::Status(status->error_code(),
                           absl::StrCat(status->error_message(), " (asked ",
                                        absl::StrJoin(asked_, ", "),
                                        "; the hall moves faster "
                                        "than qcall follows it: try again)"));
    asked_ = {asked_.back()};
    return false;
  }
  // TLS checks the owner's certificate against the same CAs, by its name.
  connection_ = std::make_shared<Connection>(
      grpc::CreateCustomChannel(owner, Credentials(options_), ChannelArgs()));
  asked_.push_back(owner);
  return true;
}

void Client::Authorize(grpc::ClientContext* context) const {
  if (!options_.token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options_.token);
  }
}

const std::string& Client::RequestId() {
  if (request_id_.empty()) {
    if (!options_.request_id.empty()) {
      request_id_ = options_.request_id;
    } else {
      std::random_device random;
      request_id_ =
          absl::StrFormat("qcall-%08x%08x%08x", random(), random(), random());
    }
  }
  return request_id_;
}

std::string Client::Explain(const grpc::Status& status) const {
  const std::string code = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
  std::string what;
  // gRPC's own words for these ("failed to connect to all addresses; last
  // error: ...", "Deadline Exceeded") name its internals, not the fix. A
  // server that answers UNAVAILABLE itself (its journal failed) is reached,
  // so its channel is ready and its message is kept.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      channel()->GetState(false) != GRPC_CHANNEL_READY) {
    what = options_.tls
               ? absl::StrCat("cannot reach qcalld at ", server(),
                              " over TLS (is it running, with TLS? is its "
                              "certificate for this name and signed by a CA "
                              "you trust? see --server and --tls-ca)")
               : absl::StrCat("cannot reach qcalld at ", server(),
                              " (is it running? see --server; if it uses "
                              "TLS, --tls or --tls-ca)");
  } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    what = absl::StrCat("no answer from qcalld at ", server(), " within ",
                        options_.timeout_seconds, " s (see --timeout)");
  } else {
    what = absl::StrReplaceAll(status.error_message(),
                               {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  }
  return what.empty() ? code : absl::StrCat(code, ": ", what);
}

int Client::Fail(const grpc::Status& status) const {
  const ExitCode exit_code = ExitCodeFor(status.error_code());
  std::string line = absl::StrCat("qcall: ", Explain(status));
  if (exit_code == kExitUnreachable && !request_id_.empty()) {
    absl::StrAppend(&line, "; to retry without acting twice add --request-id ",
                    request_id_);
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  return exit_code;
}

}  // namespace qcall::cli
