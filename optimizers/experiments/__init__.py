"""The experiments of each chapter, one module per chapter.

A chapter notebook calls one function per figure or widget, so that the
notebook holds the text and the results, and the plotting and optimization
plumbing lives here, tested and documented.
"""
