#!/usr/bin/env bash
# README command 1: install what is missing, build hepscope (release) and run it with demo traffic on
# its embedded store. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/e2e/node_modules/.bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

printf '\033[1m==> %s\033[0m\n' "trunk build --release (the browser app)"
trunk build --release
printf '\033[1m==> %s\033[0m\n' "cargo build --release (the server)"
cargo build --release -p server --bin hepscope

export HEPSCOPE_ADMIN_PASSWORD="${HEPSCOPE_ADMIN_PASSWORD:-hepscope-demo}"
LISTEN="${HEPSCOPE_LISTEN:-127.0.0.1:8080}"
echo
echo "  Open http://$LISTEN/ and log in as admin / $HEPSCOPE_ADMIN_PASSWORD"
echo "  (set HEPSCOPE_ADMIN_PASSWORD or HEPSCOPE_LISTEN to change them)"
echo
exec "$TARGET_DIR/release/hepscope" demo --listen "$LISTEN" --data-dir "${HEPSCOPE_DATA_DIR:-data/demo}" --dist dist
