"""Evaluation of civil servants and units from the tracked work (Decree 335/2025/NĐ-CP).

Pure: a policy (:mod:`.policy`) and outputs in, scores out (:mod:`.scoring`); the Engine's
``evaluate`` builds the outputs from directives.
"""

from .policy import DEFAULT_POLICY, Bands, EvaluationPolicy
from .scoring import BAND_LABELS, Line, Output, Score, annual, band_of, score

__all__ = [
    "BAND_LABELS",
    "DEFAULT_POLICY",
    "Bands",
    "EvaluationPolicy",
    "Line",
    "Output",
    "Score",
    "annual",
    "band_of",
    "score",
]
