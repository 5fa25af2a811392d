"""The web app as a marketer uses it: headless Chromium (Debian's ``chromium`` and its
``chromedriver``) against `crmagent serve` on loopback. Sign in, write a campaign, see both
texts and the guidance, type "today only" into the new text and watch the rule check flag
it, approve, and find the approval in the store; a viewer cannot approve; another
merchant's key cannot open the result; a ``<script>`` in a template shows as text. Each
page's screenshot is written to docs/images/ for the docs."""

from __future__ import annotations

import base64
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

from arena.world import build_world
from tests.integration.cli import new_key
from tests.integration.servers import ROOT, free_port, running
from tools.crm import access_for

pytestmark = pytest.mark.reliability

SHOTS = ROOT / "docs" / "images"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    # `make test` installs them; without them this suite cannot say anything, so it says so.
    pytest.fail(
        "the browser tests need Debian's chromium and chromium-driver: "
        "apt-get install -y chromium chromium-driver (make test does it)",
        pytrace=False,
    )

ORIGINAL = "Hi <script>alert('x')</script> we miss you! Come back and get 20% off your next run."


@dataclass(frozen=True)
class App:
    url: str
    home: Path
    editor: str
    viewer: str
    other: str


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    home = tmp_path_factory.mktemp("web")
    build_world(home, seed=1)
    keys = (
        new_key(home, "--merchant", "m007", "--role", "editor"),
        new_key(home, "--merchant", "m007", "--role", "viewer"),
        new_key(home, "--merchant", "m002", "--role", "admin"),
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"CRMAGENT_HOME": str(home), "CRMAGENT_API_KEYS": ""}
    with running([sys.executable, "-m", "crmagent", "serve", "--port", str(port)],
                 f"{url}/healthz", env):  # fmt: skip
        yield App(url, home, *keys)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1000")
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: WebDriver, seconds: float = 60) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, seconds)


def _shot(driver: WebDriver, name: str, width: int = 1280) -> None:
    """The whole page at ``width`` pixels, for the docs."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, 1000)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    (SHOTS / f"web-{name}.png").write_bytes(base64.b64decode(shot["data"]))
    driver.set_window_size(1280, 1000)


def _sign_in(driver: WebDriver, app: App, key: str, shot: bool = False) -> None:
    driver.get(f"{app.url}/healthz")
    driver.delete_all_cookies()  # whoever was signed in before
    driver.get(f"{app.url}/")
    _wait(driver).until(ready.url_contains("/signin"))
    if shot:
        _shot(driver, "signin")
    driver.find_element(By.ID, "key").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # Signed in once the page is Write itself (not /signin?next=/write).
    _wait(driver).until(lambda d: urlsplit(d.current_url).path == "/write")


def _write(driver: WebDriver, shot: bool = False, variants: int = 1) -> str:
    """Fill the write form by keyboard and mouse; returns the result's URL."""
    Select(driver.find_element(By.ID, "merchant_id")).select_by_value("m007")
    driver.find_element(By.ID, "segment").send_keys("lapsed_90d")
    Select(driver.find_element(By.ID, "channel")).select_by_value("sms")
    Select(driver.find_element(By.ID, "voucher_type")).select_by_value("percent_off")
    driver.find_element(By.ID, "voucher_value").send_keys("20")
    driver.find_element(By.ID, "voucher_code").send_keys("BACK20")
    driver.execute_script("document.getElementById('voucher_expires').value = '2026-12-31'")
    driver.find_element(By.CSS_SELECTOR, "input[name=scope][value=product]").click()
    driver.find_element(By.ID, "product_category").send_keys("apparel>shoes>running")
    driver.find_element(By.ID, "product_name").send_keys("Trail runner X")
    driver.find_element(By.ID, "original_template").send_keys(ORIGINAL)
    Select(driver.find_element(By.ID, "variants")).select_by_value(str(variants))
    if shot:
        _shot(driver, "write")
    driver.find_element(By.ID, "write").click()
    _wait(driver, 180).until(ready.url_contains("/results/"))
    return driver.current_url


