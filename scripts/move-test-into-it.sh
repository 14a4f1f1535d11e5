#!/usr/bin/env bash
# Moves integration test files written as their own binaries (server/tests/<topic>.rs) into the one test
# binary server/tests/it/ (see its main.rs): git mv, `mod common;` -> `use crate::common;` (and
# live_support), and a sorted `mod <topic>;` line in it/main.rs. Usage: scripts/move-test-into-it.sh [file...]
# (default: every server/tests/*.rs). Then check that no moved test relies on having the process to itself.
set -euo pipefail
cd "$(dirname "$0")/.."
main=server/tests/it/main.rs
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(server/tests/*.rs)
for file in "${files[@]}"; do
  [ -f "$file" ] || continue
  topic=$(basename "$file" .rs)
  git mv "$file" "server/tests/it/$topic.rs"
  python3 - "server/tests/it/$topic.rs" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
for helper in ("common", "live_support"):
    text = re.sub(rf"^use {helper}::", f"use crate::{helper}::", text, flags=re.M)
    # `use crate::<helper>;` only where the file names `<helper>::…` outside its `use` lines.
    used = re.search(rf"^(?!use ).*(?<![\w:]){helper}::", text, flags=re.M)
    text = re.sub(rf"^mod {helper};\n", f"use crate::{helper};\n" if used else "", text, flags=re.M)
open(path, "w").write(text)
PY
  # The `mod` lines after the helpers' block, kept sorted.
  python3 - "$main" "$topic" <<'PY'
import sys
path, topic = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
mods = [i for i, l in enumerate(lines) if l.startswith("mod ") and l not in ("mod common;", "mod live_support;")]
names = sorted({lines[i] for i in mods} | {f"mod {topic};"})
start = mods[0]
lines[start:mods[-1] + 1] = names
open(path, "w").write("\n".join(lines))
PY
  echo "moved $file -> server/tests/it/$topic.rs"
done
