"""Reference CKA values computed with numpy, after Kornblith et al. (2019)'s published code
(google-research/google-research, representation_similarity), for the Swift tests; and the
minibatch CKA of Nguyen, Raghu and Kornblith (2021), written from the paper with Song et al.'s
(2012) unbiased HSIC in its trace form (not the centering trick above), over unequal batches.

Run from this folder: "$(bash ../../../scripts/python-env.sh numpy)" cka_reference.py  (writes cka_reference.json)
"""
import json

import numpy as np


def gram_linear(x):
    return x @ x.T


def gram_rbf(x, threshold):
    dot_products = x @ x.T
    sq_norms = np.diag(dot_products)
    sq_distances = -2 * dot_products + sq_norms[:, None] + sq_norms[None, :]
    sq_median_distance = np.median(sq_distances)
    return np.exp(-sq_distances / (2 * threshold ** 2 * sq_median_distance))


def center_gram(gram, unbiased=False):
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(gram_x, gram_y, debiased=False):
    gram_x = center_gram(gram_x, unbiased=debiased)
    gram_y = center_gram(gram_y, unbiased=debiased)
    scaled_hsic = gram_x.ravel().dot(gram_y.ravel())
    return scaled_hsic / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def hsic_unbiased(k, l):
    """Song et al. (2012), eq. 5: the U-statistic of HSIC, with zeroed diagonals."""
    n = k.shape[0]
    k, l = k.copy(), l.copy()
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l, 0)
    ones = np.ones(n)
    trace = np.sum(k * l)  # tr(K L) for symmetric K, L
    middle = (ones @ k @ ones) * (ones @ l @ ones) / ((n - 1) * (n - 2))
    last = 2 / (n - 2) * (ones @ k @ l @ ones)
    return (trace + middle - last) / (n * (n - 3))


def hsic_biased(k, l):
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ l @ h) / (n - 1) ** 2


def minibatch_cka(x, y, batches, gram, debiased):
    """CKA_mb = sum_i HSIC(K_i, L_i) / sqrt(sum_i HSIC(K_i, K_i) sum_i HSIC(L_i, L_i))."""
    hsic = hsic_unbiased if debiased else hsic_biased
    kl = kk = ll = 0.0
    start = 0
    for size in batches:
        k, l = gram(x[start:start + size]), gram(y[start:start + size])
        kl, kk, ll = kl + hsic(k, l), kk + hsic(k, k), ll + hsic(l, l)
        start += size
    return kl / np.sqrt(kk * ll)


rng = np.random.default_rng(2020)
cases = []
batches_of = {12: [6, 6], 40: [10, 14, 16], 25: [12, 13]}
for n, p, q in [(12, 5, 7), (40, 30, 3), (25, 60, 80)]:
    x = rng.standard_normal((n, p)).astype(np.float32)
    # Y shares part of X's structure so the values are not near zero.
    y = (np.tanh(x @ rng.standard_normal((p, q))) + 0.5 * rng.standard_normal((n, q))).astype(np.float32)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    cases.append({
        "n": n, "p": p, "q": q, "x": x.ravel().tolist(), "y": y.ravel().tolist(),
        "linear": cka(gram_linear(xd), gram_linear(yd)),
        "linear_debiased": cka(gram_linear(xd), gram_linear(yd), debiased=True),
        "rbf_0.5": cka(gram_rbf(xd, 0.5), gram_rbf(yd, 0.5)),
        "rbf_1.0_debiased": cka(gram_rbf(xd, 1.0), gram_rbf(yd, 1.0), debiased=True),
        "batches": batches_of[n],
        "minibatch_linear_debiased": minibatch_cka(xd, yd, batches_of[n], gram_linear, True),
        "minibatch_linear": minibatch_cka(xd, yd, batches_of[n], gram_linear, False),
        "minibatch_rbf_0.5_debiased": minibatch_cka(xd, yd, batches_of[n], lambda z: gram_rbf(z, 0.5), True),
    })
json.dump(cases, open("cka_reference.json", "w"), indent=1)
print([(c["n"], round(c["linear"], 6), round(c["linear_debiased"], 6), round(c["rbf_0.5"], 6)) for c in cases])
