"""What the browser checks share: headless Debian chromium through chromium-driver (selenium),
waits, screenshots, the sign-in form, and a tally of checks."""
import os

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


class Checks:
    def __init__(self):
        self.failures = 0

    def __call__(self, condition, what):
        print(("ok: " if condition else "FAIL: ") + what)
        if not condition:
            self.failures += 1


def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=900,760",
                     "--disable-dev-shm-usage"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_for(driver, what, timeout=15):
    """Until `what(driver)` holds. Errors while a page is being replaced (chromedriver's "Node with
    given id does not belong to the document" for an element of the page being left) count as
    not yet."""
    WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,)).until(what)


def gone(element):
    """A wait condition: `element`'s page has been left."""
    def predicate(_):
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True
    return predicate


def shot(driver, directory, name):
    os.makedirs(directory, exist_ok=True)
    driver.save_screenshot(os.path.join(directory, f"{name}.png"))


def sign_in(driver, name, password, before=None):
    """Fills and posts the portal's sign-in form; `before(driver)` runs once the form is there.
    Returns once the browser has left the form's page (its answer may be the same form again)."""
    wait_for(driver, expected_conditions.presence_of_element_located((By.ID, "username")))
    if before:
        before(driver)
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    button = driver.find_element(By.CSS_SELECTOR, "button[type=submit]")
    button.click()
    wait_for(driver, gone(button))
