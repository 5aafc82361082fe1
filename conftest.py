"""The book's notebooks run by nbval are cached for the site build: see tests/notebook_cache.py."""

pytest_plugins = ["tests.notebook_cache"]
