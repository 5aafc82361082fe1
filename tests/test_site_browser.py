"""The rendered site in a real browser: Debian's Chromium driven by Playwright.

For every page of the book: no console errors, no failed requests, no request
to another host, math rendered by MathJax wherever the page has math, every
image loaded, experiments present, every internal link resolving; and on an
experiment page the static explorer shows another frame when its slider moves.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from urllib.parse import urljoin, urlparse

import pytest

from conftest import toc_pages


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    html, _ = site
    handler = functools.partial(QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class PageVisit:
    """A page loaded with every request, failure and console message recorded."""

    def __init__(self, browser, base: str, path: str):
        self.page = browser.new_page()
        self.page.set_default_timeout(120_000)  # limits that catch a hang, not a busy machine
        self.external, self.failed, self.errors = [], [], []
        self.page.route("**/*", self._route(base))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.url = urljoin(base, path)
        self.page.goto(self.url, wait_until="networkidle")
        self.page.wait_for_function(
            "() => !window.MathJax || !window.MathJax.startup || window.MathJax.startup.promise",
            timeout=120_000,  # about 1 s idle; 10 s ran out while the live test ran beside it
        )
        self.page.wait_for_timeout(300)

    def _route(self, base):
        def route(r):
            if r.request.url.startswith(base):
                r.continue_()
            else:
                self.external.append(r.request.url)
                r.abort()

        return route


@pytest.fixture(scope="session")
def visits(browser, server):
    loaded = {page: PageVisit(browser, server, f"{page}.html") for page in toc_pages()}
    yield loaded
    for visit in loaded.values():
        visit.page.close()


PAGES = toc_pages()


@pytest.mark.parametrize("page", PAGES)
def test_no_errors_and_nothing_from_other_hosts(visits, page):
    visit = visits[page]
    assert visit.external == [], "requests to other hosts"
    assert visit.failed == [], "failed requests"
    assert visit.errors == [], "console errors"


@pytest.mark.parametrize("page", PAGES)
def test_math_is_rendered(visits, page):
    visit = visits[page]
    source_math = visit.page.locator(".math, span.math, div.math").count()
    rendered = visit.page.locator("mjx-container").count()
    assert rendered >= source_math, f"{source_math} math elements, {rendered} rendered"
    assert "\\(" not in visit.page.inner_text("main"), "raw TeX left on the page"


@pytest.mark.parametrize("page", PAGES)
def test_images_load(visits, page):
    broken = (
        visits[page]
        .page.locator("img")
        .evaluate_all(
            "(images) => images.filter(i => !(i.complete && i.naturalWidth > 0) && !i.hidden)"
            ".map(i => i.src.slice(0, 80))"
        )
    )
    assert broken == []


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_resolve(visits, page, site):
    html, _ = site
    visit = visits[page]
    hrefs = visit.page.locator("a[href]").evaluate_all("(links) => links.map(a => a.href)")
    base = urlparse(visit.url)
    missing = []
    for href in hrefs:
        target = urlparse(href)
        if target.netloc != base.netloc or target.scheme not in {"http", "https"}:
            continue
        path = html / target.path.lstrip("/")
        if target.path.endswith("/"):
            path = path / "index.html"
        if not path.exists():
            missing.append(href)
        elif target.fragment and path.suffix == ".html":
            ids = set(re.findall(r'id="([^"]+)"', path.read_text()))
            if target.fragment not in ids:
                missing.append(href)
    assert missing == []


def experiment_pages():
    return [
        page for page in PAGES if page not in {"book/notation", "book/api", "book/bibliography"}
    ]


@pytest.mark.parametrize("page", PAGES)
def test_experiments_render(visits, page, site):
    """Every widget of a page shows up: as a static explorer or as a rendered widget."""
    html, _ = site
    source = (html / f"{page}.html").read_text()
    expected = source.count('class="optimizers-explorer"')
    visit = visits[page]
    assert visit.page.locator(".optimizers-explorer").count() == expected
    if "application/vnd.jupyter.widget-view+json" in source:
        assert visit.page.locator(".jupyter-widgets").count() > 0


def test_static_explorer_changes_frame_when_its_slider_moves(visits):
    pages = [p for p in PAGES if visits[p].page.locator(".optimizers-explorer").count()]
    if not pages:
        pytest.fail("no page of the book has a static explorer")
    explorer = visits[pages[0]].page.locator(".optimizers-explorer").first
    shown = "(images) => images.findIndex(i => !i.hidden)"
    before = explorer.locator("img").evaluate_all(shown)
    value_before = explorer.locator("output").inner_text()
    slider = explorer.locator("input[type=range]")
    target = 0 if before != 0 else 1
    slider.evaluate(f"(el) => {{ el.value = {target}; el.dispatchEvent(new Event('input')); }}")
    assert explorer.locator("img").evaluate_all(shown) == target
    assert explorer.locator("output").inner_text() != value_before
    assert explorer.locator("img").nth(target).evaluate("(i) => i.complete && i.naturalWidth > 0")


def test_offline_search_finds_pages(browser, server):
    visit = PageVisit(browser, server, "search.html?q=momentum")
    visit.page.wait_for_selector("#search-results ul li")
    results = visit.page.locator("#search-results ul li").count()
    visit.page.close()
    assert results >= 2 and visit.external == [] and visit.errors == []
