"""The built book in a real browser: headless Chromium opens every page of ``_build/html`` from ``file://``.

Run after the HTML build (``make html``; ``make test`` does both, in that order). Per page it checks what a reader
would notice: math left as raw TeX, console errors, requests that leave the book's folder (a CDN, a font server),
output boxes wider than the page, and that every "Try it" frame panel moves: each slider, pressed with the arrow
keys as a user would, changes the visible frame, and exactly one frame is visible at any time; no widget control
sits outside such a panel (with no kernel behind the page it would move nothing: a live panel belongs in a
``remove-cell`` cell, for ``make lab``).

A screenshot of every page (and of every panel after its sliders moved) goes to ``_build/screenshots/``.

Without Chromium (Debian packages ``chromium`` and ``chromium-driver``) or selenium the tests are skipped with a
message saying what to install; with ``CI=true`` they fail instead. ``FIRESETS_HTML`` points the test at another
build folder (e.g. a scratch book).

The frame-panel DOM relied on (ipywidgets 8 through @jupyter-widgets/html-manager): a panel is a ``.widget-vbox``
whose direct children are slider rows (``.widget-slider``, each with a ``.noUi-handle`` and a ``.widget-readout``)
and one ``.widget-box`` (the outer ``Stack``) holding the frames as ``img.widget-image``; a ``Stack`` keeps only its
selected child in the DOM. The number of such panels must equal the number of frame panels in the page's widget
state (a ``VBox`` whose children are ``SelectionSlider`` s followed by one ``Stack``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("FIRESETS_HTML", ROOT / "_build" / "html")).resolve()
SHOTS = HTML.parent / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
INSTALL = ("apt-get update && apt-get install -y chromium chromium-driver "
           "(and selenium from requirements.txt: pip install -r requirements.txt)")
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--window-size=1280,1400", "--hide-scrollbars", "--force-device-scale-factor=1"]
ALLOWED_SCHEMES = ("data:", "blob:", "about:")

# what raw TeX looks like in rendered text (math that MathJax did not typeset)
RAW_TEX = [
    re.compile(r"\\[(\[][^\n]{0,200}?\\[)\]]"),                     # \( ... \)  or \[ ... \]
    re.compile(r"\$\$"),                                            # display dollars
    re.compile(r"\$[^$\n]{1,200}?[\\^_{][^$\n]{0,200}?\$"),          # $...$ holding TeX syntax
    re.compile(r"\\(?:frac|mathbb|mathcal|mathrm|operatorname|langle|rangle|sqrt|sum|prod|cdot|cdots|ldots|"
               r"left|right|begin|end|alpha|beta|gamma|delta|epsilon|eta|sigma|tau|Omega|infty|leq?|geq?|"
               r"log|exp|in|top|mathbf|text|big|Big)\b"),
]


def _pages() -> list[str]:
    if not HTML.is_dir():
        return []
    skip = ("_static", "_sources", "_images")
    return sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
                  if p.relative_to(HTML).parts[0] not in skip)


def _unavailable() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "chromium / chromedriver not found"
    return None


def _skip_or_fail(why: str):
    msg = f"SKIPPED real-browser test: {why}. Install: {INSTALL}"
    if IN_CI:
        pytest.fail(f"CI=true: {msg}", pytrace=False)
    pytest.skip(msg)


PAGES = _pages()


@pytest.fixture(scope="module")
def browser():
    why = _unavailable()
    if why:
        _skip_or_fail(why)
    if not PAGES:
        _skip_or_fail(f"no built book in {HTML} (run `make html` first)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="firesets-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in CHROME_ARGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


_REPORTS: dict[str, dict] = {}

WAIT_READY = """
const done = arguments[arguments.length - 1];
const t0 = Date.now();
function widgetsRendered() {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  return document.querySelectorAll('.widget-subarea').length >= views;
}
function poll() {
  const M = window.MathJax;
  const mathReady = !document.querySelector('span.math, div.math') || (M && M.startup && M.startup.promise);
  if (document.readyState === 'complete' && mathReady && widgetsRendered()) {
    const p = (M && M.startup && M.startup.promise) ? M.startup.promise : Promise.resolve();
    p.then(() => (M && M.typesetPromise) ? M.typesetPromise() : null)
     .then(() => setTimeout(() => done('ready'), 300), (e) => done('mathjax error: ' + e));
  } else if (Date.now() - t0 > 45000) {
    done('timeout: readyState=' + document.readyState + ' math=' + !!mathReady + ' widgets=' + widgetsRendered());
  } else {
    setTimeout(poll, 100);
  }
}
poll();
"""

PAGE_FACTS = """
const root = document.querySelector('article') || document.querySelector('main') || document.body;
const clone = root.cloneNode(true);
clone.querySelectorAll('mjx-container, mjx-assistive-mml, script, style, textarea, div.cell_input, '
  + 'div.highlight, code, .headerlink').forEach(e => e.remove());
