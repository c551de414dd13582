"""Non-tabular data for the model-facing collectors: ``.npz``, ``.npy`` pairs and image folders.

- ``.npz``: named arrays ``x`` (samples) and ``y`` (labels), read with ``allow_pickle=False`` so a
  crafted file cannot smuggle pickled objects in.
- ``.npy``: the samples; the labels come from a second ``.npy`` named by ``labels:``.
- a folder of images: one subfolder per class (its name is the label), decoded with Pillow,
  converted to the model's channels and size, and scaled into the clip range (default [0, 1]).

Every refusal is an InputError that starts with the caller's ``where``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from aima_ci.plugin import InputError

from ._modelio import LabelMismatch

if TYPE_CHECKING:
    import numpy as np

ARRAY_SUFFIXES = (".npz", ".npy")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MAX_IMAGES = 100_000


class Arrays(NamedTuple):
    x: np.ndarray  # float32, (n, *sample shape)
    y: np.ndarray  # labels as found (ints or strings)


def is_array_data(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in ARRAY_SUFFIXES


def load_arrays(
    path: Path,
    where: str,
    *,
    labels: Path | None = None,
    shape: tuple[int, ...] | None = None,
    clip: tuple[float, float] | None = None,
    channels_first: bool = True,
) -> Arrays:
    import numpy as np

    if path.is_dir():
        return _images(path, where, shape, clip, channels_first)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                names = set(archive.files)
                if not {"x", "y"} <= names:
                    raise InputError(
                        f"{where}: an .npz needs arrays named 'x' and 'y'; it has {sorted(names)}"
                    )
                x, y = archive["x"], archive["y"]
        elif suffix == ".npy":
            if labels is None:
                raise InputError(
                    f"{where}: an .npy holds the samples only; set labels: to the .npy of labels"
                )
            x = np.load(path, allow_pickle=False)
            y = np.load(labels, allow_pickle=False)
        else:
            raise InputError(
                f"{where}: unsupported data file {suffix!r} (use .npz, .npy or an image folder)"
            )
    except InputError:
        raise
    except (ValueError, OSError, EOFError) as exc:  # object arrays refused, truncated files
        raise InputError(f"{where}: unreadable ({type(exc).__name__}: {exc})") from None
    if x.dtype.kind not in "biuf":
        raise InputError(f"{where}: the samples are {x.dtype}, not numbers")
    y = np.asarray(y).reshape(-1)
    if len(x) == 0 or len(x) != len(y):
        raise InputError(f"{where}: {len(x)} samples but {len(y)} labels")
    x = np.asarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise InputError(f"{where}: the samples contain NaN or infinite values")
    return Arrays(x, y)


def _images(
    folder: Path,
    where: str,
    shape: tuple[int, ...] | None,
    clip: tuple[float, float] | None,
    channels_first: bool,
) -> Arrays:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    classes = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise InputError(f"{where}: an image folder needs one subfolder per class (at least two)")
    channels, size = _channels_and_size(shape, channels_first)
    lo, hi = clip or (0.0, 1.0)
    xs: list[np.ndarray] = []
    ys: list[str] = []
    for cls in classes:
        for file in sorted(cls.iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES or not file.is_file():
                continue
            if len(xs) >= MAX_IMAGES:
                raise InputError(f"{where}: more than {MAX_IMAGES} images; sample a test set")
            try:
                with Image.open(file) as opened:
                    img = opened.convert("L" if channels == 1 else "RGB")
                    if size is not None and img.size != (size[1], size[0]):
                        img = img.resize((size[1], size[0]))
                    pixels = np.asarray(img, dtype=np.float32) / 255.0
            except (UnidentifiedImageError, OSError) as exc:
                raise InputError(
                    f"{where}: {cls.name}/{file.name} is not a readable image ({exc})"
                ) from None
            if pixels.ndim == 2:
                pixels = pixels[:, :, None]
            if channels_first:
                pixels = pixels.transpose(2, 0, 1)
            xs.append(lo + (hi - lo) * pixels)
            ys.append(cls.name)
    if not xs:
        raise InputError(f"{where}: no images found in the class subfolders")
    if len({a.shape for a in xs}) > 1:
        raise InputError(
            f"{where}: images have different sizes; declare input_shape so they are resized"
        )
    return Arrays(np.stack(xs).astype(np.float32), np.asarray(ys))


def _channels_and_size(
    shape: tuple[int, ...] | None, channels_first: bool
) -> tuple[int, tuple[int, int] | None]:
    """(channels, (height, width)) from a declared sample shape; RGB at native size if unknown."""
    if shape is not None and len(shape) == 2:  # (height, width): greyscale without a channel axis
        return 1, (shape[0], shape[1])
    if shape is None or len(shape) != 3:
        return 3, None
    if channels_first:
        return shape[0], (shape[1], shape[2])
    return shape[2], (shape[0], shape[1])


def label_indices(
    y: np.ndarray, labels: list[Any] | None, nb_classes: int, where: str
) -> tuple[np.ndarray, list[Any]]:
    """Each label as an index into the model's outputs, and the class names in output order.

    Declared classes name the outputs; otherwise integer labels are the output indices, and
    text labels (an image folder's subfolder names) must be digits, or else classes: is needed.
    """
    import numpy as np

    if labels is not None:
        lookup = {str(c): i for i, c in enumerate(labels)}
        names = list(labels)
    else:
        lookup = {str(i): i for i in range(nb_classes)}
        names = list(range(nb_classes))
    out = np.empty(len(y), dtype=np.int64)
    for row, value in enumerate(y.tolist()):
        key = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        index = lookup.get(key)
        if index is None:
            hint = (
                "map them to the model's outputs with label_map, or declare classes: in the "
                "model declaration"
                if labels is None
                else "check the declared classes or label_map"
            )
            raise LabelMismatch(
                f"{where}: label {value!r} (sample {row + 1}) is not one of the model's classes "
                f"{names[:20]}; {hint}"
            )
        out[row] = index
    return out, names


def apply_label_map(y: Any, mapping: Mapping[str, Any] | None, where: str) -> Any:
    """``label_map`` applied to raw labels (``good``/``bad`` -> 1/0); unmapped values are errors."""
    import numpy as np

    if mapping is None:
        return y
    out = []
    for row, value in enumerate(np.asarray(y).tolist()):
        key = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        if key not in mapping:
            raise LabelMismatch(
                f"{where}: label {value!r} (row {row + 1}) is not named by label_map "
                f"({', '.join(map(repr, list(mapping)[:10]))}); add it to label_map"
            )
        out.append(mapping[key])
    return np.asarray(out, dtype=object)
