// TestCertificates makes, with the openssl command, a throwaway CA and a
// server certificate it signed for localhost and 127.0.0.1 (subject
// alternative names), plus a second CA that signed nothing, in a temp folder
// removed at the end.
//
//   TestCertificates certificates;
//   ASSERT_TRUE(certificates.ok()) << certificates.error();
//   QcalldProcess server({.config_text = TestConfig(),
//                         .extra_args = certificates.QcalldArgs()});
//   auto channel = grpc::CreateChannel(
//       "localhost:" + std::to_string(server.port()),
//       certificates.ChannelCredentials());
#ifndef QCALL_TESTS_INTEGRATION_TEST_CERTIFICATES_H_
#define QCALL_TESTS_INTEGRATION_TEST_CERTIFICATES_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

namespace qcall::testing {

class TestCertificates {
 public:
  TestCertificates();
  ~TestCertificates();
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  bool ok() const { return error_.empty(); }
  // What failed, with openssl's output.
  const std::string& error() const { return error_; }

  std::string ca_path() const { return dir_ + "/ca.pem"; }
  std::string other_ca_path() const { return dir_ + "/other-ca.pem"; }
  std::string cert_path() const { return dir_ + "/server.pem"; }
  std::string key_path() const { return dir_ + "/server.key"; }
  // --tls-cert and --tls-key for qcalld.
  std::vector<std::string> QcalldArgs() const;
  // TLS trusting ca_path() (or other_ca_path()).
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(
      bool other_ca = false) const;

 private:
  std::string dir_;
  std::string error_;
};

}  // namespace qcall::testing

#endif  // QCALL_TESTS_INTEGRATION_TEST_CERTIFICATES_H_
