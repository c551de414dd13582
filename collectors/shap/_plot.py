"""The summary plot (PNG), drawn headless with matplotlib's Agg backend.

Binary classifiers get SHAP's beeswarm for the positive class (direction and spread per feature);
multi-class models get a bar chart of mean |SHAP|, which stays readable with many classes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ._explain import Explanation


def summary_plot(path: Path, explanation: Explanation, top_k: int) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    shown = min(top_k, len(explanation.features))
    with warnings.catch_warnings():
        # shap's plotting module trips matplotlib/numpy deprecation warnings: noise in the CI log.
        warnings.simplefilter("ignore", category=PendingDeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        _draw(plt, path, explanation, shown)


def _draw(plt: Any, path: Path, explanation: Explanation, shown: int) -> None:
    try:
        if explanation.values.shape[2] == 2:
            import shap

            shap.summary_plot(
                explanation.values[:, :, 1],
                features=explanation.data,
                feature_names=explanation.features,
                max_display=shown,
                show=False,
                plot_size=(8, 0.4 * shown + 1.5),
            )
            plt.title(f"SHAP values for class {explanation.classes[1]!s}")
        else:
            _bars(plt, explanation, shown)
        plt.savefig(path, dpi=100, bbox_inches="tight")
    finally:
        plt.close("all")


def _bars(plt: Any, explanation: Explanation, shown: int) -> None:
    import numpy as np

    order = np.argsort(-explanation.importance)[:shown][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * shown + 1.5))
    ax.barh([explanation.features[j] for j in order], explanation.importance[order])
    ax.set_xlabel("mean |SHAP value| (over rows and classes)")
    ax.set_title("Global feature importance")
    fig.tight_layout()