const text = clone.textContent;
const untypeset = [...document.querySelectorAll('span.math, div.math')]
  .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80));
const boxes = [...document.querySelectorAll('div.cell_output, div.cell_output pre, div.output, .output_area, '
  + 'div.cell_output .jupyter-widgets, div.cell_output table')]
  .filter(e => e.offsetParent !== null)
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName.toLowerCase() + '.' + (e.className || '').toString().split(' ')[0] + ' scrollWidth='
       + e.scrollWidth + ' clientWidth=' + e.clientWidth + ': ' + (e.textContent || '').trim().slice(0, 60));
return {text: text, untypeset: untypeset, math: document.querySelectorAll('mjx-container').length,
        overflow: boxes, height: document.documentElement.scrollHeight};
"""

# frame panels in the page's widget state: VBox(children=[SelectionSlider, ..., Stack])
def _state_panels(driver) -> int:
    raw = driver.execute_script(
        "const s = document.querySelector('script[type=\"application/vnd.jupyter.widget-state+json\"]');"
        "return s ? s.textContent : null;")
    if not raw:
        return 0
    models = json.loads(raw).get("state", {})
    name = {k: v.get("model_name") for k, v in models.items()}
    n = 0
    for m in models.values():
        if m.get("model_name") != "VBoxModel":
            continue
        kids = [str(c).replace("IPY_MODEL_", "") for c in m.get("state", {}).get("children", [])]
        kinds = [name.get(k) for k in kids]
        if len(kinds) >= 2 and kinds[-1] == "StackModel" and all(k == "SelectionSliderModel" for k in kinds[:-1]):
            n += 1
    return n


DOM_PANELS = """
return [...document.querySelectorAll('.widget-vbox')].filter(v => {
  const kids = [...v.children];
  return kids.some(k => k.classList.contains('widget-slider'))
      && kids.some(k => !k.classList.contains('widget-slider') && k.classList.contains('widget-box')
                        && k.querySelector('img.widget-image'));
});
"""

# controls outside every frame panel: with no kernel behind the page they move nothing
DEAD_CONTROLS = """
const panels = arguments[0];
const kinds = ['widget-slider', 'widget-checkbox', 'widget-dropdown', 'widget-toggle-buttons', 'widget-radio',
               'widget-text', 'widget-play', 'jupyter-button'];
return [...document.querySelectorAll(kinds.map(k => '.' + k).join(', '))]
  .filter(c => !panels.some(p => p.contains(c)))
  .map(c => kinds.find(k => c.classList.contains(k)) + ': ' + (c.textContent || '').trim().slice(0, 40));
