#!/usr/bin/env bash
# The Debian package as an operator gets it: cpack builds it from the build
# folder; its file list, modes and dependencies are checked; it is unpacked
# into a temporary root (dpkg -x), its qcalld refuses a folder without a
# journal, makes one with --init-store (once: a second is refused), is
# started there with the packaged config and must answer /healthz 200 and
# serve the packaged pages; its journal folder is 0700 and its files 0600;
# where systemd-analyze exists both units are verified against that root.
#   tests/package/package_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/qcall-package-XXXXXX)
qcalld_pid=""
cleanup() {
  [ -n "${qcalld_pid}" ] && kill "${qcalld_pid}" 2>/dev/null && wait "${qcalld_pid}" 2>/dev/null
  rm -rf "${work}"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "${build}/CPackConfig.cmake")
[ -n "${version}" ] || fail "no CPACK_PACKAGE_VERSION in ${build}/CPackConfig.cmake"
cpack --config "${build}/CPackConfig.cmake" -G DEB -B "${work}/out" >"${work}/cpack.log" 2>&1 \
  || { cat "${work}/cpack.log"; fail "cpack failed"; }
deb=("${work}"/out/qcall_"${version}"_*.deb)
[ -f "${deb[0]}" ] || fail "cpack made no qcall_${version}_*.deb"
echo "package: $(basename "${deb[0]}")"

# --- What it holds: exactly these files, with these modes.
dpkg-deb --contents "${deb[0]}" | awk '$1 !~ /^d/ {print $1, $6}' | sed 's|^\(\S*\) \./|\1 /|' \
  | sort -k2 >"${work}/files"
expected=(
  "-rw------- /etc/qcall/halls.textproto"
  "-rw-r--r-- /etc/qcall/qcalld.env"
  "-rwxr-xr-x /usr/bin/qcall"
  "-rwxr-xr-x /usr/bin/qcalld"
  "-rw-r--r-- /usr/lib/systemd/system/qcalld.service"
  "-rw-r--r-- /usr/lib/systemd/system/qcalld-init-store.service"
  "-rw-r--r-- /usr/share/doc/qcall/README.md"
  "-rw-r--r-- /usr/share/doc/qcall/examples/halls.textproto"
  "-rw-r--r-- /usr/share/doc/qcall/http-api.md"
)
for page in board.html board.js counter.html dashboard.html kiosk.html qcall.js ticket.html; do
  expected+=("-rw-r--r-- /usr/share/qcall/web/${page}")
done
for line in "${expected[@]}"; do
  grep -qxF -e "${line}" "${work}/files" || fail "package lacks '${line}'; it holds:
$(cat "${work}/files")"
done
unexpected=$(grep -vE ' /usr/share/qcall/web/[a-z]+\.(html|js|css)$' "${work}/files" \
  | grep -vxF -f <(printf '%s\n' "${expected[@]}") || true)
[ -z "${unexpected}" ] || fail "package holds files nobody listed: ${unexpected}"

# --- Control: dependencies come from the libraries, conffiles are the config.
depends=$(dpkg-deb --field "${deb[0]}" Depends)
for needed in libgrpc++1.51 libprotobuf32 libsqlite3-0 libprometheus-cpp-core1.0 \
    libutf8proc2 espeak-ng tzdata; do
  grep -q "${needed}" <<<"${depends}" || fail "Depends lacks ${needed}: ${depends}"
done
dpkg-deb --ctrl-tarfile "${deb[0]}" | tar -xO ./conffiles >"${work}/conffiles"
printf '/etc/qcall/halls.textproto\n/etc/qcall/qcalld.env\n' | cmp -s - "${work}/conffiles" \
  || fail "conffiles: $(cat "${work}/conffiles")"

