"""Every widget the chapters display, in book order: for benchmarks and tests.

Each entry builds the widget as its chapter does (without the site's static explorer,
which only a site build computes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from lab import ch1_gradient_descent as gd
from lab import ch2_eigenvalues as eig
from lab import ch3_preconditioning as pre
from lab import ch4_momentum as mom
from lab import ch5_adaptive as ada
from lab import ch6_wrappers as wrap
from lab.widgets import Interactive

__all__ = ["WIDGETS", "BookWidget"]


class BookWidget(NamedTuple):
    """One widget of the book.

    Attributes:
        chapter: the notebook's name (``book/<chapter>.ipynb``).
        name: the widget's name within its chapter.
        build: makes the widget, at its chapter's default values.
        two_d: whether its computation is optimizer paths on a 2-D landscape.
    """

    chapter: str
    name: str
    build: Callable[[], Interactive]
    two_d: bool


WIDGETS = (
    BookWidget("gradient_descent", "starting_point", gd.starting_point_widget, True),
    BookWidget("gradient_descent", "saddle", gd.saddle_widget, True),
    BookWidget("gradient_descent", "learning_rate", gd.learning_rate_widget, True),
    BookWidget("gradient_descent", "batch_size", gd.batch_size_widget, False),
    BookWidget("eigenvalues", "eigenvalue", eig.eigenvalue_widget, True),
    BookWidget("eigenvalues", "rate", eig.rate_widget, False),
    BookWidget("preconditioning", "per_coordinate", pre.per_coordinate_widget, True),
    BookWidget("preconditioning", "rotation", pre.rotation_widget, True),
    BookWidget("preconditioning", "damped_newton", pre.damped_newton_widget, True),
    BookWidget("momentum", "paraboloid", mom.paraboloid_widget, True),
    BookWidget("momentum", "eigendirection", mom.eigendirection_widget, False),
    BookWidget("momentum", "nesterov", mom.nesterov_widget, True),
    BookWidget("adaptive", "bias_correction", ada.bias_correction_widget, False),
    BookWidget("adaptive", "comparison", ada.comparison_widget, True),
    BookWidget("wrappers", "large_batch", wrap.large_batch_widget, False),
    BookWidget("wrappers", "lookahead", wrap.lookahead_widget, False),
)
"""The 16 widgets, in the order the chapters show them."""
