"""Bridge to SimpleITK, and NIfTI / NRRD reading and writing.

SimpleITK images and theranostix volumes share the LPS convention and the
``(i, j, k)`` order of origin, spacing and direction (see
:mod:`theranostix.imaging._volume`), so conversion copies the geometry
unchanged. ITK converts the RAS coordinates of NIfTI files to LPS when it reads
and writes them (NIfTI-1 header, ``qform``/``sform``:
https://nifti.nimh.nih.gov/nifti-1/documentation/nifti1fields; ITK software
guide, section "Image Orientation"); NRRD files state their space explicitly.

References
----------
.. [1] Lowekamp BC, Chen DT, Ibáñez L, Blezek D. The design of SimpleITK.
   Front Neuroinform 2013;7:45. doi:10.3389/fninf.2013.00045
.. [2] Cox RW et al. A (sort of) new image data format standard: NIfTI-1.
   NeuroImage 2004;22:e1440 (NIfTI-1 data format, nifti.nimh.nih.gov).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import SimpleITK

from theranostix.errors import DicomReadError, ThxError
from theranostix.imaging._volume import Geometry, ImageUnit, Mask, Modality, Volume

# SimpleITK has no type annotations: its calls go through this Any-typed alias
sitk: Any = SimpleITK

__all__ = ["from_sitk", "read_itk_image", "to_sitk", "write_nifti"]

_ITK_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr")
_NIFTI_SUFFIXES = (".nii", ".nii.gz")


def _suffix(path: Path) -> str:
    """The file-type suffix of ``path``, with ``.nii.gz`` kept whole, lower case."""
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def _itk_array(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The array in a pixel type that SimpleITK accepts (bool -> uint8, float16 -> float32)."""
    if array.dtype == np.bool_:
        return array.astype(np.uint8)
    if array.dtype == np.float16:
        return array.astype(np.float32)
    if array.dtype.kind not in "iufc":
        raise ThxError(f"voxel type {array.dtype} cannot be converted to a SimpleITK image")
    return array


def to_sitk(image: Volume | Mask) -> SimpleITK.Image:
    """Convert a volume or a mask to a SimpleITK image with the same geometry.

    Parameters
    ----------
    image : Volume or Mask
        The image; a mask becomes an 8-bit unsigned image (1 inside, 0 outside).

    Returns
    -------
    SimpleITK.Image
        A 3-D scalar image whose ``GetArrayFromImage`` equals ``image.array``
        (indexed ``[k, j, i]``) and whose origin, spacing and direction are
        those of ``image.geometry``.

    Examples
    --------
    >>> import numpy as np
    >>> from theranostix.imaging import Geometry, Volume
    >>> g = Geometry((2, 3, 4), origin_mm=(1, 2, 3), spacing_mm=(1, 1, 2))
    >>> to_sitk(Volume(np.zeros((2, 3, 4)), g)).GetSize()
    (4, 3, 2)
    """
    array = _itk_array(np.ascontiguousarray(image.array))
    out: Any = sitk.GetImageFromArray(array, isVector=False)
    geometry = image.geometry
    out.SetOrigin(geometry.origin_mm)
    out.SetSpacing(geometry.spacing_mm)
    out.SetDirection(geometry.direction)
    result: SimpleITK.Image = out
    return result


def _geometry_of(image: Any) -> Geometry:
    """The :class:`Geometry` of a 3-D SimpleITK image (checks are the caller's)."""
    ni, nj, nk = image.GetSize()
    return Geometry(
        shape=(nk, nj, ni),
        origin_mm=image.GetOrigin(),
        spacing_mm=image.GetSpacing(),
        direction=image.GetDirection(),
    )


def _check_scalar_3d(dimension: int, components: int, size: tuple[int, ...]) -> str | None:
    """Why an image of this layout cannot be a volume, or ``None`` when it can."""
    if dimension != 3:
        return f"is a {dimension}-D image of size {size}; only 3-D scalar images are supported"
    if components != 1:
        return (
            f"has {components} components per voxel (a vector or colour image); "
            "only scalar images are supported"
        )
    return None


