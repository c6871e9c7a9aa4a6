#include "dispatcher/speech.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace qcall {
namespace {

// espeak-ng writes to a pipe without knowing the length, so its header says
// 0x7fffffff; browsers play a WAV with true sizes more reliably.
void FixWavSizes(std::string& wav) {
  if (wav.size() < 44 || wav.compare(0, 4, "RIFF") != 0 ||
      wav.compare(36, 4, "data") != 0) {
    return;
  }
  auto put32 = [&wav](size_t at, uint32_t value) {
    for (int i = 0; i < 4; ++i) wav[at + i] = static_cast<char>(value >> 8 * i);
  };
  put32(4, static_cast<uint32_t>(wav.size() - 8));
  put32(40, static_cast<uint32_t>(wav.size() - 44));
}

}  // namespace

SpeechCache::SpeechCache(std::string program, size_t capacity)
    : program_(std::move(program)), capacity_(capacity) {}

SpeechCache::~SpeechCache() { worker_.join(); }

void SpeechCache::Render(v1::Language language, std::string text, Done done) {
  if (text.empty() || text.size() > kMaxTextBytes) {
    done(absl::InvalidArgumentError(absl::StrCat(
        "text must be 1 to ", kMaxTextBytes, " bytes, got ", text.size())));
    return;
  }
  std::string key = absl::StrCat(static_cast<int>(language), ":", text);
  Audio cached;
  bool too_many = false;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = by_key_.find(key); it != by_key_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second);
      cached = it->second->audio;
    } else if (pending_ >= kMaxPending) {
      too_many = true;
    } else {
      ++pending_;
    }
  }
  // `done` runs outside the lock: it may ask for more speech.
  if (cached != nullptr) {
    done(std::move(cached));
    return;
  }
  if (too_many) {
    done(absl::ResourceExhaustedError("too many sentences wait for speech"));
    return;
  }
  boost::asio::post(
      worker_, [this, language, text = std::move(text), key = std::move(key),
                done = std::move(done)]() mutable {
        absl::StatusOr<std::string> wav;
        // A sentence asked twice while waiting is rendered once.
        Audio audio;
        {
          absl::MutexLock lock(&mu_);
          if (auto it = by_key_.find(key); it != by_key_.end()) {
            audio = it->second->audio;
          }
        }
        const bool render = audio == nullptr;
        if (render) wav = Synthesize(language, text);
        {
          absl::MutexLock lock(&mu_);
          --pending_;
          if (render && wav.ok()) {
            ++renders_;
            audio = std::make_shared<const std::string>(*std::move(wav));
            recent_.push_front({key, audio});
            by_key_[key] = recent_.begin();
            if (recent_.size() > capacity_) {
              by_key_.erase(recent_.back().key);
              recent_.pop_back();
            }
          }
        }
        if (audio != nullptr) {
          done(std::move(audio));
        } else {
          done(wav.status());
        }
      });
}

uint64_t SpeechCache::renders() const {
  absl::MutexLock lock(&mu_);
  return renders_;
}

absl::StatusOr<std::string> SpeechCache::Synthesize(
    v1::Language language, const std::string& text) const {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe: ", strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  const std::string voice = language == v1::LANGUAGE_EN ? "en-us" : "cmn";
  // The leading space keeps a text that starts with '-' from being read as
  // an option.
  const std::string words = " " + text;
  std::vector<char*> argv = {
      const_cast<char*>(program_.c_str()), const_cast<char*>("-v"),
      const_cast<char*>(voice.c_str()),    const_cast<char*>("--stdout"),
      const_cast<char*>(words.c_str()),    nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, program_.c_str(), &actions, nullptr,
                                   argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    return absl::UnavailableError(
        absl::StrCat("cannot run ", program_, ": ", strerror(spawned)));
  }
  std::string wav;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n > 0) {
      wav.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(out[0]);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0 ||
      wav.compare(0, 4, "RIFF") != 0) {
    return absl::UnavailableError(
        absl::StrCat(program_, " failed to speak the text"));
  }
  FixWavSizes(wav);
  return wav;
}

}  // namespace qcall
