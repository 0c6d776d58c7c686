"""Helpers for the browser tests of the web UI (test_ui.py): a headless Chromium driven
by Selenium through Debian's chromedriver, its console log, screenshots, and waits.

Screenshots go to SCREENSHOTS (`.build-ui-screenshots/` in the repository unless
SLUICE_UI_SCREENSHOTS names another folder), one PNG per page and test.
"""
import os
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from conftest import REPO
from prometheus_support import wait_until

SCREENSHOTS = Path(os.environ.get("SLUICE_UI_SCREENSHOTS", REPO / ".build-ui-screenshots"))
UI_TIMEOUT = 60


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("no chromium on PATH: scripts/test installs Debian's chromium")


def chromedriver_binary():
    path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    assert os.path.exists(path), "no chromedriver: scripts/test installs Debian's chromium-driver"
    return path


class Browser:
    """One headless Chromium with its console log collected per page."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium_binary()
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1440,1000", "--no-first-run", "--disable-extensions"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(chromedriver_binary()), options=options)
        self.driver.set_page_load_timeout(UI_TIMEOUT)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def open(self, route=""):
        """Loads the UI at `#/<route>` as a fresh page load (not a hash change)."""
        self.driver.get("about:blank")
        self.console()  # forget what earlier pages said
        self.driver.get(f"{self.base_url}/#/{route}" if route else self.base_url + "/")

    def console(self):
        """Console entries since the last call: [(level, message)]."""
        return [(entry["level"], entry["message"]) for entry in self.driver.get_log("browser")]

    def console_errors(self):
        return [message for level, message in self.console() if level == "SEVERE"]

    def screenshot(self, name):
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def find(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def one(self, css, timeout=UI_TIMEOUT):
        found = wait_for(lambda: (self.find(css) or [None])[0], timeout, f"an element {css}")
        return found

    def quit(self):
        self.driver.quit()


def wait_for(condition, timeout=UI_TIMEOUT, what="condition"):
    """`wait_until`, where elements replaced or gone while being read count as 'not yet'."""
    def attempt():
        try:
            return condition()
        except (StaleElementReferenceException, WebDriverException):
            return None
    return wait_until(attempt, timeout, what)
