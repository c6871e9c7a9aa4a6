#include "tests/engine/hall_invariants.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "tests/engine/test_hall.h"

namespace qcall::testing {

using Alarm = v1::HallEvent::Alarm;

// Deterministic bytes, so equal messages compare equal as strings.
std::string Bytes(const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

// A command for a failure message; huge garbage strings are cut.
std::string Describe(const v1::Command& command) {
  std::string text = command.ShortDebugString();
  if (text.size() > 300) text = absl::StrCat(text.substr(0, 300), "...");
  return text;
}

namespace {

std::string TicketKey(int32_t business_day, absl::string_view number) {
  return absl::StrCat(business_day, "/", number);
}

absl::string_view PrefixOf(absl::string_view number) {
  size_t letters = 0;
  while (letters < number.size() && number[letters] >= 'A' &&
         number[letters] <= 'Z') {
    ++letters;
  }
  return number.substr(0, letters);
}

bool CountsAsOpen(v1::WindowState state) {
  return state == v1::WINDOW_STATE_IDLE || state == v1::WINDOW_STATE_CALLING ||
         state == v1::WINDOW_STATE_SERVING;
}

}  // namespace

bool HasDayStarted(const Hall::Outcome& out) {
  for (const v1::HallEvent& e : out.events()) {
    if (e.has_day_started()) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Invariants

// Kind, service, window; and for a complaint case's alarm, its day/ticket.
using AlarmKey = std::tuple<int, std::string, int32_t, std::string>;

AlarmKey KeyOf(const Alarm& a) {
  return {a.kind(), a.service_code(), a.window(),
          a.ticket().empty() ? "" : TicketKey(a.business_day(), a.ticket())};
}

class InvariantChecker::Impl {
 public:
  explicit Impl(const v1::HallConfig& config) : config_(&config) {}

  // Takes the facts the step's checks compare against; call before Apply.
  void Before(const Hall& hall, const v1::HallState& state) {
    config_ = &state.config();
    open_before_ = hall.open_windows();
    standby_free_before_.clear();
    for (const v1::StandbyClerk& clerk : config_->standby_clerks()) {
      bool busy = false;
      for (const auto& w : state.windows()) {
        busy = busy || (w.state() != v1::WINDOW_STATE_CLOSED &&
                        w.clerk_id() == clerk.clerk_id());
      }
      if (busy) continue;
      for (int32_t number : clerk.windows()) {
        for (const auto& w : state.windows()) {
          if (w.number() == number && w.state() == v1::WINDOW_STATE_CLOSED &&
              !w.lost()) {
            standby_free_before_.insert(number);
          }
        }
      }
    }
  }

  // Returns "" when every invariant holds, else what broke.
  std::string After(const Hall& hall, const v1::Command& command,
                    absl::Time now, const absl::Status& status,
                    const Hall::Outcome& out, const v1::HallState& before,
                    const std::string& before_bytes, const v1::HallState& after,
                    const std::string& after_bytes) {
    config_ = &after.config();
    const v1::HallView view = hall.View(now);
    std::string error = CheckEvents(now, out);
    if (error.empty()) error = CheckDayStart(out, before, after);
    if (error.empty()) error = CheckTicketStatus(hall, after, now);
    if (error.empty())
      error = CheckNothingChanged(status, out, before_bytes, after_bytes);
    if (error.empty()) error = CheckNumbers(after, view);
    if (error.empty()) error = CheckWindowsHoldTickets(hall, after, view);
    if (error.empty()) error = CheckMinimum(hall, command, status, out, view);
    if (error.empty())
      error = CheckPhones(command, status, out, view, after_bytes);
    if (error.empty()) error = CheckLanes(after, view);
    if (error.empty()) error = CheckAlarms(view);
    if (error.empty()) error = CheckBoardCounts(out, view);
    if (error.empty()) error = CheckFeedback(out, view);
    return error;
  }

 private:
  // (a) gapless sequence numbers, and event bookkeeping for (c), (d), (j).
  std::string CheckEvents(absl::Time now, const Hall::Outcome& out) {
    for (const v1::HallEvent& e : out.events()) {
      if (e.seq() != last_seq_ + 1) {
        return absl::StrCat("(a) event seq ", e.seq(), " follows ", last_seq_);
      }
      last_seq_ = e.seq();
      if (e.at_unix_ms() != absl::ToUnixMillis(now)) {
        return absl::StrCat("(a) event ", e.seq(), " stamped ", e.at_unix_ms(),
                            " at ", absl::ToUnixMillis(now));
      }
      switch (e.kind_case()) {
        case v1::HallEvent::kTicketIssued: {
          const v1::Ticket& t = e.ticket_issued().ticket();
          const std::string key = TicketKey(t.business_day(), t.number());
          if (callable_.contains(key)) {
            return absl::StrCat("(c) ", key, " issued twice");
          }
          callable_[key] = true;
          const int count =
              ++issued_[{t.business_day(), std::string(PrefixOf(t.number()))}];
          int width = 3;
          for (const v1::ServiceConfig& service : config_->services()) {
            if (service.ticket_prefix() == PrefixOf(t.number()) &&
                service.number_width() > 0) {
              width = service.number_width();
            }
          }
          const std::string expected = absl::StrFormat(
              "%s%0*d", std::string(PrefixOf(t.number())), width, count);
          if (t.number() != expected) {
            return absl::StrCat("(c) issued ", t.number(), " where ", expected,
                                " was next");
          }
          break;
        }
        case v1::HallEvent::kTicketCalled: {
          const v1::HallEvent::TicketCalled& c = e.ticket_called();
          const std::string key =
              TicketKey(c.ticket().business_day(), c.ticket().number());
          auto it = callable_.find(key);
          if (it == callable_.end()) {
            return absl::StrCat("(d) call of unknown ticket ", key);
          }
          if (c.announcement() != absl::StrCat("请 ", c.ticket().number(),
                                               " 号到 ", c.window(),
                                               " 号窗口办理")) {
            return absl::StrCat("(a) call of ", key, " at window ", c.window(),
                                " announced as '", c.announcement(), "'");
          }
          if (c.recall() == 0) {
            if (!it->second) {
              return absl::StrCat("(d) ", key, " called again at window ",
                                  c.window(), " without going back to waiting");
            }
            it->second = false;
          } else if (it->second) {
            return absl::StrCat("(d) recall of ", key, " which is waiting");
          }
          break;
        }
        case v1::HallEvent::kTicketStateChanged: {
          const v1::Ticket& t = e.ticket_state_changed().ticket();
          callable_[TicketKey(t.business_day(), t.number())] =
              t.state() == v1::TICKET_STATE_WAITING;
          break;
        }
        case v1::HallEvent::kTicketTransferred: {
          const v1::Ticket& t = e.ticket_transferred().ticket();
          callable_[TicketKey(t.business_day(), t.number())] = true;
          break;
        }
        case v1::HallEvent::kDayStarted:
          // Waiting tickets of earlier days expired; only tickets at a window
          // survive, and those are not callable now.
          for (auto& [key, callable] : callable_) callable = false;
          break;
        case v1::HallEvent::kAlarm: {
          const Alarm& a = e.alarm();
          const AlarmKey key = KeyOf(a);
          if (a.raised()) {
            if (!alarms_.insert(key).second) {
              return absl::StrCat("(j) alarm raised twice: ",
                                  a.ShortDebugString());
            }
          } else if (alarms_.erase(key) == 0) {
            return absl::StrCat("(j) alarm cleared but never raised: ",
                                a.ShortDebugString());
          } else {
            acked_.erase(key);  // Raised again, it is a new alarm.
          }
          break;
        }
        case v1::HallEvent::kAlarmAcknowledged: {
          const Alarm& a = e.alarm_acknowledged().alarm();
          const AlarmKey key = KeyOf(a);
          if (!alarms_.contains(key) || a.acknowledged_by().empty() ||
              !acked_.emplace(key, a.acknowledged_by()).second) {
            return absl::StrCat(
                "(j) acknowledged an alarm not raised, twice, or by nobody: ",
                a.ShortDebugString());
          }
          break;
        }
        default:
          break;
      }
    }
    return "";
  }

  // A new day expires exactly the tickets that were waiting, and keeps only
  // those at a window, with their day and number.
  std::string CheckDayStart(const Hall::Outcome& out,
                            const v1::HallState& before,
                            const v1::HallState& after) {
    const v1::HallEvent::DayStarted* started = nullptr;
    for (const v1::HallEvent& e : out.events()) {
      if (e.has_day_started()) started = &e.day_started();
    }
    if (started == nullptr) return "";
    int waiting = 0, held = 0;
    for (const auto& t : before.tickets()) {
      waiting += t.state() == v1::TICKET_STATE_WAITING;
      held += t.state() == v1::TICKET_STATE_CALLED ||
              t.state() == v1::TICKET_STATE_SERVING;
    }
    if (started->expired() != waiting) {
      return absl::StrCat("(c) day ", started->business_day(), " expired ",
                          started->expired(), " tickets, ", waiting,
                          " were waiting");
    }
    if (started->business_day() != after.business_day() ||
        started->business_day() <= before.business_day()) {
      return absl::StrCat("(c) day started ", started->business_day(),
                          " after day ", before.business_day());
    }
    int kept = 0;
    for (const auto& t : after.tickets()) {
      kept += t.business_day() < after.business_day();
    }
    if (kept > held) {
      return absl::StrCat("(c) ", kept, " tickets of earlier days kept, ", held,
                          " were at windows");
    }
    return "";
  }

  // TicketStatus agrees with the snapshot for the first and last ticket of
  // each service today, and refuses the number after the last.
  std::string CheckTicketStatus(const Hall& hall, const v1::HallState& state,
                                absl::Time now) {
    for (int s = 0; s < config_->services_size(); ++s) {
      const std::string& prefix = config_->services(s).ticket_prefix();
      const int width = config_->services(s).number_width() > 0
                            ? config_->services(s).number_width()
                            : 3;
      const v1::HallState::TicketRecord* first = nullptr;
      const v1::HallState::TicketRecord* last = nullptr;
      for (const auto& t : state.tickets()) {
        if (t.business_day() != state.business_day() ||
            t.service() != static_cast<uint32_t>(s)) {
          continue;
        }
        if (first == nullptr) first = &t;
        last = &t;
      }
      const uint32_t n = last == nullptr ? 0 : last->number();
      for (const auto* t : {first, last}) {
        if (t == nullptr) continue;
        const std::string number =
            absl::StrFormat("%s%0*d", prefix, width, t->number());
        absl::StatusOr<v1::CommandResult> status =
            hall.TicketStatus(number, now);
        if (!status.ok() || status->ticket().state() != t->state() ||
            status->ticket().number() != number) {
          return absl::StrCat("(c) TicketStatus(", number, ") gave ",
                              status.ok() ? status->ShortDebugString()
                                          : status.status().ToString(),
                              " for a ticket ",
                              v1::TicketState_Name(t->state()));
        }
      }
      const std::string next = absl::StrFormat("%s%0*d", prefix, width, n + 1);
      if (hall.TicketStatus(next, now).status().code() !=
          absl::StatusCode::kNotFound) {
        return absl::StrCat("(c) TicketStatus(", next,
                            ") of a number not issued yet: ",
                            hall.TicketStatus(next, now).status().ToString());
      }
    }
    return "";
  }

  // (b)
  std::string CheckNothingChanged(const absl::Status& status,
                                  const Hall::Outcome& out,
                                  const std::string& before_bytes,
                                  const std::string& after_bytes) {
    if (status.ok() && !out.events().empty()) return "";
    if (HasDayStarted(out)) return "";
    if (!status.ok() && status.message().empty()) {
      return absl::StrCat("(b) error without a message: ", status.ToString());
    }
    if (before_bytes != after_bytes) {
      return absl::StrCat(
          "(b) ",
          status.ok() ? "an outcome without events" : "a failed command",
          " changed the state (", status.ToString(), ")");
    }
    if (!status.ok()) {
      for (const v1::HallEvent& e : out.events()) {
        return absl::StrCat("(b) failed command emitted ",
                            e.ShortDebugString());
      }
    }
    return "";
  }

  // (c)
  std::string CheckNumbers(const v1::HallState& state,
                           const v1::HallView& view) {
    const int32_t day = state.business_day();
    std::vector<std::vector<uint32_t>> numbers(config_->services_size());
    for (const auto& t : state.tickets()) {
      if (t.business_day() == day) numbers[t.service()].push_back(t.number());
      if (t.business_day() > day) {
        return absl::StrCat("(c) ticket ", t.id(), " of future day ",
                            t.business_day());
      }
    }
    for (int s = 0; s < config_->services_size(); ++s) {
      std::vector<uint32_t>& n = numbers[s];
      std::sort(n.begin(), n.end());
      for (size_t i = 0; i < n.size(); ++i) {
        if (n[i] != i + 1) {
          return absl::StrCat("(c) service ", config_->services(s).code(),
                              " day ", day, ": numbers are not 1..", n.size(),
                              " (position ", i, " holds ", n[i], ")");
        }
      }
      auto& [last_day, last_n] = last_count_[config_->services(s).code()];
      if (last_day == day && n.size() < last_n) {
        return absl::StrCat("(c) service ", config_->services(s).code(),
                            " went from ", last_n, " to ", n.size(),
                            " tickets within day ", day);
      }
      last_day = day;
      last_n = n.size();
      const int events = issued_[{day, config_->services(s).ticket_prefix()}];
      if (static_cast<size_t>(events) != n.size()) {
        return absl::StrCat("(c) service ", config_->services(s).code(), ": ",
                            events, " TicketIssued events, ", n.size(),
                            " tickets in the snapshot");
      }
      if (view.services(s).issued_today() != static_cast<int32_t>(n.size())) {
        return absl::StrCat("(c) view issued_today ",
                            view.services(s).issued_today(), " for ", n.size());
      }
    }
    return "";
  }

  // (d)
  std::string CheckWindowsHoldTickets(const Hall& hall,
                                      const v1::HallState& state,
                                      const v1::HallView& view) {
    std::vector<int> holders(state.tickets_size(), 0);
    int open = 0;
    std::vector<int> open_per_service(config_->services_size(), 0);
    for (int w = 0; w < state.windows_size(); ++w) {
      const auto& window = state.windows(w);
      if (CountsAsOpen(window.state())) {
        ++open;
        for (const auto& served : config_->windows(w).serves()) {
          for (int s = 0; s < config_->services_size(); ++s) {
            if (config_->services(s).code() == served.service_code()) {
              ++open_per_service[s];
            }
          }
        }
      }
      const bool holds = window.state() == v1::WINDOW_STATE_CALLING ||
                         window.state() == v1::WINDOW_STATE_SERVING;
      if (!holds) {
        if (window.ticket() != 0) {
          return absl::StrCat("(d) window ", window.number(), " in state ",
                              v1::WindowState_Name(window.state()),
                              " holds ticket id ", window.ticket() - 1);
        }
        continue;
      }
      if (window.ticket() == 0 ||
          window.ticket() > static_cast<uint32_t>(state.tickets_size())) {
        return absl::StrCat("(d) window ", window.number(), " in state ",
                            v1::WindowState_Name(window.state()),
                            " holds no ticket");
      }
      const uint32_t id = window.ticket() - 1;
      ++holders[id];
      const v1::TicketState wanted = window.state() == v1::WINDOW_STATE_CALLING
                                         ? v1::TICKET_STATE_CALLED
                                         : v1::TICKET_STATE_SERVING;
      const auto& t = state.tickets(static_cast<int>(id));
      if (t.state() != wanted) {
        return absl::StrCat("(d) window ", window.number(), " is ",
                            v1::WindowState_Name(window.state()),
                            " but its ticket is ",
                            v1::TicketState_Name(t.state()));
      }
      if (t.window() != w + 1) {
        return absl::StrCat("(d) ticket id ", id, " at window ",
                            window.number(), " names window index ",
                            t.window() - 1);
      }
    }
    // A Configure may lower a limit below what a ticket already used, so
    // the bound is the highest limit in force since the checker began.
    const v1::Policy& policy = config_->policy();
    recall_limit_ = std::max(
        recall_limit_, policy.has_max_recalls() ? policy.max_recalls() : 2);
    requeue_limit_ = std::max(
        requeue_limit_, policy.has_max_requeues() ? policy.max_requeues() : 1);
    const int max_recalls = recall_limit_;
    const int max_requeues = requeue_limit_;
    for (const auto& t : state.tickets()) {
      if (t.recalls() > max_recalls || t.requeues() > max_requeues) {
        return absl::StrCat("(d) ticket id ", t.id(), " was recalled ",
                            t.recalls(), " and requeued ", t.requeues(),
                            " times; the policy allows ", max_recalls, " and ",
                            max_requeues);
      }
      const bool held = t.state() == v1::TICKET_STATE_CALLED ||
                        t.state() == v1::TICKET_STATE_SERVING;
      if (holders[t.id()] != (held ? 1 : 0)) {
        return absl::StrCat("(d) ticket id ", t.id(), " (",
                            v1::TicketState_Name(t.state()), ") is held by ",
                            holders[t.id()], " windows");
      }
    }
    if (hall.open_windows() != open || view.open_windows() != open) {
      return absl::StrCat("(d) ", open, " windows are open, hall counts ",
                          hall.open_windows(), ", view ", view.open_windows());
    }
    for (int s = 0; s < config_->services_size(); ++s) {
      if (view.services(s).open_windows() != open_per_service[s]) {
        return absl::StrCat("(d) view says ", view.services(s).open_windows(),
                            " windows open for ", config_->services(s).code(),
                            ", there are ", open_per_service[s]);
      }
    }
    if (hall.last_seq() != last_seq_ || state.last_seq() != last_seq_ ||
        view.last_seq() != last_seq_) {
      return absl::StrCat("(a) last_seq ", hall.last_seq(), " after event ",
                          last_seq_);
    }
    return "";
  }

  // (e)
  std::string CheckMinimum(const Hall& hall, const v1::Command& command,
                           const absl::Status& status, const Hall::Outcome& out,
                           const v1::HallView& view) {
    if (!status.ok() || !view.business_hours()) return "";
    const int open = hall.open_windows();
    const int min = hall.min_open_windows();
    if ((command.has_close_window() || command.has_pause_window()) &&
        open < open_before_ && open < min) {
      const bool has_override = command.has_close_window()
                                    ? command.close_window().has_override()
                                    : command.pause_window().has_override();
      if (!has_override) {
        return absl::StrCat("(e) ", Describe(command), " left ", open,
                            " open windows of ", min,
                            " required, without an override");
      }
    }
    if (command.has_window_lost() && open < min) {
      bool standby_opened = false;
      for (const v1::HallEvent& e : out.events()) {
        standby_opened = standby_opened || (e.has_window_changed() &&
                                            e.window_changed().standby());
      }
      std::set<int32_t> free = standby_free_before_;
      free.erase(command.window_lost().window());
      if (!standby_opened && !free.empty()) {
        return absl::StrCat("(e) window lost leaves ", open, " of ", min,
                            " open, and no standby was opened though window ",
                            *free.begin(), " had a free standby clerk");
      }
    }
    return "";
  }

  // (f)
  std::string CheckPhones(const v1::Command& command,
                          const absl::Status& status, const Hall::Outcome& out,
                          const v1::HallView& view,
                          const std::string& snapshot_bytes) {
    // The engine has no phone field; a phone in an old journal's command
    // (the unknown field 4) must not surface anywhere, not even in the
    // snapshot.
    if (command.has_issue_ticket() && status.ok()) {
      std::string phone = LegacyPhone(command.issue_ticket());
      if (!phone.empty()) phones_.push_back(std::move(phone));
    }
    if (phones_.empty()) return "";
    std::vector<std::string> texts = {out.result().ShortDebugString(),
                                      Bytes(out.result()),
                                      view.ShortDebugString(), snapshot_bytes};
    for (const v1::HallEvent& e : out.events()) {
      texts.push_back(e.ShortDebugString());
      texts.push_back(Bytes(e));
    }
    for (const std::string& text : texts) {
      for (const std::string& phone : phones_) {
        if (text.find(phone) != std::string::npos) {
          return absl::StrCat("(f) phone ", phone, " appears in ",
                              text.substr(0, 300));
        }
      }
    }
    return "";
  }

  // (g)
  std::string CheckLanes(const v1::HallState& state, const v1::HallView& view) {
    std::vector<int> in_lanes(state.tickets_size(), 0);
    std::vector<int> waiting_per_service(config_->services_size(), 0);
    std::map<std::pair<std::string, int>, int> lane_sizes;
    for (const auto& lane : state.lanes()) {
      for (uint32_t id : lane.tickets()) {
        if (id >= static_cast<uint32_t>(state.tickets_size())) {
          return absl::StrCat("(g) lane holds unknown ticket id ", id);
        }
        ++in_lanes[id];
        const auto& t = state.tickets(static_cast<int>(id));
        if (t.queue_service() != lane.service() ||
            t.category() != lane.category()) {
          return absl::StrCat("(g) ticket id ", id, " of service ",
                              t.queue_service(), " category ", t.category(),
                              " sits in lane ", lane.service(), "/",
                              lane.category());
        }
      }
      waiting_per_service[lane.service()] += lane.tickets_size();
      lane_sizes[{config_->services(static_cast<int>(lane.service())).code(),
                  lane.category()}] += lane.tickets_size();
    }
    for (const auto& window : state.windows()) {
      for (uint32_t id : window.direct_lane()) {
        if (id >= static_cast<uint32_t>(state.tickets_size())) {
          return absl::StrCat("(g) direct lane of window ", window.number(),
                              " holds unknown ticket id ", id);
        }
        ++in_lanes[id];
      }
    }
    for (const auto& t : state.tickets()) {
      const int expected = t.state() == v1::TICKET_STATE_WAITING ? 1 : 0;
      if (in_lanes[t.id()] != expected) {
        return absl::StrCat("(g) ticket id ", t.id(), " (",
                            v1::TicketState_Name(t.state()), ") is in ",
                            in_lanes[t.id()], " lanes");
      }
    }
    for (int s = 0; s < config_->services_size(); ++s) {
      if (view.services(s).waiting() != waiting_per_service[s]) {
        return absl::StrCat("(g) view: ", view.services(s).waiting(),
                            " waiting for ", config_->services(s).code(),
                            ", lanes hold ", waiting_per_service[s]);
      }
    }
    std::map<std::pair<std::string, int>, int> view_sizes;
    for (const auto& lane : view.lanes()) {
      view_sizes[{lane.service_code(), lane.category()}] += lane.waiting();
    }
    if (view_sizes != lane_sizes)
      return "(g) view lanes differ from the snapshot's";
    return "";
  }

  // (j)
  std::string CheckAlarms(const v1::HallView& view) {
    std::set<AlarmKey> shown;
    std::map<AlarmKey, std::string> shown_acked;
    for (const Alarm& a : view.alarms()) {
      shown.insert(KeyOf(a));
      if (!a.acknowledged_by().empty()) {
        shown_acked[KeyOf(a)] = a.acknowledged_by();
      }
    }
    if (shown_acked != acked_) {
      return "(j) the view's acknowledged alarms differ from the events'";
    }
    std::set<AlarmKey> raised = alarms_;
    if (shown != raised) {
      std::string text;
      for (const AlarmKey& k : raised) {
        absl::StrAppend(
            &text, " events:",
            Alarm::Kind_Name(static_cast<Alarm::Kind>(std::get<0>(k))), "/",
            std::get<1>(k), "/", std::get<2>(k));
      }
      for (const AlarmKey& k : shown) {
        absl::StrAppend(
            &text, " view:",
            Alarm::Kind_Name(static_cast<Alarm::Kind>(std::get<0>(k))), "/",
            std::get<1>(k), "/", std::get<2>(k));
      }
      return absl::StrCat("(j) alarms from events differ from the view:", text);
    }
    return "";
  }

  // (k)
  std::string CheckBoardCounts(const Hall::Outcome& out,
                               const v1::HallView& view) {
    for (const v1::HallEvent& e : out.events()) {
      for (const v1::HallEvent::ServiceWaiting& w : e.waiting()) {
        board_waiting_[w.service_code()] = w.waiting();
      }
    }
    for (const v1::HallView::ServiceView& s : view.services()) {
      const auto it = board_waiting_.find(s.code());
      const int shown = it == board_waiting_.end() ? 0 : it->second;
      if (shown != s.waiting()) {
        return absl::StrCat("(k) a board following the events shows ", shown,
                            " waiting for ", s.code(), ", the view ",
                            s.waiting());
      }
    }
    return "";
  }

  // (l) Ratings, follow-ups and complaint cases. A rating is of the ticket
  // its window completed last, once; a follow-up opens with a bad rating
  // alone, with the next id, and closes once; a complaint case opens once
  // per ticket, for a complaint service, and goes open → called back →
  // resolved. The view lists exactly the open follow-ups and unresolved
  // cases the events say.
  std::string CheckFeedback(const Hall::Outcome& out,
                            const v1::HallView& view) {
    int bad_ratings = 0;
    for (const v1::HallEvent& e : out.events()) {
      if (e.has_ticket_state_changed() &&
          e.ticket_state_changed().ticket().state() ==
              v1::TICKET_STATE_COMPLETED &&
          e.ticket_state_changed().window() != 0) {
        const v1::Ticket& t = e.ticket_state_changed().ticket();
        completed_last_[e.ticket_state_changed().window()] =
            TicketKey(t.business_day(), t.number());
      } else if (e.has_ticket_rated()) {
        const v1::HallEvent::TicketRated& r = e.ticket_rated();
        const std::string key = TicketKey(r.business_day(), r.ticket());
        if (completed_last_[r.window()] != key) {
          return absl::StrCat("(l) ", key, " rated at window ", r.window(),
                              " which completed ", completed_last_[r.window()],
                              " last");
        }
        if (!rated_.insert(key).second || r.level() < 1 || r.level() > 5) {
          return absl::StrCat("(l) ", key, " rated twice or out of 1-5: ",
                              r.ShortDebugString());
        }
        bad_ratings += r.level() <= 2;
      } else if (e.has_follow_up_changed()) {
        const v1::FollowUp& f = e.follow_up_changed().follow_up();
        if (f.state() == v1::FollowUp::STATE_OPEN) {
          if (--bad_ratings < 0 || f.id() != last_follow_up_ + 1) {
            return absl::StrCat(
                "(l) follow-up opened without a bad rating or "
                "out of turn: ",
                f.ShortDebugString());
          }
          last_follow_up_ = f.id();
          open_follow_ups_.insert(f.id());
        } else if (open_follow_ups_.erase(f.id()) == 0 ||
                   f.closing_text().empty()) {
          return absl::StrCat(
              "(l) follow-up closed that was not open, or "
              "without a text: ",
              f.ShortDebugString());
        }
      } else if (e.has_complaint_changed()) {
        const v1::ComplaintCase& c = e.complaint_changed().complaint();
        const std::string key = TicketKey(c.business_day(), c.ticket());
        bool complaint_service = false;
        for (const v1::ServiceConfig& s : config_->services()) {
          complaint_service |= s.code() == c.service_code() && s.complaint();
        }
        auto it = cases_.find(key);
        const int before = it == cases_.end() ? 0 : it->second;
        const bool opened = c.state() == v1::ComplaintCase::STATE_OPEN &&
                            before == 0 && !case_seen_.contains(key) &&
                            complaint_service;
        const bool moved = before != 0 && c.state() > before;
        if (!opened && !moved) {
          return absl::StrCat("(l) complaint case ", key, " went from state ",
                              before, " to ", c.ShortDebugString());
        }
        case_seen_.insert(key);
        if (c.state() == v1::ComplaintCase::STATE_RESOLVED) {
          if (c.resolution().empty()) {
            return absl::StrCat("(l) ", key, " resolved without a text");
          }
          cases_.erase(key);
        } else {
          cases_[key] = c.state();
        }
      }
    }
    std::set<uint32_t> shown_follow_ups;
    for (const v1::FollowUp& f : view.follow_ups()) {
      shown_follow_ups.insert(f.id());
    }
    std::map<std::string, int> shown_cases;
    for (const v1::ComplaintCase& c : view.complaints()) {
      shown_cases[TicketKey(c.business_day(), c.ticket())] = c.state();
    }
    if (shown_follow_ups != open_follow_ups_ || shown_cases != cases_) {
      return absl::StrCat("(l) the view shows ", shown_follow_ups.size(),
                          " follow-ups and ", shown_cases.size(),
                          " cases, the events ", open_follow_ups_.size(),
                          " and ", cases_.size());
    }
    return "";
  }

  // The config the hall runs now (a Configure command changes it).
  const v1::HallConfig* config_;
  uint64_t last_seq_ = 0;
  int open_before_ = 0;
  std::set<int32_t> standby_free_before_;
  std::vector<std::string> phones_;
  std::map<std::pair<int32_t, std::string>, int> issued_;  // (day, prefix)
  std::map<std::string, std::pair<int32_t, size_t>> last_count_;  // code
  std::map<std::string, bool> callable_;                          // day/number
  std::set<AlarmKey> alarms_;
  std::map<AlarmKey, std::string> acked_;          // Acknowledged: by whom.
  std::map<std::string, int> board_waiting_;       // service code -> waiting
  std::map<int32_t, std::string> completed_last_;  // window -> day/number
  std::set<std::string> rated_;                    // day/number
  uint32_t last_follow_up_ = 0;
  std::set<uint32_t> open_follow_ups_;
  std::map<std::string, int> cases_;  // day/number -> state, unresolved
  std::set<std::string> case_seen_;
  int recall_limit_ = 0;
  int requeue_limit_ = 0;
};

InvariantChecker::InvariantChecker(const v1::HallConfig& config)
    : impl_(std::make_unique<Impl>(config)) {}

InvariantChecker::~InvariantChecker() = default;

void InvariantChecker::Before(const Hall& hall, const v1::HallState& state) {
  impl_->Before(hall, state);
}

std::string InvariantChecker::After(
    const Hall& hall, const v1::Command& command, absl::Time now,
    const absl::Status& status, const Hall::Outcome& out,
    const v1::HallState& before, const std::string& before_bytes,
    const v1::HallState& after, const std::string& after_bytes) {
  return impl_->After(hall, command, now, status, out, before, before_bytes,
                      after, after_bytes);
}

}  // namespace qcall::testing
