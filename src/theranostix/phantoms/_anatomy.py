"""Anatomy of the synthetic patient: a body of ellipsoids and cylinders on a voxel grid.

Coordinates are LPS millimetres (DICOM PS3.3 C.7.6.2.1.1): +x patient left,
+y posterior, +z head; arrays are ``[k, j, i]`` (see
:mod:`theranostix.imaging._volume`). The body is an adult male trunk with neck
and head, about 84 cm from the upper thighs to the vertex. Shapes are painted in
a fixed order, later ones replacing earlier ones, so that every voxel carries one
label; a voxel belongs to a shape when its centre is inside it.

The shapes are a simplification for software testing, not a reference anatomy:
sizes are of the order of adult organs (e.g. liver ~1.8 L, kidneys ~150 mL each)
but no organ mass is meant to match ICRP Publication 89.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from theranostix.imaging._volume import Geometry

__all__ = [
    "HU",
    "LABELS",
    "LESION_LABEL_START",
    "LYMPH_NODE_STATIONS",
    "ORGANS",
    "TISSUE_DENSITY_G_PER_ML",
    "Anatomy",
    "build_anatomy",
    "phantom_geometry",
]

#: Region labels of the label map (0 is air); lesion ``n`` (1-based) is ``LESION_LABEL_START + n``.
LABELS: dict[str, int] = {
    "fat": 1,
    "soft_tissue": 2,
    "lungs": 3,
    "bone": 4,
    "bone_marrow": 5,
    "brain": 6,
    "blood_pool": 7,
    "liver": 8,
    "spleen": 9,
    "kidneys": 10,
    "renal_medulla": 11,
    "bladder": 12,
    "parotid_glands": 13,
    "submandibular_glands": 14,
    "lacrimal_glands": 15,
}
LESION_LABEL_START = 100

#: The organs of the ground truth, the RTSTRUCT and the SEG (``kidneys`` is the renal cortex).
ORGANS: tuple[str, ...] = (
    "liver",
    "spleen",
    "kidneys",
    "parotid_glands",
    "submandibular_glands",
    "lacrimal_glands",
    "bladder",
    "bone_marrow",
    "lungs",
    "blood_pool",
    "brain",
)

#: CT numbers (HU) per region: conventional values of the Hounsfield scale (air -1000,
#: water 0; lung about -800, fat about -100, soft tissue 20-60, cancellous bone a few
#: hundred, cortical bone up to ~1000+), e.g. Buzug TM, Computed Tomography, Springer
#: 2008, doi:10.1007/978-3-540-39408-2. Lesions: liver metastasis hypodense (40 HU),
#: sclerotic bone metastasis (500 HU), lymph node (40 HU): modelling choices.
HU: dict[str, float] = {
    "air": -1000.0,
    "fat": -100.0,
    "soft_tissue": 40.0,
    "lungs": -800.0,
    "bone": 700.0,
    "bone_marrow": 250.0,
    "brain": 35.0,
    "blood_pool": 40.0,
    "liver": 60.0,
    "spleen": 50.0,
    "kidneys": 35.0,
    "renal_medulla": 30.0,
    "bladder": 5.0,
    "parotid_glands": 20.0,
    "submandibular_glands": 40.0,
    "lacrimal_glands": 40.0,
    "lesion_liver": 40.0,
    "lesion_bone": 500.0,
    "lesion_lymph_node": 40.0,
}

#: Mass densities (g/mL) for organ masses = volume x density, rounded from the tissue
#: densities of ICRP Publication 110 (Adult reference computational phantoms, Ann ICRP
#: 2009;39(2), doi:10.1016/j.icrp.2009.09.001): lung tissue with air 0.385 (inflated),
#: cortical bone 1.92, spongiosa ~1.18, adipose 0.95, soft tissues 1.03-1.06.
TISSUE_DENSITY_G_PER_ML: dict[str, float] = {
    "fat": 0.95,
    "soft_tissue": 1.05,
    "lungs": 0.385,
    "bone": 1.92,
    "bone_marrow": 1.18,
    "brain": 1.04,
    "blood_pool": 1.06,
    "liver": 1.05,
    "spleen": 1.04,
    "kidneys": 1.05,
    "renal_medulla": 1.05,
    "bladder": 1.04,
    "parotid_glands": 1.03,
    "submandibular_glands": 1.03,
    "lacrimal_glands": 1.03,
    "lesion": 1.05,
}

#: Lymph-node stations (LPS mm) where nodal lesions are placed, in soft tissue near
#: these points: para-aortic, common and external iliac, mediastinal, supraclavicular,
#: inguinal.
LYMPH_NODE_STATIONS: tuple[tuple[float, float, float], ...] = (
    (40.0, 35.0, -190.0),
    (-15.0, 40.0, -200.0),
    (35.0, 10.0, -235.0),
    (-35.0, 10.0, -235.0),
    (60.0, -20.0, -320.0),
    (-60.0, -20.0, -320.0),
    (0.0, -20.0, 110.0),
    (45.0, 0.0, 205.0),
    (-45.0, 0.0, 205.0),
    (90.0, -50.0, -362.0),
    (-90.0, -50.0, -362.0),
)

#: Field of view (mm): x and y centred on 0, z from the upper thighs to above the vertex.
_FOV_X_MM = 376.0
_FOV_Y_MM = 248.0
_FOV_Z_MM = (-384.0, 456.0)
_FAT_LAYER_MM = 15.0

Coordinates = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]
Shape = Callable[[Coordinates], npt.NDArray[np.bool_]]


def phantom_geometry(voxel_mm: float = 4.0) -> Geometry:
    """The phantom's grid: isotropic ``voxel_mm`` voxels over the whole body.

    Parameters
    ----------
    voxel_mm : float
        Voxel size in mm (4 mm gives 94 x 62 x 210 voxels).

    Returns
    -------
    Geometry
        Identity direction (axial slices, ``k`` towards the head).
    """
    n_i = int(np.ceil(_FOV_X_MM / voxel_mm))
    n_j = int(np.ceil(_FOV_Y_MM / voxel_mm))
    z0, z1 = _FOV_Z_MM
    n_k = int(np.ceil((z1 - z0) / voxel_mm))
    origin = (-(n_i - 1) * voxel_mm / 2, -(n_j - 1) * voxel_mm / 2, z0 + voxel_mm / 2)
    return Geometry((n_k, n_j, n_i), origin_mm=origin, spacing_mm=(voxel_mm,) * 3)


def coordinates(geometry: Geometry) -> Coordinates:
    """LPS x, y, z (mm) of every voxel centre, each of shape ``geometry.shape``."""
    zk, yj, xi = geometry.axis_coordinates_mm()
    ox, oy, oz = geometry.origin_mm
    z, y, x = np.meshgrid(zk + oz, yj + oy, xi + ox, indexing="ij")
    return x, y, z


def ellipsoid(centre: tuple[float, float, float], semi: tuple[float, float, float]) -> Shape:
    """Inside of an axis-aligned ellipsoid: sum(((p - c) / a)²) <= 1."""

    def inside(xyz: Coordinates) -> npt.NDArray[np.bool_]:
        x, y, z = xyz
        (cx, cy, cz), (ax, ay, az) = centre, semi
        return np.asarray(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 + ((z - cz) / az) ** 2 <= 1.0)

    return inside


def cylinder(
    centre_xy: tuple[float, float], semi_xy: tuple[float, float], z_range: tuple[float, float]
) -> Shape:
    """Inside of an elliptic cylinder along z between ``z_range``."""

    def inside(xyz: Coordinates) -> npt.NDArray[np.bool_]:
        x, y, z = xyz
        (cx, cy), (ax, ay) = centre_xy, semi_xy
        return np.asarray(
            (((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1.0)
            & (z >= z_range[0])
            & (z <= z_range[1])
        )

    return inside


def _shrunk(
    centre: tuple[float, float, float], semi: tuple[float, float, float], by_mm: float
) -> Shape:
    return ellipsoid(centre, (semi[0] - by_mm, semi[1] - by_mm, semi[2] - by_mm))


_HEAD = ((0.0, -5.0, 345.0), (78.0, 95.0, 105.0))
_ILIAC = (((100.0, 40.0, -250.0), (50.0, 20.0, 65.0)), ((-100.0, 40.0, -250.0), (50.0, 20.0, 65.0)))
_FEMORAL = (((95.0, 0.0, -355.0), (24.0, 24.0, 24.0)), ((-95.0, 0.0, -355.0), (24.0, 24.0, 24.0)))
_KIDNEYS = (((75.0, 60.0, -160.0), (32.0, 27.0, 55.0)), ((-75.0, 60.0, -160.0), (32.0, 27.0, 55.0)))


def _body(xyz: Coordinates) -> npt.NDArray[np.bool_]:
    trunk = cylinder((0.0, 0.0), (170.0, 110.0), (-380.0, 170.0))(xyz)
    shoulders = ellipsoid((0.0, 0.0, 170.0), (170.0, 110.0, 60.0))(xyz)
    neck = cylinder((0.0, 5.0), (65.0, 60.0), (170.0, 300.0))(xyz)
    head = ellipsoid(*_HEAD)(xyz)
    return np.asarray(trunk | shoulders | neck | head)


def _bones(xyz: Coordinates) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Bone (cortex) and bone marrow (spongiosa) of the spine, pelvis, femoral heads, skull."""
    z = xyz[2]
    outer = cylinder((0.0, 70.0), (20.0, 20.0), (-300.0, 170.0))(xyz)
    marrow = cylinder((0.0, 70.0), (13.0, 13.0), (-296.0, 166.0))(xyz)
    outer |= cylinder((0.0, 30.0), (13.0, 13.0), (170.0, 290.0))(xyz)
    marrow |= cylinder((0.0, 30.0), (7.0, 7.0), (174.0, 286.0))(xyz)
    for centre, semi in (*_ILIAC, *_FEMORAL):
        outer |= ellipsoid(centre, semi)(xyz)
        marrow |= _shrunk(centre, semi, 7.0)(xyz)
    skull = _shrunk(*_HEAD, 5.0)(xyz) & ~_shrunk(*_HEAD, 12.0)(xyz) & (z > 320.0)
    return np.asarray((outer & ~marrow) | skull), np.asarray(marrow)


