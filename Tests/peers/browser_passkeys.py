"""Drives Debian's Chromium (Selenium) through the account-security pages: a parent creates an
account on the registration page; an agent enrols a passkey with Chromium's WebAuthn virtual
authenticator and its activation code, then an authenticator app (pyotp computes the code),
and signs in again with the passkey. axe-core checks every page visited (see browser_pages.py).
With "scenario": "export-step-up", a partner adviser enrols a passkey, then exports a caseload
above its ceiling and answers the step-up with the passkey and a reason (export_step_up).

Usage: browser_passkeys.py CONFIG_JSON
CONFIG_JSON: {"base", "lang", "password", "activation", "accounts": {"agent"}, "weakPassword",
              "parent": {"username", "password", "firstName", "lastName", "birthDate"}}
         or {"scenario": "export-step-up", "base", "lang", "password", "activation",
             "accounts": {"partner"}, "recipientKey", "firstReason", "reason"}
Prints one JSON object with what each step saw and "axe": {page: [serious or critical violations]}.
"""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pyotp
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions

from browser_pages import Browser, gone


def wait_for_server(base):
    """The server starts in the test's process as this script does: wait until it answers."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/web/sign-in", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server does not answer")


def shown(d, id):
    """Whether the element is on the page and visible; False while the page changes (Chromium
    answers a node of a replaced page with a stale-element or a generic inspector error)."""
    try:
        return d.find_element(By.ID, id).is_displayed()
    except WebDriverException:
        return False


def register(b, c, out):
    p = c["parent"]
    b.driver.get(f"{b.base}/web/sign-in?lang={b.lang}")
    b.find("#register-link").send_keys(Keys.ENTER)
    b.wait.until(lambda d: d.find_elements(By.ID, "register"))
    b.check("register")

    def fill(password):
        b.find("#username").clear()
        b.find("#username").send_keys(p["username"])
        b.find("#password").send_keys(password)
        for name in ("firstName", "lastName"):
            b.find(f"#p-{name}").clear()
            b.find(f"#p-{name}").send_keys(p[name])
        b.set_date("#p-birthDate", p["birthDate"])
        b.submit("#register-button")

    fill(c["weakPassword"])
    b.wait.until(lambda d: d.find_elements(By.ID, "error"))
    out["weakRefused"] = b.text("#error")
    b.check("register-refused")
    fill(p["password"])
    b.wait.until(lambda d: d.find_elements(By.ID, "registered"))
    out["registered"] = b.text("#registered")
    b.check("sign-in-registered")
    b.find("#username").send_keys(p["username"])
    b.find("#password").send_keys(p["password"])
    b.find("#password").send_keys(Keys.ENTER)
    b.wait.until(lambda d: "/web/home" in d.current_url)
    out["parentHome"] = b.text("#account-name")
    b.sign_out()


def authenticator(b):
    """Chromium's WebAuthn virtual authenticator, standing for the device of the person."""
    options = VirtualAuthenticatorOptions()
    options.protocol = VirtualAuthenticatorOptions.Protocol.CTAP2
    options.transport = VirtualAuthenticatorOptions.Transport.INTERNAL
    options.has_resident_key = True
    options.has_user_verification = True
    options.is_user_verified = True
    options.is_user_consenting = True
    b.driver.add_virtual_authenticator(options)


def enrol_passkey(b, c, who, out, check=True):
    """Signs in with a password, is sent straight to its account page to enrol a factor (it has
    none to verify), enrols a passkey with the activation code."""
    b.driver.get(f"{b.base}/web/sign-in?lang={b.lang}")
    b.find("#username").send_keys(c["accounts"][who])
    b.find("#password").send_keys(c["password"])
    b.find("#password").send_keys(Keys.ENTER)
    b.wait.until(lambda d: "/web/account" in d.current_url or "/web/second-factor" in d.current_url)
    out["noFactor"] = "/web/account" in b.driver.current_url and bool(b.finds("#app-enrol"))
    # The script shows the passkey form (hidden without script).
    b.wait.until(lambda d: shown(d, "passkey-enrol"))
    if check:
        b.check("account-enrol")
    b.find("#passkey-activation").send_keys(c["activation"])
    b.find("#passkey-enrol-button").send_keys(Keys.ENTER)
    b.wait.until(lambda d: d.find_elements(By.ID, "done") or shown(d, "passkey-error") or d.find_elements(By.ID, "error"))
    out["passkeyDone"] = b.text("#done")
    out["passkeyError"] = b.text("#error") or (b.text("#passkey-error") if b.finds("#passkey-error") else None)


