"""Normal-tissue reference regions: liver sphere, blood pool, spleen, parotid, user masks.

PERCIST measures the normal liver in a 3 cm diameter sphere in the right lobe,
and, when the liver is abnormal, the blood pool in a 1 cm x 2 cm cylinder in the
descending thoracic aorta [1]_. Krenning-type scores compare lesions with the
liver and the spleen [2]_, and PSMA scores with the liver and the parotid glands
[3]_.

How the liver sphere is placed (:func:`liver_reference`)
--------------------------------------------------------
Candidate centres are the liver voxels at least 15 mm (the sphere's radius)
from the nearest voxel outside the liver, so that the whole sphere lies in the
liver, and on the patient's right of the liver's centre of mass (the right
lobe). Among them the sphere whose image values are the most homogeneous (the
lowest standard deviation) is chosen: lesions and large vessels raise the
spread, so the sphere avoids them without knowing where they are. Voxels of an
``exclude`` mask (known lesions) are removed from the liver first.

How the liver is found on a CT without a mask (:func:`liver_mask_from_ct`)
-------------------------------------------------------------------------
A documented heuristic for the unenhanced low-dose CT of a PET/CT:

1. smooth the CT with a Gaussian of 3 mm (noise of low-dose CT);
2. the body is the largest connected region above -500 HU; the lungs are
   the body's voxels below -400 HU; the right lung base is the lowest slice
   holding lung on the patient's right of the body's centre;
3. liver candidates are voxels of 50 to 90 HU (unenhanced liver parenchyma is
   typically 55-65 HU, above spleen, muscle and blood [4]_), on the patient's
   right of the body's centre, between 250 mm below and 40 mm above the right
   lung base;
4. an opening with a 4 mm ball cuts thin bridges to neighbouring tissue and
   the largest connected component, holes filled, is the liver;
5. it must hold at least 400 mL (a normal liver holds 1,200-1,800 mL),
   otherwise :class:`~theranostix.errors.ThxError` explains what was found and
   asks for a liver mask.

It fails on contrast-enhanced CT (liver 100-130 HU), fatty liver (below
40 HU) and CTs that do not include the lung bases; the error then says so.

References
----------
.. [1] Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST: evolving
   considerations for PET response criteria in solid tumors. J Nucl Med
   2009;50 Suppl 1:122S-150S. doi:10.2967/jnumed.108.057307
.. [2] Hope TA, Bergsland EK, Bozkurt MF, et al. Appropriate use criteria for
   somatostatin receptor PET imaging in neuroendocrine tumors. J Nucl Med
   2018;59:66-74. doi:10.2967/jnumed.117.202275
.. [3] Eiber M, Herrmann K, Calais J, et al. Prostate Cancer Molecular Imaging
   Standardized Evaluation (PROMISE). J Nucl Med 2018;59:469-478.
   doi:10.2967/jnumed.117.198119
.. [4] Kodama Y, Ng CS, Wu TT, et al. Comparison of CT methods for determining
   the fat content of the liver. AJR 2007;188:1307-1312. doi:10.2214/AJR.06.0992
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, Mask, Volume
from theranostix.segmentation._types import ReferenceRegion

__all__ = [
    "ORGAN_ALIASES",
    "find_organ",
    "liver_mask_from_ct",
    "liver_reference",
    "organ_reference",
    "reference_regions",
    "user_reference",
]

#: PERCIST liver sphere diameter (mm), Wahl 2009.
LIVER_SPHERE_DIAMETER_MM = 30.0
#: Organ-mask names accepted for each reference region (lower case).
ORGAN_ALIASES: dict[str, tuple[str, ...]] = {
    "liver": ("liver",),
    "blood_pool": ("blood_pool", "aorta", "descending_aorta", "aorta_descending", "blood pool"),
    "spleen": ("spleen",),
    "parotid": ("parotid_glands", "parotid", "parotids", "parotid_gland"),
}
_CT_SMOOTH_MM = 3.0
_CT_LIVER_HU = (50.0, 90.0)
_CT_MIN_LIVER_ML = 400.0
_CT_SLAB_BELOW_MM = 250.0
_CT_SLAB_ABOVE_MM = 40.0


def find_organ(organs: Mapping[str, Mask] | None, region: str) -> Mask | None:
    """The organ mask for a reference region, by name or alias (case-insensitive)."""
    if not organs:
        return None
    by_name = {name.lower(): mask for name, mask in organs.items()}
    for alias in ORGAN_ALIASES.get(region, (region,)):
        mask = by_name.get(alias)
        if mask is not None and mask.voxel_count > 0:
            return mask
    return None


def _region(
    image: Volume, inside: npt.NDArray[np.bool_], name: str, method: str
) -> ReferenceRegion:
    """Statistics of ``image`` in ``inside`` as a :class:`ReferenceRegion`."""
    count = int(np.count_nonzero(inside))
    if count == 0:
        raise ThxError(f"reference region {name!r} is empty ({method})")
    values = np.asarray(image.array[inside], dtype=float)
    if not np.all(np.isfinite(values)):
        raise ThxError(f"reference region {name!r} covers NaN or infinite voxels")
    kji = np.argwhere(inside).mean(axis=0)
    centre = image.geometry.index_to_lps(kji[::-1])
    return ReferenceRegion(
        name=name,
        method=method,
        mean=float(values.mean()),
        sd=float(values.std(ddof=1)) if count > 1 else 0.0,
        max=float(values.max()),
        voxels=count,
        volume_ml=count * image.geometry.voxel_volume_ml,
        center_mm=(float(centre[0]), float(centre[1]), float(centre[2])),
        mask=Mask(inside, image.geometry, f"{name}_reference"),
    )


def _bbox(mask: npt.NDArray[np.bool_], margin: int = 0) -> tuple[slice, slice, slice]:
    """Bounding box of a non-empty mask, widened by ``margin`` voxels, as slices."""
    where = np.argwhere(mask)
    lo = np.maximum(where.min(axis=0) - margin, 0)
    hi = np.minimum(where.max(axis=0) + 1 + margin, mask.shape)
    return (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))


def _sampling(geometry: Geometry) -> tuple[float, float, float]:
    """Voxel spacing in array axis order ``(k, j, i)``."""
    si, sj, sk = geometry.spacing_mm
    return (sk, sj, si)


def _ball(geometry: Geometry, radius_mm: float) -> npt.NDArray[np.bool_]:
    """Binary ball of ``radius_mm`` in array axis order, for morphology."""
    sampling = np.asarray(_sampling(geometry))
    reach = np.floor(radius_mm / sampling).astype(int)
    axes = [np.arange(-r, r + 1) * s for r, s in zip(reach, sampling, strict=True)]
    kk, jj, ii = np.meshgrid(*axes, indexing="ij")
    return np.asarray(kk**2 + jj**2 + ii**2 <= radius_mm**2 * (1 + 1e-9))


def _patient_x(geometry: Geometry, kji: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """LPS x (mm, patient left positive) of voxel indices given as ``(k, j, i)`` rows."""
    return geometry.index_to_lps(kji[:, ::-1].astype(float))[:, 0]


def liver_reference(
    image: Volume,
    liver: Mask | None = None,
    *,
    ct: Volume | None = None,
    exclude: Mask | None = None,
    diameter_mm: float = LIVER_SPHERE_DIAMETER_MM,
) -> ReferenceRegion:
    """PERCIST liver reference: a 3 cm sphere in the right liver lobe.

    Placed as the module docstring describes: entirely inside the liver, on
    the patient's right of the liver's centre, where the image is the most
    homogeneous [1]_.

    Parameters
    ----------
    image : Volume
        The PET image (SUV or SUL) the statistics are taken from.
    liver : Mask, optional
        Liver mask on the image grid. Without it the liver is found on ``ct``.
    ct : Volume, optional
        CT of the same session (any grid; resampled onto the image), used when
        no liver mask is given.
    exclude : Mask, optional
        Voxels the sphere must avoid (known lesions).
    diameter_mm : float
        Sphere diameter, 30 mm in PERCIST.

    Returns
    -------
    ReferenceRegion
        Named ``"liver"``.

    Raises
    ------
    ThxError
        Without a liver mask and a CT, when the CT heuristic fails, or when no
        sphere of that size fits in the liver.

    References
    ----------
    .. [1] Wahl RL et al. J Nucl Med 2009;50 Suppl 1:122S-150S.
       doi:10.2967/jnumed.108.057307
    """
    from scipy import ndimage, signal

    if not diameter_mm > 0:
        raise ThxError(f"liver sphere diameter must be positive, got {diameter_mm} mm")
    source = "the liver mask"
    if liver is None:
        if ct is None:
            raise ThxError(
                "the liver reference needs a liver mask (an organ named 'liver') or the CT to "
                "find the liver on; give --organs or --ct, or a reference region"
            )
        liver = liver_mask_from_ct(ct, image.geometry)
        source = "the liver found on the CT"
    image.geometry.require_same_grid(liver.geometry, f"liver mask {liver.name!r}")
    region = np.asarray(liver.array, dtype=bool)
    if exclude is not None:
        image.geometry.require_same_grid(exclude.geometry, f"exclusion mask {exclude.name!r}")
        region = region & ~exclude.array
    if not region.any():
        raise ThxError(f"liver mask {liver.name!r} is empty")
    radius = diameter_mm / 2.0
    sampling = _sampling(image.geometry)
    pad = int(np.ceil(radius / min(sampling))) + 1
    box = _bbox(region, pad)
    sub = region[box]
    depth = ndimage.distance_transform_edt(np.pad(sub, 1), sampling=sampling)[1:-1, 1:-1, 1:-1]
    candidates = sub & (depth >= radius)
    if not candidates.any():
        raise ThxError(
            f"no {diameter_mm:g} mm sphere fits inside {source} ({liver.name!r}, "
            f"{liver.volume_ml:.0f} mL, at most {2 * float(depth.max()):.0f} mm thick); "
            "give the liver reference as a mask instead"
        )
    lo = np.array([s.start for s in box])
    cand_kji = np.argwhere(candidates)
    all_kji = np.argwhere(sub) + lo
    centre_x = float(_patient_x(image.geometry, all_kji).mean())
    right = _patient_x(image.geometry, cand_kji + lo) < centre_x
    lobe = "right lobe"
    if right.any():
        cand_kji = cand_kji[right]
    else:
        lobe = "liver (no room in the right lobe)"
    values = np.asarray(image.array[box], dtype=float)
    values = np.where(np.isfinite(values), values, 0.0)
    ball = _ball(image.geometry, radius).astype(float)
    n = float(ball.sum())
    total = signal.fftconvolve(values, ball, mode="same")
    squares = signal.fftconvolve(values * values, ball, mode="same")
    at = tuple(cand_kji.T)
    mean = total[at] / n
    variance = np.maximum(squares[at] / n - mean**2, 0.0)
    best = cand_kji[int(np.argmin(variance))]
    offsets = np.argwhere(ball > 0) - np.array(ball.shape) // 2
    inside = np.zeros(image.shape, dtype=bool)
    points = offsets + best + lo
    keep = np.all((points >= 0) & (points < np.array(image.shape)), axis=1)
    inside[tuple(points[keep].T)] = True
    inside &= np.asarray(liver.array, dtype=bool)
    method = f"{diameter_mm:g} mm sphere in the {lobe}, from {source}, most homogeneous position"
    return _region(image, inside, "liver", method)


def liver_mask_from_ct(ct: Volume, geometry: Geometry | None = None) -> Mask:
    """Find the liver on an unenhanced PET/CT CT (heuristic of the module docstring).

    Parameters
    ----------
    ct : Volume
        CT in HU.
    geometry : Geometry, optional
        Grid of the returned mask (e.g. the PET's); the CT's own grid by default.

    Returns
    -------
    Mask
        Named ``"liver (CT heuristic)"``.

    Raises
    ------
    ThxError
        When the CT is not in HU, does not include the lung bases, or no
        soft-tissue region of liver size and density is found.
    """
    from scipy import ndimage

    from theranostix.imaging._volume import ImageUnit

    if ct.unit is not ImageUnit.HU:
        raise ThxError(f"the liver heuristic needs a CT in HU, got an image in {ct.unit.value}")
    g = ct.geometry
    sampling = _sampling(g)
    hu = ndimage.gaussian_filter(
        np.asarray(ct.array, dtype=np.float32), [_CT_SMOOTH_MM / s for s in sampling]
    )
    labels, count = ndimage.label(hu > -500.0)
    if count == 0:
        raise ThxError("the CT holds no body (no voxel above -500 HU)")
    sizes = ndimage.sum_labels(np.ones_like(hu), labels, index=np.arange(1, count + 1))
    body = labels == 1 + int(np.argmax(sizes))
    body_kji = np.argwhere(body)
    body_x = float(_patient_x(g, body_kji[:: max(1, len(body_kji) // 200_000)]).mean())
    filled = np.zeros_like(body)
    for k in range(body.shape[0]):  # fill per axial slice: lungs are holes of the body
        filled[k] = ndimage.binary_fill_holes(body[k])
    lungs = filled & (hu < -400.0)
    kji = np.indices(body.shape[1:])
    nk = body.shape[0]
    z_of_k = g.index_to_lps(np.stack([np.zeros(nk), np.zeros(nk), np.arange(nk)], axis=1))[:, 2]
    # patient x per (j, i) column, from slice 0 (axial slices share the in-plane grid)
    plane = np.stack([kji[1].ravel(), kji[0].ravel(), np.zeros(kji[0].size)], axis=1)
    x_plane = g.index_to_lps(plane)[:, 0].reshape(body.shape[1:])
    right_side = x_plane < body_x
    lung_slices = np.flatnonzero((lungs & right_side).sum(axis=(1, 2)) * g.voxel_volume_ml > 5.0)
    if lung_slices.size == 0:
        raise ThxError(
            "cannot find the liver on the CT: no lung on the patient's right (the CT must "
            "include the lung bases); give a liver mask"
        )
    base_z = float(np.min(z_of_k[lung_slices]))
    slab = (z_of_k >= base_z - _CT_SLAB_BELOW_MM) & (z_of_k <= base_z + _CT_SLAB_ABOVE_MM)
    low, high = _CT_LIVER_HU
    candidates = (hu >= low) & (hu <= high) & filled & right_side[None, :, :] & slab[:, None, None]
    candidates = ndimage.binary_opening(candidates, structure=_ball(g, 4.0))
    labels, count = ndimage.label(candidates)
    found_ml = 0.0
    liver = np.zeros_like(candidates)
    if count:
        sizes = ndimage.sum_labels(np.ones_like(hu), labels, index=np.arange(1, count + 1))
        best = int(np.argmax(sizes))
        found_ml = float(sizes[best]) * g.voxel_volume_ml
        liver = labels == best + 1
    if found_ml < _CT_MIN_LIVER_ML:
        raise ThxError(
            f"cannot find the liver on the CT: the largest region of {low:g}-{high:g} HU below "
            f"the right lung base holds {found_ml:.0f} mL (< {_CT_MIN_LIVER_ML:g} mL); the "
            "heuristic needs an unenhanced CT with a normal liver; give a liver mask"
        )
    for index in np.flatnonzero(liver.any(axis=(1, 2))):
        liver[index] = ndimage.binary_fill_holes(liver[index])
    mask = Mask(liver, g, "liver (CT heuristic)")
    if geometry is not None and not g.same_grid(geometry):
        from theranostix.imaging._resample import resample_mask

        mask = resample_mask(mask, geometry)
    return mask


def organ_reference(
    image: Volume, organ: Mask, name: str | None = None, *, erode_mm: float = 5.0
) -> ReferenceRegion:
    """Reference statistics in an organ mask, away from its border.

    Voxels closer than ``erode_mm`` to the organ's border are left out, so that
    partial-volume spill from neighbouring tissue does not bias the mean (the
    PERCIST blood-pool cylinder of 1 cm in the descending aorta [1]_ is likewise
    kept inside the vessel). When the organ is thinner than that everywhere,
    its deepest half is used and the method says so.

    Parameters
    ----------
    image : Volume
    organ : Mask
        On the image grid.
    name : str, optional
        Region name; the mask's name by default.
    erode_mm : float
        Margin from the border (mm); 0 keeps the whole organ.

    Returns
    -------
    ReferenceRegion

    References
    ----------
    .. [1] Wahl RL et al. J Nucl Med 2009;50 Suppl 1:122S-150S.
       doi:10.2967/jnumed.108.057307
    """
    from scipy import ndimage

    image.geometry.require_same_grid(organ.geometry, f"organ mask {organ.name!r}")
    region = np.asarray(organ.array, dtype=bool)
    label = name or organ.name
    if not region.any():
        raise ThxError(f"organ mask {organ.name!r} is empty")
    if erode_mm <= 0:
        return _region(image, region, label, f"whole {organ.name!r} mask")
    box = _bbox(region, 1)
    depth_box = ndimage.distance_transform_edt(region[box], sampling=_sampling(image.geometry))
    depth = np.zeros(image.shape)
    depth[box] = depth_box
    # distance to the nearest outside voxel centre minus half a voxel = distance to the border
    half = 0.5 * min(image.geometry.spacing_mm)
    inside = region & (depth - half >= erode_mm)
    method = f"{organ.name!r} mask, voxels at least {erode_mm:g} mm from its border"
    if not inside.any():
        inside = region & (depth >= 0.5 * depth.max())
        method = f"{organ.name!r} mask, its deepest half (thinner than {2 * erode_mm:g} mm)"
    return _region(image, inside, label, method)


def user_reference(image: Volume, mask: Mask, name: str | None = None) -> ReferenceRegion:
    """Reference statistics in a region drawn by the user (taken as it is)."""
    image.geometry.require_same_grid(mask.geometry, f"reference mask {mask.name!r}")
    return _region(
        image, np.asarray(mask.array, bool), name or mask.name, f"user region {mask.name!r}"
    )


def reference_regions(
    image: Volume,
    organs: Mapping[str, Mask] | None = None,
    *,
    ct: Volume | None = None,
    user: Mapping[str, Mask] | None = None,
    exclude: Mask | None = None,
    require: tuple[str, ...] = (),
    known: Mapping[str, ReferenceRegion] | None = None,
) -> tuple[dict[str, ReferenceRegion], tuple[str, ...]]:
    """Every reference region that can be measured: liver, blood pool, spleen, parotid.

    A user region of the same name wins over the automatic one.

    Parameters
    ----------
    image : Volume
    organs : mapping of str to Mask, optional
        Organ masks on the image grid (names as :data:`ORGAN_ALIASES`).
    ct : Volume, optional
        For the liver when no liver mask is given.
    user : mapping of str to Mask, optional
        User regions by reference name (``"liver"``, ``"blood_pool"``...).
    exclude : Mask, optional
        Voxels the liver sphere must avoid.
    require : tuple of str
        Regions that must be found: their failure is raised instead of noted.
    known : mapping of str to ReferenceRegion, optional
        Regions already measured, kept as they are.

    Returns
    -------
    regions : dict of str to ReferenceRegion
    notes : tuple of str
        Why a region could not be measured.
    """
    out: dict[str, ReferenceRegion] = dict(known or {})
    notes: list[str] = []
    user = dict(user or {})
    for name, mask in user.items():
        out[name] = user_reference(image, mask, name)
    builders: dict[str, Any] = {
        "liver": lambda: liver_reference(
            image, find_organ(organs, "liver"), ct=ct, exclude=exclude
        ),
        "blood_pool": lambda: _organ(image, organs, "blood_pool"),
        "spleen": lambda: _organ(image, organs, "spleen"),
        "parotid": lambda: _organ(image, organs, "parotid"),
    }
    for name, build in builders.items():
        if name in out:
            continue
        try:
            region = build()
        except ThxError as exc:
            if name in require:
                raise
            notes.append(f"no {name} reference: {exc}")
            continue
        if region is not None:
            out[name] = region
        elif name in require:
            raise ThxError(
                f"the {name} reference needs an organ mask named one of "
                f"{', '.join(ORGAN_ALIASES[name])}, or a user region"
            )
    return out, tuple(notes)


def _organ(image: Volume, organs: Mapping[str, Mask] | None, name: str) -> ReferenceRegion | None:
    mask = find_organ(organs, name)
    return None if mask is None else organ_reference(image, mask, name)
