#include "dispatcher/hall_runtime.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "dispatcher/command_request.h"
#include "dispatcher/journal_replay.h"
#include "dispatcher/journal_verify.h"
#include "dispatcher/records.h"
#include "dispatcher/recovery.h"
#include "engine/status_macros.h"
#include "spdlog/spdlog.h"

namespace qcall {

HallRuntime::HallRuntime(Hall hall, uint64_t journal_index, Strand strand,
                         GroupCommitJournal* journal,
                         const RuntimeOptions& options)
    : hall_id_(hall.rules().config().hall_id()),
      hall_(std::move(hall)),
      journal_index_(journal_index),
      snapshots_(options.snapshot_every, journal_index),
      strand_(std::move(strand)),
      journal_(journal),
      options_(options),
      hub_({.retained = options.events_retained,
            .stream_queue_bytes = options.stream_queue_bytes,
            .stall_timeout = options.stream_stall_timeout,
            .clock = options.clock},
           [pool = strand_.get_inner_executor()](std::function<void()> task) {
             boost::asio::post(pool, std::move(task));
           }),
      requests_(options.request_ids_kept),
      reads_(journal_index),
      config_(std::make_shared<const v1::HallConfig>(hall_.rules().config())),
      timer_(options.clock->NewTimer(strand_)),
      generation_(journal->generation()) {}

absl::Status HallRuntime::Replay(const JournalRecord& record, bool publish) {
  if (record.index != journal_index_ + 1) {
    return absl::DataLossError(absl::StrCat("journal of hall ", hall_id_,
                                            " jumps from ", journal_index_,
                                            " to ", record.index));
  }
  Replayed replayed;
  RETURN_IF_ERROR(
      ApplyJournaled(hall_id_, record, &hall_, &outcome_, &replayed));
  journal_index_ = record.index;
  reads_.Durable(record.index);  // It comes from the journal.
  for (const v1::HallEvent& event : outcome_.events()) {
    if (event.has_hall_configured()) {
      config_ = std::make_shared<const v1::HallConfig>(hall_.rules().config());
      break;
    }
  }
  if (publish) hub_.Publish(EventHub::Prepare(outcome_.events()));
  if (replayed.answered.ok() && !record.request_id.empty()) {
    requests_.RememberDurable(record.request_id,
                              RequestFingerprint(replayed.command),
                              ReplyOf(outcome_));
  }
  return absl::OkStatus();
}

void HallRuntime::RememberJournaled(const JournalRecord& record) {
  v1::CommandReply reply;
  if (record.request_id.empty() || record.reply.empty() ||
      !reply.ParseFromString(record.reply)) {
    return;
  }
  if (reply.has_booking()) {
    // A CreateBooking's: its fingerprint leaves out the drawn code seed.
    v1::Command command;
    if (!command.ParseFromString(record.command)) return;
    requests_.RememberDurable(record.request_id, RequestFingerprint(command),
                              reply);
    return;
  }
  requests_.RememberDurable(record.request_id, record.command, reply);
}

void HallRuntime::Start() {
  boost::asio::post(strand_, [this] { ScheduleTick(); });
}

void HallRuntime::Retire(absl::Status why, Trailers trailers,
                         std::function<void(absl::Status)> written) {
  boost::asio::post(
      strand_, [this, why = std::move(why), trailers = std::move(trailers),
                written = std::move(written)]() mutable {
        if (!retired()) {
          retired_status_ = std::move(why);
          retired_trailers_ = std::move(trailers);
          retired_.store(true, std::memory_order_release);
        }
        stopped_ = true;
        timer_->Cancel();
        reads_.AnswerWhenDurable(journal_index_, std::move(written));
      });
}

void HallRuntime::Stop() {
  boost::asio::post(strand_, [this] {
    stopped_ = true;
    timer_->Cancel();
  });
}

void HallRuntime::Submit(v1::Command command, std::string request_id,
                         Reply reply, Admit admit, std::string phone) {
  boost::asio::post(
      strand_, [this, command = std::move(command),
                request_id = std::move(request_id), reply = std::move(reply),
                admit = std::move(admit), phone = std::move(phone)]() mutable {
        ApplyNow(command, request_id, std::move(reply), admit,
                 std::move(phone));
      });
}

void HallRuntime::Read(std::function<Answer(const Hall&, absl::Time)> read) {
  boost::asio::post(strand_, [this, read = std::move(read)] {
    // Not read back yet (the store still away): DurableReads refuses what
    // the store may not hold.
    if (Stale()) Resync().IgnoreError();
    reads_.AnswerWhenDurable(journal_index_,
                             read(hall_, options_.clock->Now()));
  });
}

void HallRuntime::RunOnStrand(std::function<void()> task) {
  boost::asio::post(strand_, std::move(task));
}

void HallRuntime::Heartbeat(int32_t window) {
  boost::asio::post(
      strand_, [this, window] { heartbeats_[window] = options_.clock->Now(); });
}

void HallRuntime::ForgetHeartbeat(int32_t window) {
  boost::asio::post(strand_, [this, window] { heartbeats_.erase(window); });
}

void HallRuntime::Watch(WatchStream* stream, uint64_t after_seq) {
  boost::asio::post(strand_, [this, stream, after_seq] {
    if (retired()) {
      stream->End(ToGrpc(retired_status_), retired_trailers_);
      return;
    }
    if (Stale()) Resync().IgnoreError();
    if (after_seq > hall_.last_seq()) {
      stream->End(grpc::Status(
          grpc::StatusCode::OUT_OF_RANGE,
          absl::StrCat("after_seq ", after_seq, " is beyond hall ", hall_id_,
                       "'s last event ", hall_.last_seq())));
      return;
    }
    if (!journal_->health().ok() && reads_.durable() != journal_index_) {
      // Its state holds commands the store may never have got.
      stream->End(grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          absl::StrCat("hall ", hall_id_,
                       ": its state is being read back from the journal's "
                       "store, which cannot be reached; retry")));
      return;
    }
    if (!hub_.SubscribeAfter(stream, after_seq)) {
      hub_.SubscribeWithSnapshot(stream, hall_.View(options_.clock->Now()));
    }
    if (absl::Status health = journal_->health(); !health.ok()) {
      // What it got is the durable state; say why nothing more will come.
      stream->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               std::string(health.message())));
    }
  });
}

