"""The built-in demo table: synthetic loan applications with a default target.

:func:`generate_loans` builds the table column by column with vectorised numpy draws from
one ``numpy.random.Generator(PCG64(seed))``, so the same seed gives a bit-identical frame
in any process (on the same platform and library versions).  Columns, dtypes and value
ranges follow the contract in ``COLUMNS``; the target ``default`` comes from a logistic
model of credit score, debt-to-income, grade, interest rate, utilization and
delinquencies plus latent noise, so it carries real but imperfect signal (~15% positives).

Drift (``drift: {column: shift}``), applied to the features *before* the target is drawn,
so the relation P(default | features) stays the same (covariate shift):

* numeric column: every value moves by ``shift * std``, where ``std`` is the standard
  deviation of that column in the undrifted batch (before nulls are inserted); integer
  columns are rounded to the nearest integer afterwards.  Values are not clipped, so a
  large shift can leave the column's nominal range (that is what drift looks like).
* categorical column (``shift`` in 0..1): a share ``shift`` of rows, chosen at random,
  get a new value drawn with probability ``r_k`` proportional to ``1 / (count_k + 1)``,
  where ``count_k`` counts category ``k`` in the undrifted batch.  The category shares
  become ``(1 - shift) * p + shift * r``: mass moves towards the rarest categories.

The drift draws come from a generator of their own, so every column not named in
``drift`` is identical to the undrifted batch of the same seed (the target may change,
since it is drawn from the drifted features).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from driftline.engine import ConfigError, RunContext, Source
from driftline.engine import did_you_mean

#: Every column, in order, with its polars dtype.
COLUMNS: dict[str, pl.DataType] = {
    "application_date": pl.Date(),
    "age": pl.Int64(),
    "annual_income": pl.Float64(),
    "loan_amount": pl.Float64(),
    "interest_rate": pl.Float64(),
    "term_months": pl.Int64(),
    "debt_to_income": pl.Float64(),
    "credit_score": pl.Int64(),
    "num_open_accounts": pl.Int64(),
    "delinquencies_2y": pl.Int64(),
    "employment_years": pl.Float64(),
    "utilization": pl.Float64(),
    "grade": pl.String(),
    "purpose": pl.String(),
    "home_ownership": pl.String(),
    "region": pl.String(),
    "employment_type": pl.String(),
    "default": pl.Int64(),
}
#: Name of the binary target column.
TARGET = "default"
#: Column the time splitter orders by (sorted ascending in the table).
DATE_COLUMN = "application_date"
#: Categorical feature columns (String dtype).
CATEGORICAL_COLUMNS: tuple[str, ...] = ("grade", "purpose", "home_ownership", "region",
                                        "employment_type")
#: Model features: every column except the date and the target.
FEATURE_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in (DATE_COLUMN, TARGET))
#: Numeric feature columns (Int64 or Float64).
NUMERIC_COLUMNS: tuple[str, ...] = tuple(c for c in FEATURE_COLUMNS if c not in CATEGORICAL_COLUMNS)
#: Columns that ``drift`` may name.
DRIFTABLE_COLUMNS: tuple[str, ...] = FEATURE_COLUMNS

#: Category levels of each categorical column, in code order.
LEVELS: dict[str, tuple[str, ...]] = {
    "grade": ("A", "B", "C", "D", "E", "F", "G"),
    "purpose": ("debt_consolidation", "credit_card", "home_improvement", "car", "medical",
                "small_business", "other"),
    "home_ownership": ("RENT", "OWN", "MORTGAGE"),
    "region": ("north", "south", "east", "west"),
    "employment_type": ("salaried", "self_employed", "unemployed", "retired"),
}
#: Share of nulls inserted per column.
NULL_SHARES: dict[str, float] = {
    "annual_income": 0.03,
    "debt_to_income": 0.02,
    "employment_years": 0.05,
    "employment_type": 0.04,
}
#: Largest number of rows one call may generate.
MAX_ROWS = 50_000_000

_FIRST_DAY = 19723  # 2024-01-01 as days since 1970-01-01
_N_DAYS = 731  # 2024-01-01 .. 2025-12-31 (2024 is a leap year)
_INT_COLUMNS = frozenset(c for c, t in COLUMNS.items() if t == pl.Int64())
# Intercept and latent-noise scale of the default model, tuned for ~15% positives and a
# LightGBM test AUC near 0.80.
_INTERCEPT = -3.62
_NOISE = 1.7


def generate_loans(rows: int, seed: int, drift: Mapping[str, float] | None = None, *,
                   key: str = "data.drift") -> pl.DataFrame:
    """The demo table with ``rows`` rows from ``seed``; ``drift`` maps column -> shift.

    ``rows=0`` gives the empty table with every column (e.g. to write a header).

    ``key`` names the setting that ``drift`` came from, for error messages.
    """
    if not isinstance(rows, int) or isinstance(rows, bool) or not 0 <= rows <= MAX_ROWS:
        raise ConfigError(f"rows must be an integer in 0..{MAX_ROWS}, got {rows!r}.")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}.")
    drift = dict(drift or {})
    check_drift(drift, key=key)
    rng = np.random.Generator(np.random.PCG64(seed))
    cols = _features(rows, rng)
    null_masks = {c: rng.random(rows) < share for c, share in NULL_SHARES.items()}
    target_noise = rng.standard_normal(rows)
    target_draw = rng.random(rows)
    if drift:
        _apply_drift(cols, drift, seed)
    cols[TARGET] = _target(cols, target_noise, target_draw)
    return _to_frame(cols, null_masks)


def check_drift(drift: Mapping[str, float], *, key: str = "data.drift") -> None:
    """Reject unknown columns and out-of-range categorical shifts (ConfigError)."""
    for column, shift in drift.items():
        if column not in DRIFTABLE_COLUMNS:
            raise ConfigError(
                f"cannot drift column '{column}' (key: {key}): not a feature of the synthetic "
                f"table.{did_you_mean(column, DRIFTABLE_COLUMNS)}",
                key=f"{key}.{column}", options=DRIFTABLE_COLUMNS,
            )
        if isinstance(shift, bool) or not isinstance(shift, (int, float)) or not np.isfinite(shift):
            raise ConfigError(f"drift shift for '{column}' must be a number (key: {key}.{column}), "
                              f"got {shift!r}.", key=f"{key}.{column}")
        if column in CATEGORICAL_COLUMNS and not 0 <= shift <= 1:
            raise ConfigError(
                f"drift shift for categorical column '{column}' must be in 0..1 (the share of "
                f"rows redrawn towards rare categories), got {shift} (key: {key}.{column}).",
                key=f"{key}.{column}",
            )


# -- the generative model --------------------------------------------------------------
def _features(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every feature as a numpy array (categoricals as integer codes), no nulls yet."""
    c: dict[str, np.ndarray] = {}
    c["application_date"] = np.sort(rng.integers(0, _N_DAYS, n)).astype(np.int32) + _FIRST_DAY
    age = np.clip(np.rint(rng.normal(41.0, 12.0, n)), 18, 80)
    c["age"] = age.astype(np.int64)
    score = np.clip(np.rint(690.0 + 0.9 * (age - 41.0) + 72.0 * rng.standard_normal(n)), 300, 850)
    income_log = (np.log(52_000.0) + 0.012 * (age - 41.0) + 0.0015 * (score - 690.0)
                  + 0.45 * rng.standard_normal(n))
    c["annual_income"] = np.round(np.exp(income_log), 2)
    loan = np.exp(np.log(11_000.0) + 0.35 * (income_log - np.log(52_000.0))
                  + 0.55 * rng.standard_normal(n))
    loan = np.clip(np.round(loan / 25.0) * 25.0, 500.0, 100_000.0)
    c["loan_amount"] = loan
    term60 = rng.random(n) < np.where(loan > 20_000.0, 0.5, 0.15)
    c["term_months"] = np.where(term60, 60, 36).astype(np.int64)
    c["debt_to_income"] = np.round(rng.gamma(3.0, 0.065, n), 4)
    c["credit_score"] = score.astype(np.int64)
    c["num_open_accounts"] = rng.poisson(np.clip(7.0 + 0.05 * (age - 41.0), 1.0, None))
    c["delinquencies_2y"] = rng.poisson(0.25 * np.exp(-(score - 690.0) / 90.0))
    c["employment_type"] = _employment_type(age, rng)
    years = np.minimum(rng.exponential(6.5, n), age - 18.0)
    years = np.where(c["employment_type"] == 2, np.minimum(years, rng.exponential(1.0, n)), years)
    c["employment_years"] = np.round(years, 1)
    util = rng.beta(2.0, 3.5, n) * 1.1 + 0.0015 * (690.0 - score) + 0.05 * rng.standard_normal(n)
    c["utilization"] = np.round(np.clip(util, 0.0, 1.5), 4)
    grade_latent = (-(score - 690.0) / 60.0 + 0.6 * rng.standard_normal(n)
                    + 0.4 * c["delinquencies_2y"])
    grade = np.searchsorted(np.array([-1.3, -0.5, 0.3, 1.0, 1.7, 2.4]), grade_latent)
    c["grade"] = grade
    base_rate = np.array([6.5, 9.5, 12.5, 15.5, 19.0, 23.0, 27.0])[grade]
    rate = base_rate + 1.2 * term60 + 1.5 * rng.standard_normal(n)
    c["interest_rate"] = np.round(np.clip(rate, 3.0, 30.0), 2)
    c["purpose"] = _choice(rng, n, [0.42, 0.22, 0.10, 0.09, 0.05, 0.04, 0.08])
    p_rent = np.clip(0.75 - 0.012 * (age - 25.0), 0.15, 0.8)
    owner = rng.random(n)
    c["home_ownership"] = np.where(owner < p_rent, 0, np.where(rng.random(n) < 0.72, 2, 1))
    c["region"] = _choice(rng, n, [0.28, 0.26, 0.24, 0.22])
    return c


