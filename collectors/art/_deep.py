"""ART on networks (PyTorch, Keras on torch, ONNX, MLflow): image or array inputs, eps in input units.

White-box attacks (FGSM, PGD, Carlini-Wagner L-inf) go through ART's ``PyTorchClassifier`` on the
model's own torch module, so the gradients are the model's. A model without gradients (ONNX, a
pyfunc) is wrapped as ART's ``BlackBoxClassifier`` and attacked with SquareAttack (query-efficient,
bounded by eps) and HopSkipJump (minimal perturbation). A black-box attack only shows that some
inputs break: its adversarial accuracy is an upper bound on the true one, and the report says so.

The budget ``eps`` is in the input's own units by default (``eps_units: absolute``: pixel values
in the clip range); ``eps_units: std`` multiplies it by the data's standard deviation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .._modelio import DeepModel
from ._attacks import AttackOutcome, wilson
from .settings import BLACK_BOX_ATTACKS, MINIMAL_ATTACKS, AttackSpec

if TYPE_CHECKING:
    import numpy as np


@dataclass
class DeepSpace:
    """The samples, their label indices and the box the adversary must stay in."""

    model: DeepModel
    x: np.ndarray  # float32 (n, *input_shape)
    y: np.ndarray  # label indices
    clip: tuple[float, float]
    scale: float  # eps unit
    classes: list[Any]

    def predict_index(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(x).argmax(axis=1)


def classifier(
    art: SimpleNamespace, space: DeepSpace, *, white_box: bool, network: bool = False
) -> Any:
    """PyTorchClassifier on the torch module, or a query-only black-box wrapper.

    ``network``: ART's SquareAttack insists on a "neural network" estimator; its black-box
    variant is the same query-only wrapper with that label.
    """
    import numpy as np

    model = space.model
    shape = tuple(model.input_shape or space.x.shape[1:])
    if white_box and model.torch_module is not None:
        import torch

        return art.PyTorchClassifier(
            model=model.torch_module,
            loss=torch.nn.CrossEntropyLoss(),
            input_shape=shape,
            nb_classes=len(space.classes),
            clip_values=space.clip,
            channels_first=model.channels_first,
            device_type="gpu" if model.device.startswith("cuda") else "cpu",
        )

    def predict(x: np.ndarray) -> np.ndarray:
        return model.predict_proba(np.asarray(x, dtype=np.float32))

    if network:
        return art.BlackBoxClassifierNeuralNetwork(
            predict_fn=predict,
            input_shape=shape,
            nb_classes=len(space.classes),
            channels_first=model.channels_first,
            clip_values=space.clip,
        )
    return art.BlackBoxClassifier(
        predict_fn=predict, input_shape=shape, nb_classes=len(space.classes), clip_values=space.clip
    )


def run_deep_attack(
    art: SimpleNamespace, spec: AttackSpec, space: DeepSpace, rows: np.ndarray, *, seed: int
) -> AttackOutcome:
    """One attack on the sampled rows; a tool failure is an ``error`` outcome, never a pass."""
    import numpy as np

    start = time.monotonic()
    x, labels = space.x[rows], space.y[rows]
    clean_pred = space.predict_index(x)
    clean_correct = clean_pred == labels
    outcome = AttackOutcome(spec=spec, status="ok", n=len(rows), rows=rows)
    outcome.clean_accuracy = float(clean_correct.mean())
    np.random.seed(seed)
    try:
        if spec.needs_gradients and space.model.torch_module is None:
            outcome.status = "not_applicable"
            outcome.message = (
                f"{spec.name} is a white-box attack that needs gradients; this {space.model.runtime}"
                " model only answers queries. Use SquareAttack or HopSkipJump"
            )
            return outcome
        adv = generate(art, spec, space, x, labels)
    except NotImplementedError as exc:
        outcome.status = "not_applicable"
        outcome.message = f"{spec.name}: ART does not implement it for this model: {exc}"
        return outcome
    except Exception as exc:  # a tool failure on this model: report it, never pass
        outcome.status = "error"
        outcome.message = f"{spec.name} failed: {type(exc).__name__}: {exc}"
        return outcome
    adv_pred = space.predict_index(adv)
    dist = np.abs(adv - x).reshape(len(x), -1).max(axis=1) / space.scale
    within = dist <= spec.eps * (1 + 1e-5) + 1e-7
    if spec.name not in MINIMAL_ATTACKS:
        within[:] = True  # bounded by eps themselves (float rounding aside)
    adv_correct = np.where(within, adv_pred == labels, clean_correct)
    broken = clean_correct & ~adv_correct
    outcome.adversarial_accuracy = float(adv_correct.mean())
    outcome.broken = int(broken.sum())
    outcome.ci95 = wilson(int(adv_correct.sum()), len(x))
    if outcome.clean_accuracy > 0:
        outcome.ratio = outcome.adversarial_accuracy / outcome.clean_accuracy
    if outcome.broken:
        outcome.linf_mean = float(dist[broken].mean())
    outcome.examples = [
        {
            "sample": int(rows[i]) + 1,
            "label": _plain(space.classes[labels[i]]),
            "clean_prediction": _plain(space.classes[clean_pred[i]]),
            "adversarial_prediction": _plain(space.classes[adv_pred[i]]),
            "linf_eps_units": round(float(dist[i]), 6),
        }
        for i in np.flatnonzero(broken)[:3]
    ]
    outcome.seconds = time.monotonic() - start
    return outcome


def generate(
    art: SimpleNamespace, spec: AttackSpec, space: DeepSpace, x: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """ART's own attack objects, parameters as configured (eps scaled to input units)."""
    import numpy as np

    eps = float(spec.eps * space.scale)
    onehot = np.eye(len(space.classes), dtype=np.float32)[labels]
    p = spec.params
    if spec.name in BLACK_BOX_ATTACKS:
        clf = classifier(art, space, white_box=False, network=spec.name == "SquareAttack")
    else:
        clf = classifier(art, space, white_box=True)
    if spec.name == "FastGradientMethod":
        attack = art.FastGradientMethod(clf, norm=np.inf, eps=eps, eps_step=eps)
    elif spec.name == "ProjectedGradientDescent":
        attack = art.ProjectedGradientDescent(
            clf,
            norm=np.inf,
            eps=eps,
            eps_step=float(p["eps_step"]) * space.scale,
            max_iter=int(p["max_iter"]),
            num_random_init=int(p["num_random_init"]),
            verbose=False,
        )
    elif spec.name == "CarliniLInfMethod":
        attack = art.CarliniLInfMethod(
            clf,
            max_iter=int(p["max_iter"]),
            learning_rate=float(p["learning_rate"]),
            batch_size=64,
            verbose=False,
        )
    elif spec.name == "SquareAttack":
        attack = art.SquareAttack(
            clf,
            norm=np.inf,
            eps=eps,
            max_iter=int(p["max_iter"]),
            p_init=float(p["p_init"]),
            nb_restarts=int(p["nb_restarts"]),
            verbose=False,
        )
    else:  # HopSkipJump
        attack = art.HopSkipJump(
            clf,
            targeted=False,
            norm=np.inf,
            max_iter=int(p["max_iter"]),
            max_eval=int(p["max_eval"]),
            init_eval=int(p["init_eval"]),
            init_size=int(p["init_size"]),
            verbose=False,
        )
    return np.asarray(attack.generate(x=x.astype(np.float32), y=onehot), dtype=np.float32)


def strongest_by_eps(outcomes: Sequence[AttackOutcome]) -> list[dict[str, Any]]:
    """Per eps, the attack that left the lowest adversarial accuracy, and what kind of bound it is.

    Only white-box results approach the true robust accuracy; when every attack at an eps was
    black-box, the figure is an upper bound (a stronger attacker may do better), said plainly.
    """
    by_eps: dict[float, list[AttackOutcome]] = {}
    for o in outcomes:
        if o.status == "ok" and o.adversarial_accuracy is not None:
            by_eps.setdefault(o.spec.eps, []).append(o)
    rows = []
    for eps in sorted(by_eps):
        group = by_eps[eps]
        best = min(group, key=lambda o: o.adversarial_accuracy or 0.0)
        black_box_only = all(o.spec.name in BLACK_BOX_ATTACKS for o in group)
        rows.append(
            {
                "eps": eps,
                "attack": best.spec.name,
                "adversarial_accuracy": round(float(best.adversarial_accuracy or 0.0), 6),
                "clean_accuracy": round(float(best.clean_accuracy or 0.0), 6),
                "attacks_compared": [o.spec.name for o in group],
                "bound": "upper bound (black-box attacks only)" if black_box_only else "white-box",
            }
        )
    return rows


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