def enrol(b, c, out):
    authenticator(b)
    enrol_passkey(b, c, "agent", out)
    out["recoveryCodes"] = len(b.finds("#recovery-codes .recovery-code"))
    b.check("account-recovery-codes")
    b.screenshot("account")

    # An authenticator app too: the secret shown once, confirmed with a code.
    b.submit("#app-enrol-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "app-secret"))
    secret = b.text("#app-secret")
    out["appUri"] = b.text("#app-uri").startswith("otpauth://totp/")
    b.check("account-app-secret")
    b.find("#app-code").send_keys(pyotp.TOTP(secret).now())
    b.submit("#app-confirm-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "done"))
    out["appDone"] = b.text("#done")
    out["sessions"] = len(b.finds("#sessions tr.session-row"))
    b.check("account-sessions")
    b.sign_out()

    # Signing in again: the passkey passes the second factor.
    b.find("#username").send_keys(c["accounts"]["agent"])
    b.find("#password").send_keys(c["password"])
    b.find("#password").send_keys(Keys.ENTER)
    b.wait.until(lambda d: "/web/second-factor" in d.current_url)
    b.wait.until(lambda d: shown(d, "passkey-sign-in"))
    out["passkeyOffered"] = True
    b.check("second-factor-passkey")
    b.find("#passkey-button").send_keys(Keys.ENTER)
    b.wait.until(lambda d: "/web/second-factor" not in d.current_url or shown(d, "passkey-error"))
    out["afterPasskey"] = b.driver.current_url.split("?")[0]
    b.check("after-passkey")
    b.sign_out()


def export_step_up(b, c, out):
    """A partner adviser whose factor is a passkey exports a caseload above its ceiling: the
    step-up page asks why and offers the passkey; with the box emptied the passkey is not asked
    for, the box is pointed at; with a reason typed the passkey's answer and the reason go."""
    authenticator(b)
    enrol_passkey(b, c, "partner", out, check=False)
    b.driver.get(f"{b.base}/web/exports?lang={b.lang}")
    b.find("#recipient-key").send_keys(c["recipientKey"])
    b.find("#export-justification").send_keys(c["firstReason"])
    b.submit("#partner-export-button")
    b.wait.until(lambda d: d.find_elements(By.ID, "error"))
    out["refusal"] = b.find("#error").get_attribute("data-key")
    b.wait.until(lambda d: shown(d, "passkey-sign-in"))
    out["passkeyOffered"] = True
    out["boxHolds"] = b.find("#justification").get_attribute("value")
    b.check("step-up-passkey")
    b.screenshot("step-up-passkey")
    b.find("#justification").clear()
    page = b.find("html")
    b.find("#passkey-button").send_keys(Keys.ENTER)
    time.sleep(1)
    out["emptyBoxStays"] = not gone(page) and b.driver.switch_to.active_element.get_attribute("id") == "justification"
    out["emptyBoxMissing"] = b.driver.execute_script("return document.getElementById('justification').validity.valueMissing")
    b.find("#justification").send_keys(c["reason"])
    b.find("#passkey-button").send_keys(Keys.ENTER)
    # The answer is the file, as a download: the page stays (the test reads what the server
    # made); the script disables the button once the browser gave its answer.
    b.wait.until(lambda d: shown(d, "passkey-error") or not d.find_element(By.ID, "passkey-button").is_enabled())
    out["passkeyError"] = shown(b.driver, "passkey-error")
    time.sleep(2)


def main():
    config = json.loads(sys.argv[1])
    wait_for_server(config["base"])
    b = Browser(config)
    try:
        out = {}
        if config.get("scenario") == "export-step-up":
            export_step_up(b, config, out)
        else:
            register(b, config, out)
            enrol(b, config, out)
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
