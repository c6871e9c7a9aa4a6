// SpeechCache with the real espeak-ng (scripts/install-deps installs it), and
// with small stand-in programs for a synthesizer that is missing, fails or
// hangs.
#include "dispatcher/speech.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qcall {
namespace {

using Answer = absl::StatusOr<SpeechCache::Audio>;

constexpr auto kAnswerTimeout = std::chrono::seconds(20);

// Asks for `text` and waits for the answer, which may come on any thread.
Answer RenderAndWait(SpeechCache& speech, v1::Language language,
                     std::string text) {
  auto done = std::make_shared<std::promise<Answer>>();
  std::future<Answer> answer = done->get_future();
  speech.Render(language, std::move(text),
                [done](Answer audio) { done->set_value(std::move(audio)); });
  if (answer.wait_for(kAnswerTimeout) != std::future_status::ready) {
    return absl::DeadlineExceededError("no answer within 20 s");
  }
  return answer.get();
}

uint32_t Le32(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) {
    value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  }
  return value;
}

::testing::AssertionResult IsWavWithTrueSizes(const Answer& answer) {
  if (!answer.ok()) {
    return ::testing::AssertionFailure() << answer.status().ToString();
  }
  const std::string& wav = **answer;
  if (wav.size() <= 44) {
    return ::testing::AssertionFailure() << "only " << wav.size() << " bytes";
  }
  if (wav.compare(0, 4, "RIFF") != 0 || wav.compare(8, 4, "WAVE") != 0 ||
      wav.compare(36, 4, "data") != 0) {
    return ::testing::AssertionFailure() << "no RIFF/WAVE header";
  }
  if (Le32(wav, 4) != wav.size() - 8) {
    return ::testing::AssertionFailure()
           << "RIFF size " << Le32(wav, 4) << ", want " << wav.size() - 8;
  }
  if (Le32(wav, 40) != wav.size() - 44) {
    return ::testing::AssertionFailure()
           << "data size " << Le32(wav, 40) << ", want " << wav.size() - 44;
  }
  return ::testing::AssertionSuccess();
}

// A folder for stand-in synthesizers, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "speech-test-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  // Writes an executable shell script and returns its path.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
    chmod(file.c_str(), 0755);
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SpeechCacheTest, RendersAWavWithItsTrueSizes) {
  SpeechCache speech("espeak-ng", 4);
  EXPECT_TRUE(IsWavWithTrueSizes(
      RenderAndWait(speech, v1::LANGUAGE_ZH, "请 A0012 号到 3 号窗口办理")));
  EXPECT_TRUE(IsWavWithTrueSizes(
      RenderAndWait(speech, v1::LANGUAGE_EN, "Number A0012, window 3")));
  EXPECT_EQ(speech.renders(), 2u);
}

TEST(SpeechCacheTest, TheSameSentenceIsRenderedOnce) {
  SpeechCache speech("espeak-ng", 4);
  Answer first =
      RenderAndWait(speech, v1::LANGUAGE_ZH, "请 A0001 号到 1 号窗口");
  ASSERT_TRUE(first.ok()) << first.status();
  // Cached: answered at once, on the caller's thread, with the same bytes.
  bool answered = false;
  SpeechCache::Audio second;
  speech.Render(v1::LANGUAGE_ZH, "请 A0001 号到 1 号窗口", [&](Answer audio) {
    answered = true;
    ASSERT_TRUE(audio.ok()) << audio.status();
    second = *audio;
  });
  EXPECT_TRUE(answered);
  EXPECT_EQ(second.get(), first->get());
  EXPECT_EQ(speech.renders(), 1u);
}

TEST(SpeechCacheTest, ASentenceAskedTwiceWhileWaitingIsRenderedOnce) {
  SpeechCache speech("espeak-ng", 4);
  auto a = std::make_shared<std::promise<Answer>>();
  auto b = std::make_shared<std::promise<Answer>>();
  std::future<Answer> a_done = a->get_future();
  std::future<Answer> b_done = b->get_future();
  speech.Render(v1::LANGUAGE_EN, "Number B0007, window 2",
                [a](Answer audio) { a->set_value(std::move(audio)); });
  speech.Render(v1::LANGUAGE_EN, "Number B0007, window 2",
                [b](Answer audio) { b->set_value(std::move(audio)); });
  ASSERT_EQ(a_done.wait_for(kAnswerTimeout), std::future_status::ready);
  ASSERT_EQ(b_done.wait_for(kAnswerTimeout), std::future_status::ready);
  Answer first = a_done.get();
  Answer second = b_done.get();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(speech.renders(), 1u);
}

TEST(SpeechCacheTest, TheLanguageIsPartOfTheKey) {
  SpeechCache speech("espeak-ng", 4);
  Answer zh = RenderAndWait(speech, v1::LANGUAGE_ZH, "A0001");
  Answer en = RenderAndWait(speech, v1::LANGUAGE_EN, "A0001");
  ASSERT_TRUE(zh.ok()) << zh.status();
  ASSERT_TRUE(en.ok()) << en.status();
  EXPECT_EQ(speech.renders(), 2u);
  EXPECT_NE(**zh, **en) << "Mandarin and English voices sound different";
  EXPECT_TRUE(RenderAndWait(speech, v1::LANGUAGE_ZH, "A0001").ok());
  EXPECT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0001").ok());
  EXPECT_EQ(speech.renders(), 2u);
}