"""

VISIBLE_FRAMES = """
return [...arguments[0].querySelectorAll('img.widget-image')].filter(i => {
  const r = i.getBoundingClientRect();
  return i.offsetParent !== null && r.width > 0 && r.height > 0;
});
"""


def _drain(driver):
    driver.get_log("browser")
    driver.get_log("performance")


def _requests(driver) -> tuple[list[str], list[str]]:
    urls, failed = [], []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg["method"] == "Network.loadingFailed" and not msg["params"].get("canceled"):
            failed.append(msg["params"].get("errorText", "?") + " " + msg["params"].get("requestId", ""))
    return urls, failed


def _outside(url: str) -> bool:
    if url.startswith(ALLOWED_SCHEMES):
        return False
    if not url.startswith("file://"):
        return True
    path = Path(unquote(urlparse(url).path)).resolve()
    return not path.is_relative_to(HTML)


def _shot_name(page: str, suffix: str = "") -> Path:
    return SHOTS / (page.replace("/", "__").removesuffix(".html") + suffix + ".png")


def _full_page_screenshot(driver, path: Path, height: int):
    """The whole page: the window is made as tall as the page (at most 16000 px), shot, and put back."""
    w, h = driver.get_window_size()["width"], driver.get_window_size()["height"]
    driver.set_window_size(w, max(h, min(int(height) + 200, 16000)))
    try:
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(w, h)


def _exercise_panels(driver, page: str) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    problems, moves = [], 0
    panels = driver.execute_script(DOM_PANELS)
    expected = _state_panels(driver)
    if len(panels) != expected:
        problems.append(f"{expected} frame panels in the widget state, {len(panels)} rendered as "
                        f".widget-vbox > (.widget-slider..., .widget-box > img.widget-image)")

    dead = driver.execute_script(DEAD_CONTROLS, panels)

    def visible(panel):
        return driver.execute_script(VISIBLE_FRAMES, panel)

    def settle(panel, before: bytes | None, timeout=5.0) -> bytes | None:
        t0 = time.time()
        while time.time() - t0 < timeout:
            imgs = visible(panel)
            if len(imgs) == 1:
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", imgs[0])
                png = imgs[0].screenshot_as_png
                if before is None or png != before:
                    return png
            time.sleep(0.1)
        return None

    for p, panel in enumerate(panels):
        imgs = visible(panel)
        if len(imgs) != 1:
            problems.append(f"panel {p}: {len(imgs)} frames visible before any move (expected exactly 1)")
            continue
        sliders = panel.find_elements(By.XPATH, "./div[contains(concat(' ', @class, ' '), ' widget-slider ')]")
        for s, row in enumerate(sliders):
            handle = row.find_element(By.CSS_SELECTOR, ".noUi-handle")
            readout = row.find_element(By.CSS_SELECTOR, ".widget-readout")
            now, top = float(handle.get_attribute("aria-valuenow")), float(handle.get_attribute("aria-valuemax"))
            if top == 0:
                continue  # a one-value slider cannot move
            forward, back = Keys.ARROW_RIGHT, Keys.ARROW_LEFT
            if now >= top:  # at the right end: move left first
                forward, back = back, forward
            start = settle(panel, None)
            label0 = readout.text
            handle.send_keys(forward)
            moved = settle(panel, start)
            n_vis = len(visible(panel))
            if moved is None:
                problems.append(f"panel {p}, slider {s} ({row.text.splitlines()[0] if row.text else '?'}): "
                                f"the arrow key did not change the visible frame ({n_vis} visible)")
                continue
            if n_vis != 1:
                problems.append(f"panel {p}, slider {s}: {n_vis} frames visible after a move (expected 1)")
            if readout.text == label0:
                problems.append(f"panel {p}, slider {s}: the readout stayed {label0!r} after a move")
            moves += 1
            handle.send_keys(back)
            restored = settle(panel, moved)
            if restored != start:
                problems.append(f"panel {p}, slider {s}: moving back did not restore the first frame")
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", panel)
        panel.screenshot(str(_shot_name(page, f"--panel{p}")))
    return {"panel_problems": problems, "panels": len(panels), "moves": moves, "dead": dead}


def _report(driver, page: str) -> dict:
    if page in _REPORTS:
        return _REPORTS[page]
    driver.get("about:blank")
    _drain(driver)
    url = (HTML / page).as_uri()
    driver.get(url)
    state = driver.execute_async_script(WAIT_READY)
    facts = driver.execute_script(PAGE_FACTS)
    _full_page_screenshot(driver, _shot_name(page), facts["height"])
    rep = {"ready": state, **facts}
    rep.update(_exercise_panels(driver, page))
    urls, failed = _requests(driver)
    rep["outside"] = sorted({u for u in urls if _outside(u)})
    rep["failed"] = failed
    rep["errors"] = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    _REPORTS[page] = rep
    return rep


def _ids(pages):
    return [p.removesuffix(".html") for p in pages]


params = pytest.mark.parametrize("page", PAGES or ["(no build)"], ids=_ids(PAGES) or ["no-build"])


@params
def test_page_loads(browser, page):
    assert _report(browser, page)["ready"] == "ready", f"{page}: {_report(browser, page)['ready']}"


@params
def test_no_raw_tex(browser, page):
    rep = _report(browser, page)
    assert not rep["untypeset"], f"{page}: math nodes MathJax did not typeset: {rep['untypeset'][:5]}"
    hits = []
    for rx in RAW_TEX:
        for m in rx.finditer(rep["text"]):
            a, b = max(0, m.start() - 40), min(len(rep["text"]), m.end() + 40)
            hits.append(" ".join(rep["text"][a:b].split()))
    assert not hits, f"{page}: raw TeX in the rendered text ({len(hits)}):\n  " + "\n  ".join(hits[:10])


@params
def test_no_console_errors(browser, page):
    errors = _report(browser, page)["errors"]
    assert not errors, f"{page}: console errors:\n  " + "\n  ".join(errors[:10])


@params
def test_no_request_leaves_the_book(browser, page):
    rep = _report(browser, page)
    assert not rep["outside"], f"{page}: requests outside {HTML}:\n  " + "\n  ".join(rep["outside"][:10])
    assert not rep["failed"], f"{page}: requests that failed (missing local files?): {rep['failed'][:10]}"


@params
def test_outputs_do_not_overflow(browser, page):
    over = _report(browser, page)["overflow"]
    assert not over, f"{page}: output boxes wider than the page:\n  " + "\n  ".join(over[:10])


@params
def test_frame_panels_move(browser, page):
    rep = _report(browser, page)
    assert not rep["panel_problems"], f"{page}:\n  " + "\n  ".join(rep["panel_problems"])


@params
def test_no_dead_controls(browser, page):
    dead = _report(browser, page)["dead"]
    assert not dead, (f"{page}: widget controls outside a frame panel (they do nothing without a kernel; build the "
                      f"panel with firesets.widgets.frames.frame_panel, or tag the cell remove-cell):\n  "
                      + "\n  ".join(dead[:10]))
