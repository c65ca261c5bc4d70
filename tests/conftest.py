"""Shared test configuration.

Tests that read the reference material of ``../shared`` (IBSI phantoms, SUV
reference objects) arrive with the imaging issues; they will skip with a clear
reason when ``../shared`` is absent.
"""
