"""Print the single-page HTML edition of the book to a PDF with headless Chromium.

Usage (``make pdf`` runs it after ``jupyter-book build --builder singlehtml``)::

    python scripts/print_pdf.py _build/singlehtml _build/optimizers-book.pdf

Chromium renders the math (MathJax is served with the site) and the figures
exactly as the web edition does; the theme's print styles drop the navigation.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
    "--virtual-time-budget=30000",  # let MathJax typeset before printing
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def print_pdf(site: Path, pdf: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install chromium")
    root_page = next(site.glob("book/intro.html"), None)
    if root_page is None:
        sys.exit(f"{site} holds no single-page edition: build it with --builder singlehtml")
    # the single page sits in book/ but links as if it were at the root of the site
    shutil.copy(root_page, site / "book.html")
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [chromium, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf.resolve()}",
                 f"http://127.0.0.1:{server.server_address[1]}/book.html"],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
    finally:
        server.shutdown()
    print(f"PDF edition: {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    print_pdf(Path(sys.argv[1]), Path(sys.argv[2]))
