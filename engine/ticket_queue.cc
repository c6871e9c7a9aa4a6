#include "engine/ticket_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/hall_texts.h"
#include "engine/input_checks.h"
#include "engine/status_macros.h"

namespace qcall {

TicketQueue::TicketQueue(int services, int windows)
    : services_(services),
      lanes_(static_cast<size_t>(services * kCategoryCount + windows)),
      ticket_by_number_(static_cast<size_t>(services)),
      waiting_(static_cast<size_t>(services)) {}

uint32_t TicketQueue::Issue(const TicketSlot& slot) {
  const uint32_t id = static_cast<uint32_t>(tickets_.size());
  std::vector<uint32_t>& today = ticket_by_number_[slot.service];
  TicketSlot& t = tickets_.emplace_back(slot);
  t.number = static_cast<uint32_t>(today.size() + 1);
  today.push_back(id);
  return id;
}

absl::StatusOr<uint32_t> TicketQueue::Find(const HallRules& rules,
                                           absl::string_view ticket) const {
  const auto parsed = rules.ParseTicketNumber(ticket);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", Clipped(ticket),
                     "' is not a ticket number of this hall (a prefix and "
                     "digits, e.g. A012)"));
  }
  const auto& [service, number] = *parsed;
  const std::vector<uint32_t>& today = ticket_by_number_[service];
  if (number > today.size()) {
    return absl::NotFoundError(
        absl::StrCat("no ticket ", ticket, " was issued today"));
  }
  return today[number - 1];
}

std::string TicketQueue::TicketText(const HallRules& rules, uint32_t id) const {
  const ServiceRules& numbering = rules.services()[tickets_[id].service];
  return FormatTicketNumber(numbering.prefix, tickets_[id].number,
                            numbering.width);
}

void TicketQueue::FillTicket(const HallRules& rules, uint32_t id,
                             v1::Ticket* ticket) const {
  ticket->Clear();  // Keeps its strings' memory.
  const TicketSlot& t = tickets_[id];
  const ServiceRules& numbering = rules.services()[t.service];
  const ServiceRules& queue = rules.services()[t.queue_service];
  FormatTicketNumber(numbering.prefix, t.number, numbering.width,
                     ticket->mutable_number());
  ticket->set_service_code(queue.code);
  ticket->set_service_name(queue.name);
  ticket->set_category(CategoryAt(t.category_slot));
  ticket->set_state(static_cast<v1::TicketState>(t.state));
  ticket->set_issued_at_unix_ms(t.issued_at_ms);
  ticket->set_appointment_unix_seconds(t.appointment_s);
  ticket->set_window(t.window >= 0 ? rules.windows()[t.window].number : 0);
  ticket->set_recalls(t.recalls);
  ticket->set_requeues(t.requeues);
  ticket->set_business_day(t.business_day);
}

// ---------------------------------------------------------------------------
// Lanes

void TicketQueue::PushBack(uint32_t lane_index, uint32_t id) {
  Lane& lane = lanes_[lane_index];
  TicketSlot& t = tickets_[id];
  t.lane = lane_index;
  t.prev = lane.tail;
  t.next = kNoTicket;
  if (lane.tail != kNoTicket) {
    tickets_[lane.tail].next = id;
  } else {
    lane.head = id;
  }
  lane.tail = id;
  ++lane.size;
  CountWaiting(lane_index, id, +1);
}

void TicketQueue::PushFront(uint32_t lane_index, uint32_t id) {
  Lane& lane = lanes_[lane_index];
  if (lane.head == kNoTicket) {
    PushBack(lane_index, id);
    return;
  }
  TicketSlot& t = tickets_[id];
  t.lane = lane_index;
  t.prev = kNoTicket;
  t.next = lane.head;
  tickets_[lane.head].prev = id;
  lane.head = id;
  ++lane.size;
  CountWaiting(lane_index, id, +1);
}

void TicketQueue::InsertAfter(uint32_t lane_index, uint32_t after,
                              uint32_t id) {
  Lane& lane = lanes_[lane_index];
  if (after == lane.tail) {
    PushBack(lane_index, id);
    return;
  }
  TicketSlot& t = tickets_[id];
  t.lane = lane_index;
  t.prev = after;
  t.next = tickets_[after].next;
  tickets_[t.next].prev = id;
  tickets_[after].next = id;
  ++lane.size;
  CountWaiting(lane_index, id, +1);
}

