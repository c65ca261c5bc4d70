"""PET biomarkers: lesion metrics, whole-body tumour burden and response between scans.

Per lesion SUVmax, SUVpeak (IBSI local intensity peak, 1 cm³), SUVmean, MTV,
TLG, centroid, axes and location; per patient lesion count, TMTV, total TLG,
Dmax and its BSA-normalised form, reference regions, PSMA-TV and TL-PSMA;
response by PERCIST 1.0 or EORTC 1999 with lesion matching; maximum-intensity
projections with lesion contours.

Public names are imported lazily.
"""

from __future__ import annotations

from typing import Any

from theranostix import _lazy

_EXPORTS: dict[str, str] = {
    "LesionMetrics": "_types",
    "PatientSummary": "_types",
    "PetAnalysis": "_types",
    "analyze_pet": "_metrics",
    "lesion_axes_mm": "_metrics",
    "measure_lesions": "_metrics",
    "summarize": "_metrics",
    "LesionMatch": "_response",
    "RESPONSE_CRITERIA": "_response",
    "ResponseCategory": "_response",
    "ResponseResult": "_response",
    "assess_response": "_response",
    "eortc_response": "_response",
    "match_lesions": "_response",
    "percist_response": "_response",
    "StudyAnalysis": "_study",
    "analysis_report": "_study",
    "analyze_study": "_study",
    "read_comparison_csv": "_study",
    "write_study_outputs": "_study",
    "mip_figure": "_mip",
    "write_mip_png": "_mip",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return __all__
