#include "engine/alarm_acks.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/input_checks.h"
#include "engine/status_macros.h"

namespace qcall {
namespace {

using Alarm = v1::HallEvent::Alarm;

// "KIND_WINDOW_LOST window 3", for refusals.
std::string Describe(const Alarm& a) {
  std::string text = Alarm::Kind_Name(a.kind());
  if (!a.service_code().empty())
    absl::StrAppend(&text, " of service ", a.service_code());
  if (a.window() != 0) absl::StrAppend(&text, " of window ", a.window());
  if (!a.ticket().empty()) {
    absl::StrAppend(&text, " of complaint ", a.ticket(), " (day ",
                    a.business_day(), ")");
  }
  return text;
}

Alarm KeyOf(const v1::Command::AcknowledgeAlarm& c) {
  Alarm key;
  key.set_kind(c.kind());
  key.set_service_code(c.service_code());
  key.set_window(c.window());
  key.set_ticket(c.ticket());
  key.set_business_day(c.business_day());
  return key;
}

}  // namespace

bool AlarmAcks::SameAlarm(const Alarm& a, const Alarm& b) {
  return a.kind() == b.kind() && a.service_code() == b.service_code() &&
         a.window() == b.window() && a.ticket() == b.ticket() &&
         a.business_day() == b.business_day();
}

absl::Status AlarmAcks::Acknowledge(const v1::Command::AcknowledgeAlarm& c,
                                    const Alarms& raised, EventLog* log,
                                    int64_t now, Outcome* out) {
  RETURN_IF_ERROR(
      CheckText(c.supervisor_id(), "supervisor_id", true, kMaxIdLength));
  if (c.kind() == Alarm::KIND_UNSPECIFIED || !Alarm::Kind_IsValid(c.kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", static_cast<int>(c.kind()), " is no alarm"));
  }
  RETURN_IF_ERROR(
      CheckText(c.service_code(), "service_code", false, kMaxIdLength));
  RETURN_IF_ERROR(CheckText(c.ticket(), "ticket", false, kMaxIdLength));
  const Alarm key = KeyOf(c);
  const auto is_key = [&key](const Alarm& a) { return SameAlarm(a, key); };
  const auto alarm = std::find_if(raised.begin(), raised.end(), is_key);
  if (alarm == raised.end()) {
    return absl::NotFoundError(absl::StrCat(
        "no alarm ", Describe(key), " is raised now (it may have cleared)"));
  }
  if (const auto ack = std::find_if(acks_.begin(), acks_.end(), is_key);
      ack != acks_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("alarm ", Describe(key), " was acknowledged already by ",
                     ack->acknowledged_by()));
  }
  Alarm& ack = acks_.emplace_back(key);
  ack.set_acknowledged_by(c.supervisor_id());
  ack.set_acknowledged_at_unix_ms(now);
  Alarm* e = log->Emit(v1::HallEvent::kAlarmAcknowledged, now, out)
                 ->mutable_alarm_acknowledged()
                 ->mutable_alarm();
  *e = *alarm;
  e->set_acknowledged_by(ack.acknowledged_by());
  e->set_acknowledged_at_unix_ms(now);
  return absl::OkStatus();
}

void AlarmAcks::Forget(absl::Span<const v1::HallEvent> events) {
  if (acks_.empty()) return;
  for (const v1::HallEvent& e : events) {
    if (e.kind_case() != v1::HallEvent::kAlarm || e.alarm().raised()) continue;
    std::erase_if(acks_,
                  [&e](const Alarm& ack) { return SameAlarm(ack, e.alarm()); });
  }
}

void AlarmAcks::Mark(Alarms* alarms) const {
  for (const Alarm& ack : acks_) {
    for (Alarm& a : *alarms) {
      if (!SameAlarm(a, ack)) continue;
      a.set_acknowledged_by(ack.acknowledged_by());
      a.set_acknowledged_at_unix_ms(ack.acknowledged_at_unix_ms());
    }
  }
}

void AlarmAcks::Save(v1::HallState* state) const {
  for (const Alarm& ack : acks_) *state->add_acknowledged_alarms() = ack;
}

absl::Status AlarmAcks::Restore(const v1::HallState& state,
                                const Alarms& raised) {
  acks_.clear();
  for (const Alarm& ack : state.acknowledged_alarms()) {
    const auto same = [&ack](const Alarm& a) { return SameAlarm(a, ack); };
    if (ack.acknowledged_by().empty() || ack.acknowledged_at_unix_ms() <= 0 ||
        std::none_of(raised.begin(), raised.end(), same) ||
        std::any_of(acks_.begin(), acks_.end(), same)) {
      return CorruptSnapshot(absl::StrCat(
          "acknowledged alarm ", Describe(ack),
          " is not raised, twice, or says not who acknowledged it or when"));
    }
    acks_.push_back(ack);
  }
  return absl::OkStatus();
}

}  // namespace qcall
