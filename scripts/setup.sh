#!/usr/bin/env bash
# Installs what hepscope's build needs and is missing; skips what is present. Safe to run again.
#   scripts/setup.sh          tools to build and run (wasm32 target, trunk, wasm-bindgen, npm packages)
#   scripts/setup.sh --test   also what the tests need (Debian's chromium, tshark, promtool from prometheus, systemd-analyze,
#                             slapd and ldap-utils for the LDAP tests; oidc-provider comes with e2e's npm packages)
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
want_test=false
[ "${1:-}" = "--test" ] && want_test=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then
  say "cargo install trunk $TRUNK_VERSION (about 12 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock. No --locked: its own lockfile pins a
# crate version the registry lacks.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  say "cargo install wasm-bindgen-cli $WB_VERSION (about 4 minutes)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# Playwright and binaryen (wasm-opt; Debian's binaryen 108 breaks wasm-bindgen output). Never
# `npx playwright install`: the browser is Debian's chromium.
if [ ! -x e2e/node_modules/.bin/wasm-opt ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  say "npm ci (e2e: @playwright/test, binaryen)"
  (cd e2e && npm ci --no-audit --no-fund)
fi

if $want_test; then
  apt_install chromium tshark prometheus systemd slapd ldap-utils
  # slapd's postinst starts a system slapd where it can; the tests run their own (tests/common/slapd.rs).
  if command -v systemctl >/dev/null && systemctl is-enabled -q slapd 2>/dev/null; then
    as_root systemctl disable --now slapd || true
  fi
fi

# Trunk.toml has offline = true, which makes cargo run offline: fetch the crates first.
cargo fetch --quiet
