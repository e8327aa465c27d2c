"""Reference CKA values computed with numpy, after Kornblith et al. (2019)'s published code
(google-research/google-research, representation_similarity), for the Swift tests.

Run from this folder: python3 cka_reference.py  (writes cka_reference.json)
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


rng = np.random.default_rng(2020)
cases = []
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
    })
json.dump(cases, open("cka_reference.json", "w"), indent=1)
print([(c["n"], round(c["linear"], 6), round(c["linear_debiased"], 6), round(c["rbf_0.5"], 6)) for c in cases])