v1::CommandReply HallRuntime::ReplyOf(const Hall::Outcome& out) const {
  v1::CommandReply reply;
  if (out.result().has_ticket())
    *reply.mutable_ticket() = out.result().ticket();
  reply.set_people_ahead(out.result().people_ahead());
  reply.set_estimated_wait_seconds(out.result().estimated_wait_seconds());
  if (out.result().has_booking()) {
    *reply.mutable_booking() = out.result().booking();
  }
  reply.set_seq(hall_.last_seq());
  return reply;
}

void HallRuntime::ApplyNow(const v1::Command& command,
                           const std::string& request_id, Reply reply,
                           const Admit& admit, std::string phone) {
  if (retired()) {
    reply(retired_status_, {});
    return;
  }
  // Before a retry is looked up: a commit whose outcome was unknown is
  // remembered by what the store holds.
  if (Stale()) {
    if (absl::Status synced = Resync(); !synced.ok()) {
      reply(absl::UnavailableError(absl::StrCat(
                "hall ", hall_id_,
                ": its state cannot be read back from the journal's store: ",
                synced.message())),
            {});
      return;
    }
  }
  std::string fingerprint;
  if (!request_id.empty()) {
    fingerprint = RequestFingerprint(command);
    if (requests_.Answer(request_id, fingerprint, reply)) return;
  }
  if (admit != nullptr) {
    if (absl::Status admitted = admit(); !admitted.ok()) {
      reply(admitted, {});
      return;
    }
  }
  if (absl::Status health = journal_->health(); !health.ok()) {
    reply(health, {});
    return;
  }
  const absl::Time now = options_.clock->Now();
  // What is drawn at random is drawn here, once, and journaled with the
  // command, so replay applies the same.
  // (A copy only for the commands that draw, off IssueTicket's path.)
  std::optional<v1::Command> drawn;
  if (DrawsAtRandom(command)) {
    drawn = command;
    AddRandomness(&*drawn);
  }
  const absl::Status status =
      hall_.Apply(drawn ? *drawn : command, now, &outcome_);
  v1::CommandReply result = ReplyOf(outcome_);
  if (outcome_.events().empty()) {
    // Nothing changed (a refusal, or a call with nobody waiting): there is
    // nothing to make durable.
    ++counters_.unchanged;
    reply(status, result);
    return;
  }
  ++counters_.journaled;
  const int64_t applied_micros = absl::ToUnixMicros(now);
  JournalRecord record{
      hall_id_,
      ++journal_index_,
      absl::ToUnixMillis(now),
      request_id,
      drawn                 ? drawn->SerializeAsString()
      : fingerprint.empty() ? command.SerializeAsString()
                            : fingerprint,
      status.ok() && !request_id.empty() ? result.SerializeAsString() : ""};
  for (const v1::HallEvent& event : outcome_.events()) {
    if (event.has_hall_configured()) {
      config_ = std::make_shared<const v1::HallConfig>(hall_.rules().config());
      break;
    }
  }
  record.events = std::make_shared<const RecordEvents>(RecordEvents{
      {outcome_.events().begin(), outcome_.events().end()}, config_});
  if (!phone.empty() && status.ok() && result.has_ticket()) {
    record.private_data = {result.ticket().business_day(),
                           result.ticket().number(), std::move(phone)};
  }
  const bool snapshot_due =
      snapshots_.Due(journal_index_, hall_.ticket_count());
  auto events = std::make_shared<EventHub::Prepared>(
      EventHub::Prepare(outcome_.events()));
  std::shared_ptr<RequestMemory::Pending> pending;
  if (status.ok() && !request_id.empty()) {
    pending = requests_.Remember(request_id, std::move(fingerprint), result);
  }
  journal_->Append(
      std::move(record), std::nullopt,
      [this, events, status, result, reply = std::move(reply), pending,
       applied_micros, index = journal_index_](absl::Status durable) {
        // On the journal's writer thread, in commit order: events
        // leave in seq order, and only once nothing can undo
        // them; so do the answers of reads that saw it.
        if (durable.ok()) {
          hub_.Publish(std::move(*events));
          reads_.Durable(index);
        } else {
          reads_.Failed(durable);
          // A final failure: the store still reads, and the hall goes back
          // to what it holds now. One the store may come back from: once it
          // is back (the next command, read or tick).
          if (!failed_.exchange(true) && !journal_->resuming()) {
            boost::asio::post(strand_, [this] {
              if (absl::Status synced = Resync(); !synced.ok()) {
                spdlog::error(
                    "hall {}: its durable state cannot be read back: {}",
                    hall_id_, synced.ToString());
              }
            });
          }
        }
        CountDurable(absl::ToUnixMicros(options_.clock->Now()) -
                     applied_micros);
        reply(durable.ok() ? status : durable, result);
        if (pending != nullptr) RequestMemory::Settle(pending, durable, result);
      },
      generation_);
  if (snapshot_due) SnapshotInBackground();
}

