"""Opens a confirmation link in headless Chromium (through chromedriver) as a person would:
reads the page the link shows, presses its confirm button, and with --withdraw then presses
the withdraw button on the page that follows. Prints the data-outcome and text of each page:
what tests/api/browser.rs asserts on.

    python3 confirm_in_browser.py URL [--withdraw]
"""

import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

# The console's harness: its `submit` waits for the next page however Chromium reports that
# the old one is gone.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "console"))
from harness import submit  # noqa: E402


def press(driver, button_id: str, label: str) -> None:
    """Presses a button, waits for the page it leads to, and prints that page."""
    submit(driver, driver.find_element(By.ID, button_id))
    show(driver, label)


def show(driver, label: str) -> None:
    outcome = driver.find_element(By.ID, "outcome")
    print(f"{label}:", outcome.get_attribute("data-outcome"))
    print(f"{label} text:", driver.find_element(By.TAG_NAME, "body").text.replace("\n", " | "))


def main(url: str, withdraw: bool) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # The Debian driver, not one Selenium Manager would download.
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(30)
        try:
            driver.get(url)
            show(driver, "link page")
            press(driver, "confirm", "confirm page")
            if withdraw:
                press(driver, "withdraw", "after click")
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1], "--withdraw" in sys.argv[2:])
