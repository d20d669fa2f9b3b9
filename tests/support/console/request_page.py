"""A request's page and the data sources page in the browser (issue 12): extend a pending
request's deadline and deny it with a reason; press Process on an export and watch its source's
progress change live (htmx polling, no reload) until the page reloads itself COMPLETED; download
the archive and compare its SHA-256 with the page's; read a completed erasure's receipt and
download its JSON; register a source whose Describe fails and read the error. axe-core checks
every page on the way.

    python3 request_page.py BASE_URL TOKEN PENDING_ID EXPORT_ID ERASURE_ID UNREACHABLE_ENDPOINT
"""

import json
import sys
import time

from selenium.webdriver.common.by import By

from harness import TIMEOUT, check_accessibility, driver, screenshot, sign_in, submit, text, wait

# SHA-256 of a same-origin download, computed in the page (WebDriver's script, not the page's).
FETCH_SHA256 = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'})
  .then(r => r.arrayBuffer().then(b => crypto.subtle.digest('SHA-256', b))
  .then(h => done({status: r.status, sha256: Array.from(new Uint8Array(h)).map(x => x.toString(16).padStart(2, '0')).join('')})))
  .catch(e => done({error: String(e)}));
"""

FETCH_TEXT = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done({status: r.status, text: t})))
  .catch(e => done({error: String(e)}));
"""


def main(base_url, token, pending_id, export_id, erasure_id, unreachable):
    with driver() as d:
        sign_in(d, base_url, token, next=f"/console/requests/{pending_id}")
        check_accessibility(d, "pending request")
        screenshot(d, "request-pending")
        d.find_element(By.ID, "extend-days").send_keys("5")
        d.find_element(By.ID, "extend-reason").send_keys("several systems to search")
        submit(d, d.find_element(By.ID, "extend"))
        print("extended:", text(d, "#extension"))
        print("notice:", text(d, "#notice"))
        d.find_element(By.ID, "deny-reason").send_keys("identity not verified")
        submit(d, d.find_element(By.ID, "deny"))
        print("denied state:", text(d, "#state"))

        # An export: Process, then the sources table changes under our eyes.
        d.get(f"{base_url}/console/requests/{export_id}")
        submit(d, d.find_element(By.ID, "process"))
        print("after process:", d.find_element(By.ID, "state").get_attribute("data-state"))
        page = d.find_element(By.TAG_NAME, "html")
        seen = []
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                cells = d.find_elements(By.CSS_SELECTOR, "#progress tr[data-source='slow'] td.items")
                if cells:
                    value = cells[0].text
                    if not seen or seen[-1] != value:
                        seen.append(value)
                if d.find_element(By.ID, "state").get_attribute("data-state") == "COMPLETED":
                    break
            except Exception:
                pass  # the page is being swapped or reloaded
            time.sleep(0.3)
        print("items seen:", ",".join(seen))
        wait(d).until(lambda d: d.execute_script("return document.readyState") == "complete")
        print("export state:", d.find_element(By.ID, "state").get_attribute("data-state"))
        check_accessibility(d, "completed export")
        screenshot(d, "request-export")
        page_sha = text(d, "#archive-sha256")
        got = d.execute_async_script(FETCH_SHA256, f"/console/requests/{export_id}/archive")
        print("download status:", got.get("status") or got.get("error"))
        print("download sha256 matches:", got.get("sha256") == page_sha)

        d.get(f"{base_url}/console/requests/{erasure_id}")
        check_accessibility(d, "completed erasure")
        screenshot(d, "request-erasure")
        print("audit chain intact:", d.find_element(By.ID, "audit-chain").get_attribute("data-intact"))
        receipt = d.execute_async_script(FETCH_TEXT, f"/console/requests/{erasure_id}/receipt.json")
        print("receipt status:", receipt.get("status"))
        print("receipt names the request:", json.loads(receipt.get("text") or "{}").get("request_id") == erasure_id)

        d.get(f"{base_url}/console/sources")
        check_accessibility(d, "data sources")
        screenshot(d, "sources")
        d.find_element(By.ID, "name").send_keys("broken")
        d.find_element(By.ID, "endpoint").send_keys(unreachable)
        d.find_element(By.ID, "call_timeout").send_keys("1s")
        submit(d, d.find_element(By.ID, "register"))
        print("register error:", text(d, "#error"))
        check_accessibility(d, "data sources with an error")
        d.find_element(By.CSS_SELECTOR, "a[href='/console/sources/slow']").click()
        wait(d).until(lambda d: d.find_elements(By.ID, "categories"))
        check_accessibility(d, "data source")
        screenshot(d, "source")
        submit(d, d.find_element(By.ID, "disable"))
        print("after disable:", d.find_element(By.ID, "enabled").get_attribute("data-enabled"))


if __name__ == "__main__":
    main(*sys.argv[1:7])
