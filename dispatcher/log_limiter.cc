#include "dispatcher/log_limiter.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace qcall {

std::optional<int64_t> LogLimiter::Admit(const std::string& kind) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = seen_.find(kind);
  if (it == seen_.end()) {
    if (seen_.size() >= kMaxKinds) seen_.clear();
    seen_[kind] = {now + window_, 0};
    return 0;
  }
  Seen& seen = it->second;
  if (now < seen.next_allowed) {
    ++seen.dropped;
    return std::nullopt;
  }
  const int64_t dropped = seen.dropped;
  seen = {now + window_, 0};
  return dropped;
}

namespace {

LogLimiter* protobuf_limiter = nullptr;

void ProtobufLog(google::protobuf::LogLevel level, const char* filename,
                 int line, const std::string& message) {
  const std::optional<int64_t> dropped =
      protobuf_limiter->Admit(absl::StrCat(filename, ":", line));
  if (!dropped) return;
  const std::string text =
      *dropped == 0 ? absl::StrCat("libprotobuf: ", message)
                    : absl::StrCat("libprotobuf: ", message, " (", *dropped,
                                   " more like it in the last minute)");
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      spdlog::info("{}", text);
      break;
    case google::protobuf::LOGLEVEL_WARNING:
      spdlog::warn("{}", text);
      break;
    default:
      spdlog::error("{}", text);
  }
}

LogLimiter* grpc_limiter = nullptr;

void GrpcLog(gpr_log_func_args* args) {
  const std::optional<int64_t> dropped =
      grpc_limiter->Admit(absl::StrCat(args->file, ":", args->line));
  if (!dropped) return;
  const std::string text =
      *dropped == 0 ? absl::StrCat("grpc: ", args->message)
                    : absl::StrCat("grpc: ", args->message, " (", *dropped,
                                   " more like it in the last minute)");
  switch (args->severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      spdlog::debug("{}", text);
      break;
    case GPR_LOG_SEVERITY_INFO:
      spdlog::info("{}", text);
      break;
    default:
      spdlog::error("{}", text);
  }
}

}  // namespace

void RouteGrpcLogs(const Clock* clock) {
  grpc_limiter = new LogLimiter(clock, absl::Minutes(1));
  gpr_set_log_function(&GrpcLog);
}

void RouteProtobufLogs(const Clock* clock) {
  protobuf_limiter = new LogLimiter(clock, absl::Minutes(1));
  google::protobuf::SetLogHandler(&ProtobufLog);
}

}  // namespace qcall
