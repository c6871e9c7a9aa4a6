#include "dispatcher/http_gateway.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <utf8proc.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dispatcher/grpc_status.h"
#include "dispatcher/method_policy.h"
#include "dispatcher/owner_redirect.h"
#include "dispatcher/qr_svg.h"
#include "dispatcher/tsan_annotations.h"
#include "qcall/v1/api.pb.h"
#include "qcall/v1/http.pb.h"

namespace qcall {
namespace {

namespace http = boost::beast::http;
namespace protobuf = google::protobuf;
using Exchange = std::shared_ptr<HttpExchange>;
using MessageTraits = grpc::SerializationTraits<protobuf::Message>;

constexpr auto kCallDeadline = std::chrono::seconds(10);
constexpr char kJson[] = "application/json";

// ---------------------------------------------------------------------------
// Requests

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 +
                                      HexValue(text[i + 2])));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string Header(const HttpRequest& request, http::field field) {
  auto it = request.find(field);
  return it == request.end() ? "" : std::string(it->value());
}

std::string Cookie(const HttpRequest& request, absl::string_view name) {
  for (absl::string_view part :
       absl::StrSplit(Header(request, http::field::cookie), ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return PercentDecode(part, false);
    }
  }
  return "";
}

// The token of a read-only GET: the Authorization header, else the cookie,
// else the query (EventSource and <audio> cannot set headers).
std::string ReadOnlyToken(const HttpRequest& request,
                          const HttpTarget& target) {
  const std::string authorization = Header(request, http::field::authorization);
  if (absl::optional<absl::string_view> token =
          Authenticator::BearerToken(authorization)) {
    return std::string(*token);
  }
  std::string cookie = Cookie(request, "qcall_token");
  return cookie.empty() ? target.Query("token") : cookie;
}

// ---------------------------------------------------------------------------
// Answers

// The Connect protocol's mapping of gRPC codes to HTTP statuses.
unsigned HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