# --- Unpacked into a root of its own, it runs.
root="${work}/root"
dpkg -x "${deb[0]}" "${root}"
[ "$("${root}/usr/bin/qcalld" --version)" = "qcalld ${version}" ] || fail "qcalld --version"
[ "$("${root}/usr/bin/qcall" --version)" = "qcall ${version}" ] || fail "qcall --version"
state="${work}/var/lib/qcall"
# As the unit qcalld-init-store.service runs it, and as postinst starts that
# on a first install: the packaged qcalld refuses a folder with no journal,
# and makes one once.
if "${root}/usr/bin/qcalld" --config "${root}/etc/qcall/halls.textproto" --data "${state}" \
    --listen 127.0.0.1:0 >"${work}/refused.log" 2>&1; then
  fail "qcalld started without a journal"
fi
grep -qF -- "--init-store" "${work}/refused.log" || fail "no --init-store hint: $(cat "${work}/refused.log")"
[ ! -e "${state}" ] || fail "a refused start made ${state}"
dpkg-deb --ctrl-tarfile "${deb[0]}" | tar -xO ./postinst >"${work}/postinst"
grep -qxF 'ExecStart=/usr/bin/qcalld --data /var/lib/qcall --init-store' \
  "${root}/usr/lib/systemd/system/qcalld-init-store.service" || fail "qcalld-init-store.service"
grep -qF 'systemctl start qcalld-init-store.service' "${work}/postinst" || fail "postinst does not make the journal"
"${root}/usr/bin/qcalld" --data "${state}" --init-store >"${work}/init.log" 2>&1 \
  || fail "qcalld --init-store: $(cat "${work}/init.log")"
if "${root}/usr/bin/qcalld" --data "${state}" --init-store >>"${work}/init.log" 2>&1; then
  fail "a second --init-store was not refused"
fi
"${root}/usr/bin/qcalld" --config "${root}/etc/qcall/halls.textproto" --data "${state}" \
  --listen 127.0.0.1:0 --http 127.0.0.1:0 --port-file "${work}/ports" >"${work}/qcalld.log" 2>&1 &
qcalld_pid=$!
for _ in $(seq 100); do
  [ -f "${work}/ports" ] && break
  kill -0 "${qcalld_pid}" 2>/dev/null || { cat "${work}/qcalld.log"; fail "qcalld exited"; }
  sleep 0.1
done
[ -f "${work}/ports" ] || fail "qcalld did not start in 10 s"
http_port=$(sed -n 2p "${work}/ports")
health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${http_port}/healthz")
[ "${health}" = 200 ] || fail "/healthz answered ${health}"
grep -qF "web pages from ${root}/usr/share/qcall/web" "${work}/qcalld.log" \
  || fail "qcalld does not serve the packaged pages: $(cat "${work}/qcalld.log")"
board=$(curl -s -w '%{http_code}' -o "${work}/board.html" \
  "http://127.0.0.1:${http_port}/board?hall=example-hall")
[ "${board}" = 200 ] && cmp -s "${work}/board.html" "${root}/usr/share/qcall/web/board.html" \
  || fail "/board answered ${board}, not the packaged board.html"
# The packaged config has no tokens: nobody may use the hall until the
# operator adds some.
denied=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
  -H 'authorization: Bearer demo-kiosk-token' \
  -d '{"hallId":"example-hall","serviceCode":"BILL"}' \
  "http://127.0.0.1:${http_port}/qcall.v1.Kiosk/IssueTicket")
