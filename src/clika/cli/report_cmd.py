"""(being written)"""
from clika.cli import app, data_app  # noqa: F401
