#include "dispatcher/guide_pins.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "dispatcher/token_hash.h"

namespace qcall {

absl::StatusOr<std::unique_ptr<GuidePins>> GuidePins::Create(
    const v1::ServerConfig& config, const Clock* clock) {
  auto pins = std::unique_ptr<GuidePins>(new GuidePins(clock));
  for (const v1::GuidePin& entry : config.guide_pins()) {
    if (entry.hall().empty()) {
      return absl::InvalidArgumentError("a guide_pins entry names no hall");
    }
    absl::StatusOr<std::string> digest = Sha256FromHex(entry.pin_sha256());
    if (!digest.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("guide_pins of hall ", entry.hall(),
                       ": pin_sha256: ", digest.status().message()));
    }
    if (!pins->digests_.emplace(entry.hall(), *std::move(digest)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("hall ", entry.hall(), " has two guide_pins entries"));
    }
  }
  return pins;
}

bool GuidePins::Required(absl::string_view hall) const {
  return digests_.contains(hall);
}

absl::Status GuidePins::Check(absl::string_view hall, absl::string_view pin) {
  const auto digest = digests_.find(hall);
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Tries& tries = tries_[hall];
  if (now < tries.locked_until) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many wrong guide PINs; try again in ",
                     absl::ToInt64Seconds(absl::Ceil(tries.locked_until - now,
                                                     absl::Seconds(1))),
                     " s"));
  }
  if (digest != digests_.end() && TokenSha256(pin) == digest->second) {
    tries.wrong = 0;
    return absl::OkStatus();
  }
  if (++tries.wrong >= kMaxWrong) {
    tries.wrong = 0;
    tries.locked_until = now + kLockout;
  }
  return absl::PermissionDeniedError("wrong guide PIN");
}

}  // namespace qcall