std::string CodeName(grpc::StatusCode code) {
  // absl::StatusCode shares gRPC's numbers and names.
  return absl::AsciiStrToLower(
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
}

std::string ToJson(const protobuf::Message& message) {
  protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  // Cannot fail: every field of a reply or an HttpError has a JSON form.
  (void)protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string ErrorJson(const grpc::Status& status) {
  v1::HttpError error;
  error.set_code(CodeName(status.error_code()));
  error.set_message(status.error_message());
  return ToJson(error);
}

void RespondError(const Exchange& exchange, const grpc::Status& status) {
  exchange->Respond(HttpStatusOf(status.error_code()), kJson,
                    ErrorJson(status));
}

void RespondError(const Exchange& exchange, grpc::StatusCode code,
                  const std::string& message) {
  RespondError(exchange, grpc::Status(code, message));
}

// How long a client waits before asking again for a hall that is moving.
constexpr char kMovingRetryAfterSeconds[] = "2";

// A JSON call's 503 for a hall served elsewhere: Qcall-Owner and "owner"
// name the owner's base URL (none while it moves: Retry-After instead).
void RespondNotServedHere(const Exchange& exchange, const std::string& message,
                          const std::string& owner_http) {
  v1::HttpNotServedHere body;
  body.set_code(CodeName(grpc::StatusCode::UNAVAILABLE));
  body.set_message(message);
  body.set_error(message);
  body.set_owner(owner_http);
  HttpHeaders headers;
  if (owner_http.empty()) {
    headers.emplace_back("Retry-After", kMovingRetryAfterSeconds);
  } else {
    headers.emplace_back("Qcall-Owner", owner_http);
  }
  exchange->Respond(503, kJson, ToJson(body), std::move(headers));
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

std::unique_ptr<protobuf::Message> NewMessage(
    const protobuf::Descriptor* type) {
  return std::unique_ptr<protobuf::Message>(
      protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

grpc::ByteBuffer ToByteBuffer(const protobuf::Message& message) {
  grpc::ByteBuffer buffer;
  bool own = false;
  // Serializing a valid message into a fresh buffer cannot fail.
  (void)MessageTraits::Serialize(message, &buffer, &own);
  return buffer;
}

const char* ContentTypeOf(absl::string_view name) {
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(name, ".png")) return "image/png";
  if (absl::EndsWith(name, ".json")) return "application/json";
  if (absl::EndsWith(name, ".wav")) return "audio/wav";
  return "application/octet-stream";
}

// A file name under the web root: letters, digits, '-', '_', '.', one
// level, no leading dot.
bool SafeFileName(absl::string_view name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// A hall's events as Server-Sent Events: one Watch call on the in-process
// channel per browser stream. It reads one message at a time, so a browser
// that does not keep up makes the server's bounded stream queue end the
// call, and the browser resumes with Last-Event-ID.
class SseWatch final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  static void Start(grpc::GenericStub* stub, HttpGateway::CallGate* gate,
                    std::atomic<int64_t>* in_flight, Exchange exchange,
                    std::string method, v1::WatchRequest request,
                    const std::string& token) {
    // Shutting down: the browser reconnects (to a server that runs).
    if (!gate->Run([&] {
          StartOpen(stub, gate, in_flight, exchange, std::move(method),
                    std::move(request), token);
        })) {
      exchange->EndStream();
    }
  }

  void OnReadDone(bool ok) override {
    TsanAcquire(this);
    if (!ok) return;  // OnDone follows.
    // Written by the event hub's thread (event_hub.cc).
    TsanAcquireBytes(response_);
    got_message_ = true;
    v1::WatchResponse message;
    if (!MessageTraits::Deserialize(&response_, &message).ok()) {
      context_.TryCancel();
      return;
    }
    const bool snapshot = message.has_snapshot();
    const uint64_t seq =
        snapshot ? message.snapshot().last_seq() : message.event().seq();
    if (!exchange_->Send(absl::StrCat(
            "id: ", seq, "\nevent: ", snapshot ? "snapshot" : "event",
            "\ndata: ", ToJson(message), "\n\n"))) {
      context_.TryCancel();
      return;
    }
    TsanRelease(this);
    StartRead(&response_);
  }

  void OnWriteDone(bool) override { TsanAcquire(this); }

  void OnDone(const grpc::Status& status) override {
    TsanAcquire(this);
    if (status.error_code() == grpc::StatusCode::OUT_OF_RANGE &&
        !got_message_ && request_seq_ > 0) {
      // The browser remembers more than this hall has (its journal was
      // reset): start over from a snapshot instead of failing for ever.
      v1::WatchRequest again = watch_request_;
      again.set_after_seq(0);
      Start(stub_, gate_, in_flight_, exchange_, method_, again, token_);
    } else {
      switch (status.error_code()) {
        case grpc::StatusCode::INVALID_ARGUMENT:
        case grpc::StatusCode::NOT_FOUND:
        case grpc::StatusCode::PERMISSION_DENIED:
        case grpc::StatusCode::UNAUTHENTICATED:
        case grpc::StatusCode::FAILED_PRECONDITION:
        case grpc::StatusCode::OUT_OF_RANGE:
          // Reconnecting cannot help: tell the page, which stops.
          exchange_->Send(absl::StrCat(
              "event: failure\ndata: ", ErrorJson(status), "\n\n"));
          break;
        case grpc::StatusCode::UNAVAILABLE:
          // The hall left this node: the page goes to its owner's origin
          // and resumes there by seq.
          if (std::string owner = OwnerHttpOf(context_); !owner.empty()) {
            v1::HttpNotServedHere moved;
            moved.set_code(CodeName(status.error_code()));
            moved.set_message(status.error_message());
            moved.set_error(status.error_message());
            moved.set_owner(owner);
            exchange_->Send(
                absl::StrCat("event: moved\ndata: ", ToJson(moved), "\n\n"));
          }
          break;
        default:
          // Fell behind, or the server is going: the browser reconnects.
          break;
      }
      exchange_->EndStream();
    }
    --*in_flight_;
    self_.reset();  // May delete this.
  }

 private:
  static void StartOpen(grpc::GenericStub* stub, HttpGateway::CallGate* gate,
                        std::atomic<int64_t>* in_flight, Exchange exchange,
                        std::string method, v1::WatchRequest request,
                        const std::string& token) {
    ++*in_flight;
    auto watch = std::shared_ptr<SseWatch>(
        new SseWatch(stub, gate, in_flight, std::move(exchange),
                     std::move(method), request));
    watch->self_ = watch;
    watch->context_.AddMetadata("authorization",
                                absl::StrCat("Bearer ", token));
    watch->token_ = token;
    std::weak_ptr<SseWatch> weak = watch;
    watch->exchange_->OnStreamClosed([weak] {
      if (auto alive = weak.lock()) alive->context_.TryCancel();
    });
    stub->PrepareBidiStreamingCall(&watch->context_, watch->method_,
                                   grpc::StubOptions(), watch.get());
    watch->request_ = ToByteBuffer(request);
    // The request's bytes are parsed, in-process, by the service's thread;
    // the reactor is used by gRPC's threads from here on.
    TsanReleaseBytes(watch->request_);
    TsanRelease(watch.get());
    watch->StartWriteLast(&watch->request_, grpc::WriteOptions());
    watch->StartRead(&watch->response_);
    watch->StartCall();
  }

  SseWatch(grpc::GenericStub* stub, HttpGateway::CallGate* gate,
           std::atomic<int64_t>* in_flight, Exchange exchange,
           std::string method, v1::WatchRequest request)
      : stub_(stub),
        gate_(gate),
        in_flight_(in_flight),
        exchange_(std::move(exchange)),
        method_(std::move(method)),
        watch_request_(std::move(request)),
        request_seq_(watch_request_.after_seq()) {}

  std::shared_ptr<SseWatch> self_;  // Kept alive until OnDone.
  grpc::GenericStub* stub_;
  HttpGateway::CallGate* gate_;
  std::atomic<int64_t>* in_flight_;
  Exchange exchange_;
  const std::string method_;
  const v1::WatchRequest watch_request_;
  const uint64_t request_seq_;
  std::string token_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  bool got_message_ = false;
};

}  // namespace

HttpTarget HttpTarget::Parse(absl::string_view target) {
  HttpTarget out;
  const size_t question = target.find('?');
  out.path = PercentDecode(target.substr(0, question), false);
  if (question == absl::string_view::npos) return out;
  for (absl::string_view pair :
       absl::StrSplit(target.substr(question + 1), '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    out.query[PercentDecode(pair.substr(0, equals), true)] =
        equals == absl::string_view::npos
            ? ""
            : PercentDecode(pair.substr(equals + 1), true);
  }
  return out;
}

namespace {

bool IsUtf8(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t code_point;
    const utf8proc_ssize_t n = utf8proc_iterate(bytes, left, &code_point);
    if (n <= 0) return false;
    bytes += n;
    left -= n;
  }
  return true;
}

}  // namespace

bool HttpTarget::IsUtf8() const {
  if (!qcall::IsUtf8(path)) return false;
  for (const auto& [name, value] : query) {
    if (!qcall::IsUtf8(name) || !qcall::IsUtf8(value)) return false;
  }
  return true;
}

std::string HttpTarget::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

HttpGateway::HttpGateway(std::shared_ptr<grpc::Channel> channel,
                         const Authenticator* auth, SpeechCache* speech,
                         Options options, std::function<absl::Status()> health,
                         std::function<std::string()> metrics)
    : channel_(std::move(channel)),
      stub_(channel_),
      auth_(auth),
      speech_(speech),
      options_(std::move(options)),
      health_(std::move(health)),
      metrics_(std::move(metrics)) {}

bool HttpGateway::CallGate::Run(absl::FunctionRef<void()> start) {
  // Counted before the check, so Close either sees this start or is seen.
  ++starting_;
  absl::Cleanup started = [this] { --starting_; };
  if (closed_) return false;
  start();
  return true;
}

void HttpGateway::CallGate::Close() {
  closed_ = true;
  while (starting_.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void HttpGateway::CloseCalls() {
  stopping_ = true;
  calls_.Close();
}

bool HttpGateway::Stop(std::chrono::milliseconds max_wait) {
  stopping_ = true;
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return in_flight_.load() == 0;
}

void HttpGateway::Handle(std::shared_ptr<HttpExchange> exchange) {
  // Counted while it runs: a request that passed the check below just as
  // Stop began would otherwise start its call after Stop saw nothing in
  // flight, and answer through a server already freed.
  ++in_flight_;
  absl::Cleanup handled = [this] { --in_flight_; };
  if (stopping_) {
    RespondError(exchange, grpc::StatusCode::UNAVAILABLE,
                 "qcalld is shutting down");
    return;
  }
  const HttpRequest& request = exchange->request();
  const HttpTarget target = HttpTarget::Parse(
      absl::string_view(request.target().data(), request.target().size()));
  const std::string& path = target.path;
  if (!target.IsUtf8()) {
    RespondError(exchange, grpc::StatusCode::INVALID_ARGUMENT,
                 "the address is not UTF-8 once percent-decoded");
    return;
  }
  if (request.method() == http::verb::post) {
    if (absl::StartsWith(path, "/qcall.v1.")) {
      Unary(exchange, path);
    } else {
      RespondError(exchange, grpc::StatusCode::NOT_FOUND,
                   "POST goes to /qcall.v1.<Service>/<Method>");
    }
    return;
  }
  if (request.method() != http::verb::get) {
    exchange->Respond(405, "text/plain", "GET or POST\n",
                      {{"Allow", "GET, POST"}});
    return;
  }
  if (path == "/healthz") {
    // A probe tells a failed journal from a full HTTP side (whose 503 says
    // how many connections it serves) by the body.
    const absl::Status health = health_();
    if (health.ok()) {
      exchange->Respond(200, "text/plain", "ok\n");
    } else {
      exchange->Respond(503, "text/plain",
                        absl::StrCat("journal: ", health.message(), "\n"));
    }
  } else if (path == "/metrics") {
    exchange->Respond(200, "text/plain; version=0.0.4", metrics_());
  } else if (path == "/events") {
    if (AnsweredElsewhere(exchange, target.Query("hall"), Asked::kStream)) {
      return;
    }
    Events(exchange, target);
  } else if (path == "/speech") {
    Speech(exchange, target);
  } else if (path == "/qr.svg") {
    Qr(exchange, target);
  } else if (path == "/board" || path == "/kiosk" || path == "/counter" ||
             path == "/dashboard" || path == "/pad" || path == "/reports") {
    if (AnsweredElsewhere(exchange, target.Query("hall"), Asked::kPage)) {
      return;
    }
    StaticFile(exchange, absl::StrCat(path.substr(1), ".html"));
  } else if (absl::StartsWith(path, "/web/")) {
    StaticFile(exchange, path.substr(5));
  } else if (std::vector<std::string> parts =
                 absl::StrSplit(path, '/', absl::SkipEmpty());
             parts.size() == 3 && (parts[0] == "t" || parts[0] == "ticket")) {
    if (AnsweredElsewhere(exchange, parts[1],
                          parts[0] == "t" ? Asked::kPage : Asked::kJson)) {
      return;
    }
    if (parts[0] == "t") {
      StaticFile(exchange, "ticket.html");
    } else {
      PublicTicket(exchange, parts[1], parts[2]);
    }
  } else {
    exchange->Respond(
        404, "text/plain",
        "qcalld serves /board /kiosk /counter /dashboard /pad /reports "
        "/t/<hall>/<ticket>, "
        "POST /qcall.v1.<Service>/<Method>, /events, /healthz, /metrics "
        "(docs/http-api.md)\n");
  }
}

// gRPC metadata values are printable ASCII; anything else in the header
// would be refused deep inside the in-process call (fatally), so it is
// refused here.
bool PrintableAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void HttpGateway::Unary(const Exchange& exchange, const std::string& path) {
  const std::string authorization =
      Header(exchange->request(), http::field::authorization);
  if (!PrintableAscii(authorization)) {
    RespondError(exchange, grpc::StatusCode::UNAUTHENTICATED,
                 "the authorization header has characters no token has");
    return;
  }
  const size_t slash = path.find('/', 1);
  const protobuf::ServiceDescriptor* service =
      slash == std::string::npos
          ? nullptr
          : protobuf::DescriptorPool::generated_pool()->FindServiceByName(
                path.substr(1, slash - 1));
  const protobuf::MethodDescriptor* method =
      service == nullptr ? nullptr
                         : service->FindMethodByName(path.substr(slash + 1));
  if (method == nullptr) {
    RespondError(exchange, grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no method ", path.substr(0, 100)));
    return;
  }
  if (method->client_streaming() || method->server_streaming()) {
    RespondError(
        exchange, grpc::StatusCode::NOT_FOUND,
        absl::StrCat(method->full_name(), " streams: use GET /events"));
    return;
  }
  std::unique_ptr<protobuf::Message> request = NewMessage(method->input_type());
  const std::string& body = exchange->request().body();
  if (!body.empty()) {
    const auto parsed =
        protobuf::util::JsonStringToMessage(body, request.get());
    if (!parsed.ok()) {
      RespondError(exchange, grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat("request body is not a ",
                                method->input_type()->full_name(), ": ",
                                parsed.message().substr(0, 200).ToString()));
      return;
    }
  }
  // Every request about one hall names it in hall_id.
  if (const protobuf::FieldDescriptor* hall =
          request->GetDescriptor()->FindFieldByName("hall_id");
      hall != nullptr &&
      hall->type() == protobuf::FieldDescriptor::TYPE_STRING &&
      !hall->is_repeated() &&
      AnsweredElsewhere(exchange,
                        request->GetReflection()->GetString(*request, hall),
                        Asked::kJson)) {
    return;
  }
  CallAndRespond(exchange, path, *request, authorization,
                 NewMessage(method->output_type()));
}

bool HttpGateway::AnsweredElsewhere(const Exchange& exchange,
                                    const std::string& hall_id, Asked asked) {
  if (options_.locator == nullptr || hall_id.empty() ||
      options_.serves(hall_id)) {
    return false;
  }
  absl::StatusOr<std::optional<NodeAddress>> owner =
      options_.locator->Locate(hall_id);
  if (!owner.ok()) {
    // No node has it: this one answers as a single node would (no such
    // hall; or ConfigureHall makes it here).
    if (owner.status().code() == absl::StatusCode::kNotFound) return false;
    RespondError(exchange, grpc::StatusCode::UNAVAILABLE,
                 absl::StrCat("cannot tell which node serves hall ", hall_id,
                              ": ", owner.status().message()));
    return true;
  }
  const std::string message = NotServedHereMessage(hall_id, *owner);
  // An owner without an HTTP side cannot serve a browser: to it, the hall
  // is as good as moving.
  const std::string owner_http =
      *owner ? std::string(absl::StripSuffix((*owner)->http, "/")) : "";
  if (asked == Asked::kJson) {
    RespondNotServedHere(exchange, message, owner_http);
    return true;
  }
  if (owner_http.empty()) {
    if (asked == Asked::kStream) {
      RespondNotServedHere(exchange, message, owner_http);
    } else {
      // A page asks again by itself, as a board left alone must.
      exchange->Respond(
          503, "text/html; charset=utf-8",
          absl::StrCat("<!doctype html><meta charset=utf-8>"
                       "<meta http-equiv=refresh content=",
                       kMovingRetryAfterSeconds,
                       "><title>qcall</title><p>大厅正在迁移到另一台服务器，"
                       "请稍候…</p><p>",
                       HtmlEscape(message), "</p>"),
          {{"Retry-After", kMovingRetryAfterSeconds}});
    }
    return true;
  }
  const HttpRequest& request = exchange->request();
  std::string location = absl::StrCat(
      owner_http,
      absl::string_view(request.target().data(), request.target().size()));
  // A page remembers where it entered, to go back there if the owner it
  // is sent to dies (that address then sends it to the next owner).
  const std::string host = Header(request, http::field::host);
  if (asked == Asked::kPage && !host.empty() &&
      !HttpTarget::Parse(location.substr(owner_http.size()))
           .query.contains("entry")) {
    absl::StrAppend(&location,
                    location.find('?') == std::string::npos ? "?" : "&",
                    "entry=",
                    PercentEncode(absl::StrCat(options_.tls ? "https" : "http",
                                               "://", host)));
  }
  exchange->Respond(307, "text/plain", absl::StrCat(message, "\n"),
                    {{"Location", location}, {"Cache-Control", "no-store"}});
  return true;
}

void HttpGateway::CallAndRespond(const Exchange& exchange,
                                 const std::string& method,
                                 const protobuf::Message& request,
                                 const std::string& authorization,
                                 std::unique_ptr<protobuf::Message> reply) {
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    std::unique_ptr<protobuf::Message> reply;
    std::string method;
    Exchange exchange;
  };
  auto call = std::make_shared<Call>();
  call->request = ToByteBuffer(request);
  call->reply = std::move(reply);
  call->method = method;
  call->exchange = exchange;
  if (!authorization.empty()) {
    call->context.AddMetadata("authorization", authorization);
  }
  call->context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  ++in_flight_;
  // The request's bytes are parsed, in-process, by the service's thread, and
  // the callback runs on a gRPC thread.
  TsanReleaseBytes(call->request);
  TsanRelease(call.get());
  const bool started = calls_.Run([&] {
    stub_.UnaryCall(
        &call->context, call->method, grpc::StubOptions(), &call->request,
        &call->response, [call, in_flight = &in_flight_](grpc::Status status) {
          TsanAcquire(call.get());
          // Written by the service's thread (services.cc).
          TsanAcquireBytes(call->response);
          if (std::string owner = OwnerHttpOf(call->context);
              status.error_code() == grpc::StatusCode::UNAVAILABLE &&
              !owner.empty()) {
            // The hall left this node after the gateway looked.
            RespondNotServedHere(call->exchange, status.error_message(), owner);
          } else if (!status.ok()) {
            RespondError(call->exchange, status);
          } else if (!MessageTraits::Deserialize(&call->response,
                                                 call->reply.get())
                          .ok()) {
            RespondError(call->exchange, grpc::StatusCode::INTERNAL,
                         "unreadable reply");
          } else {
            call->exchange->Respond(200, kJson, ToJson(*call->reply));
          }
          --*in_flight;
        });
  });
  if (!started) {
    RespondError(exchange, grpc::StatusCode::UNAVAILABLE,
                 "qcalld is shutting down");
    --in_flight_;
  }
}

void HttpGateway::Events(const Exchange& exchange, const HttpTarget& target) {
  v1::WatchRequest request;
  request.set_hall_id(target.Query("hall"));
  if (request.hall_id().empty()) {
    RespondError(exchange, grpc::StatusCode::INVALID_ARGUMENT,
                 "/events needs ?hall=<hall id>");
    return;
  }
  std::string after;
  if (auto it = exchange->request().find("Last-Event-ID");
      it != exchange->request().end()) {
    after = std::string(it->value());
  } else {
    after = target.Query("after");
  }
  uint64_t after_seq = 0;
  if (!after.empty() && !absl::SimpleAtoi(after, &after_seq)) {
    RespondError(exchange, grpc::StatusCode::INVALID_ARGUMENT,
                 "Last-Event-ID / after must be an event number");
    return;
  }
  request.set_after_seq(after_seq);
  for (absl::string_view window :
       absl::StrSplit(target.Query("windows"), ',', absl::SkipEmpty())) {
    int32_t number = 0;
    if (!absl::SimpleAtoi(window, &number) || number <= 0) {
      RespondError(exchange, grpc::StatusCode::INVALID_ARGUMENT,
                   "windows must be window numbers, e.g. windows=3,4");
      return;
    }
    request.add_windows(number);
  }
  const bool detail = target.Query("detail") == "1";
  const std::string token = ReadOnlyToken(exchange->request(), target);
  absl::StatusOr<Caller> caller = auth_->AuthenticateToken(token);
  const char* method =
      detail ? "/qcall.v1.Supervisor/Watch" : "/qcall.v1.Display/Watch";
  // Checked here as well as by the service, so that a refusal is an HTTP
  // status and not an event stream that ends at once.
  absl::Status allowed =
      caller.ok()
          ? auth_->Authorize(*caller, PolicyOf(method), request.hall_id())
          : caller.status();
  if (!allowed.ok()) {
    RespondError(exchange, ToGrpc(allowed));
    return;
  }
  exchange->StartStream("text/event-stream; charset=utf-8", ": keep-alive\n\n");
  exchange->Send("retry: 1000\n\n");
  SseWatch::Start(&stub_, &calls_, &in_flight_, exchange, method,
                  std::move(request), token);
}

void HttpGateway::PublicTicket(const Exchange& exchange,
                               const std::string& hall_id,
                               const std::string& number) {
  v1::GetTicketRequest request;
  request.set_hall_id(hall_id);
  request.set_ticket(number);
  CallAndRespond(exchange, "/qcall.v1.Kiosk/GetTicket", request,
                 absl::StrCat("Bearer ", options_.public_token),
                 std::make_unique<v1::CommandReply>());
}

void HttpGateway::Speech(const Exchange& exchange, const HttpTarget& target) {
  absl::StatusOr<Caller> caller =
      auth_->AuthenticateToken(ReadOnlyToken(exchange->request(), target));
  if (!caller.ok()) {
    RespondError(exchange, ToGrpc(caller.status()));
    return;
  }
  const std::string lang = target.Query("lang");
  if (lang != "zh" && lang != "en") {
    RespondError(exchange, grpc::StatusCode::INVALID_ARGUMENT,
                 "lang must be zh or en");
    return;
  }
  ++in_flight_;
  speech_->Render(
      lang == "en" ? v1::LANGUAGE_EN : v1::LANGUAGE_ZH, target.Query("text"),
      [exchange,
       in_flight = &in_flight_](absl::StatusOr<SpeechCache::Audio> wav) {
        if (!wav.ok()) {
          RespondError(exchange, ToGrpc(wav.status()));
        } else {
          exchange->Respond(200, "audio/wav", **wav,
                            {{"Cache-Control", "private, max-age=86400"}});
        }
        --*in_flight;
      });
}

void HttpGateway::Qr(const Exchange& exchange, const HttpTarget& target) {
  absl::StatusOr<std::string> svg = QrSvg(target.Query("text"));
  if (!svg.ok()) {
    RespondError(exchange, ToGrpc(svg.status()));
    return;
  }
  exchange->Respond(200, "image/svg+xml", *std::move(svg),
                    {{"Cache-Control", "public, max-age=86400"}});
}

void HttpGateway::StaticFile(const Exchange& exchange,
                             const std::string& name) {
  if (!SafeFileName(name)) {
    exchange->Respond(404, "text/plain", "no such page\n");
    return;
  }
  std::ifstream file(absl::StrCat(options_.web_root, "/", name),
                     std::ios::binary);
  if (!file) {
    exchange->Respond(404, "text/plain", "no such page\n");
    return;
  }
  std::ostringstream content;
  content << file.rdbuf();
  exchange->Respond(200, ContentTypeOf(name), content.str(),
                    {{"Cache-Control", "no-cache"}});
}

}  // namespace qcall
