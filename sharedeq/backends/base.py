"""What a backend returns from one NLP solve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RawResult:
    """Primal point, bound and constraint multipliers, and Ipopt's verdict for one run."""

    x: np.ndarray
    lam_x: np.ndarray
    lam_g: np.ndarray
    status: str
    success: bool
    iterations: int
    seconds: float