[ "${denied}" = 401 ] || fail "IssueTicket with a demo token answered ${denied}, not 401"
[ "$(stat -c %a "${state}")" = 700 ] || fail "journal folder mode $(stat -c %a "${state}")"
for f in "${state}"/*; do
  [ "$(stat -c %a "${f}")" = 600 ] || fail "$(basename "${f}") mode $(stat -c %a "${f}")"
done
kill "${qcalld_pid}"
wait "${qcalld_pid}" || fail "qcalld did not stop cleanly on SIGTERM"
qcalld_pid=""

# --- As the operator is told to run it: a token made by the packaged qcall
# and stored as its hash, TLS from /etc/qcall/tls handed over as systemd
# credentials (relative --tls-cert/--tls-key in $CREDENTIALS_DIRECTORY).
[ "$(stat -c %a "${root}/etc/qcall/tls")" = 700 ] \
  || fail "/etc/qcall/tls mode $(stat -c %a "${root}/etc/qcall/tls")"
"${root}/usr/bin/qcall" admin hash-token --new >"${work}/token" || fail "qcall admin hash-token --new"
token=$(sed -n 1p "${work}/token")
cp "${root}/etc/qcall/halls.textproto" "${work}/halls.textproto"
echo "tokens { $(sed -n 2p "${work}/token") role: ROLE_KIOSK halls: \"example-hall\" name: \"kiosk 1\" }" \
  >>"${work}/halls.textproto"
(cd "${work}" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
   -keyout ca.key -out ca.pem -subj '/CN=package test CA' \
 && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
   -out server.csr -subj '/CN=localhost' \
 && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext \
 && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
   -extfile server.ext -out server.pem) >"${work}/openssl.log" 2>&1 \
  || fail "openssl: $(cat "${work}/openssl.log")"
credentials="${work}/credentials"
mkdir -m 700 "${credentials}"
cp "${work}/server.pem" "${credentials}/tls_cert.pem"
cp "${work}/server.key" "${credentials}/tls_key.pem"
rm -f "${work}/ports"
CREDENTIALS_DIRECTORY="${credentials}" "${root}/usr/bin/qcalld" --config "${work}/halls.textproto" \
  --data "${state}" --listen 127.0.0.1:0 --http 127.0.0.1:0 --port-file "${work}/ports" \
  --tls-cert tls_cert.pem --tls-key tls_key.pem >"${work}/qcalld-tls.log" 2>&1 &
qcalld_pid=$!
for _ in $(seq 100); do
  [ -f "${work}/ports" ] && break
  kill -0 "${qcalld_pid}" 2>/dev/null || { cat "${work}/qcalld-tls.log"; fail "qcalld with TLS exited"; }
  sleep 0.1
done
[ -f "${work}/ports" ] || fail "qcalld with TLS did not start in 10 s"
grpc_port=$(sed -n 1p "${work}/ports")
http_port=$(sed -n 2p "${work}/ports")
! grep -q "plain text" "${work}/qcalld-tls.log" \
  || fail "qcalld warns about a plain-text token: $(cat "${work}/qcalld-tls.log")"
health=$(curl -s --cacert "${work}/ca.pem" -o /dev/null -w '%{http_code}' \
  "https://localhost:${http_port}/healthz")
[ "${health}" = 200 ] || fail "https /healthz answered ${health}"
plain=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${http_port}/healthz" || true)
[ "${plain}" = 000 ] || fail "plain http /healthz answered ${plain} on the TLS port"
issued=$("${root}/usr/bin/qcall" --server "localhost:${grpc_port}" --tls-ca "${work}/ca.pem" \
  --hall example-hall --token "${token}" kiosk issue BILL) || fail "qcall kiosk issue over TLS: ${issued}"
grep -q '^A001 ' <<<"${issued}" || fail "qcall kiosk issue printed ${issued}"
kill "${qcalld_pid}"
wait "${qcalld_pid}" || fail "qcalld with TLS did not stop cleanly on SIGTERM"
qcalld_pid=""
echo "hashed token over TLS, from credentials: ok"

# --- The unit, checked by systemd against the unpacked root (with the
# host's own units for the targets it names).
if command -v systemd-analyze >/dev/null && [ -d /usr/lib/systemd/system ]; then
  mkdir -p "${root}/tmp"
  cp -an /usr/lib/systemd/system/. "${root}/usr/lib/systemd/system/"
  if ! out=$(systemd-analyze verify --man=no --root="${root}" \
      /usr/lib/systemd/system/qcalld.service \
      /usr/lib/systemd/system/qcalld-init-store.service 2>&1) || [ -n "${out}" ]; then
    fail "systemd-analyze verify: ${out}"
  fi
  echo "systemd-analyze verify (both units): clean"
else
  echo "systemd-analyze not here: unit not verified"
fi