void TicketQueue::InsertSorted(uint32_t lane_index, uint32_t id,
                               int64_t TicketSlot::*key) {
  // Walks back only over the tickets whose key is later than this one's:
  // most land at or near the tail.
  uint32_t after = lanes_[lane_index].tail;
  const int64_t value = tickets_[id].*key;
  while (after != kNoTicket && tickets_[after].*key > value) {
    after = tickets_[after].prev;
  }
  if (after == kNoTicket) {
    PushFront(lane_index, id);
  } else {
    InsertAfter(lane_index, after, id);
  }
}

void TicketQueue::InsertAtOffset(uint32_t lane_index, uint32_t id, int offset) {
  if (offset == 0) {
    PushFront(lane_index, id);
    return;
  }
  uint32_t after = lanes_[lane_index].head;
  if (after == kNoTicket) {
    PushBack(lane_index, id);
    return;
  }
  for (int i = 1; i < offset && tickets_[after].next != kNoTicket; ++i) {
    after = tickets_[after].next;
  }
  InsertAfter(lane_index, after, id);
}

void TicketQueue::Unlink(uint32_t id) {
  TicketSlot& t = tickets_[id];
  Lane& lane = lanes_[t.lane];
  if (t.prev != kNoTicket) {
    tickets_[t.prev].next = t.next;
  } else {
    lane.head = t.next;
  }
  if (t.next != kNoTicket) {
    tickets_[t.next].prev = t.prev;
  } else {
    lane.tail = t.prev;
  }
  --lane.size;
  CountWaiting(t.lane, id, -1);
  t.prev = t.next = t.lane = kNoTicket;
}

void TicketQueue::CountWaiting(uint32_t lane, uint32_t id, int delta) {
  if (IsServiceLane(lane)) {
    lanes_[lane].waits.Add(tickets_[id].wait_since_ms, delta);
    const int service = static_cast<int>(lane / kCategoryCount);
    NoteWaitingChange(service);
    waiting_[service].now += delta;
  }
}

void TicketQueue::ResetLanes(int64_t origin_ms) {
  for (Lane& lane : lanes_) {
    lane.head = lane.tail = kNoTicket;
    lane.size = 0;
    lane.waits.Reset(origin_ms);
  }
  for (int s = 0; s < services_; ++s) {
    if (waiting_[s].now != 0) NoteWaitingChange(s);
    waiting_[s].now = 0;
  }
}

int32_t TicketQueue::StartDay(int64_t lanes_origin_ms,
                              std::vector<uint32_t>* held) {
  std::vector<TicketSlot> kept;
  // Only tickets still at a window survive the night; they keep their number
  // and day and finish normally.
  for (uint32_t& ticket : *held) {
    if (ticket == kNoTicket) continue;
    const uint32_t id = static_cast<uint32_t>(kept.size());
    kept.push_back(tickets_[ticket]);
    ticket = id;
  }
  int32_t expired = 0;
  for (const Lane& lane : lanes_) expired += static_cast<int32_t>(lane.size);
  ResetLanes(lanes_origin_ms);
  tickets_ = std::move(kept);
  for (std::vector<uint32_t>& today : ticket_by_number_) today.clear();
  return expired;
}

// ---------------------------------------------------------------------------
// Waiting counts for the events

void TicketQueue::NoteWaitingChange(int s) {
  Waiting& w = waiting_[s];
  if (w.before >= 0) return;
  w.before = w.now;
  waiting_changed_.push_back(s);
}

void TicketQueue::AttachWaitingCounts(const HallRules& rules, bool all,
                                      Outcome* out) {
  if (all) {
    waiting_changed_.clear();
    for (int s = 0; s < services_; ++s) {
      waiting_[s].before = -1;
      waiting_changed_.push_back(s);
    }
  }
  v1::HallEvent* last = out->last_event();
  for (const int s : waiting_changed_) {
    Waiting& w = waiting_[s];
    if (last != nullptr && (all || w.now != w.before)) {
      v1::HallEvent::ServiceWaiting* e = last->add_waiting();
      e->set_service_code(rules.services()[s].code);
      e->set_waiting(w.now);
    }
    w.before = -1;
  }
  waiting_changed_.clear();
}

void TicketQueue::ForgetWaitingChanges() {
  for (const int s : waiting_changed_) waiting_[s].before = -1;
  waiting_changed_.clear();
}

