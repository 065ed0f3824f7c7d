#!/usr/bin/env bash
# Make a Chromium available to the Playwright tests: Debian's package where we
# can install it (Playwright's own download is blocked on these machines),
# otherwise Playwright's bundled browser.
set -eu
python=${1:-python3}
for exe in /usr/lib/chromium/chromium /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -x "$exe" ]; then echo "chromium: $exe"; exit 0; fi
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "chromium: installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x /usr/lib/chromium/chromium ] && exit 0
fi
echo "chromium: falling back to playwright install chromium"
"$python" -m playwright install chromium
