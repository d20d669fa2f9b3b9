"""The subject's pages in headless Chromium (through chromedriver), as a person uses them, with
axe-core checking each page for WCAG 2.1 A and AA violations. Prints what each page says (its
data-outcome and text) and axe's verdict: what tests/api/self_service_browser.rs asserts on.

    python3 self_service_in_browser.py ask BASE_URL EMAIL ACTION   fill in and send /request
    python3 self_service_in_browser.py confirm LINK                open a confirmation link, press confirm
    python3 self_service_in_browser.py status LINK DOWNLOAD_DIR    open a status link; download if offered
    python3 self_service_in_browser.py page URL                    open any page

axe-core comes from $PRIVACYD_AXE_JS (scripts/test.sh installs it under ~/.cache/privacyd/axe).
"""

import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

# The console's harness: its `submit` waits for the next page however Chromium reports that
# the old one is gone.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "console"))
from harness import submit  # noqa: E402

AXE = os.environ.get(
    "PRIVACYD_AXE_JS", os.path.expanduser("~/.cache/privacyd/axe/node_modules/axe-core/axe.min.js")
)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def show(driver, label: str) -> None:
    outcome = driver.find_element(By.ID, "outcome")
    print(f"{label}:", outcome.get_attribute("data-outcome"))
    print(f"{label} text:", driver.find_element(By.TAG_NAME, "body").text.replace("\n", " | "))
    check_accessibility(driver, label)


def check_accessibility(driver, label: str) -> None:
    """Runs axe-core on the page; prints `clean` or each violation with the nodes it found."""
    with open(AXE, encoding="utf-8") as f:
        driver.execute_script(f.read())
    violations = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
          .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' +
                                            v.nodes.map(n => n.target.join(' ')).join(', '))))
          .catch(e => done(['axe failed: ' + e]));
        """,
        WCAG,
    )
    print(f"{label} axe:", "clean" if not violations else " ; ".join(violations))


def press(driver, button_id: str, label: str) -> None:
    """Presses a button, waits for the page it leads to, and prints that page."""
    submit(driver, driver.find_element(By.ID, button_id))
    show(driver, label)


def main(mode: str, args: list) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    download_dir = args[1] if mode == "status" else None
    if download_dir:
        options.add_experimental_option(
            "prefs", {"download.default_directory": download_dir, "download.prompt_for_download": False}
        )
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # The Debian driver, not one Selenium Manager would download.
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(30)
        try:
            if mode == "ask":
                base, email, action = args
                driver.get(base + "/request")
                show(driver, "form page")
                field = driver.find_element(By.ID, "email")
                field.clear()
                field.send_keys(email)
                driver.find_element(By.ID, f"action-{action}").click()
                press(driver, "send", "answer page")
            elif mode == "confirm":
                driver.get(args[0])
                show(driver, "link page")
                press(driver, "confirm", "confirm page")
            elif mode == "status":
                driver.execute_cdp_cmd(
                    "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir}
                )
                driver.get(args[0])
                show(driver, "status page")
                if driver.find_elements(By.ID, "download"):
                    driver.find_element(By.ID, "download").click()
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline:
                        done = [n for n in os.listdir(download_dir) if n.endswith(".zip")]
                        if done:
                            path = os.path.join(download_dir, done[0])
                            print("downloaded:", done[0], os.path.getsize(path))
                            break
                        time.sleep(0.1)
                    else:
                        print("downloaded: nothing within 20 s:", os.listdir(download_dir))
            elif mode == "page":
                driver.get(args[0])
                show(driver, "page")
            else:
                raise SystemExit(f"unknown mode {mode}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
