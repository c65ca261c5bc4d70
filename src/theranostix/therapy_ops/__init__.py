"""Radioligand-therapy operations: courses, shielded rooms, patient release, waste decay.

Public names are imported lazily.
"""
