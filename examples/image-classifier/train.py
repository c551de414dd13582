"""Train the example's small CNN on scikit-learn's bundled digits and save it as TorchScript and ONNX.

Offline by design: the 1,797 8x8 digit images ship inside scikit-learn, so nothing is downloaded.
Pixels are scaled from 0..16 to [0, 1] (the clip range declared in aima.yaml). Training is 60
full-batch Adam steps on one CPU thread: a few seconds. The seed makes the weights, and so the
figures in README.md, repeat on the same library versions.

Writes (all ignored by git, regenerate with ``make``):
  model/digits.pt    TorchScript (white-box: ART's gradient attacks, SHAP's GradientExplainer)
  model/digits.onnx  the same network for onnxruntime (black-box attacks only)
  data/test.npz      the 397 held-out digits: x (n, 1, 8, 8) float32 in [0, 1], y (n,) int
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

HERE = Path(__file__).resolve().parent
TRAIN = 1400


class DigitsCNN(torch.nn.Module):
    """Two small convolutions and a linear read-out: about 3,000 weights."""

    def __init__(self) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Conv2d(8, 8, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
        )
        self.head = torch.nn.Linear(8 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


def build() -> DigitsCNN:
    """The factory a state_dict declaration would name (``factory: train:build``)."""
    return DigitsCNN()


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    net = build()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x[:TRAIN]), torch.from_numpy(y[:TRAIN])
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()
    net.eval()
    x_test, y_test = x[TRAIN:], y[TRAIN:]
    with torch.no_grad():
        accuracy = (net(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean()
    (HERE / "model").mkdir(exist_ok=True)
    (HERE / "data").mkdir(exist_ok=True)
    torch.jit.save(torch.jit.script(net), str(HERE / "model" / "digits.pt"))
    torch.onnx.export(
        net,
        (torch.from_numpy(x_test[:2]),),
        str(HERE / "model" / "digits.onnx"),
        input_names=["pixels"],
        output_names=["logits"],
        dynamic_axes={"pixels": {0: "batch"}},
        dynamo=False,
    )
    np.savez(HERE / "data" / "test.npz", x=x_test, y=y_test)
    print(f"held-out accuracy {accuracy:.3f} on {len(y_test)} digits; wrote model/ and data/")


if __name__ == "__main__":
    main()
