#include "engine/hall_rules.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

constexpr int kMaxServices = 256;
constexpr int kMaxWindows = 4096;
constexpr int kMaxWindowNumber = 9999;
constexpr int64_t kMaxSeconds = 7 * 24 * 3600;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

bool IsIdentifier(absl::string_view s, size_t max_length) {
  if (s.empty() || s.size() > max_length) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsLetters(absl::string_view s, size_t max_length) {
  if (s.empty() || s.size() > max_length) return false;
  for (char c : s) {
    if (!absl::ascii_isalpha(c)) return false;
  }
  return true;
}

absl::Status CheckSeconds(int64_t value, absl::string_view field) {
  if (value < 0 || value > kMaxSeconds) {
    return Invalid(absl::StrCat(field, " must be between 0 and ", kMaxSeconds,
                                " seconds, got ", value));
  }
  return absl::OkStatus();
}

uint32_t WidthCapacity(int width) {
  uint32_t capacity = 1;
  for (int i = 0; i < width; ++i) capacity *= 10;
  return capacity - 1;
}

CategoryRules DefaultCategory(v1::Category category) {
  switch (category) {
    case v1::CATEGORY_GREEN_CHANNEL:
      return {600'000, true};
    case v1::CATEGORY_VIP:
      return {900'000, true};
    case v1::CATEGORY_URGENT:
      return {1'200'000, true};
    case v1::CATEGORY_APPOINTMENT:
      // Large enough to be called within the check-in tolerance in a busy
      // hall; appointments are limited by booking, so they cannot flood.
      return {7'200'000, false};
    default:
      return {0, false};
  }
}

absl::Status CheckHours(const v1::HallConfig& config) {
  const int day_start = config.business_day_start_minute();
  if (day_start < 0 || day_start >= 1440) {
    return Invalid(absl::StrCat(
        "business_day_start_minute must be 0-1439, got ", day_start));
  }
  for (const v1::OpeningHours& h : config.hours()) {
    if (h.weekday() < 1 || h.weekday() > 7) {
      return Invalid(absl::StrCat("hours.weekday must be 1 (Monday) to 7, got ",
                                  h.weekday()));
    }
    if (h.open_minute() < 0 || h.open_minute() >= 1440 ||
        h.close_minute() <= h.open_minute() ||
        h.close_minute() > h.open_minute() + 1440) {
      return Invalid(absl::StrCat(
          "hours for weekday ", h.weekday(), " must open at minute 0-1439 and ",
          "close after opening and within 24 hours, got ", h.open_minute(), "-",
          h.close_minute()));
    }
    for (int start : {day_start, day_start + 1440}) {
      if (h.open_minute() < start && start < h.close_minute()) {
        return Invalid(absl::StrCat(
            "business_day_start_minute ", day_start, " falls inside the hours ",
            h.open_minute(), "-", h.close_minute(), " of weekday ", h.weekday(),
            "; numbering would restart while the hall is open"));
      }
    }
  }
  return absl::OkStatus();
}

// An IANA time zone name: "UTC", "Asia/Shanghai", "Etc/GMT+8",
// "America/Argentina/Buenos_Aires". Never a path: the zone database would
// load any file (even a FIFO) that a name with '/' at the start or ".." in
// it reaches.
bool IsZoneName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  bool component_start = true;
  for (const char c : name) {
    if (c == '/') {
      if (component_start) return false;  // Leading '/' or "//".
      component_start = true;
      continue;
    }
    const bool allowed = component_start ? absl::ascii_isalpha(c)
                                         : absl::ascii_isalnum(c) || c == '_' ||
                                               c == '-' || c == '+';
    if (!allowed) return false;
    component_start = false;
  }
  return !component_start;  // No trailing '/'.
}

constexpr int kMaxReasons = 12;
constexpr size_t kMaxReasonLength = 100;

absl::Status CheckFeedback(const v1::FeedbackConfig& f, FeedbackRules* out) {
  if (f.bad_rating_reasons_size() > kMaxReasons) {
    return Invalid(absl::StrCat("feedback.bad_rating_reasons holds at most ",
                                kMaxReasons, " reasons, got ",
                                f.bad_rating_reasons_size()));
  }
  for (int i = 0; i < f.bad_rating_reasons_size(); ++i) {
    const std::string& reason = f.bad_rating_reasons(i);
    if (reason.empty() || reason.size() > kMaxReasonLength) {
      return Invalid(absl::StrCat("feedback.bad_rating_reasons: each is 1-",
                                  kMaxReasonLength, " bytes"));
    }
    for (int j = 0; j < i; ++j) {
      if (f.bad_rating_reasons(j) == reason) {
        return Invalid(absl::StrCat("feedback.bad_rating_reasons lists '",
                                    reason, "' twice"));
      }
    }
  }
  out->bad_rating_reasons =
      f.bad_rating_reasons().empty()
          ? DefaultBadRatingReasons()
          : std::vector<std::string>(f.bad_rating_reasons().begin(),
                                     f.bad_rating_reasons().end());
  RETURN_IF_ERROR(CheckSeconds(f.rating_seconds(), "feedback.rating_seconds"));
  RETURN_IF_ERROR(CheckSeconds(f.complaint_deadline_seconds(),
                               "feedback.complaint_deadline_seconds"));
  RETURN_IF_ERROR(CheckSeconds(f.complaint_warning_seconds(),
                               "feedback.complaint_warning_seconds"));
  if (f.rating_seconds() > 0) out->rating_ms = f.rating_seconds() * 1000;
  if (f.complaint_deadline_seconds() > 0) {
    out->complaint_deadline_ms = f.complaint_deadline_seconds() * 1000;
  }
  if (f.complaint_warning_seconds() > 0) {
    out->complaint_warning_ms = f.complaint_warning_seconds() * 1000;
  }
  if (out->complaint_warning_ms >= out->complaint_deadline_ms) {
    return Invalid(
        absl::StrCat("feedback.complaint_warning_seconds (",
                     out->complaint_warning_ms / 1000,
                     ") must be shorter than complaint_deadline_seconds (",
                     out->complaint_deadline_ms / 1000, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& DefaultBadRatingReasons() {
  static const auto* const kReasons = new std::vector<std::string>{
      "服务态度差 Poor attitude",      "等候时间长 Long wait",
      "业务不熟练 Not competent",      "办理时间长 Took too long",
      "问题未解决 Problem not solved", "其他 Other"};
  return *kReasons;
}

absl::StatusOr<HallRules> HallRules::FromConfig(const v1::HallConfig& config) {
  HallRules rules;
  rules.config_ = config;
  if (!IsIdentifier(config.hall_id(), 64)) {
    return Invalid(absl::StrCat("hall_id must be 1-64 of [A-Za-z0-9_-], got '",
                                config.hall_id(), "'"));
  }
  if (!IsZoneName(config.time_zone())) {
    return Invalid(absl::StrCat(
        "time_zone must be an IANA time zone name such as \"Asia/Shanghai\" "
        "(not a path), got '",
        config.time_zone().substr(0, 64), "'"));
  }
  if (!v1::Language_IsValid(config.language())) {
    return Invalid("language is not a known language");
  }
  RETURN_IF_ERROR(CheckHours(config));
  RETURN_IF_ERROR(CheckPublicUrl(config.public_url()));

  if (config.services().empty() || config.services_size() > kMaxServices) {
    return Invalid(absl::StrCat("a hall needs 1-", kMaxServices, " services"));
  }
  for (const v1::ServiceConfig& s : config.services()) {
    const int index = static_cast<int>(rules.services_.size());
    if (!IsIdentifier(s.code(), 16)) {
      return Invalid(absl::StrCat(
          "service code must be 1-16 of [A-Za-z0-9_-], got '", s.code(), "'"));
    }
    if (!IsLetters(s.ticket_prefix(), 4)) {
      return Invalid(absl::StrCat("service ", s.code(),
                                  ": ticket_prefix must be 1-4 letters, got '",
                                  s.ticket_prefix(), "'"));
    }
    if (!rules.service_by_code_.emplace(s.code(), index).second) {
      return Invalid(absl::StrCat("service code ", s.code(), " appears twice"));
    }
    // Keyed in upper case: a customer who types or reads "a003" means
    // A003, so two prefixes that differ only in case would be one.
    if (!rules.service_by_prefix_
             .emplace(absl::AsciiStrToUpper(s.ticket_prefix()), index)
             .second) {
      return Invalid(absl::StrCat("ticket_prefix ", s.ticket_prefix(),
                                  " is used by two services (ticket numbers "
                                  "are read without regard to case)"));
    }
    ServiceRules service;
    service.code = s.code();
    service.name = s.name().empty() ? s.code() : s.name();
    service.prefix = s.ticket_prefix();
    service.width = s.number_width() == 0 ? 3 : s.number_width();
    if (service.width < 1 || service.width > 9) {
      return Invalid(absl::StrCat("service ", s.code(),
                                  ": number_width must be 1-9, got ",
                                  s.number_width()));
    }
    const uint32_t width_capacity = WidthCapacity(service.width);
    if (s.daily_cap() < 0 ||
        static_cast<uint32_t>(s.daily_cap()) > width_capacity) {
      return Invalid(absl::StrCat("service ", s.code(), ": daily_cap ",
                                  s.daily_cap(), " does not fit in ",
                                  service.width, " digits (at most ",
                                  width_capacity, ")"));
    }
    service.daily_cap = s.daily_cap() == 0
                            ? width_capacity
                            : static_cast<uint32_t>(s.daily_cap());
    RETURN_IF_ERROR(CheckSeconds(
        s.target_wait_seconds(),
        absl::StrCat("service ", s.code(), " target_wait_seconds")));
    RETURN_IF_ERROR(CheckSeconds(
        s.target_handling_seconds(),
        absl::StrCat("service ", s.code(), " target_handling_seconds")));
    RETURN_IF_ERROR(CheckSeconds(
        s.prior_handling_seconds(),
        absl::StrCat("service ", s.code(), " prior_handling_seconds")));
    service.target_wait_ms = s.target_wait_seconds() * 1000;
    service.target_handling_ms = s.target_handling_seconds() * 1000;
    service.prior_handling_ms =
        (s.prior_handling_seconds() == 0 ? 300 : s.prior_handling_seconds()) *
        1000;
    service.complaint = s.complaint();
    rules.services_.push_back(std::move(service));
  }
  // A prefix that is the start of another ("A" and "AB") would make "AB12"
  // ambiguous.
  for (const auto& [prefix, index] : rules.service_by_prefix_) {
    for (size_t len = 1; len < prefix.size(); ++len) {
      if (rules.service_by_prefix_.contains(prefix.substr(0, len))) {
        return Invalid(absl::StrCat("ticket_prefix ", prefix.substr(0, len),
                                    " is the start of ticket_prefix ", prefix,
                                    "; ticket numbers would be ambiguous"));
      }
    }
  }

  for (int slot = 0; slot < kCategoryCount; ++slot) {
    rules.categories_[slot] = DefaultCategory(CategoryAt(slot));
  }
  for (const v1::CategoryConfig& c : config.categories()) {
    if (c.category() == v1::CATEGORY_UNSPECIFIED ||
        !v1::Category_IsValid(c.category())) {
      return Invalid(absl::StrCat("categories: unknown category ",
                                  static_cast<int>(c.category())));
    }
    RETURN_IF_ERROR(
        CheckSeconds(c.boost_seconds(),
                     absl::StrCat("category ", v1::Category_Name(c.category()),
                                  " boost_seconds")));
    rules.categories_[CategorySlot(c.category())] = {c.boost_seconds() * 1000,
                                                     c.priority()};
  }

  if (config.windows().empty() || config.windows_size() > kMaxWindows) {
    return Invalid(absl::StrCat("a hall needs 1-", kMaxWindows, " windows"));
  }
  for (const v1::WindowConfig& w : config.windows()) {
    if (w.number() < 1 || w.number() > kMaxWindowNumber) {
      return Invalid(absl::StrCat("window number must be 1-", kMaxWindowNumber,
                                  ", got ", w.number()));
    }
    const int index = static_cast<int>(rules.windows_.size());
    if (rules.window_by_number_.size() <= static_cast<size_t>(w.number())) {
      rules.window_by_number_.resize(w.number() + 1, -1);
    }
    if (rules.window_by_number_[w.number()] >= 0) {
      return Invalid(absl::StrCat("window ", w.number(), " appears twice"));
    }
    rules.window_by_number_[w.number()] = static_cast<int16_t>(index);
    WindowRules window;
    window.number = w.number();
    window.name = w.name().empty() ? absl::StrCat(w.number()) : w.name();
    int64_t weight_total = 0;
    for (const v1::ProfileEntry& entry : w.serves()) {
      std::optional<int> service = rules.FindService(entry.service_code());
      if (!service) {
        return Invalid(absl::StrCat("window ", w.number(),
                                    " serves unknown service '",
                                    entry.service_code(), "'"));
      }
      for (const ServedService& served : window.serves) {
        if (served.service == *service) {
          return Invalid(absl::StrCat("window ", w.number(), " lists service ",
                                      entry.service_code(), " twice"));
        }
      }
      if (entry.weight() < 0 || entry.weight() > 1000) {
        return Invalid(absl::StrCat(
            "window ", w.number(), " service ", entry.service_code(),
            ": weight must be 1-1000, got ", entry.weight()));
      }
      const int64_t weight = entry.weight() == 0 ? 100 : entry.weight();
      weight_total += weight;
      window.serves.push_back({*service, weight, 0});
    }
    if (window.serves.empty()) {
      return Invalid(absl::StrCat("window ", w.number(),
                                  " serves no service; give it a profile"));
    }
    for (ServedService& served : window.serves) {
      served.share_permille = served.weight * 1000 / weight_total;
    }
    rules.windows_.push_back(std::move(window));
  }
  if (config.min_open_windows() < 0 ||
      config.min_open_windows() > config.windows_size()) {
    return Invalid(absl::StrCat(
        "min_open_windows must be 0-", config.windows_size(),
        " (the windows there are), got ", config.min_open_windows()));
  }
  absl::flat_hash_map<std::string, int> standby_seen;
  for (const v1::StandbyClerk& clerk : config.standby_clerks()) {
    if (clerk.clerk_id().empty() || clerk.clerk_id().size() > 64) {
      return Invalid("standby clerk_id must be 1-64 characters");
    }
    if (!standby_seen.emplace(clerk.clerk_id(), 0).second) {
      return Invalid(
          absl::StrCat("standby clerk ", clerk.clerk_id(), " appears twice"));
    }
    for (int32_t number : clerk.windows()) {
      if (!rules.FindWindow(number)) {
        return Invalid(absl::StrCat("standby clerk ", clerk.clerk_id(),
                                    " names unknown window ", number));
      }
    }
  }

  // The dispatcher's, but checked with the rest of the hall's config.
  if (config.has_private_data_days() &&
      (config.private_data_days() < 1 || config.private_data_days() > 3660)) {
    return Invalid(absl::StrCat("private_data_days must be 1-3660, got ",
                                config.private_data_days()));
  }

  const v1::Policy& p = config.policy();
  PolicyRules& policy = rules.policy_;
  if (p.has_ageing_percent()) policy.ageing_percent = p.ageing_percent();
  if (policy.ageing_percent < 1 || policy.ageing_percent > 10'000) {
    return Invalid(
        "policy.ageing_percent must be 1-10000: waiting time must "
        "count or normal customers starve");
  }
  if (p.has_priority_interleave())
    policy.priority_interleave = p.priority_interleave();
  if (p.has_max_recalls()) policy.max_recalls = p.max_recalls();
  if (p.has_requeue_offset()) policy.requeue_offset = p.requeue_offset();
  if (p.has_max_requeues()) policy.max_requeues = p.max_requeues();
  for (auto [value, name] :
       {std::pair{policy.priority_interleave, "priority_interleave"},
        std::pair{policy.max_recalls, "max_recalls"},
        std::pair{policy.requeue_offset, "requeue_offset"},
        std::pair{policy.max_requeues, "max_requeues"}}) {
    if (value < 0 || value > 100) {
      return Invalid(
          absl::StrCat("policy.", name, " must be 0-100, got ", value));
    }
  }
  if (p.has_appointment_early_seconds()) {
    RETURN_IF_ERROR(CheckSeconds(p.appointment_early_seconds(),
                                 "policy.appointment_early_seconds"));
    policy.appointment_early_ms = p.appointment_early_seconds() * 1000;
  }
  if (p.has_appointment_late_seconds()) {
    RETURN_IF_ERROR(CheckSeconds(p.appointment_late_seconds(),
                                 "policy.appointment_late_seconds"));
    policy.appointment_late_ms = p.appointment_late_seconds() * 1000;
  }
  if (p.has_idle_window_alarm_seconds()) {
    RETURN_IF_ERROR(CheckSeconds(p.idle_window_alarm_seconds(),
                                 "policy.idle_window_alarm_seconds"));
    policy.idle_window_alarm_ms = p.idle_window_alarm_seconds() * 1000;
  }
  if (p.has_no_show_timeout_seconds()) {
    RETURN_IF_ERROR(CheckSeconds(p.no_show_timeout_seconds(),
                                 "policy.no_show_timeout_seconds"));
    policy.no_show_timeout_ms = p.no_show_timeout_seconds() * 1000;
  }
  RETURN_IF_ERROR(CheckFeedback(config.feedback(), &rules.feedback_));
  rules.windows_serving_.resize(rules.services_.size());
  for (size_t w = 0; w < rules.windows_.size(); ++w) {
    for (const ServedService& served : rules.windows_[w].serves) {
      rules.windows_serving_[served.service].push_back(static_cast<int>(w));
    }
  }
  return rules;
}

std::optional<int> HallRules::FindService(absl::string_view code) const {
  auto it = service_by_code_.find(code);
  if (it == service_by_code_.end()) return std::nullopt;
  return it->second;
}

std::optional<int> HallRules::FindWindow(int32_t number) const {
  if (number < 0 || static_cast<size_t>(number) >= window_by_number_.size() ||
      window_by_number_[number] < 0) {
    return std::nullopt;
  }
  return window_by_number_[number];
}

std::optional<std::pair<int, uint32_t>> HallRules::ParseTicketNumber(
    absl::string_view ticket) const {
  size_t letters = 0;
  while (letters < ticket.size() && absl::ascii_isalpha(ticket[letters])) {
    ++letters;
  }
  const absl::string_view digits = ticket.substr(letters);
  if (letters == 0 || digits.empty() || digits.size() > 9) return std::nullopt;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) return std::nullopt;
  }
  auto it =
      service_by_prefix_.find(absl::AsciiStrToUpper(ticket.substr(0, letters)));
  if (it == service_by_prefix_.end()) return std::nullopt;
  uint32_t number = 0;
  if (!absl::SimpleAtoi(digits, &number) || number == 0) return std::nullopt;
  return std::pair{it->second, number};
}

std::vector<std::string> HallRules::Warnings() const {
  std::vector<std::string> warnings;
  for (size_t s = 0; s < services_.size(); ++s) {
    if (windows_serving_[s].empty()) {
      warnings.push_back(absl::StrCat(
          "service ", services_[s].code,
          ": no window serves it, so its tickets could only wait"));
    }
  }
  return warnings;
}

// A page is built by appending "/t/<hall>/<number>", so a query, a fragment
// or a space would break it.
absl::Status CheckPublicUrl(absl::string_view url) {
  if (url.empty()) return absl::OkStatus();
  const bool scheme =
      absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://");
  const bool clean = url.size() <= 200 &&
                     url.find_first_of("?# \t\r\n") == absl::string_view::npos;
  const bool host = scheme && url.size() > url.find("://") + 3;
  if (!scheme || !clean || !host) {
    return Invalid(absl::StrCat(
        "public_url must be an http:// or https:// address of at most 200 "
        "characters without a query or fragment, e.g. "
        "\"https://q.example.cn\", got '",
        url, "'"));
  }
  return absl::OkStatus();
}

}  // namespace qcall
