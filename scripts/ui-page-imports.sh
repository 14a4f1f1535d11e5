#!/usr/bin/env bash
# Lists, per page folder of app/src/ui/pages, the other page folders it imports (`crate::ui::pages::X`,
# `super::super::X`, or `super::X` from a page's mod.rs), and fails when there is one: pages share
# code through ui::components, ui::api and ui::context, never through each other (issue 16).
set -uo pipefail
cd "$(dirname "$0")/../app/src/ui/pages"
status=0
for dir in */; do
  page=${dir%/}
  others=$(ls -d */ | tr -d / | grep -vx "$page" | paste -sd'|')
  hits=$(grep -rnE "crate::ui::pages::|super::super::|(^|[^:])super::(${others})\b" "$page" || true)
  if [ -n "$hits" ]; then
    echo "$page imports another page:"; echo "$hits"; status=1
  else
    echo "$page: no page imports"
  fi
done
exit $status
