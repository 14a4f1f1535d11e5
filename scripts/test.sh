#!/usr/bin/env bash
# README command 2: install what is missing, then run every test: cargo (whole workspace), the WASM
# build, and Playwright in Debian's Chromium against the real server. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export PATH="$PWD/e2e/node_modules/.bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"
LOG_DIR="$TARGET_DIR/test-logs"
mkdir -p "$LOG_DIR"

passed=0
failed=0
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. Rust: every crate's unit and integration tests (the LDAP ones start their own slapd, the OIDC ones
# e2e/oidc/provider.mjs in node). Counts come from cargo's "test result:" lines.
say "cargo test --workspace"
cargo test --workspace --no-fail-fast 2>&1 | tee "$LOG_DIR/cargo-test.log"
cargo_rc=${PIPESTATUS[0]}
read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p+0, f+0 }' "$LOG_DIR/cargo-test.log")
if [ "$cargo_rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "cargo test failed before running tests (see above)"; fi
passed=$((passed + p)); failed=$((failed + f))
# The integration tests' data (server/tests/it/common/app.rs `temp_dir`); kept on failure for a look.
[ "$f" -eq 0 ] && rm -rf "${TMPDIR:-/tmp}/hepscope-tests"

# 2. The WASM build (debug: faster, and what the browser tests load) and the server binary.
say "trunk build"
if trunk build 2>&1 | tee "$LOG_DIR/trunk.log" | tail -3 && [ "${PIPESTATUS[0]}" -eq 0 ]; then
  passed=$((passed + 1))
else
  echo "trunk build failed"; failed=$((failed + 1))
fi
say "cargo build -p server --bin hepscope"
cargo build -p server --bin hepscope 2>&1 | tail -1

# 3. Playwright in Debian's Chromium against target/debug/hepscope serving dist/ (plus, for sso.spec.ts, the
# OpenID provider and a second hepscope with [auth.oidc]: playwright.config.ts starts all three).
if [ -f dist/index.html ]; then
  say "playwright test"
  rm -f e2e/test-results/results.json
  (cd e2e && CI=true SERVER_BIN="$TARGET_DIR/debug/hepscope" npx playwright test)
  pw_rc=$?
  if [ -f e2e/test-results/results.json ]; then
    read -r p f < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stats"]; print(s.get("expected",0)+s.get("flaky",0), s.get("unexpected",0))' e2e/test-results/results.json)
  else
    p=0; f=1
  fi
  if [ "$pw_rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
else
  echo "no dist/index.html: Playwright skipped"; failed=$((failed + 1))
fi

# 4. The Debian package, installed with dpkg and started as its system user (root or sudo). It packages the
# debug binary built above: a release build would add about 25 minutes (scripts/release.sh --deb makes that one).
say "scripts/test-deb.sh"
DEB_PROFILE="${DEB_PROFILE:-dev}" scripts/test-deb.sh 2>&1 | tee "$LOG_DIR/deb.log"
read -r p f < <(awk '/^deb: [0-9]+ passed, [0-9]+ failed/ { p = $2; f = $4 } END { print p+0, f+0 }' "$LOG_DIR/deb.log")
if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "test-deb.sh reported nothing"; fi
passed=$((passed + p)); failed=$((failed + f))

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
