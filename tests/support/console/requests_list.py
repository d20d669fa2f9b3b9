"""The requests table in the browser (issue 12): tabs with counts, the email search and the
sort by due date through the filter form (htmx swaps the results), the pages, a bulk denial
over three requests where one refuses (with its confirmation step), a row's Next-step
button, the CSV download (fetched with the session and parsed), and the statistics page.
axe-core checks every page on the way.

    python3 requests_list.py BASE_URL TOKEN TAG

The Rust test made, with emails containing TAG: 55 confirmed exports "page-N.TAG@...", three
requests "bulk-N.TAG@..." (the third already cancelled), and one confirmed export
"next.TAG@..." with a data source that can process it.
"""

import csv
import io
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from harness import check_accessibility, driver, screenshot, sign_in, submit, text, wait


def row_ids(d):
    return [r.get_attribute("data-id") for r in d.find_elements(By.CSS_SELECTOR, "#requests tbody tr")]


def main(base_url, token, tag):
    with driver() as d:
        sign_in(d, base_url, token, next=f"/console/requests?q={tag}")
        check_accessibility(d, "requests")
        screenshot(d, "requests")
        for label in ("All", "Confirmed", "Cancelled"):
            tab = d.find_element(By.CSS_SELECTOR, f".tabs a[data-state='{label}']")
            print(f"tab {label}:", tab.text)
        print("rows on the first page:", len(row_ids(d)))

        # The next page, by its link; then back to the first.
        first_page = row_ids(d)
        submit_link = d.find_element(By.ID, "next-page")
        page = d.find_element(By.TAG_NAME, "html")
        submit_link.click()
        wait(d).until(lambda d: page.id != d.find_element(By.TAG_NAME, "html").id)
        second_page = row_ids(d)
        print("rows on the second page:", len(second_page))
        print("pages overlap:", bool(set(first_page) & set(second_page)))

        # The filter form, as a person uses it: search and sort by due date. htmx swaps the
        # results and puts the filters in the address.
        d.get(f"{base_url}/console/requests")
        search = d.find_element(By.ID, "q")
        search.clear()
        search.send_keys(f"BULK-0.{tag.upper()}")
        Select(d.find_element(By.ID, "sort")).select_by_value("due")
        d.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
        wait(d).until(lambda d: "sort=due" in d.current_url and len(row_ids(d)) == 1)
        print("search found:", text(d, "#requests tbody tr td:nth-child(2)"))
        check_accessibility(d, "requests filtered")

        # A bulk denial over the three bulk requests: confirm, with a reason, then results.
        d.get(f"{base_url}/console/requests?q=bulk-")
        boxes = [b for b in d.find_elements(By.CSS_SELECTOR, "input[type=checkbox][name=id]")]
        rows = d.find_elements(By.CSS_SELECTOR, "#requests tbody tr")
        ticked = 0
        for row, box in zip(rows, boxes):
            if tag in row.text:
                box.click()
                ticked += 1
        print("ticked:", ticked)
        Select(d.find_element(By.ID, "operation")).select_by_value("deny")
        submit(d, d.find_element(By.CSS_SELECTOR, "form#bulk button[type=submit]"))
        print("confirm heading:", text(d, "main h1"))
        check_accessibility(d, "bulk confirm")
        screenshot(d, "bulk-confirm")
        d.find_element(By.ID, "reason").send_keys("We could not verify who asked.")
        submit(d, d.find_element(By.ID, "confirm"))
        print("bulk summary:", text(d, "#summary"))
        for cell in d.find_elements(By.CSS_SELECTOR, "#results-table td.refused"):
            print("bulk refused:", cell.text)
        check_accessibility(d, "bulk result")
        screenshot(d, "bulk-result")

        # The Next-step button of a confirmed export: Process, then back in the table; once
        # it completed, the Download link.
        d.get(f"{base_url}/console/requests?q=next.{tag}")
        button = d.find_element(By.CSS_SELECTOR, "#requests td.next button")
        print("next step:", button.text)
        submit(d, button)
        print("back at:", d.current_url.removeprefix(base_url))
        for _ in range(40):
            d.get(f"{base_url}/console/requests?q=next.{tag}")
            if d.find_elements(By.CSS_SELECTOR, "#requests td.next a"):
                break
            time.sleep(0.25)
        print("status after:", d.find_element(By.CSS_SELECTOR, "#requests td.status").get_attribute("data-state"))
        print("next step after:", text(d, "#requests td.next a"))

        # The CSV of the filtered list, fetched as the browser downloads it (with the session).
        result = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done({"
            " disposition: r.headers.get('content-disposition'), type: r.headers.get('content-type'),"
            " body: t})), e => done({error: String(e)}));",
            f"/console/requests.csv?q={tag}")
        if "error" in result:
            raise AssertionError(result["error"])
        print("csv disposition:", result["disposition"].split(";")[0])
        print("csv type:", result["type"])
        records = list(csv.DictReader(io.StringIO(result["body"])))
        print("csv rows:", len(records))
        print("csv denied:", sum(1 for r in records if r["status"] == "Denied"))
        print("csv columns:", ",".join(records[0].keys()))

        d.get(f"{base_url}/console/statistics")
        check_accessibility(d, "statistics")
        screenshot(d, "statistics")
        print("statistics export:", text(d, "#statistics tr[data-action='Export']"))
        print("statistics erasure:", text(d, "#statistics tr[data-action='Erasure']"))


if __name__ == "__main__":
    main(*sys.argv[1:4])
