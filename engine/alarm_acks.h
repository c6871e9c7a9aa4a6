// AlarmAcks keeps which raised alarms a supervisor acknowledged (确认), by
// whom and when. A duty manager acknowledges an alarm to say "seen, on it":
// it stays raised and listed, marked acknowledged, and dashboards stop
// flashing it. Its condition clearing ends it, acknowledgement and all; if
// the condition comes back it is a new alarm, unacknowledged.
//
// An alarm is named by its key, as its Alarm event names it: kind, service
// code, window number, complaint ticket and business day. Whether an alarm
// is raised is the AlarmBook's and the FeedbackBook's to say; the hall hands
// their alarms in.
//
//   AlarmAcks acks;
//   RETURN_IF_ERROR(acks.Acknowledge(c, raised_alarms, &log, now, out));
//   acks.Forget(out->events());  // after every command: cleared alarms go
//   acks.Mark(view.mutable_alarms());
#ifndef QCALL_ENGINE_ALARM_ACKS_H_
#define QCALL_ENGINE_ALARM_ACKS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/outcome.h"
#include "qcall/v1/engine.pb.h"

namespace qcall {

class AlarmAcks {
 public:
  using Alarm = v1::HallEvent::Alarm;
  using Alarms = google::protobuf::RepeatedPtrField<Alarm>;

  // Acknowledges the alarm `c` names, which must be one of `raised` (the
  // hall's alarms now): INVALID_ARGUMENT for a kind that is no alarm or a
  // missing supervisor, NOT_FOUND when no such alarm is raised,
  // FAILED_PRECONDITION when it is acknowledged already (saying by whom).
  // Emits AlarmAcknowledged.
  absl::Status Acknowledge(const v1::Command::AcknowledgeAlarm& c,
                           const Alarms& raised, EventLog* log, int64_t now,
                           Outcome* out);
  // Drops the acknowledgement of every alarm `events` clear.
  void Forget(absl::Span<const v1::HallEvent> events);
  // Sets acknowledged_by and acknowledged_at_unix_ms on those of `alarms`
  // that are acknowledged.
  void Mark(Alarms* alarms) const;

  void Save(v1::HallState* state) const;
  // Each acknowledgement must name one of `raised` (the restored hall's
  // alarms), once, with who and when; DATA_LOSS otherwise.
  absl::Status Restore(const v1::HallState& state, const Alarms& raised);

  // Whether two alarms are the same alarm (their keys match).
  static bool SameAlarm(const Alarm& a, const Alarm& b);

 private:
  // Key fields, acknowledged_by and acknowledged_at_unix_ms; no message.
  std::vector<Alarm> acks_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_ALARM_ACKS_H_
