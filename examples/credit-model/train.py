"""Train the example credit-approval model and write its holdout predictions.

A scaled LogisticRegression in a scikit-learn Pipeline: differentiable (ART's gradient attacks can
run on it), cheap to explain (SHAP), and saved with skops so nobody has to unpickle it. ``sex`` and
``age_band`` are deliberately left out of the features (the team believed that made it fair); the
fairness check shows that it does not.

Run after generate_data.py: ``python train.py`` (writes model/credit_model.skops and
data/predictions.csv). Deterministic: the same data gives the same coefficients and a
byte-identical predictions.csv. The .skops file itself differs byte-wise between runs (skops
names its array entries by memory address and stamps zip times), so its digest changes whenever
the model is rewritten even though the model does not.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MODEL = HERE / "model" / "credit_model.skops"
FEATURES = [
    "income",
    "age",
    "employment_years",
    "debt_ratio",
    "credit_history_months",
    "loan_amount",
    "num_credit_lines",
]
LABEL = "approved"


def build() -> Pipeline:
    return Pipeline(
        [("scale", StandardScaler()), ("clf", LogisticRegression(C=1.0, max_iter=1000))]
    )


def main() -> None:
    train = pd.read_csv(DATA / "train.csv")
    holdout = pd.read_csv(DATA / "holdout.csv")
    model = build().fit(train[FEATURES].astype(float), train[LABEL])
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, MODEL)
    out = holdout.copy()
    out["score"] = model.predict_proba(holdout[FEATURES].astype(float))[:, 1].round(4)
    out["predicted"] = model.predict(holdout[FEATURES].astype(float)).astype(int)
    out.to_csv(DATA / "predictions.csv", index=False, lineterminator="\n", float_format="%.6g")
    accuracy = float((out["predicted"] == out[LABEL]).mean())
    rates = out.groupby("sex")["predicted"].mean()
    print(f"holdout accuracy {accuracy:.3f}; approval rate by sex: {rates.round(3).to_dict()}")


if __name__ == "__main__":
    main()