@dataclass(frozen=True, eq=False)
class Anatomy:
    """Label map of the body without lesions.

    Attributes
    ----------
    geometry : Geometry
        The grid.
    labels : ndarray of int16
        Region label per voxel (:data:`LABELS`, 0 outside the body).
    body : ndarray of bool
        Inside the skin.
    """

    geometry: Geometry
    labels: npt.NDArray[np.int16]
    body: npt.NDArray[np.bool_]

    def region(self, name: str) -> npt.NDArray[np.bool_]:
        """Voxels of the region ``name`` (a key of :data:`LABELS`)."""
        return np.asarray(self.labels == LABELS[name])


def build_anatomy(geometry: Geometry) -> Anatomy:
    """Paint the regions on ``geometry`` (voxel centre inside the shape).

    Order: fat (whole body), soft tissue (the body more than 15 mm below the skin),
    lungs, blood pool (heart and aorta), liver, spleen, kidneys (cortex) and their
    medulla, bladder, bone and marrow, brain, salivary and lacrimal glands.

    Parameters
    ----------
    geometry : Geometry
        The grid, usually :func:`phantom_geometry`.

    Returns
    -------
    Anatomy
    """
    from scipy import ndimage

    xyz = coordinates(geometry)
    labels = np.zeros(geometry.shape, dtype=np.int16)
    body = _body(xyz)
    labels[body] = LABELS["fat"]
    si, sj, sk = geometry.spacing_mm
    depth = ndimage.distance_transform_edt(body, sampling=(sk, sj, si))
    labels[body & (depth > _FAT_LAYER_MM)] = LABELS["soft_tissue"]

    def paint(name: str, mask: npt.NDArray[np.bool_]) -> None:
        labels[mask] = LABELS[name]

    paint(
        "lungs",
        ellipsoid((-80.0, 15.0, 75.0), (60.0, 75.0, 115.0))(xyz)
        | ellipsoid((80.0, 15.0, 80.0), (55.0, 72.0, 110.0))(xyz),
    )
    paint(
        "blood_pool",
        ellipsoid((20.0, -35.0, 10.0), (55.0, 45.0, 50.0))(xyz)
        | cylinder((15.0, 35.0), (12.0, 12.0), (-220.0, 40.0))(xyz),
    )
    paint("liver", ellipsoid((-75.0, -5.0, -75.0), (85.0, 85.0, 75.0))(xyz))
    paint("spleen", ellipsoid((95.0, 40.0, -55.0), (38.0, 28.0, 55.0))(xyz))
    for centre, semi in _KIDNEYS:
        paint("kidneys", ellipsoid(centre, semi)(xyz))
        inner = (semi[0] * 0.55, semi[1] * 0.55, semi[2] * 0.7)
        paint("renal_medulla", ellipsoid(centre, inner)(xyz))
    paint("bladder", ellipsoid((0.0, -40.0, -300.0), (45.0, 38.0, 35.0))(xyz))
    bone, marrow = _bones(xyz)
    paint("bone", bone)
    paint("bone_marrow", marrow)
    paint("brain", ellipsoid((0.0, 10.0, 375.0), (62.0, 78.0, 62.0))(xyz))
    for side in (1.0, -1.0):
        paint("parotid_glands", ellipsoid((52.0 * side, 5.0, 300.0), (16.0, 22.0, 26.0))(xyz))
        paint(
            "submandibular_glands",
            ellipsoid((38.0 * side, -30.0, 262.0), (13.0, 14.0, 12.0))(xyz),
        )
        paint("lacrimal_glands", ellipsoid((35.0 * side, -65.0, 370.0), (9.0, 6.0, 5.0))(xyz))
    return Anatomy(geometry, labels, np.asarray(labels > 0))