def _employment_type(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """salaried/self_employed/unemployed codes, with retirees concentrated above 62."""
    kind = _choice(rng, len(age), [0.78, 0.14, 0.08, 0.0])
    retired = rng.random(len(age)) < np.where(age >= 62, 0.55, 0.01)
    return np.where(retired, 3, kind)


def _choice(rng: np.random.Generator, n: int, probs: list[float]) -> np.ndarray:
    """``n`` category codes drawn with ``probs`` (vectorised inverse CDF)."""
    cdf = np.cumsum(probs)
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n), side="right"), len(probs) - 1)


def _target(c: Mapping[str, np.ndarray], noise: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Default drawn from a logistic model of the (possibly drifted) features."""
    z = (_INTERCEPT
         - 0.9 * (c["credit_score"] - 690.0) / 72.0
         + 3.0 * (c["debt_to_income"] - 0.195)
         + 0.18 * c["grade"]
         + 0.05 * (c["interest_rate"] - 14.0)
         + 0.9 * (c["utilization"] - 0.45)
         + 0.3 * c["delinquencies_2y"]
         + _NOISE * noise)
    return (draw < 1.0 / (1.0 + np.exp(-z))).astype(np.int64)


# -- drift ------------------------------------------------------------------------------
def _apply_drift(cols: dict[str, np.ndarray], drift: Mapping[str, float], seed: int) -> None:
    """Shift numeric columns by shift*std; redraw a share of categorical rows (in place)."""
    for i, column in enumerate(DRIFTABLE_COLUMNS):
        if column not in drift:
            continue
        shift = float(drift[column])
        values = cols[column]
        if column in CATEGORICAL_COLUMNS:
            # A generator per column, independent of the main stream and of other columns.
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 7919, i])))
            cols[column] = _redraw_towards_rare(values, len(LEVELS[column]), shift, rng)
        else:
            std = float(np.std(values)) if len(values) else 0.0
            moved = values + shift * std
            cols[column] = np.rint(moved).astype(np.int64) if column in _INT_COLUMNS else moved


def _redraw_towards_rare(codes: np.ndarray, k: int, shift: float,
                         rng: np.random.Generator) -> np.ndarray:
    counts = np.bincount(codes, minlength=k)
    weights = 1.0 / (counts + 1.0)
    picked = rng.random(len(codes)) < shift
    new = _choice(rng, len(codes), list(weights / weights.sum()))
    return np.where(picked, new, codes)


# -- assembly ---------------------------------------------------------------------------
def _to_frame(cols: Mapping[str, np.ndarray], null_masks: Mapping[str, np.ndarray]) -> pl.DataFrame:
    series = []
    for name, dtype in COLUMNS.items():
        values = cols[name]
        if name in CATEGORICAL_COLUMNS:
            s = pl.Series(name, LEVELS[name]).gather(values.astype(np.uint32))
        elif name == DATE_COLUMN:
            s = pl.Series(name, values).cast(pl.Date)
        else:
            s = pl.Series(name, values).cast(dtype)
        if name in null_masks:
            s = s.scatter(np.flatnonzero(null_masks[name]), None)
        series.append(s)
    return pl.DataFrame(series)


# -- the component ----------------------------------------------------------------------
class SyntheticSource(Source):
    """Generates the demo loan table in memory (see the module docstring)."""

    @dataclass(frozen=True)
    class Params:
        # Number of rows to generate.
        rows: int = field(default=20_000, metadata={"ge": 1, "le": MAX_ROWS})
        # Seed of the generator; null = the run's seed.
        seed: int | None = field(default=None, metadata={"ge": 0})
        # Column -> shift: numeric columns move by shift * std; categorical columns (0..1)
        # move that share of rows towards their rarest categories.  Empty = no drift.
        drift: dict[str, float] = field(default_factory=dict)

        def __post_init__(self) -> None:
            check_drift(self.drift, key="data.drift")

    def load(self, ctx: RunContext) -> pl.LazyFrame:
        seed = ctx.seed if self.params.seed is None else self.params.seed
        return generate_loans(self.params.rows, seed, self.params.drift).lazy()
