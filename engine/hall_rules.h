// HallRules is a validated HallConfig with its defaults filled in and its
// lookups indexed, so the engine never re-checks or searches the config on a
// hot path.
//
//   absl::StatusOr<HallRules> rules = HallRules::FromConfig(config);
//   if (!rules.ok()) return rules.status();  // INVALID_ARGUMENT, says what.
//   std::optional<int> bill = rules->FindService("BILL");
#ifndef QCALL_ENGINE_HALL_RULES_H_
#define QCALL_ENGINE_HALL_RULES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

// Categories 1..5 of v1::Category, stored at slots 0..4.
inline constexpr int kCategoryCount = 5;
inline int CategorySlot(v1::Category category) {
  return static_cast<int>(category) - 1;
}
inline v1::Category CategoryAt(int slot) {
  return static_cast<v1::Category>(slot + 1);
}

struct ServiceRules {
  std::string code;
  std::string name;
  std::string prefix;
  int width = 3;
  uint32_t daily_cap = 999;
  int64_t target_wait_ms = 0;
  int64_t target_handling_ms = 0;
  int64_t prior_handling_ms = 0;
  bool complaint = false;  // Its tickets open complaint cases.
};

struct CategoryRules {
  int64_t boost_ms = 0;
  bool priority = false;
};

struct ServedService {
  int service = 0;
  int64_t weight = 100;
  // This window's share of its time for the service, in thousandths of a
  // window: weight / sum of the window's weights.
  int64_t share_permille = 1000;
};

struct WindowRules {
  int32_t number = 0;
  std::string name;
  std::vector<ServedService> serves;
};

struct PolicyRules {
  int64_t ageing_percent = 100;
  int priority_interleave = 3;
  int max_recalls = 2;
  int requeue_offset = 3;
  int max_requeues = 1;
  int64_t appointment_early_ms = 900'000;
  int64_t appointment_late_ms = 600'000;
  int64_t no_show_timeout_ms = 0;
  int64_t idle_window_alarm_ms = 120'000;  // 0: off.
};

// Ratings and complaint cases (FeedbackConfig), defaults filled.
struct FeedbackRules {
  std::vector<std::string> bad_rating_reasons;
  int64_t rating_ms = 180'000;
  int64_t complaint_deadline_ms = 86'400'000;
  int64_t complaint_warning_ms = 7'200'000;
};

// The reasons a bad rating offers when the hall lists none.
const std::vector<std::string>& DefaultBadRatingReasons();

class HallRules {
 public:
  // Validates everything a hall needs to run; INVALID_ARGUMENT names the
  // offending field.
  static absl::StatusOr<HallRules> FromConfig(const v1::HallConfig& config);
  // What a valid config may still get wrong, for the operator: a service
  // that no window serves, whose tickets could only wait.
  std::vector<std::string> Warnings() const;

  const v1::HallConfig& config() const { return config_; }
  const std::vector<ServiceRules>& services() const { return services_; }
  const std::vector<WindowRules>& windows() const { return windows_; }
  const CategoryRules& category(int slot) const { return categories_[slot]; }
  const PolicyRules& policy() const { return policy_; }
  const FeedbackRules& feedback() const { return feedback_; }

  // The windows serving a service, by index.
  const std::vector<int>& windows_serving(int service) const {
    return windows_serving_[service];
  }

  std::optional<int> FindService(absl::string_view code) const;
  std::optional<int> FindWindow(int32_t number) const;
  // Splits "A012" into the service whose prefix is "A" and the number 12.
  std::optional<std::pair<int, uint32_t>> ParseTicketNumber(
      absl::string_view ticket) const;

 private:
  HallRules() = default;

  v1::HallConfig config_;
  std::vector<ServiceRules> services_;
  std::vector<WindowRules> windows_;
  std::array<CategoryRules, kCategoryCount> categories_;
  PolicyRules policy_;
  FeedbackRules feedback_;
  absl::flat_hash_map<std::string, int> service_by_code_;
  absl::flat_hash_map<std::string, int> service_by_prefix_;  // Upper case.
  std::vector<int16_t> window_by_number_;  // -1 where no window has it.
  std::vector<std::vector<int>> windows_serving_;
};

// Checks a base address for customer links (HallConfig.public_url, qcalld's
// --public-url): empty, or http(s)://host[...] of at most 200 characters
// without a query, fragment or space. INVALID_ARGUMENT says what is wrong.
absl::Status CheckPublicUrl(absl::string_view url);

}  // namespace qcall

#endif  // QCALL_ENGINE_HALL_RULES_H_
