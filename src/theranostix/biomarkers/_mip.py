r"""Maximum-intensity projections (MIPs) of a whole-body PET with lesion contours.

A MIP is the picture nuclear-medicine physicians read first: the hottest voxel
along each ray through the body, drawn in an inverted grey scale (white
background, black where uptake is high). This module computes the projections
(:func:`mip_arrays`, :func:`projected_masks`), draws them with one contour and
one label per lesion (:func:`mip_figure`) and writes the picture as a PNG
(:func:`write_mip_png`).

Display convention
------------------
The views follow the radiological display convention for projection images:
the patient is seen from the front for the coronal view and from the patient's
left for the sagittal view, head at the top. In the terms of DICOM Patient
Orientation (0020,0020) (DICOM PS3.3 C.7.6.1.1.1), rows of the coronal picture
run towards the patient's left and columns towards the feet (``L\F``: the
patient's right is on the viewer's left); rows of the sagittal picture run
towards the posterior and columns towards the feet (``P\F``: anterior on the
viewer's left). Positions are in the LPS patient coordinate system of
:mod:`theranostix.imaging._volume` (DICOM PS3.3 C.7.6.2.1.1).

Volumes whose axes are aligned with the patient axes (any permutation or flip
of ``i``, ``j`` and ``k``) are reoriented without copying; oblique volumes must
be resampled first (:func:`theranostix.imaging.resample_volume`).

matplotlib is imported on first use, and figures are built without pyplot
(no global backend is chosen, no figure is left open).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from theranostix.biomarkers._types import PetAnalysis
from theranostix.errors import ThxError
from theranostix.imaging._volume import Geometry, ImageUnit, Volume

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["MIP_VIEWS", "mip_arrays", "mip_figure", "projected_masks", "write_mip_png"]

MIP_VIEWS: tuple[str, ...] = ("coronal", "sagittal")
"""The projections available, by name."""

SUV_DISPLAY_MAX = 10.0
"""Default upper end of the grey scale for SUV and SUL images (lower end 0)."""

PERCENTILE_DISPLAY_MAX = 99.9
"""Percentile of the coronal MIP used as the upper end of the grey scale for other units."""

_LabelArray: TypeAlias = npt.NDArray[np.integer[Any]] | npt.NDArray[np.bool_]

_AXIS_TOLERANCE = 1e-3
"""Largest off-axis direction cosine of an axis-aligned volume (about 0.06°)."""

# Canonical arrays are indexed [z, y, x] with z, y and x increasing towards the
# patient's head (S), back (P) and left (L). A view projects one canonical axis
# and shows another horizontally; the vertical axis is always z, head at the top.
_PROJECTED_AXIS = {"coronal": 1, "sagittal": 2}
_HORIZONTAL_AXIS = {"coronal": 2, "sagittal": 1}
_SIDE_LETTERS = {"coronal": ("R", "L"), "sagittal": ("A", "P")}
_TITLES = {"coronal": "coronal, anterior view", "sagittal": "sagittal, left lateral view"}


@dataclass(frozen=True)
class _Canonical:
    """A label or image array viewed in the canonical ``[z, y, x]`` order."""

    array: npt.NDArray[Any]
    spacing_mm: tuple[float, float, float]  # along z, y, x
    first_mm: tuple[float, float, float]  # LPS coordinate of index 0 along z, y, x

    def coordinates_mm(self, axis: int, start: int = 0, stop: int | None = None) -> Any:
        """Voxel-centre coordinates (mm) of indices ``start:stop`` along canonical ``axis``."""
        end = self.array.shape[axis] if stop is None else stop
        return self.first_mm[axis] + self.spacing_mm[axis] * np.arange(start, end, dtype=float)

    def extent_mm(self, view: str) -> tuple[float, float, float, float]:
        """``(left, right, bottom, top)`` of a view, voxel edges included, for ``imshow``."""
        h = _HORIZONTAL_AXIS[view]
        return (*self._edges(h), *self._edges(0))

    def _edges(self, axis: int) -> tuple[float, float]:
        half = 0.5 * self.spacing_mm[axis]
        first = self.first_mm[axis]
        return first - half, first + (self.array.shape[axis] - 1) * self.spacing_mm[axis] + half


def _canonical(array: npt.NDArray[Any], geometry: Geometry, what: str) -> _Canonical:
    """View ``array`` (indexed ``[k, j, i]``) as ``[z, y, x]`` in LPS order, without copying."""
    matrix = geometry.direction_matrix
    magnitudes = np.abs(matrix)
    lps_axis_of = np.argmax(magnitudes, axis=0)  # the LPS axis each of i, j, k runs along
    off_axis = magnitudes.copy()
    off_axis[lps_axis_of, np.arange(3)] = 0.0
    if len(set(lps_axis_of.tolist())) != 3 or float(off_axis.max()) > _AXIS_TOLERANCE:
        rows = np.round(matrix, 4).tolist()
        raise ThxError(
            f"{what} is oblique (direction {rows}, columns i, j, k): a maximum-intensity "
            "projection needs axes aligned with the patient axes; oblique volumes must be "
            "resampled first, with theranostix.imaging.resample_volume onto an axis-aligned grid"
        )
    perm = [0, 0, 0]
    for index_axis in range(3):  # i, j, k -> array axes 2, 1, 0; x, y, z -> canonical 2, 1, 0
        perm[2 - int(lps_axis_of[index_axis])] = 2 - index_axis
    view = np.transpose(array, perm)
    spacing = [0.0, 0.0, 0.0]
    for index_axis in range(3):
        spacing[2 - int(lps_axis_of[index_axis])] = geometry.spacing_mm[index_axis]
    flips = tuple(
        2 - int(lps_axis_of[c])
        for c in range(3)
        if matrix[lps_axis_of[c], c] < 0  # index runs towards R, A or I
    )
    if flips:
        view = np.flip(view, axis=flips)
    corners = geometry.index_to_lps([[0, 0, 0], [n - 1 for n in geometry.shape[::-1]]])
    lowest = corners.min(axis=0)  # LPS (x, y, z) of the first canonical voxel
    return _Canonical(
        array=view,
        spacing_mm=(spacing[0], spacing[1], spacing[2]),
        first_mm=(float(lowest[2]), float(lowest[1]), float(lowest[0])),
    )


def _check_views(views: Sequence[str] | str) -> tuple[str, ...]:
    names = (views,) if isinstance(views, str) else tuple(views)
    if not names:
        raise ThxError(f"views is empty: give one or more of {', '.join(MIP_VIEWS)}")
    out = []
    for name in names:
        text = str(name).strip().lower()
        if text not in _PROJECTED_AXIS:
            raise ThxError(f"view {name!r} is not one of {', '.join(MIP_VIEWS)}")
        out.append(text)
    return tuple(out)


def _check_labels(
    labels: Any, shape: tuple[int, int, int], reference: str
) -> npt.NDArray[np.integer[Any]]:
    arr = np.asarray(labels)
    if arr.shape != shape:
        raise ThxError(
            f"labels shape {arr.shape} differs from {reference} shape {shape} "
            "(both indexed [k, j, i])"
        )
    if arr.dtype == np.bool_:
        return arr.view(np.uint8)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ThxError(f"labels must be an integer label map, got dtype {arr.dtype}")
    if arr.size and int(arr.min()) < 0:
        raise ThxError(f"labels must be 0 (background) or positive, found {int(arr.min())}")
    return arr


def _project(canonical: _Canonical, view: str) -> npt.NDArray[np.float64]:
    """Display-oriented MIP: row 0 at the top of the picture, column 0 at its left."""
    # fmax ignores NaN unless a whole ray is NaN; as fast as max.
    projection = np.fmax.reduce(canonical.array, axis=_PROJECTED_AXIS[view])
    return np.asarray(projection[::-1, :], dtype=float)


def mip_arrays(
    image: Volume, views: Sequence[str] | str = MIP_VIEWS
) -> dict[str, npt.NDArray[np.float64]]:
    r"""Maximum-intensity projections of a volume, oriented as they are displayed.

    The coronal MIP is the maximum along the anterior-posterior axis (``j``
    for an identity direction), the sagittal MIP the maximum along the
    left-right axis (``i``). Rows run from the head (row 0) to the feet;
    columns run from the patient's right to left (coronal) or from anterior to
    posterior (sagittal): the radiological convention of the module docstring
    (DICOM Patient Orientation ``L\F`` and ``P\F``, PS3.3 C.7.6.1.1.1).
    NaN voxels are ignored unless a whole ray is NaN.

    Parameters
    ----------
    image : Volume
        The image, axis-aligned (any permutation or flip of the LPS axes).
    views : sequence of str or str
        ``"coronal"`` and/or ``"sagittal"``.

    Returns
    -------
    dict of str to ndarray
        One 2-D float array per view: shape ``(nz, nx)`` for the coronal view and
        ``(nz, ny)`` for the sagittal one.

    Raises
    ------
    ThxError
        For an oblique image or an unknown view.

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Volume
    >>> array = np.zeros((3, 4, 5))  # [k, j, i] = [z, y, x]
    >>> array[2, 1, 4] = 7.0  # top slice, patient's far left
    >>> mips = mip_arrays(Volume(array, Geometry(array.shape)))
    >>> mips["coronal"].shape, float(mips["coronal"][0, 4]), float(mips["sagittal"][0, 1])
    ((3, 5), 7.0, 7.0)
    """
    names = _check_views(views)
    canonical = _canonical(image.array, image.geometry, "the image")
    return {name: _project(canonical, name) for name in names}


def _lesion_slices(labels: _LabelArray) -> list[tuple[int, tuple[slice, ...]]]:
    """Bounding boxes of the labels present, as ``(label, slices)`` in label order."""
    from scipy import ndimage

    return [
        (label, slices)
        for label, slices in enumerate(ndimage.find_objects(labels), start=1)
        if slices is not None
    ]


def _projected_lesions(
    canonical: _Canonical, view: str, boxes: Sequence[tuple[int, tuple[slice, ...]]]
) -> Iterator[tuple[int, npt.NDArray[np.bool_], slice, slice]]:
    """Each lesion's projected mask, cropped to its bounding box in canonical ``[z, h]`` order.

    Yields ``(label, mask, z_slice, h_slice)``; the mask is the lesion's voxels
    projected along the view's axis (any voxel on the ray), cropping the label
    map to the lesion's bounding box first so that N lesions cost N small boxes.
    """
    axis = _PROJECTED_AXIS[view]
    h_axis = _HORIZONTAL_AXIS[view]
    for label, slices in boxes:
        box = canonical.array[slices] == label
        yield label, np.any(box, axis=axis), slices[0], slices[h_axis]


def projected_masks(
    labels: _LabelArray,
    geometry: Geometry,
    view: str = "coronal",
) -> dict[int, npt.NDArray[np.bool_]]:
    """Each lesion projected along a view's axis, oriented as :func:`mip_arrays` displays it.

    Parameters
    ----------
    labels : ndarray of int
        Label map indexed ``[k, j, i]``: 0 background, ``n`` lesion ``n``.
    geometry : Geometry
        The grid of ``labels``.
    view : str
        ``"coronal"`` or ``"sagittal"``.

    Returns
    -------
    dict of int to ndarray of bool
        For every label present, a full-size 2-D mask (the shape of the view's
        MIP) that is ``True`` where a ray through the volume meets the lesion.

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry
    >>> labels = np.zeros((3, 4, 5), np.int32)
    >>> labels[0, 2, 1] = 2
    >>> masks = projected_masks(labels, Geometry(labels.shape))
    >>> sorted(masks), np.argwhere(masks[2]).tolist()
    ([2], [[2, 1]])
    """
    (name,) = _check_views(view)
    checked = _check_labels(labels, geometry.shape, "the geometry's")
    canonical = _canonical(checked, geometry, "the label map")
    nz, nh = canonical.array.shape[0], canonical.array.shape[_HORIZONTAL_AXIS[name]]
    out: dict[int, npt.NDArray[np.bool_]] = {}
    boxes = _lesion_slices(canonical.array)
    for label, mask, zs, hs in _projected_lesions(canonical, name, boxes):
        full = np.zeros((nz, nh), dtype=bool)
        full[zs, hs] = mask
        out[label] = full[::-1, :]
    return out


def _default_vmax(image: Volume, coronal: npt.NDArray[np.float64] | None) -> float:
    if image.unit is ImageUnit.SUV:
        return SUV_DISPLAY_MAX
    values = (
        coronal
        if coronal is not None
        else _project(_canonical(image.array, image.geometry, "the image"), "coronal")
    )
    finite = values[np.isfinite(values)]
    if finite.size:
        top = float(np.percentile(finite, PERCENTILE_DISPLAY_MAX))
        if top > 0:
            return top
        if float(finite.max()) > 0:
            return float(finite.max())
    return 1.0


def _lesion_colors(count: int) -> list[Any]:
    from matplotlib import colormaps

    if count <= 10:
        palette = [colormaps["tab10"](index) for index in range(10)]
    else:  # the ten strong colours of tab20 first, then their light companions
        tab20 = colormaps["tab20"]
        palette = [tab20(index) for index in (*range(0, 20, 2), *range(1, 20, 2))]
    return [palette[index % len(palette)] for index in range(count)]


def _draw_lesions(
    ax: Axes,
    canonical: _Canonical,
    view: str,
    boxes: Sequence[tuple[int, tuple[slice, ...]]],
    colors: Mapping[int, Any],
    names: Mapping[int, str],
) -> None:
    from matplotlib import patheffects

    h_axis = _HORIZONTAL_AXIS[view]
    left, right, _, _ = canonical.extent_mm(view)
    outline = [patheffects.withStroke(linewidth=2.0, foreground="white")]
    for label, mask, zs, hs in _projected_lesions(canonical, view, boxes):
        # One voxel of background around the box closes contours at its edges.
        padded = np.pad(mask.astype(float), 1)
        z_mm = canonical.coordinates_mm(0, zs.start - 1, zs.stop + 1)
        h_mm = canonical.coordinates_mm(h_axis, hs.start - 1, hs.stop + 1)
        color = colors[label]
        ax.contour(h_mm, z_mm, padded, levels=[0.5], colors=[color], linewidths=1.0)
        top = float(z_mm[-1]) - 0.5 * canonical.spacing_mm[0]
        box_right = float(h_mm[-1]) - 0.5 * canonical.spacing_mm[h_axis]
        box_left = float(h_mm[0]) + 0.5 * canonical.spacing_mm[h_axis]
        near_right_edge = box_right > right - 0.2 * (right - left)
        ax.text(
            box_left if near_right_edge else box_right,
            top,
            names.get(label, str(label)),
            color=color,
            fontsize=7,
            ha="right" if near_right_edge else "left",
            va="bottom",
            clip_on=True,
            path_effects=outline,
        )


def mip_figure(
    image: Volume,
    labels: _LabelArray | None = None,
    *,
    lesion_names: Mapping[int, str] | None = None,
    title: str | None = None,
    vmax: float | None = None,
    views: Sequence[str] | str = MIP_VIEWS,
) -> Figure:
    """Draw maximum-intensity projections with the lesions outlined.

    Each view is drawn in an inverted grey scale (white 0, black ``vmax`` and
    above: hot is black, as MIPs are read in nuclear medicine) with the physical
    aspect ratio of the voxels, the patient's sides marked (``R``/``L``,
    ``A``/``P``) and a colour bar in the image unit. Each lesion of ``labels``
    is projected along the view's axis and outlined (contour at 0.5 of its
    projected mask) in its own colour from a qualitative colour map, with its
    label written beside the top right of its outline. The orientation follows
    the radiological convention (DICOM PS3.3 C.7.6.1.1.1, see the module
    docstring).

    Parameters
    ----------
    image : Volume
        The image (SUV for a PET), axis-aligned.
    labels : ndarray of int, optional
        Lesion label map on the image grid, indexed ``[k, j, i]``: 0 background,
        ``n`` lesion ``n``; a boolean mask is one lesion, label 1.
    lesion_names : mapping of int to str, optional
        Text written beside each lesion, by label (default: the label number).
    title : str, optional
        Figure title.
    vmax : float, optional
        Upper end of the grey scale (image unit), positive. By default
        :data:`SUV_DISPLAY_MAX` (10) for SUV images, a fixed window so that
        scans can be compared at a glance; otherwise the
        :data:`PERCENTILE_DISPLAY_MAX` (99.9th) percentile of the coronal MIP,
        so that a few hot voxels do not wash out the picture.
    views : sequence of str or str
        ``"coronal"`` and/or ``"sagittal"``, drawn left to right.

    Returns
    -------
    matplotlib.figure.Figure
        A figure not registered with pyplot (nothing to close).

    Raises
    ------
    ThxError
        When ``labels`` does not have the image's shape or is not an integer
        map, when the image is oblique, when ``vmax`` is not positive or a view
        is unknown.
    """
    from matplotlib.figure import Figure

    names = _check_views(views)
    checked = None if labels is None else _check_labels(labels, image.shape, "the image")
    if vmax is not None and not (np.isfinite(vmax) and vmax > 0):
        raise ThxError(f"vmax must be a positive number (image unit), got {vmax!r}")
    canonical = _canonical(image.array, image.geometry, "the image")
    mips = {name: _project(canonical, name) for name in names}
    top = float(vmax) if vmax is not None else _default_vmax(image, mips.get("coronal"))

    extents = {name: canonical.extent_mm(name) for name in names}
    widths = [extents[name][1] - extents[name][0] for name in names]
    height_mm = extents[names[0]][3] - extents[names[0]][2]
    panel_height_in = min(8.0, 12.0 * height_mm / sum(widths))
    fig_width_in = panel_height_in * sum(widths) / height_mm + 1.6
    fig = Figure(figsize=(fig_width_in, panel_height_in + (0.9 if title else 0.5)), dpi=100)
    fig.set_layout_engine("constrained")
    axes = fig.subplots(1, len(names), squeeze=False, width_ratios=widths)[0]

    label_canonical = None
    boxes: list[tuple[int, tuple[slice, ...]]] = []
    if checked is not None:
        label_canonical = _canonical(checked, image.geometry, "the label map")
        boxes = _lesion_slices(label_canonical.array)
    colors = {
        label: color for (label, _), color in zip(boxes, _lesion_colors(len(boxes)), strict=True)
    }
    texts = dict(lesion_names or {})

    shown = None
    for ax, name in zip(axes, names, strict=True):
        shown = ax.imshow(
            mips[name],
            cmap="gray_r",
            vmin=0.0,
            vmax=top,
            origin="upper",
            extent=extents[name],
            aspect="equal",
            interpolation="antialiased",
        )
        if label_canonical is not None:
            _draw_lesions(ax, label_canonical, name, boxes, colors, texts)
        ax.set_title(_TITLES[name], fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        for x, letter, ha in (
            (0.02, _SIDE_LETTERS[name][0], "left"),
            (0.98, _SIDE_LETTERS[name][1], "right"),
        ):
            ax.text(
                x,
                0.98,
                letter,
                transform=ax.transAxes,
                ha=ha,
                va="top",
                fontsize=9,
                fontweight="bold",
                color="tab:blue",
            )
    if shown is not None:
        bar = fig.colorbar(shown, ax=list(axes), shrink=0.5, extend="max")
        bar.set_label(image.unit.value)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _analysis_inputs(
    analysis: PetAnalysis,
) -> tuple[Volume, npt.NDArray[np.integer[Any]], dict[int, str], str]:
    """Image, label map, lesion texts and title of an analysed PET."""
    image = analysis.image
    segmentation = analysis.segmentation
    image.geometry.require_same_grid(segmentation.geometry, "the lesion segmentation")
    names = {}
    for lesion in analysis.lesions:
        parts = [str(lesion.label)]
        if lesion.location:
            parts.append(lesion.location)
        parts.append(f"{lesion.suv_max:.1f}")
        names[lesion.label] = " ".join(parts)
    summary = analysis.summary
    tracer = analysis.tracer.value.upper() if analysis.tracer.value != "other" else ""
    count = summary.lesion_count
    title = (
        f"{tracer} PET".strip()
        + f": {count} lesion{'s' if count != 1 else ''}, TMTV {summary.tmtv_ml:.1f} mL"
    )
    if summary.suv_max is not None:
        title += f", SUVmax {summary.suv_max:.1f}"
    if names:
        title += "\nlabels: lesion, location, SUVmax"
    return image, segmentation.labels, names, title


def write_mip_png(
    analysis_or_image: PetAnalysis | Volume,
    path: str | Path,
    *,
    labels: _LabelArray | None = None,
    lesion_names: Mapping[int, str] | None = None,
    title: str | None = None,
    vmax: float | None = None,
    views: Sequence[str] | str = MIP_VIEWS,
    dpi: int = 150,
) -> Path:
    """Write the MIP picture of :func:`mip_figure` as a PNG file.

    Parameters
    ----------
    analysis_or_image : PetAnalysis or Volume
        An analysed PET (its SUV image, its lesion label map, lesion texts
        ``"<label> <location> <SUVmax>"`` and a title with the lesion count,
        TMTV and SUVmax) or an image.
    path : str or Path
        The PNG to write; its folder is created when missing.
    labels : ndarray of int, optional
        Lesion label map, with an image only.
    lesion_names : mapping of int to str, optional
        Text beside each lesion, by label (replaces the analysis' texts).
    title : str, optional
        Figure title (replaces the analysis' title).
    vmax : float, optional
        Upper end of the grey scale, see :func:`mip_figure`.
    views : sequence of str or str
        ``"coronal"`` and/or ``"sagittal"``.
    dpi : int
        Resolution of the PNG, dots per inch (figure about 8 inches tall).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ThxError
        When ``labels`` is given with an analysis, when the input is neither an
        analysis nor a volume, or for the reasons of :func:`mip_figure`.
    """
    if isinstance(analysis_or_image, PetAnalysis):
        if labels is not None:
            raise ThxError(
                "labels were given with a PetAnalysis, which has its own: pass the image "
                "(analysis.image) to draw other labels"
            )
        image, labels, names, default_title = _analysis_inputs(analysis_or_image)
        lesion_names = names if lesion_names is None else lesion_names
        title = default_title if title is None else title
    elif isinstance(analysis_or_image, Volume):
        image = analysis_or_image
    else:
        raise ThxError(
            f"analysis_or_image must be a PetAnalysis or a Volume, got "
            f"{type(analysis_or_image).__name__}"
        )
    if not (isinstance(dpi, int | float) and 10 <= dpi <= 1200):
        raise ThxError(f"dpi must be between 10 and 1200, got {dpi!r}")
    fig = mip_figure(image, labels, lesion_names=lesion_names, title=title, vmax=vmax, views=views)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, format="png")
    return out
