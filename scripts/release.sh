#!/usr/bin/env bash
# The release build in one command: the front end's WASM in release mode (`trunk build --release`,
# Cargo profile wasm-release, wasm-opt -Oz), then the server binary with that dist/ embedded (brotli 11
# and gzip 9 variants made by server/build.rs). Output: target/release/hepscope, one self-contained file.
#   scripts/release.sh            build
#   scripts/release.sh --deb      also the Debian package (cargo deb; installs cargo-deb if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
want_deb=false
[ "${1:-}" = "--deb" ] && want_deb=true

scripts/setup.sh
export PATH="$PWD/e2e/node_modules/.bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

started=$(date +%s)
say "trunk build --release"
trunk build --release
[ -f dist/index.html ] || { echo "trunk produced no dist/index.html" >&2; exit 1; }

# HEPSCOPE_EMBED_DIST makes build.rs embed exactly this dist/ (and fail if it is incomplete).
say "cargo build --release -p server (embedding dist/)"
HEPSCOPE_EMBED_DIST="$PWD/dist" cargo build --release --locked -p server --bin hepscope

bin="$TARGET_DIR/release/hepscope"
"$bin" --version
echo "binary: $bin ($(du -h "$bin" | cut -f1)); built in $(( $(date +%s) - started )) s"

if $want_deb; then
  command -v cargo-deb >/dev/null || { say "cargo install cargo-deb"; cargo install --locked cargo-deb; }
  say "cargo deb -p server"
  # --no-build: the binary above, with the real front end, is the one packaged.
  HEPSCOPE_EMBED_DIST="$PWD/dist" cargo deb -p server --no-build
  ls -l "$TARGET_DIR"/debian/*.deb
fi
