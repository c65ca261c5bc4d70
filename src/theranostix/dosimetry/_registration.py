"""CT-to-CT registration of the time points, to carry VOIs drawn on one to the others.

Multi-time-point SPECT/CT dosimetry draws the volumes of interest once (usually on the
first or a reference time point) and propagates them to the other time points by
registering their CTs (MIRD Pamphlet No. 26 [1]_, section on image registration). The
registration is SimpleITK's [2]_: a rigid (Euler 3D) transform by Mattes mutual
information over a three-level pyramid, initialised on the image centres (geometry),
then optionally a B-spline deformable refinement. The moving VOI is resampled
through the transform onto the target grid (nearest neighbour, or partial volume
thresholded at 0.5).

References
----------
.. [1] Ljungberg M, Celler A, Konijnenberg MW, et al. MIRD Pamphlet No. 26: joint
   EANM/MIRD guidelines for quantitative 177Lu SPECT applied for dosimetry of
   radiopharmaceutical therapy. J Nucl Med 2016;57(1):151-162.
   doi:10.2967/jnumed.115.159012
.. [2] Yaniv Z, Lowekamp BC, Johnson HJ, Beare R. SimpleITK image-analysis notebooks:
   a collaborative environment for education and reproducible research. J Digit
   Imaging 2018;31(3):290-303. doi:10.1007/s10278-017-0037-8
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from theranostix.errors import ThxError
from theranostix.imaging._volume import Mask, Volume

__all__ = ["Registration", "propagate_mask", "register_ct"]

# HU below which voxels are air and left out of the metric (body only)
_AIR_HU = -500.0
# fraction of the body voxels sampled by the metric at each iteration
_SAMPLING = 0.05


@dataclass(frozen=True)
class Registration:
    """A transform mapping points of the fixed CT to the moving CT (SimpleITK convention).

    Attributes
    ----------
    transform : SimpleITK.Transform
        Fixed-to-moving point mapping (resampling the moving image onto the fixed grid).
    rigid_parameters : tuple of float
        Euler angles (rad) and translation (mm) of the rigid stage.
    metric : float
        Final Mattes mutual information (lower is better).
    deformable : bool
        Whether a B-spline stage followed the rigid one.
    """

    transform: Any
    rigid_parameters: tuple[float, ...]
    metric: float
    deformable: bool

    @property
    def translation_mm(self) -> tuple[float, float, float]:
        """The rigid stage's translation (x, y, z) in mm (LPS)."""
        tx, ty, tz = self.rigid_parameters[3:6]
        return (tx, ty, tz)


def _body_mask(ct: Any) -> Any:
    import SimpleITK

    sitk: Any = SimpleITK

    return sitk.Cast(ct > _AIR_HU, sitk.sitkUInt8)


