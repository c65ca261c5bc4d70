"""Radiopharmacy: PET dispensing plans, Ga-68 labelling days, batch records, therapy preparations.

Public names are imported lazily.
"""
