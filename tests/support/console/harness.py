"""The console's browser-test harness: headless Chromium through chromedriver (Selenium), as
a person uses the console, plus an accessibility check with axe-core.

Scenario scripts beside this file import it, drive one walkthrough, print what the Rust test
asserts on (`label: value` lines), and fail (non-zero exit, a traceback) on anything wrong.
tests/api/console_harness.rs runs them (`run_scenario`).

    from harness import driver, sign_in, check_accessibility, screenshot, submit

- driver(): headless Chromium with a throw-away profile and timeouts; use it in `with`.
- sign_in(d, base_url, token, next=None): signs in through the sign-in form.
- submit(d, element): clicks a submit button (or submits a form) and waits for the next page.
- check_accessibility(d, label): axe-core's WCAG 2.0/2.1 A and AA rules on the current page;
  raises listing every violation. axe.min.js comes from $PRIVACYD_AXE_JS
  (scripts/test.sh installs axe-core 4.14.1 into ~/.cache/privacyd/axe).
- screenshot(d, name): with $PRIVACYD_SCREENSHOTS set, writes docs/console/<name>.png.
"""

import contextlib
import os
import pathlib
import tempfile
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# Longest wait for one page or element; a scenario that waits longer fails.
TIMEOUT = 15

REPO = pathlib.Path(__file__).resolve().parents[3]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@contextlib.contextmanager
def driver(width=1280, height=900):
    """Headless Chromium (the Debian package's binary and driver, never a downloaded one)."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--lang=en-US"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        d.set_page_load_timeout(30)
        d.set_script_timeout(30)
        try:
            yield d
        finally:
            d.quit()


def wait(d):
    return WebDriverWait(d, TIMEOUT)


def submit(d, element):
    """Presses `element` (a submit button) and waits until the browser shows the next page."""
    page = d.find_element(By.TAG_NAME, "html")
    element.click()
    wait(d).until(lambda d: _gone(page))
    wait(d).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _gone(element):
    """Whether `element` left the document: the next page replaced it. While the old document
    is being torn down, chromedriver may answer "Node with given id does not belong to the
    document" instead of a stale-element error; that means the same."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as err:
        if "does not belong to the document" in str(err):
            return True
        raise


def sign_in(d, base_url, token, next=None):
    """Signs in through the form; returns the page's URL after it (the `next` page)."""
    url = f"{base_url}/console/sign-in"
    if next:
        url += "?next=" + urllib.parse.quote(next, safe="/")
    d.get(url)
    field = d.find_element(By.ID, "token")
    field.send_keys(token)
    submit(d, d.find_element(By.CSS_SELECTOR, "form[action='/console/sign-in'] button[type=submit]"))
    return d.current_url


def sign_out(d):
    """Presses the layout's Sign out button."""
    submit(d, d.find_element(By.CSS_SELECTOR, "form.sign-out button[type=submit]"))


def check_accessibility(d, label):
    """Runs axe-core on the current page; raises AssertionError listing each violation of the
    WCAG 2.0/2.1 A and AA rules. Prints `axe <label>: clean` when there are none."""
    axe_path = os.environ.get("PRIVACYD_AXE_JS") or str(
        pathlib.Path.home() / ".cache/privacyd/axe/node_modules/axe-core/axe.min.js")
    source = pathlib.Path(axe_path).read_text()
    # WebDriver's scripts are not subject to the page's Content-Security-Policy.
    d.execute_script(source)
    result = d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done({violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))}), e => done({error: String(e)}));",
        AXE_TAGS)
    if "error" in result:
        raise AssertionError(f"axe failed on {label}: {result['error']}")
    violations = result["violations"]
    if violations:
        lines = [f"- {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}" for v in violations]
        raise AssertionError(f"axe found {len(violations)} WCAG violation(s) on {label} ({d.current_url}):\n"
                             + "\n".join(lines))
    print(f"axe {label}: clean")


def screenshot(d, name):
    """Writes docs/console/<name>.png when $PRIVACYD_SCREENSHOTS is set (for docs/console.md)."""
    if not os.environ.get("PRIVACYD_SCREENSHOTS"):
        return
    folder = REPO / "docs" / "console"
    folder.mkdir(parents=True, exist_ok=True)
    d.save_screenshot(str(folder / f"{name}.png"))


def text(d, css):
    """The visible text of the first element matching `css`, on one line."""
    return d.find_element(By.CSS_SELECTOR, css).text.replace("\n", " | ")
