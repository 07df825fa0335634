#!/usr/bin/env bash
# Headless Chromium + chromedriver for the HTML report test (Debian packages).
# Best effort: the browser test skips with a reason when they are missing.
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
    || echo "install-chromium: apt-get failed; browser tests will be skipped" >&2
fi
exit 0