absl::Status HallRuntime::Resync() {
  const uint64_t generation = journal_->generation();
  if (generation == generation_) return absl::OkStatus();
  // What the failed commits did is known once the store is back, and by then
  // every one of them has been answered (failed_ and reads_ say so).
  if (journal_->resuming()) {
    return absl::UnavailableError("the journal's store cannot be reached");
  }
  JournalStore* const store = journal_->store();
  if (!failed_.load() && reads_.durable() == journal_index_) {
    // Every command it journaled was acknowledged: the store holds them all,
    // unless it lost some (a standby that was not synchronous).
    ASSIGN_OR_RETURN(const uint64_t last, store->LastIndex(hall_id_));
    if (last == journal_index_) {
      generation_ = generation;
      return absl::OkStatus();
    }
  }
  // No seed: a hall whose first Configure never reached the store is not a
  // hall, and its commands and reads stay refused.
  ASSIGN_OR_RETURN(StoredHall base, LoadBase(hall_id_, nullptr, store));
  const uint64_t durable = reads_.durable();
  const uint64_t was = journal_index_;
  // Records after `durable` were in commits whose outcome was unknown: those
  // that landed answer their retries with their first reply.
  requests_.ForgetFailed();
  if (base.index > durable) {
    RETURN_IF_ERROR(store->ReadJournal(hall_id_, durable, base.index,
                                       [&](const JournalRecord& record) {
                                         RememberJournaled(record);
                                         return absl::OkStatus();
                                       }));
  }
  hall_ = std::move(base.hall);
  journal_index_ = base.index;
  config_ = std::make_shared<const v1::HallConfig>(hall_.rules().config());
  reads_.Resume(journal_index_);
  snapshots_.Taken(journal_index_);
  // Replay publishes the events boards never got.
  RETURN_IF_ERROR(VerifiedRecords(store, hall_id_, base.index, base.chain,
                                  [&](const JournalRecord& record) {
                                    return Replay(record,
                                                  record.index > durable);
                                  }));
  generation_ = generation;
  failed_ = false;
  spdlog::warn(
      "hall {}: read back from the journal's store, record {} (was {})",
      hall_id_, journal_index_, was);
  return absl::OkStatus();
}