int64_t TicketQueue::AddLaneViews(const HallRules& rules, int service,
                                  int64_t now, v1::HallView* view) const {
  int64_t oldest = 0;
  for (int slot = 0; slot < kCategoryCount; ++slot) {
    const Lane& lane = lanes_[ServiceLane(service, slot)];
    if (lane.size == 0) continue;
    const int64_t wait =
        std::max<int64_t>(0, now - tickets_[lane.head].wait_since_ms) / 1000;
    oldest = std::max(oldest, wait);
    v1::HallView::LaneView* l = view->add_lanes();
    l->set_service_code(rules.services()[service].code);
    l->set_category(CategoryAt(slot));
    l->set_waiting(static_cast<int32_t>(lane.size));
    l->set_oldest_wait_seconds(wait);
  }
  return oldest;
}

// ---------------------------------------------------------------------------
// Snapshots

void TicketQueue::SaveLane(
    uint32_t lane, google::protobuf::RepeatedField<uint32_t>* ids) const {
  for (uint32_t u = lanes_[lane].head; u != kNoTicket; u = tickets_[u].next) {
    ids->Add(u);
  }
}

void TicketQueue::SaveTickets(v1::HallState* state) const {
  for (uint32_t id = 0; id < tickets_.size(); ++id) {
    const TicketSlot& t = tickets_[id];
    v1::HallState::TicketRecord* r = state->add_tickets();
    r->set_id(id);
    r->set_service(t.service);
    r->set_queue_service(t.queue_service);
    r->set_number(t.number);
    r->set_category(CategoryAt(t.category_slot));
    r->set_state(static_cast<v1::TicketState>(t.state));
    r->set_issued_at_ms(t.issued_at_ms);
    r->set_wait_since_ms(t.wait_since_ms);
    r->set_state_since_ms(t.state_since_ms);
    r->set_appointment_unix_seconds(t.appointment_s);
    r->set_window(t.window + 1);
    r->set_recalls(t.recalls);
    r->set_requeues(t.requeues);
    r->set_business_day(t.business_day);
    r->set_complaint_opened(t.complaint_opened);
  }
  for (int s = 0; s < services_; ++s) {
    for (int slot = 0; slot < kCategoryCount; ++slot) {
      const uint32_t lane = ServiceLane(s, slot);
      if (lanes_[lane].size == 0) continue;
      v1::HallState::LaneRecord* r = state->add_lanes();
      r->set_service(static_cast<uint32_t>(s));
      r->set_category(CategoryAt(slot));
      SaveLane(lane, r->mutable_tickets());
    }
  }
}

absl::Status TicketQueue::RestoreLane(
    uint32_t lane, const google::protobuf::RepeatedField<uint32_t>& ids,
    absl::string_view what) {
  for (const uint32_t id : ids) {
    if (id >= tickets_.size()) {
      return CorruptSnapshot(absl::StrCat(what, " lists ticket id ", id,
                                          ", and there are only ",
                                          tickets_.size(), " tickets"));
    }
    const TicketSlot& t = tickets_[id];
    if (t.state != v1::TICKET_STATE_WAITING) {
      return CorruptSnapshot(absl::StrCat(what, " lists ticket id ", id,
                                          ", which is ", StateWord(t.state)));
    }
    // The lanes restored so far have set the lane of every ticket they list.
    if (t.lane != kNoTicket) {
      return CorruptSnapshot(absl::StrCat("ticket id ", id,
                                          " is listed twice in the lanes, ",
                                          "the second time in ", what));
    }
    if (IsServiceLane(lane) && (t.queue_service != lane / kCategoryCount ||
                                t.category_slot != lane % kCategoryCount)) {
      return CorruptSnapshot(
          absl::StrCat(what, " lists ticket id ", id,
                       ", which waits for service ", t.queue_service, " as ",
                       v1::Category_Name(CategoryAt(t.category_slot))));
    }
    PushBack(lane, id);
  }
  return absl::OkStatus();
}

