"""A real browser for the end-to-end tests: Debian's chromium driven by selenium through
chromedriver; and axe-core (vendored from npm, tests/vendor) to check a page's accessibility.

Without chromium these tests are skipped with the reason, except under CI (CI=true), where they
fail: .ci/run installs chromium and chromium-driver.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1000",
)  # fmt: skip
WAIT_SECONDS = 30


def _require_browser() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if missing:
        install = "apt-get install chromium chromium-driver"
        reason = f"no browser to drive: missing {', '.join(missing)} ({install})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the browser test")
        pytest.skip(reason)


@pytest.fixture
def open_browser(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Opens a new browser, with its own profile (so its own cookies), speaking French;
    `arguments`: more Chromium flags (a fake camera…)."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers: list[Any] = []

    def open_one(name: str, arguments: tuple[str, ...] = ()) -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, *arguments):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={tmp_path / name}")
        downloads = tmp_path / name / "downloads"
        options.add_experimental_option(
            "prefs",
            {"intl.accept_languages": "fr-FR,fr", "download.default_directory": str(downloads),
             "download.prompt_for_download": False},
        )  # fmt: skip
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        drivers.append(driver)
        return driver

    try:
        yield open_one
    finally:
        for driver in drivers:
            driver.quit()


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def axe_violations(driver: Any) -> list[str]:
    """What axe-core finds wrong on the page the browser shows (WCAG 2.x A and AA rules), one
    line per rule broken, naming the elements."""
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',"
        " 'best-practice']}).then(r => done(r.violations), e => done([{id: 'axe failed', "
        "help: String(e), nodes: []}]));"
    )
    return [f"{v['id']}: {v['help']} — {[n.get('target') for n in v['nodes']][:5]}" for v in result]


def wait_until(driver: Any, condition: Callable[[Any], Any]) -> Any:
    """Waits for the condition to hold, up to WAIT_SECONDS, and returns what it returned.

    A page or a part of it replaced while the condition reads it (a form submitted, a table
    swapped by htmx) counts as "not yet": chromium reports that race as a stale element or, for
    a whole page, as an unknown error.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def tolerant(browser: Any) -> Any:
        try:
            return condition(browser)
        except StaleElementReferenceException:
            return False
        except WebDriverException as error:
            if "does not belong to the document" not in (error.msg or ""):
                raise
            return False

    return WebDriverWait(driver, WAIT_SECONDS).until(tolerant)


def wait_for_text(driver: Any, selector: str, words: str) -> None:
    """Waits for the first element the CSS selector finds to contain the words."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    wait_until(driver, ec.text_to_be_present_in_element((By.CSS_SELECTOR, selector), words))
