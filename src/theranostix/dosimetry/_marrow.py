r"""Red marrow absorbed dose: blood-based and image-based methods (MIRD schema).

The red marrow (RM) dose is the sum of its self-dose, the cross-dose from the remainder of
the body (RoB) and the cross-dose from the source organs :math:`h` [1]_:

.. math::

    D_{RM} = \tilde A_{RM} S(RM \leftarrow RM) + \tilde A_{RoB} S(RM \leftarrow RoB)
    + \sum_h \tilde A_h S(RM \leftarrow h)

with :math:`\tilde A_{RoB} = \tilde A_{WB} - \tilde A_{RM} - \sum_h \tilde A_h` from the
whole-body TIA. The red-marrow TIA comes either from **blood samples** [1]_, [2]_:

.. math::

    \tilde A_{RM} = \tilde c_{blood} \cdot \mathrm{RMBLR} \cdot m_{RM}

(:math:`\tilde c_{blood}` the time-integrated activity concentration of blood, MBq·h/mL,
RMBLR the red-marrow-to-blood activity concentration ratio, :math:`m_{RM}` the red marrow
mass, g; 1 mL of marrow is taken as 1 g, as in the guideline) or from **images** of a
skeletal region, e.g. lumbar vertebrae [1]_:

.. math::

    \tilde A_{RM} = \tilde A_{VOI} / f_{VOI}

with :math:`f_{VOI}` the fraction of the total red marrow in that region.

S-values and reference masses are those of :mod:`theranostix.dosimetry._organ` (OLINDA/EXM
style tables of the ICRP 89 adult phantoms [3]_; Lu-177 only). Units: TIA in MBq·h, S in
mGy/(MBq·s), dose in Gy: ``D = TIA × 3600 × S × 1e-3``.

References
----------
.. [1] Hindorf C, Glatting G, Chiesa C, Lindén O, Flux G. EANM Dosimetry Committee
   guidelines for bone marrow and whole-body dosimetry. Eur J Nucl Med Mol Imaging
   2010;37:1238-1250. doi:10.1007/s00259-010-1422-4
.. [2] Sgouros G. Bone marrow dosimetry for radioimmunotherapy: theoretical
   considerations. J Nucl Med 1993;34:689-694.
.. [3] Stabin MG, Sparks RB, Crowe E. OLINDA/EXM. J Nucl Med 2005;46:1023-1027.
   doi:10.2967/jnumed.105.044005
.. [4] Cristy M. Active bone marrow distribution as a function of age in humans. Phys Med
   Biol 1981;26:389-400. doi:10.1088/0031-9155/26/3/003
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy.typing as npt

from theranostix.errors import ThxError

__all__ = [
    "RedMarrowDose",
    "blood_tia_mbq_h_per_ml",
    "red_marrow_dose_blood_gy",
    "red_marrow_dose_image_gy",
]

#: Seconds per hour: TIA in MBq·h -> MBq·s.
_S_PER_H = 3600.0
#: Gy per mGy: S-values are tabled in mGy/(MBq·s).
_GY_PER_MGY = 1e-3
#: Relative tolerance on a negative remainder of body (rounding of the inputs).
_REMAINDER_TOLERANCE = 1e-9
#: Key of the remainder of body in ``cross_dose_by_source_gy``.
REMAINDER = "remainder_of_body"


@dataclass(frozen=True)
class RedMarrowDose:
    """Red marrow absorbed dose, self- and cross-dose separately.

    Attributes
    ----------
    dose_gy : float
        Total absorbed dose (Gy): ``self_dose_gy + cross_dose_gy``.
    self_dose_gy : float
        Dose from the red marrow activity (Gy).
    cross_dose_gy : float
        Dose from the remainder of the body and the source organs (Gy).
    cross_dose_by_source_gy : Mapping[str, float]
        Cross-dose by source: ``"remainder_of_body"`` and the organ keys (Gy).
    red_marrow_tia_mbq_h : float
        TIA of the red marrow (MBq·h).
    remainder_tia_mbq_h : float or None
        TIA of the remainder of the body (MBq·h); ``None`` without a whole-body TIA.
    red_marrow_mass_g : float
        Patient red marrow mass used (g).
    phantom_red_marrow_mass_g : float
        Red marrow mass of the reference phantom (g).
    method : str
        ``"blood"`` or ``"image"``.
    nuclide : str
        Canonical radionuclide name.
    phantom : str
        Reference phantom of the S-values.
    inputs : Mapping[str, Any]
        The inputs, as given (after name resolution).
    notes : tuple of str
        Assumptions and what is not included.
    """

    dose_gy: float
    self_dose_gy: float
    cross_dose_gy: float
    cross_dose_by_source_gy: Mapping[str, float]
    red_marrow_tia_mbq_h: float
    remainder_tia_mbq_h: float | None
    red_marrow_mass_g: float
    phantom_red_marrow_mass_g: float
    method: str
    nuclide: str
    phantom: str
    inputs: Mapping[str, Any]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready plain data."""
        inputs = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self.inputs.items()}
        return {
            "method": self.method,
            "nuclide": self.nuclide,
            "phantom": self.phantom,
            "dose_gy": self.dose_gy,
            "self_dose_gy": self.self_dose_gy,
            "cross_dose_gy": self.cross_dose_gy,
            "cross_dose_by_source_gy": dict(self.cross_dose_by_source_gy),
            "red_marrow_tia_mbq_h": self.red_marrow_tia_mbq_h,
            "remainder_tia_mbq_h": self.remainder_tia_mbq_h,
            "red_marrow_mass_g": self.red_marrow_mass_g,
            "phantom_red_marrow_mass_g": self.phantom_red_marrow_mass_g,
            "inputs": inputs,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- checks


def _non_negative(what: str, value: float | None) -> float:
    if value is None:
        raise ThxError(f"{what} is required")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ThxError(f"{what} must be a number, got {value!r}") from None
    if not (math.isfinite(x) and x >= 0):
        raise ThxError(f"{what} must be a non-negative number, got {value}")
    return x


def _positive(what: str, value: float | None) -> float:
    x = _non_negative(what, value)
    if x == 0:
        raise ThxError(f"{what} must be a positive number, got {value}")
    return x


# --------------------------------------------------------------------------- blood samples


def blood_tia_mbq_h_per_ml(
    time_h: npt.ArrayLike,
    activity_concentration_mbq_per_ml: npt.ArrayLike,
    nuclide: str,
    *,
    models: Sequence[str] = ("mono", "bi", "bi-uptake", "tri", "trapezoid"),
    relative_sigma: float = 0.1,
) -> float:
    """Time-integrated activity concentration of blood (MBq·h/mL) from blood samples.

    A thin wrapper of :func:`~theranostix.dosimetry.fit_tac` with the activity
    concentration (MBq/mL, not decay corrected) in place of the activity: the model
    selection by AICc and the integration to infinity are those of ``fit_tac`` [1]_. For
    the fitted model and the uncertainty call ``fit_tac`` directly.

    Parameters
    ----------
    time_h : array_like
        Sampling times after administration (h).
    activity_concentration_mbq_per_ml : array_like
        Blood (or plasma, see the notes of :func:`red_marrow_dose_blood_gy`) activity
        concentration at each time (MBq/mL).
    nuclide : str
        Radionuclide (sets the physical-decay bound of the fit).
    models : sequence of str
        Models to try (see ``fit_tac``).
    relative_sigma : float
        Relative uncertainty of each sample (see ``fit_tac``).

    Returns
    -------
    float
        Time-integrated activity concentration (MBq·h/mL).

    Raises
    ------
    ThxError
        Invalid samples; the message names ``activity_concentration_mbq_per_ml``.

    References
    ----------
    .. [1] Hindorf C, et al. EANM Dosimetry Committee guidelines for bone marrow and
       whole-body dosimetry. Eur J Nucl Med Mol Imaging 2010;37:1238-1250.
       doi:10.1007/s00259-010-1422-4

    Examples
    --------
    >>> import math
    >>> t = [1.0, 4.0, 24.0, 48.0]
    >>> c = [0.01 * math.exp(-math.log(2) * x / 10.0) for x in t]
    >>> round(blood_tia_mbq_h_per_ml(t, c, "Lu-177", models=("mono",)), 4)
    0.1443
    """
    from theranostix.dosimetry._kinetics import fit_tac

    try:
        fit = fit_tac(
            time_h,
            activity_concentration_mbq_per_ml,
            nuclide=nuclide,
            models=models,
            relative_sigma=relative_sigma,
        )
    except ThxError as exc:
        message = str(exc).replace("activity_mbq", "activity_concentration_mbq_per_ml")
        raise ThxError(message) from exc
    return float(fit.tia_mbq_h)


# --------------------------------------------------------------------------- common part


@dataclass(frozen=True)
class _Context:
    nuclide: str
    phantom: str
    s_self: float
    s_remainder: float
    phantom_mass_g: float
    mass_g: float
    mass_note: str


def _context(
    nuclide: str, phantom: str, red_marrow_mass_g: float | None, body_mass_kg: float | None
) -> _Context:
    from theranostix.dosimetry._organ import phantom_masses_g, svalue_table, tabled_nuclides

    try:
        table = svalue_table(nuclide, phantom)
    except ThxError as exc:
        raise ThxError(
            f"nuclide {nuclide!r}: {exc}. The red marrow dose needs the S-values of "
            f"{', '.join(tabled_nuclides())}; for alpha emitters see alpha_dose()."
        ) from exc
    masses = phantom_masses_g(table.phantom)
    phantom_mass = masses["red_marrow"]
    if red_marrow_mass_g is not None and body_mass_kg is not None:
        raise ThxError("give red_marrow_mass_g or body_mass_kg, not both")
    if red_marrow_mass_g is not None:
        mass = _positive("red_marrow_mass_g", red_marrow_mass_g)
        note = f"Red marrow mass given: {mass:.4g} g (phantom {phantom_mass:.4g} g)."
    elif body_mass_kg is not None:
        body_g = 1000.0 * _positive("body_mass_kg", body_mass_kg)
        mass = phantom_mass * body_g / masses["total_body"]
        note = (
            f"Red marrow mass scaled by body mass: {phantom_mass:.4g} g x "
            f"{body_g / 1000:.4g} kg / {masses['total_body'] / 1000:.4g} kg = {mass:.4g} g."
        )
    else:
        mass = phantom_mass
        note = f"Red marrow mass of the {table.phantom} phantom: {mass:.4g} g."
    return _Context(
        nuclide=table.nuclide,
        phantom=table.phantom,
        s_self=table.s("red_marrow", "red_marrow"),
        s_remainder=table.s("red_marrow", "total_body"),
        phantom_mass_g=phantom_mass,
        mass_g=mass,
        mass_note=note,
    )


def _organ_tias(organ_tia_mbq_h: Mapping[str, float] | None) -> dict[str, float]:
    from theranostix.dosimetry._organ import find_organ

    out: dict[str, float] = {}
    for name, value in (organ_tia_mbq_h or {}).items():
        key = find_organ(name)
        if key == "red_marrow":
            raise ThxError(
                f"organ_tia_mbq_h[{name!r}]: the red marrow TIA comes from the method "
                "(blood or image), not from organ_tia_mbq_h"
            )
        if key == "total_body":
            raise ThxError(
                f"organ_tia_mbq_h[{name!r}]: give the whole-body TIA as whole_body_tia_mbq_h"
            )
        if key in out:
            raise ThxError(f"organ_tia_mbq_h: {name!r} given twice (as {key!r})")
        out[key] = _non_negative(f"organ_tia_mbq_h[{name!r}] (MBq·h)", value)
    return out


def _dose(
    method: str,
    ctx: _Context,
    tia_rm: float,
    whole_body_tia_mbq_h: float | None,
    organ_tia_mbq_h: Mapping[str, float] | None,
    inputs: dict[str, Any],
    notes: list[str],
) -> RedMarrowDose:
    from theranostix.dosimetry._organ import svalue_table

    table = svalue_table(ctx.nuclide, ctx.phantom)
    organs = _organ_tias(organ_tia_mbq_h)
    to_gy = _S_PER_H * _GY_PER_MGY
    s_self = ctx.s_self * ctx.phantom_mass_g / ctx.mass_g
    self_gy = tia_rm * s_self * to_gy
    cross: dict[str, float] = {}
    for key, tia in organs.items():
        cross[key] = tia * table.s("red_marrow", key) * to_gy
    remainder: float | None = None
    notes = [ctx.mass_note, *notes]
    if ctx.mass_g != ctx.phantom_mass_g:
        notes.append(
            "Self S-value scaled linearly by phantom/patient red marrow mass (OLINDA/EXM "
            "convention; the tabled red marrow S is not purely 1/m: electrons escape the "
            "marrow cavities into bone)."
        )
    if whole_body_tia_mbq_h is not None:
        wb = _non_negative("whole_body_tia_mbq_h (MBq·h)", whole_body_tia_mbq_h)
        inside = tia_rm + sum(organs.values())
        remainder = wb - inside
        if remainder < -_REMAINDER_TOLERANCE * max(wb, inside):
            raise ThxError(
                f"whole_body_tia_mbq_h ({wb:.6g} MBq·h) is smaller than the red marrow and "
                f"organ TIAs together ({inside:.6g} MBq·h): the remainder of body would be "
                "negative"
            )
        remainder = max(remainder, 0.0)
        cross[REMAINDER] = remainder * ctx.s_remainder * to_gy
        notes.append(
            "Remainder of body = whole body - red marrow - source organs; its S-value is "
            "approximated by S(red marrow <- total body). OLINDA's remainder-of-body "
            "correction is not applied."
        )
    else:
        notes.append(
            "No whole_body_tia_mbq_h: cross-dose from the remainder of the body NOT included."
        )
    if not organs:
        notes.append("No organ_tia_mbq_h: cross-dose from source organs NOT included.")
    cross_gy = sum(cross.values())
    notes.append(f"S-values: {ctx.nuclide}, {ctx.phantom} reference phantom.")
    return RedMarrowDose(
        dose_gy=self_gy + cross_gy,
        self_dose_gy=self_gy,
        cross_dose_gy=cross_gy,
        cross_dose_by_source_gy=MappingProxyType(cross),
        red_marrow_tia_mbq_h=tia_rm,
        remainder_tia_mbq_h=remainder,
        red_marrow_mass_g=ctx.mass_g,
        phantom_red_marrow_mass_g=ctx.phantom_mass_g,
        method=method,
        nuclide=ctx.nuclide,
        phantom=ctx.phantom,
        inputs=MappingProxyType({**inputs, "organ_tia_mbq_h": MappingProxyType(organs)}),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- methods


def red_marrow_dose_blood_gy(
    blood_tiac_mbq_h_per_ml: float,
    *,
    nuclide: str = "Lu-177",
    phantom: str = "adult-male",
    rmblr: float = 1.0,
    red_marrow_mass_g: float | None = None,
    body_mass_kg: float | None = None,
    whole_body_tia_mbq_h: float | None = None,
    organ_tia_mbq_h: Mapping[str, float] | None = None,
) -> RedMarrowDose:
    r"""Red marrow dose by the blood-based method of the EANM guideline.

    :math:`\tilde A_{RM} = \tilde c_{blood} \cdot \mathrm{RMBLR} \cdot m_{RM}` [1]_, [2]_,
    then :math:`D_{RM}` by the MIRD schema (module documentation) with the self S-value
    scaled as :math:`m_{RM,phantom} / m_{RM}`.

    Parameters
    ----------
    blood_tiac_mbq_h_per_ml : float
        Time-integrated activity concentration of blood (MBq·h/mL), e.g. from
        :func:`blood_tia_mbq_h_per_ml`.
    nuclide : str
        Radionuclide with an S-value table (Lu-177).
    phantom : str
        ``"adult-male"`` or ``"adult-female"``.
    rmblr : float
        Red-marrow-to-blood activity concentration ratio, ``> 0``. 1 (default) for small
        molecules that do not bind to blood, marrow or bone components (e.g. PSMA and SSTR
        ligands) [1]_; lower (0.2-0.4) for antibodies, which stay in the extracellular
        fluid of the marrow [1]_, [2]_.
    red_marrow_mass_g : float, optional
        Patient red marrow mass (g). Default: the phantom mass (1170 g male, 900 g female,
        ICRP 89), or scaled by ``body_mass_kg``. To scale by lean body mass, compute the mass
        and pass it here.
    body_mass_kg : float, optional
        Patient body mass: ``m_RM = m_RM,phantom × body mass / phantom body mass`` (73 kg
        male, 60 kg female). Not together with ``red_marrow_mass_g``.
    whole_body_tia_mbq_h : float, optional
        Whole-body TIA (MBq·h), for the cross-dose from the remainder of the body.
    organ_tia_mbq_h : Mapping[str, float], optional
        TIA (MBq·h) of source organs (any name of :func:`~theranostix.dosimetry.find_organ`
        that is a source of the table), for their cross-dose.

    Returns
    -------
    RedMarrowDose

    Raises
    ------
    ThxError
        A negative, missing or non-finite input (named), a non-positive RMBLR or mass, both
        masses given, an unknown organ or one that is not a source, a whole-body TIA below
        the red marrow and organ TIAs, a radionuclide without S-values.

    Notes
    -----
    With the mass scaling the self-dose does not depend on the red marrow mass
    (:math:`\tilde A_{RM} \propto m_{RM}`, :math:`S \propto 1/m_{RM}`); the mass changes
    the remainder of body, hence the cross-dose. The method assumes no specific uptake in
    the marrow, blood cells or bone; with marrow or bone involvement it underestimates the
    dose and the image-based method is preferred [1]_. 1 mL of marrow is taken as 1 g.

    References
    ----------
    .. [1] Hindorf C, Glatting G, Chiesa C, Lindén O, Flux G. EANM Dosimetry Committee
       guidelines for bone marrow and whole-body dosimetry. Eur J Nucl Med Mol Imaging
       2010;37:1238-1250. doi:10.1007/s00259-010-1422-4
    .. [2] Sgouros G. Bone marrow dosimetry for radioimmunotherapy: theoretical
       considerations. J Nucl Med 1993;34:689-694.
    .. [3] Stabin MG, Sparks RB, Crowe E. OLINDA/EXM. J Nucl Med 2005;46:1023-1027.
       doi:10.2967/jnumed.105.044005

    Examples
    --------
    >>> r = red_marrow_dose_blood_gy(0.1, whole_body_tia_mbq_h=20000.0)
    >>> round(r.red_marrow_tia_mbq_h, 1), round(r.self_dose_gy, 4), round(r.dose_gy, 4)
    (117.0, 0.0048, 0.0245)
    """
    tiac = _non_negative("blood_tiac_mbq_h_per_ml (MBq·h/mL)", blood_tiac_mbq_h_per_ml)
    ratio = _positive("rmblr", rmblr)
    ctx = _context(nuclide, phantom, red_marrow_mass_g, body_mass_kg)
    tia_rm = tiac * ratio * ctx.mass_g
    notes = [
        f"Blood-based method (EANM 2010): TIA_RM = {tiac:.4g} MBq·h/mL x RMBLR {ratio:g} x "
        f"{ctx.mass_g:.4g} g (1 mL = 1 g); assumes no specific uptake in marrow, blood "
        "cells or bone.",
    ]
    inputs: dict[str, Any] = {
        "blood_tiac_mbq_h_per_ml": tiac,
        "rmblr": ratio,
        "red_marrow_mass_g": red_marrow_mass_g,
        "body_mass_kg": body_mass_kg,
        "whole_body_tia_mbq_h": whole_body_tia_mbq_h,
    }
    return _dose("blood", ctx, tia_rm, whole_body_tia_mbq_h, organ_tia_mbq_h, inputs, notes)


def red_marrow_dose_image_gy(
    region_tia_mbq_h: float,
    region_marrow_fraction: float,
    *,
    nuclide: str = "Lu-177",
    phantom: str = "adult-male",
    red_marrow_mass_g: float | None = None,
    body_mass_kg: float | None = None,
    whole_body_tia_mbq_h: float | None = None,
    organ_tia_mbq_h: Mapping[str, float] | None = None,
) -> RedMarrowDose:
    r"""Red marrow dose by the image-based method: a skeletal region scaled to the whole.

    :math:`\tilde A_{RM} = \tilde A_{VOI} / f_{VOI}` [1]_ with :math:`f_{VOI}` the fraction
    of the total red marrow in the imaged region (e.g. lumbar vertebrae L2-L4), then
    :math:`D_{RM}` by the MIRD schema (module documentation) with the self S-value scaled
    as :math:`m_{RM,phantom} / m_{RM}`.

    Parameters
    ----------
    region_tia_mbq_h : float
        TIA of the marrow region (MBq·h), corrected for partial volume and for activity in
        bone or lesions by the caller.
    region_marrow_fraction : float
        Fraction (0-1] of the total red marrow in that region. **Required, no default**:
        take it from the reference distribution of active marrow by bone site (ICRP
        Publication 70, after Cristy 1981 [2]_) for the vertebrae imaged, or from a
        patient-specific estimate.
    nuclide, phantom, red_marrow_mass_g, body_mass_kg, whole_body_tia_mbq_h, organ_tia_mbq_h
        As in :func:`red_marrow_dose_blood_gy`.

    Returns
    -------
    RedMarrowDose

    Raises
    ------
    ThxError
        A negative, missing or non-finite input (named), a fraction outside (0, 1], and the
        errors of :func:`red_marrow_dose_blood_gy`.

    Notes
    -----
    The method assumes the activity concentration of the region is that of all the red
    marrow; the reference distribution of marrow between bone sites varies with age and
    between patients [2]_.

    References
    ----------
    .. [1] Hindorf C, Glatting G, Chiesa C, Lindén O, Flux G. EANM Dosimetry Committee
       guidelines for bone marrow and whole-body dosimetry. Eur J Nucl Med Mol Imaging
       2010;37:1238-1250. doi:10.1007/s00259-010-1422-4
    .. [2] Cristy M. Active bone marrow distribution as a function of age in humans. Phys
       Med Biol 1981;26:389-400. doi:10.1088/0031-9155/26/3/003
    .. [3] Stabin MG, Sparks RB, Crowe E. OLINDA/EXM. J Nucl Med 2005;46:1023-1027.
       doi:10.2967/jnumed.105.044005

    Examples
    --------
    >>> r = red_marrow_dose_image_gy(10.0, 0.1)
    >>> round(r.red_marrow_tia_mbq_h, 1), round(r.self_dose_gy, 5)
    (100.0, 0.00414)
    """
    tia_region = _non_negative("region_tia_mbq_h (MBq·h)", region_tia_mbq_h)
    fraction = _positive("region_marrow_fraction", region_marrow_fraction)
    if fraction > 1.0:
        raise ThxError(
            f"region_marrow_fraction must be a fraction in (0, 1], got {region_marrow_fraction}"
        )
    ctx = _context(nuclide, phantom, red_marrow_mass_g, body_mass_kg)
    tia_rm = tia_region / fraction
    notes = [
        f"Image-based method (EANM 2010): TIA_RM = {tia_region:.4g} MBq·h / {fraction:.4g} "
        "(fraction of the red marrow in the region, given by the caller).",
    ]
    inputs: dict[str, Any] = {
        "region_tia_mbq_h": tia_region,
        "region_marrow_fraction": fraction,
        "red_marrow_mass_g": red_marrow_mass_g,
        "body_mass_kg": body_mass_kg,
        "whole_body_tia_mbq_h": whole_body_tia_mbq_h,
    }
    return _dose("image", ctx, tia_rm, whole_body_tia_mbq_h, organ_tia_mbq_h, inputs, notes)
