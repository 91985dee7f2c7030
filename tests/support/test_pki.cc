#include "support/test_pki.h"

#include <string>
#include <vector>

#include "core/bytes.h"
#include "support/run_command.h"

namespace wasmcloud::testing {
namespace {

Status Run(const std::vector<std::string>& argv) {
  auto r = RunCommand(argv);
  if (r.exit_code != 0) {
    return Internal(argv[0] + " " + argv[1] + " failed (" + std::to_string(r.exit_code) +
                    "): " + r.err);
  }
  return Status::Ok();
}

// A key and a certificate for `subject` signed by the CA, with the extensions `ext`.
Status Issue(const std::string& dir, const std::string& name, const std::string& subject,
             const std::string& ext, const std::string& ca_cert, const std::string& ca_key) {
  const std::string key = dir + "/" + name + ".key";
  const std::string csr = dir + "/" + name + ".csr";
  const std::string ext_file = dir + "/" + name + ".ext";
  WC_RETURN_IF_ERROR(
      Run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", key, "-out", csr, "-subj", subject}));
  WC_RETURN_IF_ERROR(WriteFile(ext_file, AsBytes(ext), 0644));
  return Run({"openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
              "-CAcreateserial", "-out", dir + "/" + name + ".crt", "-days", "2", "-extfile",
              ext_file});
}

}  // namespace

Result<TestPki> MakeTestPki(const std::string& dir) {
  TestPki pki{dir + "/ca.crt", dir + "/server.crt", dir + "/server.key", dir + "/client.crt",
              dir + "/client.key"};
  const std::string ca_key = dir + "/ca.key";
  WC_RETURN_IF_ERROR(Run({"openssl",
                          "req",
                          "-x509",
                          "-newkey",
                          "ec",
                          "-pkeyopt",
                          "ec_paramgen_curve:prime256v1",
                          "-nodes",
                          "-keyout",
                          ca_key,
                          "-out",
                          pki.ca_cert,
                          "-days",
                          "2",
                          "-subj",
                          "/CN=wasmcloud test CA",
                          "-addext",
                          "basicConstraints=critical,CA:TRUE",
                          "-addext",
                          "keyUsage=critical,keyCertSign,cRLSign"}));
  WC_RETURN_IF_ERROR(Issue(dir, "server", "/CN=127.0.0.1",
                           "basicConstraints=CA:FALSE\n"
                           "keyUsage=digitalSignature\n"
                           "extendedKeyUsage=serverAuth\n"
                           "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
                           pki.ca_cert, ca_key));
  WC_RETURN_IF_ERROR(Issue(dir, "client", "/CN=wasmcloud test client",
                           "basicConstraints=CA:FALSE\n"
                           "keyUsage=digitalSignature\n"
                           "extendedKeyUsage=clientAuth\n",
                           pki.ca_cert, ca_key));
  return pki;
}

}  // namespace wasmcloud::testing
