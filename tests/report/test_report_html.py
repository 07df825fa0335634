"""The HTML report: self-contained, a leaderboard with ranks, intervals and flag badges, heatmaps that can be
read at 100% zoom, the family view, home transfer, flags and metric definitions generated from the registry,
collapsed per-model sections; and it renders (and sorts) in headless Chromium."""

from __future__ import annotations

import re
import sys
from html import escape
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import make_screenshots  # noqa: E402

from clika import api
from clika.analysis.families import load_families
from clika.analysis.pipeline import analyse
from clika.metrics.catalog import all_metrics, label
from clika.metrics.compute import compute_metrics
from clika.metrics.record_io import write_records
from clika.metrics.registry import MetricDef, register_metric, unregister_metric
from clika.report.figures import DPI, TICK_PT, cell_text
from clika.report.flags import FlagIndex
from clika.report.heatmaps import model_lang_heatmap
from clika.report.html import write_html_report
from clika.report.html_parts import model_id
from clika.report.leaderboard import RANK_KEY, build_leaderboard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "analysis"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_synth import block, predictions
from test_report_leaderboard import synth


def _inputs():
    # llama2_7b -> llama2_7b_chat, a registry pair: B gains 6 items in zh and loses 4 in fr.
    correct = {
        ("llama2_7b", "en"): block(0, 20), ("llama2_7b", "zh"): block(0, 12), ("llama2_7b", "fr"): block(0, 16),
        ("llama2_7b_chat", "en"): block(0, 20), ("llama2_7b_chat", "zh"): block(0, 18),
        ("llama2_7b_chat", "fr"): block(0, 12),
    }
    pair = predictions(correct, task="x_geo")
    records = compute_metrics(synth(models=("strong", "lazy")) + pair, n_boot=100)
    return records, analyse(pair, load_families(), n_boot=100)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    records, result = _inputs()
    out = tmp_path_factory.mktemp("report")
    path = write_html_report(records, out, comparisons=result.comparisons, summaries=result.summaries,
                             findings=result.findings, title="test report")
    return path, records, result, path.read_text(encoding="utf-8")


