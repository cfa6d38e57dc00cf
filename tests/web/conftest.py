"""The browser fixtures of test_browser.py, for every browser test of the dashboard."""

from tests.web.test_browser import browser, page  # noqa: F401 -- fixtures, found by name
