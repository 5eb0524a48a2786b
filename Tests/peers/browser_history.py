"""Drives a real Chromium (Debian's, through Selenium and chromedriver) through Guichet's
citizens' page: sign in, read the access history that the page verified, sign out.

Usage: browser_history.py BASE_URL LANG USERNAME PASSWORD
Prints one JSON object: {"rows": [{"when", "datetime", "who", "action", "fields", "purpose", "status"}...],
"summary", "signInVisible", "cookieVisibleToScript", "afterSignOut", "language", "wrongPassword"}.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def main():
    base, lang, username, password = sys.argv[1:5]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(driver, 20)
    ready = lambda state: wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == state)
    try:
        driver.get(f"{base}/?lang={lang}")
        ready("sign-in")
        result = {"language": driver.find_element(By.TAG_NAME, "html").get_attribute("lang")}

        driver.find_element(By.ID, "username").send_keys(username)
        driver.find_element(By.ID, "password").send_keys(password + "-wrong")
        driver.find_element(By.ID, "sign-in-button").click()
        wait.until(lambda d: d.find_element(By.ID, "sign-in-error").is_displayed())
        result["wrongPassword"] = driver.find_element(By.ID, "sign-in-error").text

        driver.find_element(By.ID, "username").clear()
        driver.find_element(By.ID, "username").send_keys(username)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "sign-in-button").click()
        ready("history")
        rows = []
        for tr in driver.find_elements(By.CSS_SELECTOR, "#accesses tr.access"):
            time = tr.find_element(By.CSS_SELECTOR, "td.when time")
            rows.append({
                "when": time.text,
                "datetime": time.get_attribute("datetime"),
                "who": tr.find_element(By.CLASS_NAME, "who").text,
                "action": tr.find_element(By.CLASS_NAME, "action").text,
                "fields": tr.find_element(By.CLASS_NAME, "fields").text,
                "purpose": tr.find_element(By.CLASS_NAME, "purpose").text,
                "status": tr.find_element(By.CLASS_NAME, "proof").get_attribute("data-status"),
            })
        result["rows"] = rows
        result["signInVisible"] = str(driver.find_element(By.ID, "sign-in").is_displayed()).lower()
        result["summary"] = driver.find_element(By.ID, "summary").text
        result["cookieVisibleToScript"] = driver.execute_script("return document.cookie")
        driver.find_element(By.ID, "sign-out").click()
        ready("sign-in")
        driver.refresh()
        ready("sign-in")
        result["afterSignOut"] = "sign-in"
        print(json.dumps(result, ensure_ascii=False))
    except Exception:
        for entry in driver.get_log("browser"):
            print("browser:", entry.get("level"), entry.get("message"), file=sys.stderr)
        raise
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