def _table(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</table>", start)]


def test_report_is_self_contained(report):
    path, records, _, html = report
    pngs = sorted((path.parent / "figures").glob("*.png"))
    assert html.count('src="data:image/png;base64,') == len(pngs) == len(re.findall(r"<img ", html))
    # 2 heatmaps, 1 strategy, the home-transfer overview; the per-model views are HTML, not images
    assert {p.name for p in pngs} == {
        "heatmap_x_geo.png", "heatmap_x_copa.png", "strategy_instruction_tuning_en.png", "home_transfer_overview.png"}
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", html)  # no external resources
    assert "<script src" not in html and (path.parent / "leaderboard.csv").is_file()


def test_leaderboard_has_ranks_intervals_and_flag_badges(report):
    _, records, _, html = report
    board = build_leaderboard(records)
    assert escape(RANK_KEY) in html
    for task, rows in board.items():
        table = _table(html, f'<table class="leaderboard sortable" data-task="{task}"')
        assert table.count("<tr") == 1 + len(rows)
        for row in rows:  # in rank order, each with its rank (or a dash) and its interval
            assert f'<a href="#model-{row.model}">' in table
        order = [m for m in re.findall(r'<a href="#model-([^"]+)">', table)]
        assert order == [r.model for r in rows]
    lazy = next(r for r in records if (r.model, r.task, r.lang, r.metric) == ("lazy", "x_geo", "en", "dominant_option_flag"))
    geo = _table(html, '<table class="leaderboard sortable" data-task="x_geo"')
    lazy_row = next(tr for tr in geo.split("<tr")[1:] if 'href="#model-lazy"' in tr)
    assert "dominant option 3/3" in lazy_row and "English at chance" in lazy_row and "<td data-v=\"\"" in lazy_row
    assert escape(lazy.note.split(": chosen")[0]) in lazy_row  # the note, in the badge's tooltip
    strong = next(r for r in board["x_geo"] if r.model == "strong")
    strong_row = next(tr for tr in geo.split("<tr")[1:] if 'href="#model-strong"' in tr)
    cell = strong.cells["en_co"]
    assert f"[{cell.ci_low:.2f}, {cell.ci_high:.2f}]" in strong_row


def test_flags_section_lists_every_flagged_cell(report):
    _, records, _, html = report
    flags = FlagIndex(records)
    table = html[html.index('<table id="flag-table"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == 1 + len(flags.flags) and len(flags.flags) > 0
    kinds = {f.kind for f in flags.flags}
    assert {"dominant", "chance"} <= kinds
    for f in flags.flags:
        assert escape(f.text) in table


def test_definitions_come_from_the_registry(report):
    html = report[3]
    defs = _table(html, '<table id="metric-definitions"')
    for d in all_metrics():
        assert f"<b>{escape(d.label)}</b>" in defs and escape(d.description) in defs and escape(d.chance) in defs


def test_a_newly_registered_metric_appears_in_every_output(tmp_path):
    """register_metric + compute_metrics -> the metric is in report.md, its CSV table and report.html."""
    register_metric(MetricDef("toy_half_acc", "toy½", "PF", "lang", "half the accuracy (a test metric)",
                              "1/(2k) for guessing", fn=lambda c: c.accuracy / 2, order=12))
    try:
        records = compute_metrics(synth(models=("strong",), tasks=(("x_geo", 4),)), n_boot=20)
        toy = [r for r in records if r.metric == "toy_half_acc"]
        assert len(toy) == 3
        write_records(records, tmp_path / "run" / "metrics.jsonl")
        written = api.report(api.ReportOptions(tmp_path / "run", tmp_path / "rep", html=True))
        md = written["report"].read_text(encoding="utf-8")
        assert "### toy½: half the accuracy (a test metric)" in md
        csv_text = (tmp_path / "rep" / "toy_half_acc.csv").read_text(encoding="utf-8")
        assert f"{toy[0].value:.6g}" in csv_text
        html = written["html"].read_text(encoding="utf-8")
        assert "<b>toy½</b>" in _table(html, '<table id="metric-definitions"')
        assert "<th>toy½</th>" in _table(html, '<table class="metrics"')
    finally:
        unregister_metric("toy_half_acc")
    assert all(d.name != "toy_half_acc" for d in all_metrics())


def test_a_new_headline_metric_appears_in_compare_the_leaderboard_the_heatmaps_and_the_html(tmp_path):
    """One registered definition, nothing else touched: records, compare, leaderboard, heatmaps, HTML."""
    register_metric(MetricDef("toy_half_ra", "toy½RA", "PF", "pivot", "half of RA (a test metric)", "0.5 for guessers",
                              fn=lambda c: c.p2 / c.p1 / 2, average=True, order=25, headline=True,
                              paired_test="bootstrap", chance_value=lambda k: 0.5))
    try:
        records, result = _inputs()
        toy = [r for r in records if r.metric == "toy_half_ra"]
        ra = {(r.model, r.task, r.lang, r.aggregate): r.value for r in records if r.metric == "ra"}
        assert toy and all(r.value == pytest.approx(ra[(r.model, r.task, r.lang, r.aggregate)] / 2) for r in toy
                           if r.value is not None)
        assert {c.metric for c in result.comparisons} >= {"toy_half_ra", "ra", "en_co", "accuracy"}
        board = build_leaderboard(records)
        assert all("toy_half_ra" in row.cells for rows in board.values() for row in rows if row.task != "overall")
        fig = model_lang_heatmap(records, "x_geo", sorted({r.model for r in records}), FlagIndex(records))
        assert "toy½RA" in [ax.get_title() for ax in fig.axes]
        html = write_html_report(records, tmp_path / "rep", comparisons=result.comparisons).read_text(encoding="utf-8")
        assert "<th>toy½RA</th>" in _table(html, '<table class="leaderboard sortable"')
        assert "<b>toy½RA</b>" in _table(html, '<table id="metric-definitions"')
        assert "toy_half_ra" in (tmp_path / "rep" / "leaderboard.csv").read_text(encoding="utf-8").splitlines()[0]
    finally:
        unregister_metric("toy_half_ra")


def test_family_view_has_deltas_with_significance(report, tmp_path):
    _, records, result, html = report
    assert "Instruction tuning (English data) (1 pairs)" in html and "mcnemar" in html.lower()
    detail = _table(html, '<table class="comparisons"')
    deltas = [c for c in result.comparisons if c.model_ref is not None]  # not both models' own values
    significant = [c for c in deltas if c.p_value is not None and c.p_value < 0.05]
    assert detail.count("★") == len(significant) > 0
    zh = next(c for c in deltas if (c.lang, c.metric) == ("zh", "accuracy"))
    assert f"{zh.value:+.3f}" in detail
    bare = write_html_report(records, tmp_path / "bare").read_text(encoding="utf-8")
    assert "clika compare" in bare and "--comparisons" in bare and '<table class="comparisons"' not in bare


def _findings_html(html: str) -> str:
    return html[html.index('<section id="findings-section">'):]


def _assert_findings_are_html(section: str, findings) -> None:
    """Headings, verdict badges and tables, one each per finding; no Markdown source anywhere."""
    assert "##" not in section and "**" not in section and "| ---" not in section and "<pre" not in section
    assert section.count('<span class="verdict v-') == len(findings) > 0
    assert section.count('<table class="findings">') == sum(bool(f.evidence) for f in findings)
    for f in findings:
        assert f'<span class="verdict v-{f.verdict.replace(" ", "-")}" title="verdict">{escape(f.verdict)}</span>' \
            in section
        assert f">{escape(f.claim)}</h" in section
        columns, rows, _ = f.table()
        for evidence, *values in rows:  # the same cells as findings.md, one <td> each
            assert f'<tr><td class="l">{escape(evidence)}</td>' + "".join(f"<td>{escape(v)}</td>" for v in values) \
                + "</tr>" in section


def test_findings_are_html_with_verdict_badges_and_tables(report):
    html, result = report[3], report[2]
    assert "<pre" not in html and "**Verdict" not in html
    _assert_findings_are_html(_findings_html(html), result.findings)


def test_findings_of_a_compare_folder_are_rendered_from_findings_json(tmp_path):
    """`clika report --html --comparisons CMP`: findings.json (written beside findings.md from the same
    objects) becomes HTML; a folder with findings.md only gets a note, never Markdown in the page."""
    from clika.analysis.cd_claims import CDFinding
    from clika.analysis.findings import Evidence
    from clika.metrics.records import Record
    from clika.report.findings_md import write_compare_folder

    records, result = _inputs()
    cd = [CDFinding("cd_low", "Conductivity is low.", "partly supported", "1 of 2 runs", "a CI below 0.9",
                    [Evidence("XRR m -> de (x_geo)", Record(model="m", task="fictional", metric="xrr", lang="de",
                                                            value=0.4, ci_low=0.3, ci_high=0.5, n=60), False)])]
    written = write_compare_folder(result, tmp_path / "cmp", cd_findings=cd)
    assert "**Verdict: partly supported.**" in written["findings.md"].read_text(encoding="utf-8")
    write_records(records, tmp_path / "run" / "metrics.jsonl")
    options = api.ReportOptions(tmp_path / "run", tmp_path / "rep", html=True, comparisons=tmp_path / "cmp")
    html = api.report(options)["html"].read_text(encoding="utf-8")
    section = _findings_html(html)
    _assert_findings_are_html(section, [*result.findings, *cd])
    assert "Conductivity (CD), from <code>clika conduct</code> results</h3>" in section
    assert '<td class="l">XRR m -&gt; de (x_geo)</td><td>0.400</td><td>[0.300, 0.500]</td>' in section

    (tmp_path / "cmp" / "findings.json").unlink()
    older = api.report(options)["html"].read_text(encoding="utf-8")
    section = _findings_html(older)
    assert "has no findings.json beside it" in section and "rerun clika compare" in section
    assert "##" not in section and "<pre" not in section and "verdict v-" not in section


def test_home_transfer_and_collapsed_model_sections(report):
    path, records, _, html = report
    assert any(r.metric == "home_transfer" and (r.lang_ref, r.lang) == ("en", "zh") for r in records)
    section = html[html.index('id="home-transfer"'):html.index('id="flags"')]
    assert "not XRR" in section and "proxy for the conductivity of naturally acquired knowledge" in section
    models = {r.model for r in records}
    assert html.count('<details class="model"') == len(models) and "<details class=\"model\" open" not in html


def test_heatmap_figure_labels_numbers_flags_and_chance():
    records, _ = _inputs()
    flags = FlagIndex(records)
    models = ["strong", "lazy"]
    fig = model_lang_heatmap(records, "x_copa", models, flags)
    ra_ax, co_ax = fig.axes[:2]
    assert (ra_ax.get_title(), co_ax.get_title()) == (label("ra"), label("en_co"))
    ticks = ra_ax.get_xticklabels() + ra_ax.get_yticklabels() + co_ax.get_xticklabels()
    assert min(t.get_fontsize() for t in ticks) * DPI / 72 >= 10 and TICK_PT >= 10
    langs = [t.get_text() for t in ra_ax.get_xticklabels()]
    assert langs == ["zh", "fr", "mean"]
    for ax in (ra_ax, co_ax):  # a number (or a dash) in every cell
        assert len([t for t in ax.texts if t.get_text()]) == len(models) * len(langs)
    dominant = [(m, lang) for m in models for lang in langs if flags.has(m, "x_copa", lang, "dominant")]
    hatched = [p for p in ra_ax.patches if p.get_hatch()]
    assert len(hatched) == len(dominant) > 0
    chance = next(r.chance for r in records if (r.task, r.metric) == ("x_copa", "accuracy"))
    bars = [cax for ax in (ra_ax, co_ax) for cax in ax.child_axes]  # the colour bars carry the chance references
    lines = [ln.get_xdata()[0] for ax in bars for ln in ax.lines]
    assert lines == pytest.approx([1.0, chance / (2 - chance)])
    assert [t.get_text().split()[0] for t in ra_ax.get_yticklabels()] == ["strong", "†‡"]  # lazy: at chance, dominant
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_model_sections_draw_accuracy_bars_and_coloured_tables(report):
    """Each model's accuracy cells carry a bar (value, interval, the task's chance; hatched where dominant),
    its pairwise CO and S > L matrices are tables whose cells are coloured by value and carry it as text."""
    import matplotlib

    _, records, _, html = report
    flags = FlagIndex(records)
    for r in records:
        if r.metric != "accuracy" or r.lang is None or r.aggregate is not None or r.stratum is not None:
            continue
        section = html[html.index(f'id="{model_id(r.model)}"'):]
        section = section[:section.index("</details>")]
        said = f"accuracy {r.value:.2f}, 95% CI {r.ci_low:.2f} to {r.ci_high:.2f}, chance {r.chance:.2f}"
        dominant = flags.has(r.model, r.task, r.lang, "dominant")
        assert said + (", dominant option" if dominant else "") + '"' in section
    strong = html[html.index(f'id="{model_id("strong")}"'):]
    strong = strong[:strong.index("</details>")]
    cells = re.findall(r'<td style="background:#([0-9a-f]{6});color:(\w+)" data-v="([^"]+)">([^<]+)</td>', strong)
    co = [r for r in records if (r.model, r.metric) == ("strong", "co") and r.value is not None]
    assert len(cells) >= len(co) > 0
    for colour, _, value, text in cells:
        rgb = matplotlib.colormaps["viridis"](min(max(float(value), 0.0), 1.0))[:3]
        assert colour == "".join(f"{round(255 * c):02x}" for c in rgb)
        assert text == cell_text(float(value))
    assert "pairwise CO" in strong and "S \\ L" in strong


# ---------------------------------------------------------------- in the browser

def chrome(tmp_path: Path, width: int = 1280, height: int = 1000):
    browser = make_screenshots.chrome(tmp_path / "profile", width, height)
    if browser is None:
        pytest.skip("headless Chromium + chromedriver not installed (scripts/install-chromium.sh)")
    return browser


element_screenshot = make_screenshots.element_screenshot  # the README's screenshots use the same helper


def screenshots(browser, html: Path, out: Path, heatmap_task: str | None = None,
                max_height: int | None = None) -> dict[str, Path]:
    """Leaderboard, one heatmap, the flags and the definitions of the report, as PNGs in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    browser.get(html.as_uri())
    if heatmap_task:
        browser.execute_script(f"document.querySelector('#hm-tabs button[data-tab=\"hm-{heatmap_task}\"]').click()")
    shots = {name: element_screenshot(browser, css, out / f"{name}.png", max_height) for name, css in (
        ("leaderboard", "#lb-tabs"), ("heatmap", "#hm-tabs"), ("flags", "#flags-section"),
        ("definitions", "#definitions-section"))}
    return shots


@pytest.mark.browser
def test_report_in_headless_chromium(report, tmp_path):
    path, _, _, html = report
    browser = chrome(tmp_path)
    try:
        shots = screenshots(browser, path, tmp_path / "shots")
        assert browser.title == "test report"
        images = browser.execute_script("return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
        assert len(images) == html.count("<img ") and all(done and w > 0 for done, w in images)
        # per-model sections are collapsed: only their summary line shows, their tables are not rendered
        state = browser.execute_script("return Array.from(document.querySelectorAll('details.model')).map(d => "
                                       "[d.open, d.getBoundingClientRect().height, d.querySelector('table.heat').checkVisibility()]);")
        assert state and all(not is_open and h < 80 and not visible for is_open, h, visible in state), state
        # opened: each accuracy bar's fill is its value's share of the bar, chance sits at its share, text >= 10 px
        bars = browser.execute_script(
            "const d = document.querySelector('details.model'); d.open = true;"
            "return Array.from(d.querySelectorAll('.bar')).map(b => { const w = b.getBoundingClientRect().width;"
            " const f = b.querySelector('.fill').getBoundingClientRect(), c = b.querySelector('.chance');"
            " return [b.getAttribute('aria-label'), f.width / w, c ? (c.getBoundingClientRect().left -"
            " b.getBoundingClientRect().left) / w : null]; });")
        assert bars
        for said, fill, chance in bars:
            value, chance_said = (float(x) for x in re.search(r"accuracy ([\d.]+),.* chance ([\d.]+)", said).groups())
            assert fill == pytest.approx(value, abs=0.02) and chance == pytest.approx(chance_said, abs=0.03)
        sizes = browser.execute_script("return Array.from(document.querySelector('details.model')"
                                       ".querySelectorAll('table.heat td')).map(c => parseFloat(getComputedStyle(c).fontSize));")
        assert sizes and min(sizes) >= 10
        # sorting: a click on the en-CO header of the visible leaderboard sorts ascending, a second descending
        from selenium.webdriver.common.by import By

        table = browser.find_element(By.CSS_SELECTOR, "#lb-overall table")
        header = next(th for th in table.find_elements(By.TAG_NAME, "th") if th.text.startswith("en-CO"))
        column = [th.text for th in table.find_elements(By.TAG_NAME, "th")].index(header.text)
        read = f"return Array.from(arguments[0].tBodies[0].rows).map(r => r.cells[{column}].dataset.v);"
        for expect_ascending in (True, False):
            header.click()
            values = [float(v) for v in browser.execute_script(read, table) if v != ""]
            assert values == sorted(values, reverse=not expect_ascending) and len(values) >= 2
        # heatmap tick labels at least 10 px as rendered: natural size, and the measured text size
        tick = browser.execute_script(
            "const i = document.querySelector('#hm-tabs .panel:not([hidden]) img');"
            "return [i.getBoundingClientRect().width / i.naturalWidth * Number(i.dataset.minTickPx), "
            "i.getBoundingClientRect().width / i.naturalWidth, Number(i.dataset.minTextPx)];")
        assert tick[0] >= 10 and tick[1] == pytest.approx(1.0) and tick[2] >= 10
        # findings: rendered headings, coloured verdict badges and tables, no Markdown source as text
        found = browser.execute_script(
            "const s = document.getElementById('findings-section');"
            "return [s.innerText, Array.from(s.querySelectorAll('span.verdict')).map(b => "
            "[b.innerText, getComputedStyle(b).backgroundColor, getComputedStyle(b).display]), "
            "s.querySelectorAll('table.findings tbody tr').length, s.querySelectorAll('h3').length];")
        text, badges, n_rows, n_headings = found
        findings = report[2].findings
        assert "##" not in text and "**Verdict" not in text and "| ---" not in text
        assert [b[0] for b in badges] == [f.verdict for f in findings]
        assert all(b[1] not in ("rgba(0, 0, 0, 0)", "transparent") and b[2] == "inline-block" for b in badges)
        assert n_rows == sum(len(f.evidence) for f in findings) and n_headings == len(findings)
    finally:
        browser.quit()
    from matplotlib.image import imread

    for name, shot in shots.items():
        pixels = imread(shot)[..., :3]
        assert pixels.shape[0] > 100 and pixels.shape[1] > 300, name
        assert float(np.std(pixels)) > 0.03, name  # not a blank image
