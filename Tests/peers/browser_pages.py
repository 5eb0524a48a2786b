"""Drives a real Chromium (Debian's, through Selenium and chromedriver) through Guichet's
server-rendered pages, with the keyboard where a person would type, and checks every page
visited with axe-core (through axe-selenium-python).

Usage: browser_pages.py SCENARIO CONFIG_JSON
SCENARIO: place05 (a parent applies, a daycare offers, an agent finds the file, the parent
accepts) or emploi (a job seeker registers and updates, an adviser finds and updates), admin,
officer (an incident from scope to letters to the register; the keys' status) or export (a
parent's data).
CONFIG_JSON: {"base", "lang", "password", "accounts": {...}, "secrets": {...}, "screens": DIR or ""}
Prints one JSON object with what each step saw and "axe": {page: [serious or critical violations]}.
"""
import json
import os
import sys
import time

import pyotp
import selenium_axe_python
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait


# axe-selenium-python 2.1.6 (the last for Python < 3.12) bundles axe-core 3.1.1 (2018), which
# flags autocomplete="one-time-code" as invalid; its runner is given axe-core 4.9.1 instead,
# as shipped by selenium-axe-python.
AXE_CORE = os.path.join(os.path.dirname(selenium_axe_python.__file__), "axe-core", "axe.min.js")


def gone(element):
    """Whether the page an element belonged to was replaced (Chromium answers a stale node
    either with a stale-element error or with a generic inspector error)."""
    try:
        element.is_enabled()
        return False
    except WebDriverException:
        return True


