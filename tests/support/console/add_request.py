"""The "Add request" walkthrough in the browser, as WordPress's Tools screen is used: sign in
(refused first with a wrong token), add an export request with the confirmation email ticked,
try the same again (the form says a request exists and links to it), then sign out. axe-core
checks every page on the way.

    python3 add_request.py BASE_URL TOKEN EMAIL
"""

import sys

from selenium.webdriver.common.by import By

from harness import check_accessibility, driver, screenshot, sign_in, sign_out, submit, text


def main(base_url, token, email):
    with driver() as d:
        # A wrong token: the form again, saying only that.
        sign_in(d, base_url, "not-a-token-" + "x" * 40, next="/console/requests/new")
        print("wrong token:", text(d, "#token-error"))
        check_accessibility(d, "sign-in with an error")
        d.get(f"{base_url}/console/sign-in")
        check_accessibility(d, "sign-in")
        screenshot(d, "sign-in")

        landed = sign_in(d, base_url, token, next="/console/requests/new")
        print("after sign-in:", landed.removeprefix(base_url))
        check_accessibility(d, "add request")
        # The seeds' defaults: export, confirmation email ticked.
        print("export checked:", d.find_element(By.ID, "action-export").is_selected())
        print("send confirmation checked:", d.find_element(By.ID, "send_confirmation").is_selected())
        d.find_element(By.ID, "email").send_keys(email)
        screenshot(d, "add-request")
        submit(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        print("created:", d.current_url.removeprefix(base_url))

        # The same again: refused in the form, beside the email field, with a link.
        d.get(f"{base_url}/console/requests/new")
        d.find_element(By.ID, "email").send_keys(email)
        submit(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        print("duplicate:", text(d, "#email-error"))
        print("duplicate link:", d.find_element(By.CSS_SELECTOR, "#email-error a").get_attribute("href")
              .removeprefix(base_url))
        print("email described by:", d.find_element(By.ID, "email").get_attribute("aria-describedby"))
        check_accessibility(d, "add request with an error")
        screenshot(d, "add-request-duplicate")

        sign_out(d)
        print("after sign-out:", d.current_url.removeprefix(base_url))
        d.get(f"{base_url}/console/requests/new")
        print("add request after sign-out:", d.current_url.removeprefix(base_url))


if __name__ == "__main__":
    main(*sys.argv[1:4])
