"""A session's end in the browser: a form whose CSRF token was taken out is refused with the
page that says what to do; a page opened after the idle timeout leads to the sign-in, and
signing in again comes back to it.

    python3 session_end.py BASE_URL TOKEN EMAIL IDLE_SECONDS
"""

import sys
import time

from selenium.webdriver.common.by import By

from harness import check_accessibility, driver, screenshot, sign_in, submit, text


def main(base_url, token, email, idle_seconds):
    with driver() as d:
        sign_in(d, base_url, token, next="/console/requests/new")
        # A form without its token, as a forged one would be.
        d.execute_script("document.querySelector('main form input[name=_csrf]').remove()")
        d.find_element(By.ID, "email").send_keys(email)
        submit(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        print("without csrf:", text(d, "main"))
        check_accessibility(d, "refused form")
        screenshot(d, "refused-form")

        # Idle past the timeout, then a page: the sign-in, which comes back to it.
        d.get(f"{base_url}/console/requests/new")
        time.sleep(float(idle_seconds) + 0.5)  # the idle timeout is what is under test
        d.get(f"{base_url}/console/requests/new?from=idle")
        print("after idle:", d.current_url.removeprefix(base_url))
        d.find_element(By.ID, "token").send_keys(token)
        submit(d, d.find_element(By.CSS_SELECTOR, "form[action='/console/sign-in'] button[type=submit]"))
        print("signed in again:", d.current_url.removeprefix(base_url))


if __name__ == "__main__":
    main(*sys.argv[1:5])