class Browser:
    def __init__(self, config):
        self.config = config
        self.base = config["base"]
        self.lang = config["lang"]
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1000,700",
                     "--hide-scrollbars", "--force-device-scale-factor=1"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.wait = WebDriverWait(self.driver, 20)
        self.axe = {}
        self.pages = 0
        # The step of each account's enrolment code, already used.
        self.used_steps = {who: config.get("enrolledAt", 0) // 30 for who in config.get("secrets", {})}

    def quit(self):
        self.driver.quit()

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        found = self.finds(css)
        return found[0].text if found else None

    def check(self, name):
        """axe-core on the page as shown: keeps the serious and critical violations."""
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        axe = Axe(self.driver, script_url=AXE_CORE)
        axe.inject()
        results = axe.run()
        bad = [{"id": v["id"], "impact": v["impact"], "nodes": [n.get("html", "")[:200] for n in v["nodes"]]}
               for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        self.axe[name] = bad
        self.pages += 1

    def screenshot(self, name):
        folder = self.config.get("screens") or ""
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.driver.save_screenshot(os.path.join(folder, f"{name}.png"))

    def submit(self, css):
        """Presses Enter on a form's button, as a keyboard user does, and waits for the next page."""
        page = self.find("html")
        self.find(css).send_keys(Keys.ENTER)
        self.wait.until(lambda d: gone(page))

    def now(self):
        # A server on a test clock that stands still gives its time ("clock").
        return self.config.get("clock") or time.time()

    def totp(self, who):
        """A code the server has not seen yet for this account (each code works once)."""
        secret = self.config["secrets"][who]
        step = max(int(self.now()) // 30, self.used_steps.get(who, 0) + 1)
        while step > int(self.now()) // 30 + 1:
            time.sleep(1)
        self.used_steps[who] = step
        return pyotp.TOTP(secret).at(step * 30)

    def sign_in(self, who, wrong_first=False):
        result = {}
        username = self.config["accounts"][who]
        self.driver.get(f"{self.base}/web/sign-in?lang={self.lang}")
        result["language"] = self.find("html").get_attribute("lang")
        # The first Tab reaches the skip link: the page works from the keyboard.
        self.find("body").send_keys(Keys.TAB)
        result["firstTab"] = self.driver.switch_to.active_element.get_attribute("class")
        if wrong_first:
            self.find("#username").send_keys(username)
            self.find("#password").send_keys(self.config["password"] + "-wrong")
            self.submit("#sign-in-button")
            self.wait.until(lambda d: d.find_elements(By.ID, "error"))
            result["wrongPassword"] = self.text("#error")
            self.check("sign-in")
            self.find("#username").clear()
        self.find("#username").send_keys(username)
        self.find("#password").send_keys(self.config["password"])
        self.find("#password").send_keys(Keys.ENTER)
        self.wait.until(lambda d: "/web/sign-in" not in d.current_url)
        if "/web/second-factor" in self.driver.current_url:
            self.check("second-factor")
            self.find("#code").send_keys(self.totp(who))
            self.find("#code").send_keys(Keys.ENTER)
            self.wait.until(lambda d: "/web/second-factor" not in d.current_url)
        result["account"] = self.text("#account-name")
        return result

    def sign_out(self):
        self.submit("#sign-out")
        self.wait.until(lambda d: "/web/sign-in" in d.current_url)
        return self.driver.execute_script("return document.cookie")

    def set_date(self, css, value):
        # A date input's typed form depends on the browser's locale; its value does not.
        self.driver.execute_script("arguments[0].value = arguments[1]", self.find(css), value)

    def open_result(self):
        link = self.find("#results tr.result a")
        link.send_keys(Keys.ENTER)
        self.wait.until(lambda d: "/web/dossiers/" in d.current_url)

    def take(self, step):
        self.submit(f"#do-{step}")
        self.wait.until(lambda d: d.find_elements(By.ID, "done"))
        return {"done": self.text("#done"), "status": self.text("#status")}


def place05(b, c):
    out = {}
    # A parent applies, choosing the first daycare, and sees the rank.
    out["parentSignIn"] = b.sign_in("parent", wrong_first=True)
    b.check("citizen-home")
    b.find("#apply-link").send_keys(Keys.ENTER)
    b.wait.until(lambda d: d.find_elements(By.ID, "apply"))
    b.check("apply")
    b.find("#p-child-firstName").send_keys(c["child"]["firstName"])
    b.find("#p-child-lastName").send_keys(c["child"]["lastName"])
    b.set_date("#p-child-birthDate", c["child"]["birthDate"])
    b.set_date("#f-desiredStart", "2027-09-01")
    b.find("#f-daysPerWeek").send_keys("5")
    Select(b.find("#partner-1")).select_by_visible_text(c["daycare"])
    b.submit("#apply-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "done"))
    out["applied"] = {"done": b.text("#done"), "status": b.text("#status"),
                      "ranks": [r.text for r in b.finds("#ranks tr.rank")]}
    b.check("citizen-dossier")
    b.screenshot("citizen")
    b.driver.get(f"{b.base}/web/account")
    out["notices"] = len(b.finds("#notices tr.notice-row"))
    b.check("account")
    out["parentCookieVisible"] = b.sign_out()

    # The daycare signs in with its second factor, lists the waiting applications, offers a place.
    out["daycareSignIn"] = b.sign_in("daycare")
    b.check("search")
    Select(b.find("#status")).select_by_value("waiting")
    b.submit("#search-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "results-title"))
    out["daycareResults"] = [r.text for r in b.finds("#results tr.result")]
    b.check("search-results")
    b.open_result()
    out["daycareSees"] = b.text("#fields") + "\n" + "\n".join(p.text for p in b.finds("dl.person"))
    b.check("partner-dossier")
    out["offered"] = b.take("offer")
    b.screenshot("partner")
    b.sign_out()

    # An agent states the purpose and finds the file by the child's name and birth date.
    out["agentSignIn"] = b.sign_in("agent")
    Select(b.find("#purpose")).select_by_value("list-management")
    Select(b.find("#who")).select_by_value("child")
    b.find("#q-lastName").send_keys(c["child"]["lastName"])
    b.set_date("#q-birthDate", c["child"]["birthDate"])
    b.submit("#search-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "results-title"))
    out["agentResults"] = len(b.finds("#results tr.result"))
    b.open_result()
    out["agentSees"] = "\n".join(p.text for p in b.finds("dl.person"))
    b.check("staff-dossier")
    # Back, as staff do between two files: the results again, not the browser's "Confirm Form
    # Resubmission" (pages audit M4); the address holds no term.
    page = b.find("html")
    b.driver.back()
    b.wait.until(lambda d: gone(page))
    b.wait.until(lambda d: d.find_elements(By.ID, "results-title") or d.find_elements(By.ID, "search-gone"))
    out["agentBack"] = len(b.finds("#results tr.result"))
    out["agentBackAddressHasTerm"] = c["child"]["lastName"] in b.driver.current_url
    b.open_result()
    b.screenshot("staff")
    b.sign_out()

    # The parent accepts the place.
    b.sign_in("parent")
    out["parentHome"] = [r.text for r in b.finds("#dossiers td.status")]
    b.find("#dossiers tr.dossier a").send_keys(Keys.ENTER)
    b.wait.until(lambda d: d.find_elements(By.ID, "status"))
    out["accepted"] = b.take("accept")
    b.check("citizen-accepted")
    b.sign_out()
    return out


def emploi(b, c):
    out = {}
    # A job seeker registers at an agency, then changes the job they seek.
    out["seekerSignIn"] = b.sign_in("seeker")
    out["seekerHome"] = [r.text for r in b.finds("#dossiers td.status")]
    b.check("seeker-home")
    b.find("#apply-link").send_keys(Keys.ENTER)
    b.wait.until(lambda d: d.find_elements(By.ID, "apply"))
    b.check("seeker-register")
    # No registration date on the form: the registry records the day (the field is not the seeker's to write).
    assert not b.finds("#f-registeredOn"), "the registration date is not the job seeker's to write"
    Select(b.find("#f-category")).select_by_value("A")
    b.find("#f-targetJob").send_keys(c["firstJob"])
    Select(b.find("#partner-1")).select_by_visible_text(c["agency"])
    b.submit("#apply-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "edit"))
    out["registered"] = {"done": b.text("#done"), "status": b.text("#status")}
    b.check("seeker-dossier")
    field = b.find("#f-targetJob")
    field.clear()
    field.send_keys(c["targetJob"])
    b.submit("#edit-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "done"))
    out["seekerUpdated"] = {"done": b.text("#done"), "fields": b.text("#fields")}
    b.screenshot("job-seeker")
    b.sign_out()

    # An adviser states the purpose, finds a file of their agency by name and birth date, and
    # records the last contact.
    out["adviserSignIn"] = b.sign_in("adviser")
    Select(b.find("#purpose")).select_by_value("support")
    b.find("#q-lastName").send_keys(c["find"]["lastName"])
    b.set_date("#q-birthDate", c["find"]["birthDate"])
    b.submit("#search-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "results-title"))
    out["adviserResults"] = len(b.finds("#results tr.result"))
    b.check("adviser-search")
    b.open_result()
    b.check("adviser-dossier")
    b.set_date("#f-lastContact", c["lastContact"])
    b.submit("#edit-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "done"))
    out["adviserUpdated"] = {"done": b.text("#done"), "fields": b.text("#fields")}
    b.screenshot("adviser")
    b.sign_out()

    # A partner adviser's search of a file outside their caseload finds nothing.
    out["partnerSignIn"] = b.sign_in("partner")
    Select(b.find("#purpose")).select_by_value("disability-support")
    b.find("#q-lastName").send_keys(c["find"]["lastName"])
    b.set_date("#q-birthDate", c["find"]["birthDate"])
    b.submit("#search-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "results-title"))
    out["partnerResults"] = len(b.finds("#results tr.result"))
    b.check("partner-search")
    b.sign_out()
    return out


def admin(b, c):
    out = {}
    # An administrator asks for a daycare account; a second administrator approves it.
    out["adminSignIn"] = b.sign_in("admin")
    b.check("admin-accounts")
    b.find("#new-username").send_keys(c["newAccount"])
    b.find("#new-password").send_keys(c["newPassword"])
    Select(b.find("#new-role")).select_by_value("daycare")
    Select(b.find("#new-organisation")).select_by_visible_text(c["daycare"])
    b.submit("#new-account-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "made"))
    out["made"] = b.text("#made")
    b.check("admin-made")
    b.screenshot("admin")
    b.sign_out()

    out["admin2SignIn"] = b.sign_in("admin2")
    out["requests"] = [r.text for r in b.finds("#requests tr.request")]
    b.find("#requests tr.request button.approve").send_keys(Keys.ENTER)
    b.wait.until(lambda d: d.find_elements(By.ID, "no-request"))
    out["accountsAfter"] = [r.text for r in b.finds("#accounts tr.account")]
    b.check("admin-approved")
    b.driver.get(f"{b.base}/web/admin/registry")
    out["checkpoints"] = len(b.finds("#checkpoints tr.checkpoint"))
    b.check("admin-registry")
    b.sign_out()

    # A security officer acknowledges an alert and reinstates a suspended account.
    out["securitySignIn"] = b.sign_in("security")
    out["alerts"] = [r.text for r in b.finds("#alerts tr.alert")]
    out["suspensions"] = [r.text for r in b.finds("#suspensions tr.suspension")]
    b.check("security-queue")
    b.screenshot("security")
    # Every open alert, the watch's own included (a new privileged account), is acknowledged.
    while b.finds("#alerts tr.alert"):
        b.find("#alerts tr.alert input[name=note]").send_keys(c["note"])
        b.submit("#alerts tr.alert button.acknowledge")
        out["acknowledged"] = out.get("acknowledged", 0) + 1
        if out["acknowledged"] > 10:
            raise RuntimeError("the alerts do not leave the queue")
    b.find("#suspensions tr.suspension input[name=reason]").send_keys(c["reinstateReason"])
    b.submit("#suspensions tr.suspension button.reinstate")
    b.wait.until(lambda d: d.find_elements(By.ID, "no-suspension"))
    b.check("security-done")
    b.driver.get(f"{b.base}/web/security/scope?account={c['scopeAccount']}")
    out["scopeCount"] = b.text("#scope-count")
    b.check("security-scope")
    b.sign_out()
    return out


# The security officer's incident, the administrator's keys and the citizen's export (#17, #20).
def officer(b, c):
    """A security officer goes from an account's scope to an incident, its letters (sent
    through the relay when there is one) and the register; an administrator sees the keys."""
    out = {}
    out["securitySignIn"] = b.sign_in("security")
    b.driver.get(f"{b.base}/web/security/scope?account={c['scopeAccount']}")
    out["scopeCount"] = b.text("#scope-count")
    b.check("officer-scope")
    b.find("#incident-title-input").send_keys(c["incident"]["title"])
    b.find("#incident-nature").send_keys(c["incident"]["nature"])
    b.find("#incident-facts").send_keys(c["incident"]["facts"])
    b.submit("#incident-open")
    b.wait.until(lambda d: d.find_elements(By.ID, "incident-clock"))
    out["incident"] = {"done": b.text("#done"), "persons": b.text("#incident-persons"), "clock": b.text("#incident-clock")}
    b.check("officer-incident")
    Select(b.find("#letters-language")).select_by_value(b.lang)
    b.submit("#letters-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "letters-count"))
    out["letters"] = {"count": b.text("#letters-count"), "email": b.text("#letters-email"), "noRelay": bool(b.finds("#no-relay")),
                      "sample": b.text("#letter-sample"), "rows": len(b.finds("#letters tr.letter"))}
    b.check("officer-letters")
    if b.finds("#send-button"):
        b.submit("#send-button")
        b.wait.until(lambda d: d.find_elements(By.ID, "sent-summary"))
        out["sent"] = b.text("#sent-summary")
        b.check("officer-sent")
    page = b.find("html")
    b.find("#register-link").send_keys(Keys.ENTER)
    b.wait.until(lambda d: gone(page))
    out["register"] = [r.text for r in b.finds("#incidents tr.incident")]
    b.check("officer-register")
    b.screenshot("incidents")
    b.sign_out()

    out["adminSignIn"] = b.sign_in("admin")
    b.driver.get(f"{b.base}/web/admin/keys")
    out["keys"] = {"current": b.text("#keys-current"), "readable": bool(b.finds("#keys-readable")),
                   "versions": [r.text for r in b.finds("#key-versions tr.key-version")], "commands": b.text("#keys-commands")}
    b.check("admin-keys")
    b.sign_out()
    return out


def export(b, c):
    """A parent opens their data from the menu: their record, their files, the accesses."""
    out = {}
    out["parentSignIn"] = b.sign_in("parent")
    page = b.find("html")
    b.find('header a[href="/web/export"]').send_keys(Keys.ENTER)
    b.wait.until(lambda d: gone(page))
    out["export"] = {"person": b.text("#export-person"), "dossiers": [d.text for d in b.finds("article.export-dossier")],
                     "accesses": [r.text for r in b.finds("#export-accesses tr.access")],
                     "download": b.find("#export-download").get_attribute("href")}
    b.check("citizen-export")
    b.sign_out()
    return out


def main():
    scenario, config = sys.argv[1], json.loads(sys.argv[2])
    b = Browser(config)
    try:
        out = {"place05": place05, "emploi": emploi, "admin": admin, "officer": officer, "export": export}[scenario](b, config)
        out["axe"] = b.axe
        out["pagesChecked"] = b.pages
        print(json.dumps(out, ensure_ascii=False))
    except Exception:
        print("at:", b.driver.current_url, file=sys.stderr)
        print(b.driver.page_source[:4000], file=sys.stderr)
        raise
    finally:
        b.quit()


if __name__ == "__main__":
    main()
