"""The book's lab: what the chapters run and draw.

The optimizers themselves live in :mod:`optimizers`, a library that needs only jax and
numpy; the lab builds the book on top of it and needs matplotlib, ipywidgets and
scikit-learn as well (``pip install -e .[lab]``).  Each layer imports only the ones
below it::

    chapters      ch1_gradient_descent … ch7_benchmark, appendix_conventions
                      one package (or module) per chapter: its computations, results and figures
    presentation  widgets, static_explorer, plot, prose
                      sliders that rerun a computation, the site's kernel-free explorers, figures,
                      numbers in the prose
    foundations   problems, trajectory, analysis, curvature, gradients, newton, nn, data, registry
                      test problems, compiled runs, closed-form theory, the registry of optimizers
    library       optimizers (not part of the lab)

Conventions every chapter follows:

* A computation returns a ``NamedTuple`` with documented fields; a figure function
  takes that result and returns the figure.  A notebook calls the computation, glues
  and asserts ``result.field``, and shows ``chapter.something_figure(result)``.
* A figure that a widget redraws is a :class:`lab.plot.Panels` subclass: fixed parts
  in ``__init__``, moving artists made once in ``create``, moved in ``update``.
* Every optimizer is looked up by its one name in :data:`lab.registry.OPTIMIZERS`;
  variants that exist only to teach (Adam without bias correction, L2 against
  decoupled decay) are defined once, in :mod:`lab.registry`.
* Hyperparameters reach compiled code as traced arguments
  (:func:`lab.trajectory.trajectory`): a slider move never recompiles.

Where each chapter lives (the chapter's package docstring says which result fields its
prose glues and asserts, section by section):

==========================  ================================  ====================================
notebook                    lab                               tests
==========================  ================================  ====================================
book/gradient_descent       :mod:`lab.ch1_gradient_descent`   tests/test_ch1_gradient_descent.py
book/eigenvalues            :mod:`lab.ch2_eigenvalues`        tests/test_ch2_eigenvalues.py
book/preconditioning        :mod:`lab.ch3_preconditioning`    tests/test_ch3_preconditioning.py
book/momentum               :mod:`lab.ch4_momentum`           tests/test_ch4_momentum.py
book/adaptive               :mod:`lab.ch5_adaptive`           tests/test_ch5_adaptive.py
book/wrappers               :mod:`lab.ch6_wrappers`           tests/test_ch6_wrappers.py
book/benchmark              :mod:`lab.ch7_benchmark`          tests/test_ch7_benchmark.py
book/conventions            :mod:`lab.appendix_conventions`   tests/test_appendix_conventions.py
==========================  ================================  ====================================

Every notebook is also executed by nbval (``make test``) and by the site build.
"""
