"""A readable device name from a User-Agent, for "Historique de mes actions" ("Chrome sur Android")."""

import re

_BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "Chromebook"),
    ("Linux", "Linux"),
]


def describe_device(user_agent: str) -> str:
    if not user_agent:
        return ""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "Navigateur")
    if "HeadlessChrome" in user_agent:
        browser = "Chrome"
    system = next((name for marker, name in _SYSTEMS if re.search(re.escape(marker), user_agent)), "")
    return f"{browser} sur {system}" if system else browser
