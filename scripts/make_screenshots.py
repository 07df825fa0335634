"""The report of the 40 published models and the README's screenshots of it (docs/screenshots/).

    .venv/bin/python scripts/make_screenshots.py [--predictions ../shared/clika-data] [--work runs/published]

Runs, through clika's API: score (every record of the published predictions), compare (every
registry pair), report --html --comparisons; then opens report.html in headless Chromium (Debian's
chromium + chromium-driver, scripts/install-chromium.sh) at 100% zoom, 1280 px wide, and saves one
PNG per section. tests/report/test_report_html.py uses the same browser helpers.
"""

from __future__ import annotations

import argparse
import base64
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (  # (file name, CSS selector of the element, max height in px or None)
    ("leaderboard", "#lb-tabs", 1320),
    ("heatmap", "#hm-tabs", None),
    ("families", "#families-section", 1100),
    ("home_transfer", "#home-transfer-section", 1100),
    ("flags", "#flags-section", 700),
    ("definitions", "#definitions-section", 1100),
    ("model_section", "details.model", None),
)


def chrome(profile: Path, width: int = 1280, height: int = 1000):
    """Headless Chromium through selenium, or None where it is not installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
                f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_page_load_timeout(120)
    return browser


def element_screenshot(browser, css: str, path: Path, max_height: int | None = None) -> Path:
    """A PNG of one element at 100% zoom, even where it reaches beyond the window (Chrome DevTools)."""
    rect = browser.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height];", css)
    x, y, w, h = rect
    clip = {"x": x, "y": y, "width": w, "height": min(h, max_height) if max_height else h, "scale": 1}
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                              "captureBeyondViewport": True})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--predictions", type=Path, default=ROOT.parent / "shared" / "clika-data")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "published")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--heatmap-task", default="x_name")
    args = parser.parse_args()

    from clika import api

    start = time.perf_counter()
    metrics = args.work / "metrics.jsonl"
    api.score(api.ScoreOptions(args.predictions, output=metrics))
    print(f"score: {time.perf_counter() - start:.0f} s", flush=True)
    api.compare(api.CompareOptions(args.work / "compare", predictions=args.predictions))
    print(f"compare: {time.perf_counter() - start:.0f} s", flush=True)
    written = api.report(api.ReportOptions(metrics, args.work / "report", html=True,
                                           comparisons=args.work / "compare"))
    html = written["html"]
    print(f"report: {time.perf_counter() - start:.0f} s -> {html} ({html.stat().st_size / 1024:.0f} KB)", flush=True)

    browser = chrome(args.work / "chrome-profile")
    if browser is None:
        raise SystemExit("headless Chromium + chromedriver not installed: bash scripts/install-chromium.sh")
    try:
        browser.get(html.as_uri())
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.execute_script(f"document.querySelector('#hm-tabs button[data-tab=\"hm-{args.heatmap_task}\"]')"
                               ".click()")
        browser.execute_script("document.querySelector('details.model').open = true")
        args.out.mkdir(parents=True, exist_ok=True)
        for name, css, max_height in SECTIONS:
            path = element_screenshot(browser, css, args.out / f"{name}.png", max_height)
            print(f"{path} ({path.stat().st_size / 1024:.0f} KB)")
        print(f"page height at 1280 px with the model sections collapsed: {height} px")
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
