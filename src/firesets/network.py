"""The two-layer shifted-ReLU network 2NN(m, b) of Definition 2.1 (Alman et al., NeurIPS 2023)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import as_rng, check_finite_real, check_matrix, check_positive_int, check_vector

__all__ = ["TwoLayerReLU", "paper_threshold", "relu_b", "hidden_layer", "output_layer"]


def paper_threshold(m: int) -> float:
    """The paper's threshold ``b = sqrt(0.4 ln m)`` (Remark 2.6 of :cite:`alman2023bypass`).

    With this ``b``, ``m exp(-b^2/2) = m^{4/5}``: the Lemma 2.5 bound on the fire count becomes ``O(m^{4/5})``.

    Parameters
    ----------
    m : int
        The width, ``m >= 1``.

    Returns
    -------
    float
        ``sqrt(0.4 * log(m))`` (natural logarithm; ``0`` at ``m = 1``).
    """
    m = check_positive_int(m, "m")
    return math.sqrt(0.4 * math.log(m))


def relu_b(z: np.ndarray, b: float) -> np.ndarray:
    """The shifted ReLU ``sigma_b(z) = max(z - b, 0)`` of Definition 2.1 (zero at ``z = b``)."""
    return np.maximum(np.asarray(z, dtype=np.float64) - b, 0.0)


def hidden_layer(W: np.ndarray, X: np.ndarray, b: float, out: np.ndarray | None = None) -> np.ndarray:
    """The hidden layer ``H[r, i] = sigma_b(<w_r, x_i>)`` of Definition 2.1, shape ``(m, n)`` (neuron-major).

    THE dense forward pass of firesets (the network, its gradient and the dense GD step all call it): one BLAS
    product ``W X^T`` (into ``out`` when given), then ``sigma_b`` in place. Neuron ``r`` fires on ``x_i`` iff
    ``H[r, i] > 0`` (strict firing: ``sigma_b(z) > 0`` iff ``z > b``).
    """
    H = np.matmul(W, X.T, out=out)
    H -= b
    np.maximum(H, 0.0, out=H)
    return H


def output_layer(H: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The predictions ``f(W, x_i, a) = m^{-1/2} sum_r a_r H[r, i]`` (Definition 2.1), shape ``(n,)``."""
    return (a @ H) / math.sqrt(a.shape[0])