void HallRuntime::SnapshotInBackground() {
  // Copying the hall is a few memcpys (milliseconds for a day of 200,000
  // tickets); building and serializing the snapshot from the copy takes far
  // longer and runs on the pool, off the hall's strand.
  auto copy = std::make_shared<const Hall>(hall_);
  const uint64_t index = journal_index_;
  snapshots_.Taken(index);
  boost::asio::post(strand_.get_inner_executor(), [this, copy, index,
                                                   generation = generation_] {
    journal_->AppendSnapshot(
        SnapshotRecord{hall_id_, index, copy->Snapshot().SerializeAsString()},
        [hall_id = hall_id_, index](absl::Status status) {
          if (!status.ok()) {
            spdlog::error("hall {}: snapshot {} not written: {}", hall_id,
                          index, status.ToString());
          }
        },
        generation);
  });
}

void HallRuntime::CountDurable(int64_t micros) {
  counters_.durable_micros_sum += static_cast<uint64_t>(micros);
  size_t bucket = 0;
  while (bucket < Counters::kBucketsMicros.size() &&
         micros > Counters::kBucketsMicros[bucket]) {
    ++bucket;
  }
  ++counters_.buckets[bucket];
}

void HallRuntime::ScheduleTick() {
  if (stopped_) return;
  timer_->Arm(options_.tick_interval, [this] {
    if (!stopped_) OnTick();
  });
}

void HallRuntime::OnTick() {
  const auto ignore = [](absl::Status, const v1::CommandReply&) {};
  v1::Command tick;
  // The advice of today's engine; journaled ticks keep theirs.
  tick.mutable_tick()->set_advice_rules(
      v1::Command::Tick::ADVICE_RULES_WINDOW_SETS);
  ApplyNow(tick, "", ignore);
  const absl::Time now = options_.clock->Now();
  std::vector<int32_t> lost;
  for (const auto& [window, last] : heartbeats_) {
    if (now - last > options_.heartbeat_timeout) lost.push_back(window);
  }
  for (int32_t window : lost) {
    heartbeats_.erase(window);
    v1::Command command;
    command.mutable_window_lost()->set_window(window);
    spdlog::warn("hall {}: window {} sent no heartbeat for {}", hall_id_,
                 window, absl::FormatDuration(options_.heartbeat_timeout));
    ApplyNow(command, "", ignore);
  }
  PurgePrivateData(now);
  // Boards that stopped reading give their memory and place back.
  if (const size_t stalled = hub_.EndStalled(); stalled > 0) {
    spdlog::info("hall {}: {} watcher(s) read nothing for {}; ended", hall_id_,
                 stalled, absl::FormatDuration(options_.stream_stall_timeout));
  }
  ScheduleTick();
}

void HallRuntime::PurgePrivateData(absl::Time now) {
  PrivateDataStore* vault = journal_->store()->private_data();
  const int32_t today = hall_.business_day();
  if (vault == nullptr || today == 0 || today == purged_day_) return;
  purged_day_ = today;
  const v1::HallConfig& config = hall_.rules().config();
  const int32_t days = config.has_private_data_days()
                           ? config.private_data_days()
                           : options_.private_data_days;
  // Day D is kept while fewer than `days` days have passed since it.
  const absl::CivilDay first_kept =
      absl::CivilDay(today / 10000, today / 100 % 100, today % 100) -
      (days - 1);
  const int32_t first_kept_day = static_cast<int32_t>(
      first_kept.year() * 10000 + first_kept.month() * 100 + first_kept.day());
  // The delete and its fsync run on the pool, not on the hall's strand.
  boost::asio::post(
      strand_.get_inner_executor(), [vault, hall_id = hall_id_, first_kept_day,
                                     days, at = absl::ToUnixMillis(now)] {
        absl::StatusOr<int> erased =
            vault->Purge(hall_id, first_kept_day, days, at);
        if (!erased.ok()) {
          spdlog::error("hall {}: private data past its {} days not erased: {}",
                        hall_id, days, erased.status().ToString());
        } else if (*erased > 0) {
          spdlog::info(
              "hall {}: private data of {} business day(s) before {} erased "
              "(kept {} days): their keys destroyed, their rows deleted",
              hall_id, *erased, first_kept_day, days);
        }
      });
}

}  // namespace qcall
