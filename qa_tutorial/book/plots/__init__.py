"""Figures and HTML views the chapters show; matplotlib only, functions return figures."""
