"""What each page of the built site costs a reader: requests, bytes, experiments.

Loads every page of ``_build/html`` (build it first: ``make book``) in headless
Chromium with an empty cache and prints, per page, the number of requests, the
bytes transferred (the HTML itself and everything it loads), the requests to
other hosts (there should be none) and how many static explorers it has.

    python benchmarks/page_weight.py [_build/html]
"""

from __future__ import annotations

import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def toc_pages(root: Path) -> list[str]:
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages.extend(chapter["file"] for chapter in part["chapters"])
    return pages


def measure(browser, base: str, html: Path, page_name: str) -> dict:
    page = browser.new_page()
    sizes, external = [], []

    def on_response(response):
        if response.url.startswith(base):
            path = html / response.url[len(base) :].split("?")[0].split("#")[0]
            sizes.append(path.stat().st_size if path.is_file() else 0)

    def route(r):
        if r.request.url.startswith(base):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", on_response)
    page.goto(f"{base}{page_name}.html", wait_until="networkidle")
    explorers = page.locator(".optimizers-explorer").count()
    page.close()
    return {
        "page": page_name,
        "html kB": (html / f"{page_name}.html").stat().st_size / 1e3,
        "requests": len(sizes),
        "loaded kB": sum(sizes) / 1e3,
        "other hosts": len(external),
        "explorers": explorers,
    }


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    html = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "_build" / "html"
    if not (html / "index.html").exists():
        sys.exit(f"no built site in {html}: run `make book` first")
    handler = functools.partial(QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
        rows = [measure(browser, base, html, name) for name in toc_pages(root)]
        browser.close()
    server.shutdown()
    print(
        f"{'page':28} {'html kB':>8} {'requests':>9} {'loaded kB':>10} {'other hosts':>12} {'explorers':>10}"
    )
    for row in rows:
        print(
            f"{row['page']:28} {row['html kB']:8.0f} {row['requests']:9d} {row['loaded kB']:10.0f} "
            f"{row['other hosts']:12d} {row['explorers']:10d}"
        )


if __name__ == "__main__":
    main()
