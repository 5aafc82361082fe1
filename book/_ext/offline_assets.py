"""Serve MathJax and the ipywidgets HTML manager from the site itself.

By default a Jupyter Book page loads MathJax, require.js and the widget manager
from CDNs, so offline (or behind a strict firewall) it shows raw TeX and dead
widgets.  This extension copies the few files a page needs from ``node_modules``
(installed by ``npm ci`` from the pinned ``package.json``; ``make`` does it) into
the site's ``_static/vendor`` folder, where ``_config.yml`` points MathJax
(``mathjax_path``) and myst-nb (``nb_ipywidgets_js``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

# folder under node_modules → folder under _static/vendor
ASSETS = {
    "mathjax/es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js",
    "mathjax/es5/input": "mathjax/input",
    "mathjax/es5/output/chtml": "mathjax/output/chtml",
    "mathjax/es5/a11y": "mathjax/a11y",
    "mathjax/es5/ui": "mathjax/ui",
    "mathjax/es5/sre": "mathjax/sre",
    "@jupyter-widgets/html-manager/dist": "html-manager",
    "requirejs/require.js": "require.js",
}

# The widget manager still calls MathJax 2's API to typeset widget labels.
MATHJAX2_SHIM = """\
// require.js resolves the widget manager's font files against this path, not the page.
var require = {
  paths: {
    "@jupyter-widgets/html-manager/dist":
      (document.documentElement.dataset.content_root || "./") + "_static/vendor/html-manager",
  },
};
// The ipywidgets HTML manager typesets labels with MathJax 2's API; map it onto MathJax 3.
window.MathJax = window.MathJax || {};
window.MathJax.Hub = window.MathJax.Hub || {
  Queue: function () {
    if (window.MathJax.typesetPromise) { window.MathJax.typesetPromise(); }
  },
};
"""


def stage_assets(app) -> None:
    """Copy the assets into a staging folder and add it to ``html_static_path``."""
    node_modules = Path(app.confdir) / "node_modules"
    if not node_modules.is_dir():
        raise ExtensionError(
            "node_modules is missing: run `npm ci --ignore-scripts` in the book's root "
            "(`make book` does it) so that MathJax and the widget manager can be served locally"
        )
    staging = Path(app.outdir).parent / "vendor-static"
    vendor = staging / "vendor"
    for source, target in ASSETS.items():
        src, dst = node_modules / source, vendor / target
        if not src.exists():
            raise ExtensionError(f"{src} is missing: run `npm ci --ignore-scripts`")
        if dst.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.map", "*.d.ts"))
        else:
            shutil.copy2(src, dst)
    (vendor / "mathjax2-shim.js").write_text(MATHJAX2_SHIM)
    app.config.html_static_path.append(str(staging))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """Sphinx 7.4 registers some extensions' inline scripts twice; keep the first of each."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # the same inline script arrives once with filename None and once with ""
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("builder-inited", stage_assets)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)  # after the others
    app.add_js_file("vendor/mathjax2-shim.js", priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
