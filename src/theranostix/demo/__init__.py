"""Built-in demo: theranostic pairs, a day of Ga-68 elutions, a synthetic patient in SUV.

The demo data (``data/ga68_psma_day.toml``) describe a fictional day of
Ga-68-PSMA-11 PET: a Ge-68/Ga-68 generator with its history, a labelling
protocol and eight patients. :func:`demo_report` plans the day with
:func:`theranostix.production.plan_elution_day`.
"""

from theranostix.demo._patient import synthetic_patient_report
from theranostix.demo._report import demo_report, load_demo_day, pairs_table

__all__ = ["demo_report", "load_demo_day", "pairs_table", "synthetic_patient_report"]
