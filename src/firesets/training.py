"""Full-batch gradient descent on 2NN(m, b) (Section 2 of the Bypass paper) with any stepper, and its ledger.

Chapters: ``book/fire_sets_in_training.md``, ``book/training_with_trees.md``. The steppers are chosen by an
explicit table, :data:`STEPPERS`; each is tested equal to the readable step of :mod:`firesets.steps`.
"""
from __future__ import annotations

from ._validate import check_choice, check_eta, check_steps, check_training_data
from .ledger import Ledger
from .network import TwoLayerReLU
from .steppers import DenseStepper, DTreeStepper, ScanStepper, WTreeStepper
from .steps import StepRecord

__all__ = ["STEPPERS", "train", "Ledger", "StepRecord", "DenseStepper", "ScanStepper", "DTreeStepper",
           "WTreeStepper"]

#: the steppers by name: ``STEPPERS[name](net, X, y)`` with ``.step(eta)``, ``.state()`` and ``.W``
STEPPERS = {"dense": DenseStepper, "scan": ScanStepper, "dtree": DTreeStepper, "wtree": WTreeStepper}


def train(net: TwoLayerReLU, X, y, eta, steps, method: str = "dense", record: bool = True,
          keep_codes: bool = False):
    """Run ``steps`` full-batch GD steps ``W(t+1) = W(t) - eta dL/dW(W(t))`` and return ``(net2, ledger)``.

    Parameters
    ----------
    net : TwoLayerReLU
        Initial network (not mutated; only ``W`` trains, Section 2).
    X : ndarray (n, d), y : ndarray (n,)
        Data and labels.
    eta : float
        Learning rate, finite and ``> 0``.
    steps : int
        Number of steps ``T >= 0``.
    method : {"dense", "scan", "dtree", "wtree"}
        The stepper of :data:`STEPPERS`; all give the same trajectory (up to rounding).
    record : bool
        Keep the :class:`~firesets.ledger.Ledger` of ``W(0), ..., W(T)`` (``False``: the ledger is ``None``).
    keep_codes : bool
        Keep every iteration's fire codes in the ledger (``ledger.fire_codes``).

    Returns
    -------
    TwoLayerReLU, Ledger or None
        The network with ``W(T)`` and the ledger. The ledger reads ``net.W`` as ``W(0)`` without copying it
        (``train`` never writes it); its per-step cost is ``O(k + |U| d)`` (see :class:`Ledger`).
    """
    X, y = check_training_data(net, X, y, net_type=TwoLayerReLU)
    eta = check_eta(eta)
    steps = check_steps(steps)
    method = check_choice(method, "method", STEPPERS)
    stepper = STEPPERS[method](net, X, y)
    ledger = Ledger._trusted(net.W, X, net.b, keep_codes) if record else None
    for _ in range(steps):
        rec = stepper.step(eta, record=record)
        if record:
            ledger.append(rec.loss, rec.i, rec.r)  # the state W(t) before the step
            ledger.moved(stepper.W, rec.U)  # the rows the step may have moved, now W(t+1)
    if record:
        last = stepper.state()
        ledger.append(last.loss, last.i, last.r)
    return TwoLayerReLU._trusted(stepper.release_W(), net.a.copy(), net.b), ledger