def register_ct(
    fixed_ct: Volume,
    moving_ct: Volume,
    *,
    deformable: bool = False,
    iterations: int = 100,
    bspline_mesh_mm: float = 80.0,
    bspline_iterations: int = 30,
    seed: int = 1,
) -> Registration:
    """Register the moving CT onto the fixed CT: rigid, then optionally B-spline.

    Parameters
    ----------
    fixed_ct, moving_ct : Volume
        CTs in HU (any grids).
    deformable : bool
        Refine with a B-spline transform (L-BFGS-B).
    iterations : int
        Optimiser iterations per pyramid level of the rigid stage.
    bspline_mesh_mm, bspline_iterations : float, int
        Control-point spacing and iterations of the B-spline stage.
    seed : int
        Seed of the metric's random sampling (reproducible results).

    Returns
    -------
    Registration

    Raises
    ------
    ThxError
        When a CT is empty of tissue or the optimiser fails.
    """
    import SimpleITK

    sitk: Any = SimpleITK

    from theranostix.imaging._sitk import to_sitk

    fixed = sitk.Cast(to_sitk(fixed_ct), sitk.sitkFloat32)
    moving = sitk.Cast(to_sitk(moving_ct), sitk.sitkFloat32)
    for name, image in (("fixed", fixed_ct), ("moving", moving_ct)):
        if not np.any(np.asarray(image.array) > _AIR_HU):
            raise ThxError(f"{name} CT has no voxel above {_AIR_HU:g} HU: is it a CT in HU?")
    initial = sitk.CenteredTransformInitializer(
        fixed, moving, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.GEOMETRY
    )
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(_SAMPLING, seed)
    method.SetMetricFixedMask(_body_mask(fixed))
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0, minStep=1e-4, numberOfIterations=iterations, relaxationFactor=0.5
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel([4, 2, 1])
    method.SetSmoothingSigmasPerLevel([2.0, 1.0, 0.0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    method.SetInitialTransform(initial, inPlace=False)
    try:
        rigid = method.Execute(fixed, moving)
    except RuntimeError as exc:  # SimpleITK reports optimiser failures this way
        raise ThxError(f"rigid CT registration failed: {str(exc).splitlines()[-1]}") from None
    metric = float(method.GetMetricValue())
    euler = sitk.Euler3DTransform(sitk.CompositeTransform(rigid).GetBackTransform())
    parameters = tuple(float(v) for v in euler.GetParameters())
    transform: Any = rigid
    if deformable:
        mesh = [max(1, round(size * spacing / bspline_mesh_mm)) for size, spacing in
                zip(fixed.GetSize(), fixed.GetSpacing(), strict=True)]  # fmt: skip
        bspline = sitk.BSplineTransformInitializer(fixed, mesh)
        stage = sitk.ImageRegistrationMethod()
        stage.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
        stage.SetMetricSamplingStrategy(stage.RANDOM)
        stage.SetMetricSamplingPercentage(_SAMPLING, seed)
        stage.SetMetricFixedMask(_body_mask(fixed))
        stage.SetInterpolator(sitk.sitkLinear)
        stage.SetOptimizerAsLBFGSB(numberOfIterations=bspline_iterations)
        stage.SetMovingInitialTransform(rigid)
        stage.SetInitialTransform(bspline, inPlace=True)
        try:
            stage.Execute(fixed, moving)
        except RuntimeError as exc:
            raise ThxError(
                f"deformable CT registration failed: {str(exc).splitlines()[-1]}"
            ) from None
        composite = sitk.CompositeTransform(rigid)
        composite.AddTransform(bspline)
        transform = composite
        metric = float(stage.GetMetricValue())
    if not math.isfinite(metric):
        raise ThxError("CT registration did not converge (metric is not finite)")
    return Registration(transform, parameters, metric, deformable)


def propagate_mask(
    mask: Mask, registration: Registration, target: Volume, *, partial_volume: bool = True
) -> Mask:
    """Carry a VOI drawn on the moving CT's time point onto the fixed (target) grid.

    Parameters
    ----------
    mask : Mask
        The VOI, on the grid of the *moving* image of ``registration``.
    registration : Registration
        From :func:`register_ct` (fixed = the time point receiving the VOI).
    target : Volume
        An image on the grid the VOI is wanted on (the fixed CT or its SPECT).
    partial_volume : bool
        Resample the VOI as a fraction (linear) and keep voxels at least half inside;
        nearest neighbour otherwise.

    Returns
    -------
    Mask
        The VOI on ``target``'s grid, with the same name.
    """
    import SimpleITK

    sitk: Any = SimpleITK

    from theranostix.imaging._sitk import to_sitk

    reference = to_sitk(target)
    moving = sitk.Cast(to_sitk(mask), sitk.sitkFloat32)
    interpolator = sitk.sitkLinear if partial_volume else sitk.sitkNearestNeighbor
    moved = sitk.Resample(moving, reference, registration.transform, interpolator, 0.0)
    inside = sitk.GetArrayFromImage(moved) >= 0.5
    if not inside.any():
        raise ThxError(f"VOI {mask.name!r} falls outside the target grid after registration")
    return Mask(inside, target.geometry, mask.name)
