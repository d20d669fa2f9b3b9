"""Opens a confirmation link in headless Chromium (through chromedriver), checks the page
offers to withdraw the request, presses the button as a person would, and prints the
data-outcome of each page: what tests/api/browser.rs asserts on.

    python3 withdraw_in_browser.py URL
"""

import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def main(url: str) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # The Debian driver, not one Selenium Manager would download.
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(url)
            outcome = driver.find_element(By.ID, "outcome")
            print("confirm page:", outcome.get_attribute("data-outcome"))
            print("confirm text:", driver.find_element(By.TAG_NAME, "body").text.replace("\n", " | "))
            driver.find_element(By.ID, "withdraw").click()
            WebDriverWait(driver, 10).until(expected_conditions.staleness_of(outcome))
            after = driver.find_element(By.ID, "outcome")
            print("after click:", after.get_attribute("data-outcome"))
            print("after text:", driver.find_element(By.TAG_NAME, "body").text.replace("\n", " | "))
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1])
