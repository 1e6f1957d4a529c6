"""Tests of firesets.firing (fire sets and flip sets, Definitions 2.3, 2.4, B.4, B.5): explicit loops over (i, r)
are the oracle; small integer values make ties with b likely and exercise the strict convention."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from firesets import TwoLayerReLU, firing

# ---------------------------------------------------------------------------------------------------------------

# small integer grid values make ties with b likely: exercises the strict convention
_vals = st.integers(-3, 3).map(float)
_P = st.tuples(st.integers(1, 6), st.integers(1, 9)).flatmap(lambda s: arrays(np.float64, s, elements=_vals))
_b = st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0])


def _loop_fire_sets(P, b):
    n, m = P.shape
    return [[r for r in range(m) if P[i, r] > b] for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(P=_P, b=_b)
def test_fire_sets_against_loops(P, b):
    expect = _loop_fire_sets(P, b)
    got = firing.fire_sets(P, b)
    assert len(got) == P.shape[0]
    for g, e in zip(got, expect):
        assert g.dtype == np.int64 and g.tolist() == e
    assert firing.fire_counts(P, b).tolist() == [len(e) for e in expect]
    assert firing.fire_counts(P, b).dtype == np.int64
    per_neuron = [[i for i in range(P.shape[0]) if P[i, r] > b] for r in range(P.shape[1])]
    assert [s.tolist() for s in firing.neuron_fire_sets(P, b)] == per_neuron
    assert firing.neuron_fire_counts(P, b).tolist() == [len(s) for s in per_neuron]
    i, r = firing.fire_pairs(P, b)
    assert list(zip(i.tolist(), r.tolist())) == [(a, c) for a in range(P.shape[0]) for c in expect[a]]
    assert firing.fire_set(P[0], b).tolist() == expect[0]
    assert firing.fire_mask(P, b).dtype == bool


@settings(max_examples=60, deadline=None)
@given(data=st.data(), shape=st.tuples(st.integers(1, 5), st.integers(1, 8)), T=st.integers(0, 4), b=_b)
def test_flip_and_noflip_against_loops(data, shape, T, b):
    traj = [data.draw(arrays(np.float64, shape, elements=_vals)) for _ in range(T + 1)]
    n, m = shape
    fires = [[[P[i, r] > b for r in range(m)] for i in range(n)] for P in traj]
    for t in range(1, T + 1):
        expect = [[r for r in range(m) if fires[t][i][r] != fires[t - 1][i][r]] for i in range(n)]
        assert [s.tolist() for s in firing.flip_sets(traj[t - 1], traj[t], b)] == expect
    never = [[r for r in range(m) if all(fires[t][i][r] == fires[0][i][r] for t in range(T + 1))] for i in range(n)]
    assert [s.tolist() for s in firing.noflip_sets(traj, b)] == never
    assert [s.tolist() for s in firing.noflip_sets(iter(traj), b)] == never  # a generator works
    assert [s.tolist() for s in firing.noflip_sets(np.stack(traj), b)] == never  # a 3-D array works


def test_fire_sets_on_network_and_strictness():
    net = TwoLayerReLU(np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 2.0]]), np.ones(3), b=0.5)
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    P = net.preactivations(X)
    # <w_1, x_0> = 0.5 = b does not fire (strict)
    assert [s.tolist() for s in firing.fire_sets(P, net.b)] == [[0], [2]]
    assert firing.flip_sets(P, P + 0.0, 0.5)[0].size == 0


def test_fire_set_bad_input():
    with pytest.raises(ValueError, match="P"):
        firing.fire_sets(np.array([[np.nan, 1.0]]), 0.0)
    with pytest.raises(ValueError, match="P"):
        firing.fire_counts(np.ones(3), 0.0)
    with pytest.raises(ValueError, match="b"):
        firing.fire_sets(np.ones((2, 2)), float("inf"))
    with pytest.raises(ValueError, match="p"):
        firing.fire_set(np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match="P_now"):
        firing.flip_mask(np.ones((2, 3)), np.ones((3, 2)), 0.0)
    with pytest.raises(ValueError, match="P_seq"):
        firing.noflip_mask([], 0.0)
    with pytest.raises(ValueError, match=r"P_seq\[1\]"):
        firing.noflip_mask([np.ones((2, 3)), np.ones((2, 4))], 0.0)
