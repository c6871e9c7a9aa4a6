// SpeechCache turns announcement sentences into WAV audio with espeak-ng,
// once per sentence: the boards of a hall ask for the same few sentences
// again and again, and no internet voice is needed. The synthesizer runs on a
// thread of its own, so it never holds up the HTTP side.
//
//   SpeechCache speech("espeak-ng", 256);
//   speech.Render(v1::LANGUAGE_ZH, "请 A012 号到 3 号窗口办理",
//                 [](absl::StatusOr<SpeechCache::Audio> wav) { ... });
#ifndef QCALL_DISPATCHER_SPEECH_H_
#define QCALL_DISPATCHER_SPEECH_H_

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

class SpeechCache {
 public:
  using Audio = std::shared_ptr<const std::string>;
  using Done = std::function<void(absl::StatusOr<Audio>)>;

  static constexpr size_t kMaxTextBytes = 200;
  static constexpr size_t kMaxPending = 32;

  // `program` is the espeak-ng binary (looked up in PATH); `capacity` the
  // sentences kept, least recently used dropped first.
  SpeechCache(std::string program, size_t capacity);
  ~SpeechCache();

  // Calls `done` (on the caller's thread when cached, else on the
  // synthesizer's) with the WAV bytes, INVALID_ARGUMENT for an empty or too
  // long text, RESOURCE_EXHAUSTED when too many wait, UNAVAILABLE when the
  // synthesizer cannot run.
  void Render(v1::Language language, std::string text, Done done);

  // How often the synthesizer ran.
  uint64_t renders() const;

 private:
  struct Entry {
    std::string key;
    Audio audio;
  };

  absl::StatusOr<std::string> Synthesize(v1::Language language,
                                         const std::string& text) const;

  const std::string program_;
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::list<Entry> recent_ ABSL_GUARDED_BY(mu_);  // Most recently used first.
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> by_key_
      ABSL_GUARDED_BY(mu_);
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t renders_ ABSL_GUARDED_BY(mu_) = 0;
  boost::asio::thread_pool worker_{1};
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SPEECH_H_