TEST(SpeechCacheTest, TextLengthIsLimited) {
  SpeechCache speech("espeak-ng", 4);
  EXPECT_EQ(RenderAndWait(speech, v1::LANGUAGE_EN, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderAndWait(speech, v1::LANGUAGE_EN,
                          std::string(SpeechCache::kMaxTextBytes + 1, 'a'))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(speech.renders(), 0u);
  // Exactly the limit is spoken.
  std::string longest;
  while (longest.size() < SpeechCache::kMaxTextBytes) longest += "ten ";
  longest.resize(SpeechCache::kMaxTextBytes);
  EXPECT_TRUE(
      IsWavWithTrueSizes(RenderAndWait(speech, v1::LANGUAGE_EN, longest)));
}

TEST(SpeechCacheTest, TextThatLooksLikeAnOptionIsSpoken) {
  SpeechCache speech("espeak-ng", 4);
  EXPECT_TRUE(
      IsWavWithTrueSizes(RenderAndWait(speech, v1::LANGUAGE_EN, "--help")));
  EXPECT_TRUE(IsWavWithTrueSizes(RenderAndWait(speech, v1::LANGUAGE_EN, "-v")));
}

TEST(SpeechCacheTest, MissingProgramIsUnavailable) {
  SpeechCache speech("/nonexistent/espeak-ng", 4);
  Answer answer = RenderAndWait(speech, v1::LANGUAGE_ZH, "请 A0001 号");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(answer.status().message().empty());
  EXPECT_EQ(speech.renders(), 0u);
}

TEST(SpeechCacheTest, ProgramWithoutWavIsUnavailableAndNotCached) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  // Succeeds, but says no WAV.
  SpeechCache silent(dir.Script("silent", "echo not a wav"), 4);
  EXPECT_EQ(RenderAndWait(silent, v1::LANGUAGE_EN, "A0001").status().code(),
            absl::StatusCode::kUnavailable);
  // A WAV, but the program fails.
  SpeechCache failing(
      dir.Script("failing", "espeak-ng -v en-us --stdout hello; exit 3"), 4);
  EXPECT_EQ(RenderAndWait(failing, v1::LANGUAGE_EN, "A0001").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(RenderAndWait(failing, v1::LANGUAGE_EN, "A0001").status().code(),
            absl::StatusCode::kUnavailable)
      << "a failure is not cached";
  EXPECT_EQ(failing.renders(), 0u);
}

TEST(SpeechCacheTest, LeastRecentlyUsedSentenceIsDropped) {
  {
    SpeechCache speech("espeak-ng", 1);
    ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0001").ok());
    ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0002").ok());
    ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0001").ok());
    EXPECT_EQ(speech.renders(), 3u) << "capacity 1 keeps only the latest";
  }
  SpeechCache speech("espeak-ng", 2);
  ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0001").ok());
  ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0002").ok());
  ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0001").ok());  // Hit.
  EXPECT_EQ(speech.renders(), 2u);
  // A0002 is now the least recently used, so A0003 drops it, not A0001.
  ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0003").ok());
  EXPECT_EQ(speech.renders(), 3u);
  ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0001").ok());
  EXPECT_EQ(speech.renders(), 3u);
  ASSERT_TRUE(RenderAndWait(speech, v1::LANGUAGE_EN, "A0002").ok());
  EXPECT_EQ(speech.renders(), 4u);
}

TEST(SpeechCacheTest, TooManyWaitingSentencesAreRefused) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  // Holds the synthesizer until the test lets it go, then fails.
  const std::string go = dir.path() + "/go";
  SpeechCache speech(dir.Script("stuck", "while [ ! -e '" + go +
                                             "' ]; do sleep 0.01; done\n"
                                             "exit 1"),
                     256);
  // Goes before `speech`, whose destructor waits for the synthesizer, also
  // when an assertion ends the test early.
  struct LetGo {
    void Now() const { std::ofstream(file) << ""; }
    ~LetGo() { Now(); }
    std::string file;
  } let_go{go};
  std::vector<std::future<Answer>> waiting;
  for (size_t i = 0; i < SpeechCache::kMaxPending; ++i) {
    auto done = std::make_shared<std::promise<Answer>>();
    waiting.push_back(done->get_future());
    speech.Render(v1::LANGUAGE_EN, "sentence " + std::to_string(i),
                  [done](Answer audio) { done->set_value(std::move(audio)); });
  }
  // Refused at once, without waiting for the synthesizer.
  bool refused = false;
  speech.Render(v1::LANGUAGE_EN, "one too many", [&](Answer audio) {
    refused = audio.status().code() == absl::StatusCode::kResourceExhausted;
  });
  EXPECT_TRUE(refused);
  for (const auto& answer : waiting) {
    EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(0)),
              std::future_status::timeout);
  }
  let_go.Now();
  for (auto& answer : waiting) {
    ASSERT_EQ(answer.wait_for(kAnswerTimeout), std::future_status::ready);
    EXPECT_EQ(answer.get().status().code(), absl::StatusCode::kUnavailable);
  }
  // The queue is empty again.
  EXPECT_EQ(RenderAndWait(speech, v1::LANGUAGE_EN, "again").status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace qcall
