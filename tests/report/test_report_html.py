"""The HTML report: self-contained (base64 figures, no external resources), and it renders in headless Chromium."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from clika.analysis.pipeline import analyse
from clika.analysis.registry import load_registry
from clika.predictions import Prediction
from clika.report.html import write_html_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "analysis"))
from analysis_synth import block, predictions  # noqa: E402


def _inputs():
    compute = pytest.importorskip("clika.metrics.compute", reason="clika.metrics.compute is not there yet")
    # llama2_7b -> llama2_7b_chat, a registry pair: B gains 6 items in zh and loses 4 in fr.
    correct = {
        ("llama2_7b", "en"): block(0, 20), ("llama2_7b", "zh"): block(0, 12), ("llama2_7b", "fr"): block(0, 16),
        ("llama2_7b_chat", "en"): block(0, 20), ("llama2_7b_chat", "zh"): block(0, 18),
        ("llama2_7b_chat", "fr"): block(0, 12),
    }
    preds: list[Prediction] = predictions(correct, task="x_geo") + predictions(correct, task="x_name")
    records = compute.compute_metrics(preds, n_boot=200)
    result = analyse(preds, load_registry(), n_boot=200)
    return records, result


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    records, result = _inputs()
    out = tmp_path_factory.mktemp("report")
    path = write_html_report(records, out, comparisons=result.comparisons, findings=result.findings, title="test report")
    return path, records, result


def test_report_is_self_contained(report):
    path, records, result = report
    html = path.read_text(encoding="utf-8")
    # two models x (RA bars + co heatmaps) + one forest plot, each embedded and written beside the HTML
    assert html.count('src="data:image/png;base64,') == 5
    assert sorted(p.name for p in (path.parent / "figures").glob("*.png")) == [
        "co_llama2_7b.png", "co_llama2_7b_chat.png", "forest_llama2_7b__llama2_7b_chat.png",
        "ra_llama2_7b.png", "ra_llama2_7b_chat.png"]
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", html)  # no external resources
    assert "llama2_7b → llama2_7b_chat" in html and "Findings" in html
    assert "+0.150" in html  # the zh accuracy delta, 6 / 40, in the comparison table


def _chrome():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium + chromedriver not installed (apt-get install chromium chromium-driver, "
                    "or scripts/install-chromium.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    return chromium, driver, webdriver, Service


@pytest.mark.browser
def test_report_renders_in_headless_chromium(report, tmp_path):
    chromium, driver_path, webdriver, Service = _chrome()
    path, records, result = report
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,2000",
                f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        browser.set_page_load_timeout(30)
        browser.get(path.as_uri())
        assert browser.title == "test report"
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight]);")
        assert len(images) == 5
        assert all(done and w > 0 and h > 0 for done, w, h in images)
        rows = browser.execute_script(
            "return Array.from(document.querySelectorAll('table')).map(t => [t.className, t.rows.length]);")
        by_class = {}
        for cls, n in rows:
            by_class.setdefault(cls, []).append(n)
        # per model: header + 2 tasks x (3 languages + "avg"); comparisons: header + 2 tasks x (3 acc + 2 ra + 2 en_co)
        assert by_class["metrics"] == [1 + 8, 1 + 8]
        assert by_class["comparisons"] == [1 + 14]
        assert by_class["overview"] == [1 + 2] and len(by_class["findings"]) == 4
        shot = tmp_path / "report.png"
        assert browser.save_screenshot(str(shot))
    finally:
        browser.quit()
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500
    assert float(np.std(pixels)) > 0.05  # not a blank page: text, bars and heatmaps vary
