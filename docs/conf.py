"""Sphinx configuration for the mnist-tutorial course site.

Settings only: what the build does in code lives in the ``course_site``
extension, one module per job (``docs/_ext/course_site/``).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

from mnist_tutorial import config as mnist_config
from mnist_tutorial import identity as mnist_identity

HERE = Path(__file__).parent.resolve()
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))

from course_site.repository_links import pages_url, repository_url

# -- Project ------------------------------------------------------------------
project = "mnist-tutorial"
author = "The mnist-tutorial developers"
copyright = "2026, The mnist-tutorial developers"
release = importlib.metadata.version("mnist-tutorial")
version = ".".join(release.split(".")[:2])

# The site's build is where a false claim on a page must fail; a reader who
# runs a downloaded script only gets a warning (mnist_tutorial.claims). A
# ledger column's build (nox -s ledger_column) sets it to 0, so that one
# failing claim does not stop its page's later checks; that build's failing
# rows still fail it at the end (claims_ledger.full_build_problems).
os.environ.setdefault(mnist_config.ENV_STRICT_CLAIMS, "1")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    # Formulas become MathML at build time: no script, no Node (docs/_ext/mathml_math.py).
    "mathml_math",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    # Folds the exercises' hints away: ``.. admonition::`` with ``:class: dropdown``.
    "sphinx_togglebutton",
    "sphinx_gallery.gen_gallery",
    "course_site",
    # Publishes the records of every run the site shows (docs/_ext/run_records.py).
    "run_records",
    # Shows how far each claim is from failing (docs/_ext/claims_ledger.py).
    "claims_ledger",
    # Each page's meta description and social card (Open Graph), and a 404 page.
    "sphinxext.opengraph",
    "notfound.extension",
]

exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]
root_doc = "index"

# -- The course_site extension --------------------------------------------------
# The repository comes from [project.urls] in pyproject.toml, else from
# GitHub Actions' GITHUB_REPOSITORY; with none, no page links to one.
course_repository = None
course_branch = "main"
# Notebooks install the package at the commit that built their page.
course_commit = os.environ.get("GITHUB_SHA") or None
course_draft = mnist_config.draft_mode()
# Examples re-run when any of these change, not only their own file.
course_stamp_sources = ["mnist_tutorial"]
# ... and when the environment's share of a run's identity changes (another
# seed offset, thread count or instruction set; mnist_tutorial.identity says
# what makes a run).
course_stamp_settings = mnist_identity.environment_settings()
course_stamp_distributions = [
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
    "scikit-learn",
    "scipy",
    "sphinx-gallery",
]
course_environment_distributions = [
    "mnist-tutorial",
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
    "scikit-learn",
    "scipy",
    "sphinx",
    "sphinx-gallery",
    "furo",
]

# -- Cross-references ---------------------------------------------------------
# Offline, each project falls back to a small local inventory
# (course_site.offline_intersphinx).
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
}
intersphinx_timeout = 5

autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# Types stay plain text: numpydoc type strings such as "ndarray, shape (N,)"
# or "mapping of str to float" are descriptions, not reference targets.
napoleon_use_param = False
napoleon_use_rtype = False
napoleon_preprocess_types = False

nitpicky = True
# Keras and TensorFlow publish no Sphinx inventory, so their names cannot
# resolve; every other unresolved reference is still an error.
nitpick_ignore_regex = [
    (r"py:.*", r"keras(\..*)?"),
    (r"py:.*", r"tensorflow(\..*)?"),
]

# -- HTML ---------------------------------------------------------------------
# Where the publishing workflow deploys the site (GitHub Pages), from the
# repository found as above: canonical links, the sitemap and the social
# cards' addresses need it. A build that knows no repository has none, and
# then writes no sitemap.
html_baseurl = pages_url(repository_url(ROOT / "pyproject.toml")) or ""
if html_baseurl:
    extensions.append("sphinx_sitemap")
    sitemap_url_scheme = "{link}"
    # Pages no search engine should list.
    sitemap_excludes = ["404.html", "search.html", "genindex.html", "py-modindex.html"]
ogp_site_url = html_baseurl
ogp_site_name = "MNIST with Keras"
# The social cards' corner image (a PNG of _static/favicon.svg: cards take no SVG).
ogp_social_cards = {"image_mini": "_static/logo.png", "line_color": "#2b4c7e"}
# Social cards are drawn with Matplotlib, which says at length which font
# weights the card's font lacks; that is not a problem of the site.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
# The 404 page's links are absolute, so that they work at any missing
# address: under the site's path on GitHub Pages, at the root elsewhere.
notfound_urls_prefix = urlparse(html_baseurl).path or "/"
# The 404 page is made by sphinx-notfound-page, which the description
# extension never sees: its description is given here.
notfound_context = {
    "title": "Page not found",
    "body": (
        "<h1>Page not found</h1>\n\n<p>There is no page at this address. The course "
        'starts on the <a href="' + notfound_urls_prefix + 'index.html">home page</a>.</p>'
    ),
    "metatags": (
        '<meta name="description" content="This address of the MNIST with Keras course site '
        'has no page; the course starts on its home page." />'
    ),
}
html_theme = "furo"
html_title = f"MNIST with Keras {version}"
html_static_path = ["_static"]
# A page with no icon link makes browsers ask for /favicon.ico, outside the site.
html_favicon = "_static/favicon.svg"
html_css_files = ["custom.css"]
html_js_files = ["scrollable.js"]
html_theme_options: dict[str, object] = {}
if course_draft:
    html_theme_options["announcement"] = (
        "<strong>Draft build:</strong> numbers are not the real ones "
        "(small data subset, few epochs)."
    )

# -- sphinx-gallery -------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "reset_modules": (
        "matplotlib",
        "course_site.keras_reset.reset_keras",
        "run_records.start_page",
        "claims_ledger.start_page",
    ),
    "reset_modules_order": "before",
    "download_all_examples": True,
    "doc_module": ("mnist_tutorial",),
    "backreferences_dir": "gen_modules/backreferences",
    "capture_repr": ("_repr_html_", "__repr__"),
    # Figures, SourceCode and plain results are shown; bare return values of
    # Keras and Matplotlib calls are not.
    "ignore_repr_types": r"matplotlib|keras|History|RunRecord|NoneType",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "matplotlib_animations": False,
    "image_srcset": ["2x"],
}