def test_a_marketer_writes_checks_and_approves(app: App, browser: WebDriver) -> None:
    _sign_in(browser, app, app.editor, shot=True)
    url = _write(browser, shot=True)
    thread = url.rsplit("/", 1)[1]
    current = browser.find_element(By.CSS_SELECTOR, "[aria-label='current text'] .bubble")
    new = browser.find_element(By.CSS_SELECTOR, "[aria-label='new text'] .bubble")
    # The merchant's <script> is text on the page, never markup that runs.
    assert "<script>alert('x')</script>" in current.text
    assert browser.find_elements(By.CSS_SELECTOR, ".bubble script") == []
    assert "20%" in new.text and "Dec 31" in new.text
    assert browser.find_elements(By.CSS_SELECTOR, "mark.change")  # tracked changes
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.guidance li")) >= 1
    assert browser.find_element(By.ID, "status").text == "pending"
    mark = browser.find_element(By.CSS_SELECTOR, "mark.change")
    mark.send_keys("")  # focus shows the change's reason, as hover does
    assert mark.find_element(By.CSS_SELECTOR, ".why").is_displayed()
    _shot(browser, "result")
    _shot(browser, "result-phone", width=390)

    body = browser.find_element(By.ID, "body")
    body.send_keys(" Today only!")
    _wait(browser, 30).until(ready.text_to_be_present_in_element((By.ID, "repairs"), "Today only"))
    assert "breaks a rule" in browser.find_element(By.ID, "rule-status").text
    _shot(browser, "check")
    browser.find_element(By.ID, "approve").click()
    _wait(browser, 120).until(ready.text_to_be_present_in_element((By.ID, "status"), "approved"))

    row = access_for(app.home).review(thread)
    assert row is not None and row.status == "approved" and row.decided_by
    assert "Today only" not in row.result["template"]["body"]  # approved as the rules repaired it
    browser.get(f"{app.url}/queue?status=approved")
    assert thread in browser.page_source
    _shot(browser, "queue")
    browser.get(f"{app.url}/data")
    _shot(browser, "data")


def test_a_viewer_reads_but_cannot_approve(app: App, browser: WebDriver) -> None:
    pending = httpx.post(
        f"{app.url}/reviews",
        json={
            "merchant_id": "m007",
            "segment": "lapsed_90d",
            "channel": "push",
            "product_category": "apparel",
            "original_template": "New season, new shoes.",
        },
        headers={"Authorization": f"Bearer {app.editor}"},
        timeout=180,
    ).json()
    _sign_in(browser, app, app.viewer)
    browser.get(f"{app.url}/results/{pending['thread_id']}")
    assert browser.find_elements(By.ID, "approve") == []
    assert "an editor approves it" in browser.find_element(By.ID, "viewer-note").text
    browser.get(f"{app.url}/queue")
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=thread_id]")  # listed ...
    assert "Approve selected" not in browser.page_source  # ... but not decidable


def test_another_merchants_key_cannot_open_a_result(app: App, browser: WebDriver) -> None:
    ours = access_for(app.home).reviews(["m007"], status=None)
    assert ours
    _sign_in(browser, app, app.other)
    browser.get(f"{app.url}/results/{ours[0].thread_id}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    browser.get(f"{app.url}/queue?status=")
    assert "m007" not in browser.page_source


def test_an_experiment_shows_its_arms_the_next_split_and_ships(
    app: App, browser: WebDriver
) -> None:
    from crmagent import experiments

    made = experiments.create(
        app.home, "m007", "lapsed_90d", "sms",
        (None, "We miss you! 20% off with BACK20: {link}"),
        [(None, "20% off your next run, until Dec 31. Use BACK20: {link}")],
    )  # fmt: skip
    for sends, control, variant in ((2000, 31, 50), (2000, 29, 54)):  # two rounds
        experiments.record(app.home, made.experiment_id, "control", sends, control)
        experiments.record(app.home, made.experiment_id, "variant-1", sends, variant)
    _sign_in(browser, app, app.editor)
    browser.get(f"{app.url}/tests")
    browser.find_element(By.LINK_TEXT, f"#{made.experiment_id}").click()
    arms = browser.find_element(By.ID, "arms").text
    assert "variant-1" in arms and "4,000" in arms
    # The history: a line an arm, through each round's cumulative conversions.
    lines = browser.find_elements(By.CSS_SELECTOR, "#history polyline")
    assert len(lines) == 2 and len(lines[1].get_attribute("points").split()) == 4
    assert "Ship variant-1" in browser.find_element(By.ID, "rec-h").text
    split = browser.find_element(By.ID, "split").text
    assert "control" in split and "variant-1" in split
    decided = browser.find_element(By.XPATH, "//section[h2[@id='split-h']]").text
    assert "every send goes to the leader" in decided
    _shot(browser, "experiment")
    browser.find_element(By.ID, "exp-reason").send_keys("won at 99%")
    browser.find_element(By.ID, "ship").click()
    _wait(browser).until(ready.text_to_be_present_in_element((By.ID, "status"), "shipped"))
    _sign_in(browser, app, app.other)
    browser.get(f"{app.url}/tests/{made.experiment_id}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"


def test_variants_for_an_ab_test_become_an_experiment(app: App, browser: WebDriver) -> None:
    _sign_in(browser, app, app.editor)
    _write(browser, variants=3)
    shown = browser.find_elements(By.CSS_SELECTOR, "#variants > section")
    assert shown, browser.find_element(By.ID, "variants-h").text
    assert all("sure" in v.text for v in shown)  # each says what its test teaches
    _shot(browser, "variants")
    browser.find_element(By.ID, "start-test").click()
    _wait(browser).until(ready.url_contains("/tests/"))
    arms = browser.find_element(By.ID, "arms").text
    assert "control" in arms and f"variant-{len(shown) + 1}" in arms