def from_sitk(
    image: SimpleITK.Image,
    *,
    unit: ImageUnit = ImageUnit.UNKNOWN,
    modality: Modality = Modality.OT,
) -> Volume:
    """Convert a 3-D scalar SimpleITK image to a :class:`Volume`.

    Parameters
    ----------
    image : SimpleITK.Image
        A 3-D image with one component per voxel.
    unit : ImageUnit
        Unit of the voxel values (SimpleITK images carry none).
    modality : Modality
        Modality to record.

    Returns
    -------
    Volume
        Voxel array ``[k, j, i]`` (a copy) with the image's origin, spacing and
        direction, unchanged.

    Raises
    ------
    ThxError
        The image is not 3-D or not scalar.
    """
    itk: Any = image
    reason = _check_scalar_3d(
        itk.GetDimension(), itk.GetNumberOfComponentsPerPixel(), itk.GetSize()
    )
    if reason is not None:
        raise ThxError(f"SimpleITK image {reason}")
    array = sitk.GetArrayFromImage(itk)
    return Volume(array, _geometry_of(itk), unit=unit, modality=modality)


def read_itk_image(
    path: str | Path,
    *,
    unit: ImageUnit = ImageUnit.UNKNOWN,
    modality: Modality = Modality.OT,
) -> Volume:
    """Read a NIfTI (``.nii``, ``.nii.gz``) or NRRD (``.nrrd``, ``.nhdr``) image.

    NIfTI positions are RAS; SimpleITK converts them to LPS on reading, so the
    returned geometry is in the convention of :mod:`theranostix.imaging._volume`.

    Parameters
    ----------
    path : str or Path
        The image file.
    unit : ImageUnit
        Unit of the voxel values (the formats do not state one).
    modality : Modality
        Modality to record.

    Returns
    -------
    Volume
        The image, with ``metadata["source"]`` set to the path and the header
        fields that SimpleITK reports (e.g. NRRD keys) under
        ``metadata["header"]``.

    Raises
    ------
    DicomReadError
        The file is missing, has another extension, cannot be read, or holds a
        4-D, 2-D or vector image.
    """
    path = Path(path)
    if not path.is_file():
        raise DicomReadError(path, "no such file")
    suffix = _suffix(path)
    if suffix not in _ITK_SUFFIXES:
        raise DicomReadError(
            path, f"unsupported image file type {suffix!r}; expected one of {_ITK_SUFFIXES}"
        )
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as exc:
        raise DicomReadError(path, f"cannot be read as {suffix} ({_first_line(exc)})") from exc
    reason = _check_scalar_3d(
        reader.GetDimension(), reader.GetNumberOfComponents(), reader.GetSize()
    )
    if reason is not None:
        raise DicomReadError(path, reason)
    try:
        image = reader.Execute()
    except RuntimeError as exc:
        raise DicomReadError(path, f"cannot be read as {suffix} ({_first_line(exc)})") from exc
    try:
        geometry = _geometry_of(image)
    except ThxError as exc:
        raise DicomReadError(path, f"invalid geometry: {exc}") from exc
    header = {key: image.GetMetaData(key) for key in image.GetMetaDataKeys()}
    metadata: dict[str, Any] = {"source": str(path), "header": header}
    return Volume(
        sitk.GetArrayFromImage(image), geometry, unit=unit, modality=modality, metadata=metadata
    )


def _first_line(exc: BaseException) -> str:
    """The most informative line of an ITK exception message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[-1]


def write_nifti(image: Volume | Mask, path: str | Path) -> Path:
    """Write a volume or a mask as NIfTI-1 (``.nii`` or ``.nii.gz``).

    Masks are written as 8-bit unsigned integers (1 inside, 0 outside). The
    geometry is converted from LPS to the RAS of NIfTI by SimpleITK; the header
    stores it as float32, so positions are exact to about 1e-7 relative.

    Parameters
    ----------
    image : Volume or Mask
        What to write.
    path : str or Path
        Output file; its name must end with ``.nii`` or ``.nii.gz``.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ThxError
        The extension is not a NIfTI one, or the file cannot be written.
    """
    path = Path(path)
    if _suffix(path) not in _NIFTI_SUFFIXES:
        raise ThxError(f"{path}: a NIfTI file name must end with .nii or .nii.gz")
    try:
        sitk.WriteImage(to_sitk(image), str(path), useCompression=path.name.endswith(".gz"))
    except RuntimeError as exc:
        raise ThxError(f"{path}: cannot be written ({_first_line(exc)})") from exc
    return path
