"""Generate the credit-approval example data: seeded, so the committed CSVs regenerate byte-identically.

The data is synthetic but shaped like a real lending book, with two problems planted on purpose so
that aima-ci's collectors have something real to find:

* historical bias: past approvals penalised women beyond what their finances explain, and women's
  recorded income and employment history are lower (career breaks, pay gap). A model trained
  without ``sex`` still learns the bias through those proxies (fairness through unawareness fails);
* drift: the "current" production batch has higher incomes (inflation, a new customer segment) and
  higher debt ratios (rates went up); every other column keeps its training distribution.

Run: ``python generate_data.py`` (writes data/train.csv, data/holdout.csv, data/current.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261101
N_TRAIN = 2400
N_HOLDOUT = 800
N_CURRENT = 1000
DATA = Path(__file__).resolve().parent / "data"

FEATURES = [
    "income",
    "age",
    "employment_years",
    "debt_ratio",
    "credit_history_months",
    "loan_amount",
    "num_credit_lines",
]
SENSITIVE = ["sex", "age_band"]
LABEL = "approved"


def applicants(
    rng: np.random.Generator, n: int, *, income_shift: float = 1.0, debt_shift: float = 0.0
) -> pd.DataFrame:
    """Draw ``n`` applicants; the shifts plant drift in income and debt_ratio only."""
    female = rng.random(n) < 0.5
    age = np.clip(rng.normal(41, 12, n), 18, 80).round()
    # Pay gap and career breaks: the proxies through which the bias reaches a sex-blind model.
    income = rng.lognormal(np.log(52_000), 0.45, n) * np.where(female, 0.72, 1.0) * income_shift
    max_years = np.maximum(age - 18, 0)
    employment_years = np.minimum(
        rng.gamma(2.2, 3.5, n) * np.where(female, 0.6, 1.0), max_years
    ).round(1)
    debt_ratio = np.clip(rng.beta(2.5, 6.0, n) + debt_shift, 0, 1).round(3)
    credit_history_months = np.minimum(rng.gamma(3.0, 30.0, n), max_years * 12).round()
    loan_amount = (rng.lognormal(np.log(15_000), 0.6, n) / 100).round() * 100
    num_credit_lines = rng.poisson(3.0, n)
    frame = pd.DataFrame(
        {
            "income": income.round(-1),
            "age": age.astype(int),
            "employment_years": employment_years,
            "debt_ratio": debt_ratio,
            "credit_history_months": credit_history_months.astype(int),
            "loan_amount": loan_amount.astype(int),
            "num_credit_lines": num_credit_lines.astype(int),
            "sex": np.where(female, "female", "male"),
        }
    )
    frame["age_band"] = pd.cut(
        frame["age"], bins=[0, 29, 49, 200], labels=["18-29", "30-49", "50+"]
    ).astype(str)
    return frame


def historical_decision(rng: np.random.Generator, frame: pd.DataFrame) -> np.ndarray:
    """Past underwriters' decisions: creditworthiness plus an unjustified penalty for women."""
    z = (
        1.6 * (np.log(frame["income"]) - np.log(50_000))
        + 0.10 * frame["employment_years"]
        - 5.0 * (frame["debt_ratio"] - 0.3)
        + 0.008 * (frame["credit_history_months"] - 90)
        - 0.9 * (np.log(frame["loan_amount"]) - np.log(15_000))
        - 0.05 * (frame["num_credit_lines"] - 3)
        - 0.8 * (frame["sex"] == "female")  # the planted historical bias
        - 0.2
    )
    return (rng.random(len(frame)) < 1 / (1 + np.exp(-z))).astype(int)


def write(frame: pd.DataFrame, name: str) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    frame.to_csv(DATA / name, index=False, lineterminator="\n", float_format="%.6g")


def main() -> None:
    rng = np.random.default_rng(SEED)
    book = applicants(rng, N_TRAIN + N_HOLDOUT)
    book[LABEL] = historical_decision(rng, book)
    write(book.iloc[:N_TRAIN].reset_index(drop=True), "train.csv")
    write(book.iloc[N_TRAIN:].reset_index(drop=True), "holdout.csv")
    # Production applicants since go-live: no decision (label) yet; income and debt drifted.
    current = applicants(rng, N_CURRENT, income_shift=1.35, debt_shift=0.12)
    write(current, "current.csv")


if __name__ == "__main__":
    main()