@dataclass
class TwoLayerReLU:
    """A two-layer network ``f(W, x, a) = m^{-1/2} sum_r a_r sigma_b(<w_r, x>)`` (Definition 2.1).

    Parameters
    ----------
    W : ndarray, shape (m, d)
        Hidden weights, one row ``w_r`` per neuron (the paper writes ``W`` as ``d x m``; we store rows).
    a : ndarray, shape (m,)
        Output weights in ``{-1, +1}``; fixed during training (Section 2).
    b : float
        The threshold of ``sigma_b(z) = max(z - b, 0)``.

    Notes
    -----
    Firing is strict, ``<w_r, x> > b``: ``sigma_b`` is zero at ``z = b``, so the fire set of Definition 2.3
    (``sigma_b(<x, w_r>) > 0``) is ``{r : <w_r, x> > b}``. The paper's gradient formula in Section 2 uses the
    indicator ``1[<w_r, x> >= b]``; the two differ only on the measure-zero event ``<w_r, x> = b``, where
    ``sigma_b`` is not differentiable. We use the strict indicator everywhere (see the errata of Chapter 1).

    References
    ----------
    .. [1] J. Alman, J. Liang, Z. Song, R. Zhang, D. Zhuo. Bypass exponential time preprocessing: fast neural
       network training via weight-data correlation preprocessing. NeurIPS 2023. Definition 2.1, Section 2.
    """

    W: np.ndarray
    a: np.ndarray
    b: float

    def __post_init__(self):
        self.W = check_matrix(self.W, "W")
        m = self.W.shape[0]
        self.a = check_vector(self.a, "a", length=m)
        self.b = check_finite_real(self.b, "b")

    # ------------------------------------------------------------------ construction
    @classmethod
    def init(cls, m: int, d: int, b: float | None = None, rng=0) -> "TwoLayerReLU":
        """Random initialization of Section 2: ``w_r(0) ~ N(0, I_d)``, ``a_r`` uniform in ``{-1, +1}``.

        Parameters
        ----------
        m, d : int
            Width and input dimension, both ``>= 1``.
        b : float or None
            Threshold; ``None`` gives :func:`paper_threshold` ``(m)``.
        rng : int or numpy.random.Generator
            Seed or generator; ``W`` is drawn first, then ``a``.
        """
        m = check_positive_int(m, "m")
        d = check_positive_int(d, "d")
        b = paper_threshold(m) if b is None else check_finite_real(b, "b")
        gen = as_rng(rng)
        W = gen.standard_normal((m, d))
        a = np.where(gen.integers(0, 2, size=m) == 1, 1.0, -1.0)
        return cls(W, a, b)

    @classmethod
    def _trusted(cls, W: np.ndarray, a: np.ndarray, b: float) -> "TwoLayerReLU":
        """A network from arrays already checked (no pass over ``W``, no copy): for ``train``'s result."""
        net = cls.__new__(cls)
        net.W, net.a, net.b = W, a, float(b)
        return net

    def with_weights(self, W: np.ndarray) -> "TwoLayerReLU":
        """A new network with hidden weights ``W`` and the same ``a`` and ``b``."""
        W = check_matrix(W, "W", rows=self.m, cols=self.d)
        return TwoLayerReLU(W.copy(), self.a.copy(), self.b)

    def copy(self) -> "TwoLayerReLU":
        """A deep copy."""
        return TwoLayerReLU(self.W.copy(), self.a.copy(), self.b)

    @property
    def m(self) -> int:
        """Width (number of hidden neurons)."""
        return self.W.shape[0]

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.W.shape[1]

    # ------------------------------------------------------------------ evaluation
    def _check_X(self, X) -> tuple[np.ndarray, bool]:
        arr = np.asarray(X)
        single = arr.ndim == 1
        if single:
            arr = arr[None, :]
        return check_matrix(arr, "X", cols=self.d), single

    def preactivations(self, X) -> np.ndarray:
        """The correlations ``<w_r, x_i>`` as an ``(n, m)`` array (``X W^T``); ``(m,)`` for a single ``x``."""
        X, single = self._check_X(X)
        P = X @ self.W.T
        return P[0] if single else P

    def forward(self, X) -> np.ndarray:
        """Predictions ``f(W, x_i, a)`` of Definition 2.1, shape ``(n,)`` (a float for a single ``x``)."""
        X, single = self._check_X(X)
        u = output_layer(hidden_layer(self.W, X, self.b), self.a)
        return float(u[0]) if single else u

    def loss(self, X, y) -> float:
        """The loss ``L(W) = 1/2 sum_i (f(W, x_i, a) - y_i)^2`` of Definition 2.1."""
        X, _ = self._check_X(X)
        y = check_vector(y, "y", length=X.shape[0])
        r = self.forward(X) - y
        return 0.5 * float(r @ r)

    def gradient(self, X, y) -> np.ndarray:
        """``dL/dW``, shape ``(m, d)``: row ``r`` is ``a_r m^{-1/2} sum_i (f_i - y_i) x_i 1[<w_r, x_i> > b]`` (Section 2)."""
        X, _ = self._check_X(X)
        y = check_vector(y, "y", length=X.shape[0])
        H = hidden_layer(self.W, X, self.b)  # (m, n)
        err = output_layer(H, self.a) - y  # (n,)
        coef = (H > 0) * (self.a / math.sqrt(self.m))[:, None] * err[None, :]  # (m, n)
        return coef @ X
