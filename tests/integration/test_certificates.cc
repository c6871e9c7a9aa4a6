#include "tests/integration/test_certificates.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qcall::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TestCertificates::TestCertificates() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
      "/qcall-tls-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = pattern;
  std::ofstream(dir_ + "/server.ext")
      << "subjectAltName = DNS:localhost, IP:127.0.0.1\n"
         "basicConstraints = critical, CA:FALSE\n"
         "keyUsage = critical, digitalSignature\n"
         "extendedKeyUsage = serverAuth\n";
  // P-256 keys: quick to make, and what a hall would use.
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  const std::string ca_extensions =
      " -addext 'basicConstraints = critical, CA:TRUE'"
      " -addext 'keyUsage = critical, keyCertSign, cRLSign'";
  const std::string script =
      "cd '" + dir_ + "' && " + "openssl req -x509 " + key +
      " -keyout ca.key -out ca.pem -days 2 " + "-subj '/CN=qcall test CA'" +
      ca_extensions + " && " + "openssl req -x509 " + key +
      " -keyout other-ca.key -out other-ca.pem -days 2 " +
      "-subj '/CN=qcall other CA'" + ca_extensions + " && " + "openssl req " +
      key + " -keyout server.key -out server.csr -subj '/CN=localhost' && " +
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -out server.pem -days 2 -extfile server.ext";
  const int status = std::system(
      ("(" + script + ") >'" + dir_ + "/openssl.log' 2>&1").c_str());
  if (status != 0) {
    error_ = "openssl failed (" + std::to_string(status) +
             "): " + ReadAll(dir_ + "/openssl.log");
  }
}

TestCertificates::~TestCertificates() {
  if (dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<std::string> TestCertificates::QcalldArgs() const {
  return {"--tls-cert", cert_path(), "--tls-key", key_path()};
}

std::shared_ptr<grpc::ChannelCredentials> TestCertificates::ChannelCredentials(
    bool other_ca) const {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadAll(other_ca ? other_ca_path() : ca_path());
  return grpc::SslCredentials(options);
}

}  // namespace qcall::testing
