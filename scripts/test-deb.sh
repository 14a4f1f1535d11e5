#!/usr/bin/env bash
# The Debian package, installed for real: builds it (cargo deb -p server, release profile), installs it with
# dpkg -i, runs /usr/bin/hepscope --version, starts it with the packaged config as the hepscope user (there is
# no systemd PID 1 here, so through setpriv with the unit's user), checks /healthz and the data dir, verifies the
# unit with systemd-analyze, then purges the package. Needs root. Ends with "deb: N passed, N failed".
# The release build is the slow part. `scripts/test-deb.sh FILE.deb` tests an already built package instead.
set -uo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"
passed=0
failed=0
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
check() { # check NAME COMMAND...: runs the command, counts it
  if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
finish() { echo; echo "deb: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then exec sudo --preserve-env=CARGO_TARGET_DIR,DEB_PROFILE,PATH,RUSTUP_HOME,CARGO_HOME "$0" "$@"; fi
  echo "test-deb.sh needs root (dpkg -i)"; failed=1; finish
fi
command -v cargo-deb >/dev/null || { say "cargo install cargo-deb"; nice -n 19 cargo install --locked cargo-deb; }
command -v systemd-analyze >/dev/null || { say "apt-get install systemd"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd; }

if [ -n "${1:-}" ]; then
  deb="$1"
else
  # DEB_PROFILE=dev packages the debug binary scripts/test.sh has just built (about a minute) instead of a
  # release build (about 25 minutes on the shared 2-core machine); cargo-deb warns that dev is unusual.
  profile="${DEB_PROFILE:-release}"
  say "cargo deb -p server (profile $profile)"
  started=$(date +%s)
  if [ "$profile" = release ]; then
    nice -n 19 cargo deb -p server --locked
  else
    nice -n 19 cargo build -p server --bin hepscope --locked --profile "$profile" &&
      nice -n 19 cargo deb -p server --locked --profile "$profile" --no-build
  fi
  if [ $? -ne 0 ]; then
    failed=$((failed + 1)); echo "FAILED: cargo deb"; finish
  fi
  echo "package built in $(( $(date +%s) - started )) s"
  version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
  deb="$TARGET_DIR/debian/hepscope_${version}_amd64.deb"
fi
ls -l "$deb"
check "package name" test -f "$deb"

work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  dpkg --purge hepscope >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

say "dpkg -i $(basename "$deb")"
check "dpkg -i" dpkg -i "$deb"
check "conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" hepscope | grep -q /etc/hepscope/hepscope.toml'
check "--version" sh -c '/usr/bin/hepscope --version | grep -Eq "^hepscope [0-9.]+ \(commit [0-9a-f]+|unknown\)"'
check "hepscope system user" sh -c 'getent passwd hepscope | grep -q ":/var/lib/hepscope:/usr/sbin/nologin$"'
check "data dir 0700 hepscope" sh -c '[ "$(stat -c "%a %U" /var/lib/hepscope)" = "700 hepscope" ]'
check "unit installed" test -f /lib/systemd/system/hepscope.service
check "systemd-analyze verify" systemd-analyze verify /lib/systemd/system/hepscope.service

say "start as the hepscope user with the packaged config"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hep_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd /var/lib/hepscope && exec setpriv --reuid=hepscope --regid=hepscope --init-groups --no-new-privs \
  env -i PATH=/usr/bin:/bin HEPSCOPE_LISTEN="127.0.0.1:$port" HEPSCOPE_HEP_LISTEN="127.0.0.1:$hep_port" \
  /usr/bin/hepscope --config /etc/hepscope/hepscope.toml serve >"$work/out.log" 2>&1) &
pid=$!
up=false
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >"$work/health.json" 2>/dev/null; then up=true; break; fi
  sleep 0.1
done
check "/healthz" $up
check "/readyz" curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz"
check "embedded UI" sh -c "curl -fsS http://127.0.0.1:$port/ | grep -q '<html'"
check "admin password file" sh -c '[ "$(stat -c "%a %U" /var/lib/hepscope/admin-password)" = "600 hepscope" ]'
check "password location logged" grep -q "/var/lib/hepscope/admin-password" "$work/out.log"
check "store in the data dir" test -f /var/lib/hepscope/store/hepscope.sqlite
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
check "SIGTERM exits 0" test "$rc" -eq 0
cat "$work/out.log" | tail -5

say "dpkg --purge hepscope"
check "dpkg -r" dpkg -r hepscope
check "config kept after remove" test -f /etc/hepscope/hepscope.toml
check "dpkg --purge" dpkg --purge hepscope
check "purged" sh -c '! test -e /var/lib/hepscope && ! getent passwd hepscope && ! test -e /etc/hepscope/hepscope.toml'
finish
