"""What a loader hands back: the model, its format, and a common predict interface for deep models.

scikit-learn estimators are returned as they are (the collectors already know them: pipelines,
``classes_``, ``feature_names_in_``). Every other format is wrapped in ``DeepModel``, which gives
the collectors one interface whatever produced the network: batched class scores from a numpy
array, the classes, the input shape, and the differentiable torch module when there is one (for
white-box attacks and gradient explainers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

BATCH = 256


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model and how it was obtained (recorded in reports and finding subjects)."""

    estimator: Any  # a scikit-learn estimator, or a DeepModel
    format: str  # skops, pickle, onnx, torchscript, torch_export, state_dict, keras, mlflow
    trusted_types: tuple[str, ...] = ()  # skops types loaded only because trust said so
    meta: Mapping[str, str] = field(default_factory=dict)  # e.g. MLflow version and run id

    @property
    def is_deep(self) -> bool:
        return isinstance(self.estimator, DeepModel)


@dataclass
class DeepModel:
    """A classifier network behind one interface: ``outputs(x)`` for a batch of samples."""

    outputs_fn: Callable[[np.ndarray], np.ndarray]  # raw outputs: logits or probabilities
    input_shape: tuple[int, ...] | None  # one sample's shape, without the batch axis
    nb_classes: int | None = None
    labels: list[Any] | None = None  # class labels in output order (declared), else 0..n-1
    torch_module: Any | None = None  # differentiable torch.nn.Module (None: query access only)
    device: str = "cpu"
    channels_first: bool = True
    runtime: str = ""  # what runs it: torch, onnxruntime, keras/torch ...

    @property
    def classes_(self) -> Any:
        """scikit-learn's name, so code written for estimators reads the classes the same way."""
        import numpy as np

        n = self.nb_classes or 0
        return np.asarray(
            self.labels if self.labels is not None else list(range(n)),
            dtype=object if self.labels else np.int64,
        )

    def outputs(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        x = self.shape_batch(x)
        parts = [
            np.asarray(self.outputs_fn(x[i : i + BATCH]), dtype=np.float64)
            for i in range(0, len(x), BATCH)
        ]
        out = np.concatenate(parts) if parts else np.zeros((0, self.nb_classes or 0))
        return out.reshape(len(x), -1)

    def predict_proba(self, x: Any) -> np.ndarray:
        """Class probabilities: the outputs themselves when they already are, else a softmax."""
        import numpy as np

        out = self.outputs(_array(x))
        if out.shape[1] == 1:  # a single sigmoid/logit unit: two classes
            p = out[:, 0] if _is_probability(out) else 1 / (1 + np.exp(-out[:, 0]))
            return np.stack([1 - p, p], axis=1)
        if _is_probability(out):
            return out
        shifted = out - out.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: Any) -> np.ndarray:
        """Class labels; the class count comes from the outputs when nothing declared it."""
        proba = self.predict_proba(x)
        if self.nb_classes is None:
            self.nb_classes = proba.shape[1]
        return self.classes_[proba.argmax(axis=1)]

    def shape_batch(self, x: np.ndarray) -> np.ndarray:
        """A float32 batch in the model's sample shape (a table row of 64 values -> 1x8x8)."""
        import numpy as np

        x = np.asarray(x, dtype=np.float32)
        if self.input_shape is not None and tuple(x.shape[1:]) != tuple(self.input_shape):
            x = x.reshape((len(x), *self.input_shape))
        return x


def _array(x: Any) -> np.ndarray:
    import numpy as np

    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    return np.asarray(x, dtype=np.float32)


def _is_probability(out: np.ndarray) -> bool:
    import numpy as np

    if out.size == 0 or out.min() < 0 or out.max() > 1:
        return False
    if out.shape[1] == 1:
        return True
    return bool(np.allclose(out.sum(axis=1), 1.0, atol=1e-3))
