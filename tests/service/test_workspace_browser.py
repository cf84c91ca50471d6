"""The workspace in a real headless Chromium (Selenium), against `munigrid serve` started as a subprocess.

Walks the journeys of a planner: a scenario from the Tha Yang template with a changed battery,
run with progress, the report, a comparison with the bundled run, a 3-member sweep, every
finance structure, Thai; and a facility manager's day of operations. Screenshots of each page
go to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from service_support import small_document
from munigrid.scenarios import api

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_S = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`munigrid serve` on a free loopback port over a store holding a small run of the bundled scenario."""
    root = tmp_path_factory.mktemp("served")
    bundled = api.run(api.parse_document(small_document(days=7)), root=root, report=False)
    port = _free_port()
    exe = Path(sys.executable).with_name("munigrid")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "munigrid.scenarios.cli"]
    log = open(tmp_path_factory.mktemp("log") / "serve.log", "w")
    process = subprocess.Popen([*command, "serve", "--root", str(root), "--port", str(port), "--workers", "2"],
                               stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MUNIGRID_TOKEN": ""})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"munigrid serve exited with {process.returncode}; see {log.name}")
            time.sleep(0.2)
    yield {"base": base, "bundled_run": bundled.run_dir.name, "root": root}
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium through chromedriver, with a fresh profile and browser console logs kept."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromedriver are not on PATH (Debian: apt-get install chromium chromium-driver; "
                    ".ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--window-size=1280,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout_s: float = WAIT_S):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.2).until(condition)


def _field(driver, name: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.NAME, name)


def _type(driver, name: str, text: str) -> None:
    element = _field(driver, name)
    element.clear()
    element.send_keys(text)


def _error_beside(driver, path: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'.field-error[data-for="{path}"]').text


def _console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def _shot(driver, folder: Path, name: str) -> None:
    driver.save_screenshot(str(folder / f"{name}.png"))


def test_planner_journey(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    base, driver = server["base"], browser
    # 1. a new scenario from the Tha Yang template: a week, a larger battery; a bad value is flagged as typed
    driver.get(f"{base}/new?template=tha-yang")
    assert _field(driver, "s:battery.energy_kwh").get_attribute("value") == "200.0"
    _type(driver, "s:time.days", "7")
    _type(driver, "s:battery.energy_kwh", "-50")
    _wait(driver, lambda d: "greater than or equal to 0" in _error_beside(d, "battery.energy_kwh"), 30)
    assert driver.find_element(By.ID, "problems").is_displayed()
    _shot(driver, tmp_path, "1-editor-problem")
    _type(driver, "s:battery.energy_kwh", "300")
    _wait(driver, lambda d: _error_beside(d, "battery.energy_kwh") == "" and d.find_element(By.ID, "valid").is_displayed(), 30)
    # 2. run it: the job page shows progress, then the run page with key figures and the report
    driver.find_element(By.ID, "run").click()
    _wait(driver, lambda d: "/jobs/" in d.current_url or "/runs/" in d.current_url, 30)
    _shot(driver, tmp_path, "2-job-progress")
    _wait(driver, lambda d: "/runs/" in d.current_url)
    run_id = driver.current_url.rsplit("/", 1)[1]
    cards = driver.find_elements(By.CSS_SELECTOR, "#key-figures .card .value")
    assert len(cards) == 8 and all(c.text not in ("", "–") for c in cards[:4])
    _shot(driver, tmp_path, "3-run")
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert resources and all(r.startswith(base) for r in resources), resources  # nothing from another host
    driver.switch_to.frame(driver.find_element(By.ID, "report"))
    _wait(driver, lambda d: "Energy report" in d.find_element(By.TAG_NAME, "h1").text, 60)
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"), 60)
    driver.switch_to.default_content()
    assert run_id in api.stored_info(run_id, server["root"])["id"]
    assert api.stored_info(run_id, server["root"])["kpis"]["total"]["load_mwh"] > 0
    # 3. compare with the bundled run
    driver.get(f"{base}/compare")
    for box in driver.find_elements(By.CSS_SELECTOR, 'input[name="runs"]'):
        if box.get_attribute("value") in (run_id, server["bundled_run"]):
            box.click()
    driver.find_element(By.ID, "compare").click()
    table = _wait(driver, lambda d: d.find_element(By.ID, "comparison"), 30)
    assert "Δ" in table.text and server["bundled_run"] in table.text
    _shot(driver, tmp_path, "4-compare")
    # 4. a 3-member sweep of the battery size (over a week)
    driver.get(f"{base}/sweep")
    _type(driver, "field1", "battery.energy_kwh")
    _type(driver, "values1", "0,100,200")
    _type(driver, "field2", "time.days")
    _type(driver, "values2", "7")
    driver.find_element(By.ID, "start-sweep").click()
    _wait(driver, lambda d: "/sweeps/" in d.current_url)
    rows = driver.find_elements(By.CSS_SELECTOR, "#members tr")
    assert len(rows) == 1 + 3
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#sweep-chart .main-svg"), 30)
    _shot(driver, tmp_path, "5-sweep")
    # 5. finance: every ownership structure side by side
    driver.get(f"{base}/finance?run={run_id}")
    driver.find_element(By.ID, "start-finance").click()
    _wait(driver, lambda d: "/finance/j" in d.current_url)
    header = driver.find_element(By.CSS_SELECTOR, "#structures tr").text
    for structure in ("municipal", "esco", "esco-guaranteed", "ppa", "ppp"):
        assert structure in header
    assert len(driver.find_elements(By.CSS_SELECTOR, '#structures a[href*="case.xlsx"]')) == 5
    _shot(driver, tmp_path, "6-finance")
    # 6. switch to Thai
    driver.find_element(By.ID, "lang-toggle").click()
    _wait(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "th", 30)
    assert "การเงิน" in driver.find_element(By.TAG_NAME, "nav").text
    _shot(driver, tmp_path, "7-thai")
    driver.find_element(By.ID, "lang-toggle").click()
    assert not _console_errors(driver)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["1-editor-problem.png", "2-job-progress.png",
                                                             "3-run.png", "4-compare.png", "5-sweep.png",
                                                             "6-finance.png", "7-thai.png"]


@pytest.mark.slow
def test_operations_journey(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(f"{server['base']}/operations")
    _type(driver, "day", "2026-03-10")
    driver.find_element(By.ID, "start-operations").click()
    _wait(driver, lambda d: "/operations/j" in d.current_url)
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#schedule-chart .main-svg"), 30)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#schedule tr")) > 24
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#ems-downloads a")]
    assert any(link.endswith("schedule.csv") for link in links) and any(link.endswith("schedule.json") for link in links)
    with urllib.request.urlopen(links[0], timeout=10) as reply:
        assert b"battery_setpoint_kw" in reply.read()
    assert "2026-03-09" in driver.find_element(By.TAG_NAME, "main").text  # yesterday's review
    _shot(driver, tmp_path, "operations")
    assert not _console_errors(driver)
