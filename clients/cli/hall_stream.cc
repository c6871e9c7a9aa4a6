#include "clients/cli/hall_stream.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "clients/cli/output.h"

namespace qcall::cli {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(500);
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);

// What a new attempt cannot fix: the token, the hall, the request.
bool Permanent(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
      return true;
    default:
      return false;
  }
}

}  // namespace

HallStream::HallStream(Client* client, HallStreamOptions options)
    : client_(client),
      options_(std::move(options)),
      last_seq_(options_.after_seq) {}

uint64_t HallStream::last_seq() const {
  absl::MutexLock lock(&mu_);
  return last_seq_;
}

void HallStream::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

grpc::Status HallStream::Run(
    const std::function<void(const v1::WatchResponse&)>& on_message) {
  absl::Duration backoff = kFirstBackoff;
  while (true) {
    bool received = false;
    bool moved = false;
    const grpc::Status status = Follow(on_message, &received, &moved);
    if (received) backoff = kFirstBackoff;
    // The hall is served by another node now: resume there at once. An
    // owner followed before that is gone: ask --server where it is now.
    if (moved || client_->BackToEntry(status)) continue;
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return grpc::Status::OK;
    }
    if (Permanent(status.error_code())) return status;
    const std::string why = absl::StrCat(
        status.ok() ? "the server ended the stream" : client_->Explain(status),
        "; watching again after seq ", last_seq(), " in ",
        absl::FormatDuration(backoff));
    if (options_.on_retry) {
      options_.on_retry(why, backoff);
    } else {
      std::fprintf(stderr, "qcall: %s\n", why.c_str());
    }
    if (Pause(backoff)) return grpc::Status::OK;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

bool HallStream::Pause(absl::Duration backoff) {
  std::shared_ptr<grpc::Channel> channel = client_->channel();
  const absl::Time until = absl::Now() + backoff;
  // A server that answered (and ended the stream) is waited for in full.
  if (channel->GetState(false) == GRPC_CHANNEL_READY) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&stopped_), backoff);
  }
  // One that could not be reached is waited for by waiting for the channel:
  // that drives gRPC's connection attempts, which a sync client with no call
  // in flight makes only every 5 s (its backup poller), and it ends the
  // pause as soon as qcalld is back.
  while (absl::Now() < until) {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return true;
    }
    const absl::Time slice =
        std::min(until, absl::Now() + absl::Milliseconds(200));
    if (channel->WaitForConnected(absl::ToChronoTime(slice))) break;
  }
  absl::MutexLock lock(&mu_);
  return stopped_;
}

grpc::Status HallStream::Follow(
    const std::function<void(const v1::WatchResponse&)>& on_message,
    bool* received, bool* moved) {
  grpc::ClientContext context;
  client_->Authorize(&context);
  v1::WatchRequest request;
  request.set_hall_id(client_->hall());
  for (int32_t window : options_.windows) request.add_windows(window);
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return grpc::Status::CANCELLED;
    request.set_after_seq(last_seq_);
    context_ = &context;
  }
  // Held for the stream's life: following an owner replaces the client's.
  const std::shared_ptr<grpc::Channel> channel = client_->channel();
  std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> reader =
      options_.supervisor
          ? client_->stub<v1::Supervisor::Stub>()->Watch(&context, request)
          : client_->stub<v1::Display::Stub>()->Watch(&context, request);
  v1::WatchResponse message;
  while (reader->Read(&message)) {
    if (!*received) client_->Answered();
    *received = true;
    {
      absl::MutexLock lock(&mu_);
      if (message.has_snapshot()) {
        last_seq_ = message.snapshot().last_seq();
      } else if (message.has_event()) {
        // The server resumes exactly after last_seq_; this only guards the
        // promise "never shown twice" against a server that would not.
        if (last_seq_ > 0 && message.event().seq() <= last_seq_) continue;
        last_seq_ = message.event().seq();
      }
    }
    on_message(message);
  }
  grpc::Status status = reader->Finish();
  *moved = client_->FollowOwner(context, &status);
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  return status;
}

}  // namespace qcall::cli