absl::Status TicketQueue::RestoreTickets(const v1::HallState& state,
                                         int32_t business_day, int windows) {
  const uint32_t service_count = static_cast<uint32_t>(services_);
  if (business_day == 0 && state.tickets_size() > 0) {
    return CorruptSnapshot("it holds tickets but no business day has begun");
  }
  tickets_.reserve(static_cast<size_t>(state.tickets_size()));
  for (const v1::HallState::TicketRecord& r : state.tickets()) {
    const size_t index = tickets_.size();
    if (r.id() != index) {
      return CorruptSnapshot(
          absl::StrCat("ticket record ", index, " has id ", r.id()));
    }
    if (r.service() >= service_count || r.queue_service() >= service_count) {
      return CorruptSnapshot(absl::StrCat(
          "ticket id ", r.id(), " names service ", r.service(), " and ",
          r.queue_service(), "; the hall has ", service_count));
    }
    if (r.window() < 0 || r.window() > windows) {
      return CorruptSnapshot(absl::StrCat("ticket id ", r.id(),
                                          " names window record ", r.window(),
                                          "; there are ", windows));
    }
    if (!v1::Category_IsValid(r.category()) ||
        r.category() == v1::CATEGORY_UNSPECIFIED) {
      return CorruptSnapshot(absl::StrCat("ticket id ", r.id(),
                                          " has no known category (",
                                          static_cast<int>(r.category()), ")"));
    }
    if (!v1::TicketState_IsValid(r.state()) ||
        r.state() == v1::TICKET_STATE_UNSPECIFIED) {
      return CorruptSnapshot(absl::StrCat("ticket id ", r.id(),
                                          " is in no known state (",
                                          static_cast<int>(r.state()), ")"));
    }
    if (r.recalls() < 0 || r.recalls() > UINT8_MAX || r.requeues() < 0 ||
        r.requeues() > UINT8_MAX) {
      return CorruptSnapshot(absl::StrCat("ticket id ", r.id(), " has ",
                                          r.recalls(), " recalls and ",
                                          r.requeues(), " requeues"));
    }
    if (r.business_day() <= 0 || r.business_day() > business_day) {
      return CorruptSnapshot(
          absl::StrCat("ticket id ", r.id(), " is of business day ",
                       r.business_day(), ", the hall's is ", business_day));
    }
    TicketSlot& t = tickets_.emplace_back();
    t.issued_at_ms = r.issued_at_ms();
    t.wait_since_ms = r.wait_since_ms();
    t.state_since_ms = r.state_since_ms();
    t.appointment_s = r.appointment_unix_seconds();
    t.number = r.number();
    t.business_day = r.business_day();
    t.service = static_cast<uint16_t>(r.service());
    t.queue_service = static_cast<uint16_t>(r.queue_service());
    t.window = static_cast<int16_t>(r.window() - 1);
    t.category_slot = static_cast<uint8_t>(CategorySlot(r.category()));
    t.state = static_cast<uint8_t>(r.state());
    t.recalls = static_cast<uint8_t>(r.recalls());
    t.requeues = static_cast<uint8_t>(r.requeues());
    t.complaint_opened = r.complaint_opened();
    if (t.business_day == business_day) {
      std::vector<uint32_t>& today = ticket_by_number_[t.service];
      if (t.number != today.size() + 1) {
        return CorruptSnapshot(absl::StrCat("ticket numbers of service ",
                                            t.service, " are not contiguous"));
      }
      today.push_back(r.id());
    }
  }
  std::vector<bool> listed(static_cast<size_t>(services_ * kCategoryCount));
  for (const v1::HallState::LaneRecord& r : state.lanes()) {
    if (r.service() >= service_count) {
      return CorruptSnapshot(absl::StrCat("a lane record names service ",
                                          r.service(), "; the hall has ",
                                          service_count));
    }
    if (!v1::Category_IsValid(r.category()) ||
        r.category() == v1::CATEGORY_UNSPECIFIED) {
      return CorruptSnapshot(absl::StrCat(
          "a lane record of service ", r.service(), " has no known category (",
          static_cast<int>(r.category()), ")"));
    }
    const uint32_t lane =
        ServiceLane(static_cast<int>(r.service()), CategorySlot(r.category()));
    const std::string what = absl::StrCat("the lane of service ", r.service(),
                                          " ", v1::Category_Name(r.category()));
    if (listed[lane]) return CorruptSnapshot(absl::StrCat(what, " is twice"));
    listed[lane] = true;
    RETURN_IF_ERROR(RestoreLane(lane, r.tickets(), what));
  }
  return absl::OkStatus();
}

absl::Status TicketQueue::CheckRestored(
    const std::vector<uint32_t>& held) const {
  for (uint32_t id = 0; id < tickets_.size(); ++id) {
    const TicketSlot& t = tickets_[id];
    if (t.state == v1::TICKET_STATE_WAITING && t.lane == kNoTicket) {
      return CorruptSnapshot(
          absl::StrCat("ticket id ", id, " is waiting but in no lane"));
    }
    // A ticket's window index was checked against the windows there are.
    if ((t.state == v1::TICKET_STATE_CALLED ||
         t.state == v1::TICKET_STATE_SERVING) &&
        (t.window < 0 || held[static_cast<size_t>(t.window)] != id)) {
      return CorruptSnapshot(absl::StrCat(
          "ticket id ", id, " is ", StateWord(t.state),
          " but its window record (", t.window + 1, ") does not hold it"));
    }
  }
  return absl::OkStatus();
}

}  // namespace qcall
