"""Every HTML reply of every language in headless Chromium, at a phone's width (390 px)
and a desktop's (1280 px): nothing scrolls sideways, no text runs out of view. A
screenshot of each template per language is kept in build/screenshots/ for a person
to look at (git-ignored).

Debian's Chromium (/usr/bin/chromium; scripts/setup.sh installs it for the tests),
driven by Playwright, which never downloads a browser of its own here. One browser
session renders them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from mailbot.outbound.render import Renderer
from mailbot.templatecheck import load_samples

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"
SHOTS = REPO / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Root has no sandbox; the network is closed, so nothing may try to reach it.
FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDTHS = (390, 1280)

# Elements whose right edge passes the viewport, or whose content is wider than they
# are (text cut off); and how wide the page scrolls.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 || el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      bad.push(el.tagName + ': ' + (el.textContent || '').slice(0, 60));
  }
  return {scroll: document.documentElement.scrollWidth, width, bad};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run scripts/setup.sh as root"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def test_every_html_reply_reflows_at_phone_and_desktop_width(browser: Browser) -> None:
    renderer = Renderer(TEMPLATES)
    samples = load_samples(TEMPLATES)
    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 800})
    problems: list[str] = []
    shot = 0
    for name, contexts in sorted(samples.items()):
        if not name.startswith("customer/"):
            continue
        for language in renderer.languages.languages.values():
            for i, context in enumerate(contexts):
                html = renderer.render_in(name, context, language).html
                assert html is not None
                page.set_content(html)
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 800})
                    seen = page.evaluate(OVERFLOW)
                    if seen["scroll"] > width or seen["bad"]:
                        problems.append(f"{name} [{language.tag} #{i}] at {width}px: {seen}")
                if i == 0:  # one screenshot of each template per language, as a phone shows it
                    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
                    target = SHOTS / language.tag / f"{name.split('/')[1]}.png"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(target), full_page=True)
                    shot += 1
    assert not problems, "\n".join(problems)
    assert shot == 10 * sum(1 for n in samples if n.startswith("customer/"))
