#!/usr/bin/env bash
# Renders a study report in headless Chromium and saves a full-page PNG, to look at it as a
# browser shows it (figures present, no overlapping text, no empty section).
#   usage: scripts/screenshot-report.sh REPORT.html OUT.png [HEIGHT (default 9000)]
# Needs Debian's chromium (apt-get install chromium).
set -euo pipefail
report="$1"; out="$2"; height="${3:-9000}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$browser" ] || { echo "no Chromium found; install it with: sudo apt-get install chromium" >&2; exit 1; }
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,"$height" \
    --screenshot="$out" "file://$(realpath "$report")" 2>/dev/null
echo "wrote $out"
