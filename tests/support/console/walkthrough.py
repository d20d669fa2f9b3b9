"""The seeds' walkthrough in the browser (issue 12), as a privacy team and a data subject do it
with WordPress's Tools > Export / Erase Personal Data screens: the operator adds a request with
the confirmation email ticked and the table shows it Pending; the subject opens the emailed
link and presses its button; the table shows it Confirmed; the operator presses the row's Next
step; then an export is downloaded from the table, and an erasure ends Completed with its
receipt. axe-core checks every console page on the way.

The subject's email arrives between the two halves, so the Rust test
(tests/api/console_walkthrough.rs) runs this script twice:

    python3 walkthrough.py add BASE_URL TOKEN EMAIL export|erase
    python3 walkthrough.py confirm BASE_URL TOKEN EMAIL LINK

and asserts on the `label: value` lines it prints.
"""

import sys
import time

from selenium.webdriver.common.by import By

from harness import TIMEOUT, check_accessibility, driver, screenshot, sign_in, submit, text


def table_row(d, base_url, email):
    """The requests table searched for `email`: (status, next step's text)."""
    d.get(f"{base_url}/console/requests?q={email}")
    rows = d.find_elements(By.CSS_SELECTOR, "#requests tbody tr")
    assert len(rows) == 1, f"the search for {email} shows {len(rows)} rows"
    status = rows[0].find_element(By.CSS_SELECTOR, "td.status").get_attribute("data-state")
    nexts = rows[0].find_elements(By.CSS_SELECTOR, "td.next a, td.next button")
    return status, (nexts[0].text if nexts else "")


def add(base_url, token, email, action):
    with driver() as d:
        sign_in(d, base_url, token, next="/console/requests/new")
        d.find_element(By.ID, "email").send_keys(email)
        d.find_element(By.ID, f"action-{action}").click()
        print("send confirmation checked:", d.find_element(By.ID, "send_confirmation").is_selected())
        submit(d, d.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        print("created:", d.current_url.removeprefix(base_url))
        status, next_step = table_row(d, base_url, email)
        check_accessibility(d, "requests after adding")
        print("table status after adding:", status)
        print("next step after adding:", next_step)


def confirm(base_url, token, email, link):
    with driver() as d:
        # The subject: the emailed link shows the request; its button confirms it.
        d.get(link)
        outcome = d.find_element(By.ID, "outcome")
        print("link page:", outcome.get_attribute("data-outcome"))
        submit(d, d.find_element(By.ID, "confirm"))
        print("after the subject's click:", d.find_element(By.ID, "outcome").get_attribute("data-outcome"))

        # The operator: the table shows it Confirmed; its Next step moves it on.
        sign_in(d, base_url, token, next="/console/requests")
        status, next_step = table_row(d, base_url, email)
        print("table status after confirming:", status)
        print("next step after confirming:", next_step)
        check_accessibility(d, "requests after confirming")
        submit(d, d.find_element(By.CSS_SELECTOR, "#requests td.next button"))

        # Processing runs in the background: the table is read again until it is final.
        deadline = time.monotonic() + 4 * TIMEOUT
        while True:
            status, next_step = table_row(d, base_url, email)
            if status in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        print("table status at the end:", status)
        print("next step at the end:", next_step)
        screenshot(d, "walkthrough-done")

        row = d.find_element(By.CSS_SELECTOR, "#requests tbody tr")
        request_path = row.find_element(By.CSS_SELECTOR, "a[href^='/console/requests/']").get_attribute("href")
        download = row.find_elements(By.CSS_SELECTOR, "td.next a")
        if download:
            # The Download link, fetched as the browser does (with the session), hashed.
            result = d.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer().then(b =>"
                " crypto.subtle.digest('SHA-256', b).then(h => done({status: r.status, bytes: b.byteLength,"
                " sha256: Array.from(new Uint8Array(h)).map(x => x.toString(16).padStart(2, '0')).join('')}))),"
                " e => done({error: String(e)}));",
                download[0].get_attribute("href"))
            assert "error" not in result, result
            print("download status:", result["status"])
            print("download sha256:", result["sha256"])
        else:
            # The erasure's page: the receipt with its audit chain checked, and its JSON.
            d.get(request_path)
            check_accessibility(d, "the completed erasure's page")
            print("audit chain intact:", d.find_element(By.ID, "audit-chain").get_attribute("data-intact"))
            result = d.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.json().then(j =>"
                " done({status: r.status, events: (j.audit_chain && j.audit_chain.events || []).length})),"
                " e => done({error: String(e)}));",
                request_path + "/receipt.json")
            assert "error" not in result, result
            print("receipt status:", result["status"])
            print("receipt audit chain events:", result["events"])
        print("request page:", text(d, "main h1") if not download else request_path.removeprefix(base_url))


if __name__ == "__main__":
    phase, rest = sys.argv[1], sys.argv[2:]
    if phase == "add":
        add(*rest)
    elif phase == "confirm":
        confirm(*rest)
    else:
        raise SystemExit(f"unknown phase {phase!r}: add or confirm")
