#include "clients/escpos/ticket_printout.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/escpos/charset.h"

namespace qcall {
namespace {

constexpr char kEsc = 0x1B;
constexpr char kFs = 0x1C;
constexpr char kGs = 0x1D;
constexpr char kLf = 0x0A;

// GS ! n: the high nibble is the width factor - 1, the low one the height's.
constexpr char kNormalSize = 0x00;
constexpr char kNumberSize = 0x33;  // 4x: readable from across the hall.

// QR codes, model 2 with error correction M. A 6-dot module (0.75 mm at 203
// dpi) scans easily from a phone; the largest symbol that then fits the 576
// dots of an 80 mm printer is version 19, 93 modules: 624 bytes.
constexpr char kQrModuleDots = 6;
constexpr size_t kQrMaxBytes = 624;

struct Labels {
  std::string people_ahead;
  std::string estimated_wait;
  std::string issued;
  std::string scan_hint;
};

Labels LabelsFor(const TicketPrintout& t) {
  const std::string time =
      absl::FormatTime("%Y-%m-%d %H:%M", t.issued_at, t.zone);
  const int64_t seconds = t.estimated_wait_seconds;
  const bool under_a_minute = seconds < 60;
  const int64_t minutes = seconds / 60 + (seconds % 60 != 0 ? 1 : 0);
  if (t.language == v1::LANGUAGE_EN) {
    return {
        .people_ahead = t.people_ahead == 1
                            ? "1 person ahead"
                            : absl::StrCat(t.people_ahead, " people ahead"),
        .estimated_wait =
            under_a_minute
                ? "Estimated wait: less than a minute"
                : absl::StrCat("Estimated wait: about ", minutes, " min"),
        .issued = absl::StrCat("Issued ", time),
        .scan_hint = "Scan to follow your ticket",
    };
  }
  return {
      .people_ahead = absl::StrCat("前面还有 ", t.people_ahead, " 人"),
      .estimated_wait = under_a_minute
                            ? "预计等待 不到1分钟"
                            : absl::StrCat("预计等待 约 ", minutes, " 分钟"),
      .issued = absl::StrCat("取号时间 ", time),
      .scan_hint = "扫码查看叫号进度",
  };
}

bool IsAscii(absl::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

class EscPos {
 public:
  explicit EscPos(bool chinese) : chinese_(chinese) {}

  void Bytes(std::initializer_list<char> bytes) { out_.append(bytes); }

  // One line of text in the current alignment and size.
  void Line(absl::string_view utf8) {
    std::string text(utf8);
    for (char& c : text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    }
    out_.append(chinese_ ? Utf8ToGb18030(text) : text);
    out_.push_back(kLf);
  }

  void Size(char n) { Bytes({kGs, '!', n}); }

  // GS ( k for the QR code (cn = '1'): pL pH count cn, fn and the parameters.
  void QrFunction(char fn, absl::string_view parameters) {
    const size_t length = parameters.size() + 2;
    Bytes({kGs, '(', 'k', static_cast<char>(length & 0xFF),
           static_cast<char>(length >> 8), '1', fn});
    out_.append(parameters.data(), parameters.size());
  }

  std::string Take() { return std::move(out_); }

 private:
  const bool chinese_;
  std::string out_;
};

}  // namespace

std::string RenderEscPos(const TicketPrintout& t) {
  const Labels labels = LabelsFor(t);
  const bool print_qr =
      !t.status_url.empty() && t.status_url.size() <= kQrMaxBytes;
  const bool chinese =
      !IsAscii(t.hall_name) || !IsAscii(t.number) || !IsAscii(t.service_name) ||
      !IsAscii(labels.people_ahead) || !IsAscii(labels.estimated_wait) ||
      !IsAscii(labels.issued) || (print_qr && !IsAscii(labels.scan_hint));

  EscPos p(chinese);
  p.Bytes({kEsc, '@'});
  if (chinese) p.Bytes({kFs, '&'});
  p.Bytes({kEsc, 'a', 1});  // Centred.
  p.Line(t.hall_name);
  p.Line("");
  p.Size(kNumberSize);
  p.Line(t.number);
  p.Size(kNormalSize);
  p.Line(t.service_name);
  p.Line("");
  p.Line(labels.people_ahead);
  p.Line(labels.estimated_wait);
  p.Line(labels.issued);
  if (print_qr) {
    p.Line("");
    p.QrFunction('A', {"2\0", 2});  // Model 2.
    p.QrFunction('C', {&kQrModuleDots, 1});
    p.QrFunction('E', "1");  // Error correction M (15 %).
    p.QrFunction('P', absl::StrCat("0", t.status_url));  // Store the data.
    p.QrFunction('Q', "0");                              // Print it.
    // Epson prints the symbol at once; some compatibles only at the next LF.
    p.Line("");
    p.Line(labels.scan_hint);
  }
  p.Line("");
  // Back to single-byte mode for whatever prints next.
  if (chinese) p.Bytes({kFs, '.'});
  p.Bytes({kGs, 'V', 66, 0});  // Feed to the cutter, cut partially.
  return p.Take();
}

absl::Status WriteEscPos(const std::string& bytes, const std::string& path) {
  const auto error = [&path](absl::string_view what) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("cannot ", what, " ESC/POS output ", path));
  };
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return error("open");
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A printer that takes no bytes without an error is stuck, not slow.
      if (n == 0) errno = EIO;
      absl::Status status = error("write");
      close(fd);
      return status;
    }
    written += n;
  }
  // A full disk or an unplugged printer may only show when the data leaves.
  if (close(fd) != 0) return error("close");
  return absl::OkStatus();
}

}  // namespace qcall
