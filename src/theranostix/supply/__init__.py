"""Radionuclide supply across a cyclotron network: a mixed-integer plan solved with HiGHS.

Public names are imported lazily.
"""
