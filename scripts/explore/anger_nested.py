#!/usr/bin/env python3
"""Exploration, not part of the product or of CI: a nested check of the anger
model's language strengths (src/eval/anger.rs LANGUAGES).

`tonewatch eval anger` reports leave-one-speaker-out UAR with strengths that
were chosen on those same figures. Here, for each held-out speaker, the
strengths are chosen by an inner leave-one-speaker-out over the other 15
speakers only, then the held-out speaker is judged. The model is the same
grouped logistic regression (shared standardised weights plus a per-language
copy scaled by its strength, i.e. penalised l2 / strength^2), fitted with
scikit-learn; with the shipped strengths it reproduces `eval anger`'s 0.884 /
0.826 exactly.

Usage (needs numpy, pandas, scikit-learn and ../shared/data):
  cargo run --release --example dump_anger_features > /tmp/anger.csv
  python3 scripts/explore/anger_nested.py /tmp/anger.csv      # about 5 minutes
"""
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

d = pd.read_csv(sys.argv[1])
feat = list(d.columns[5:])
cl = d[d.channel == "clean"].reset_index(drop=True)
no = d[d.channel == "noisy"].reset_index(drop=True)
y = (cl.emotion == "anger").values
X, Xn = cl[feat].values, no[feat].values
corp, spk = cl.corpus.values, cl.speaker.values
# Rust: penalty 100 per copy of the data (clean + noisy) = 200 = 1 / C.
C = 0.005
GRID = [(0, 0), (1, 0.3), (2, 0.3), (3, 0.3), (1, 1), (2, 1), (3, 1)]


def uar(t, p):
    return 0.5 * (p[t].mean() + (~p[~t]).mean())


def aug(z, c, ae, av):
    e = (c == "EmoDB")[:, None].astype(float)
    v = 1 - e
    return np.hstack([z, ae * z * e, av * z * v, ae * e, av * v])


def fit_predict(tr, ts, ae, av):
    ss = StandardScaler().fit(np.vstack([X[tr], Xn[tr]]))
    xtr = np.vstack([aug(ss.transform(X[tr]), corp[tr], ae, av),
                     aug(ss.transform(Xn[tr]), corp[tr], ae, av)])
    m = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
    m.fit(xtr, np.r_[y[tr], y[tr]])
    return m.decision_function(aug(ss.transform(X[ts]), corp[ts], ae, av))


out = np.zeros(len(cl))
for s in np.unique(spk):
    outer = spk != s
    best = None
    for g in GRID:
        sc = np.zeros(len(cl))
        for s2 in np.unique(spk[outer]):
            ts = spk == s2
            sc[ts] = fit_predict(outer & ~ts, ts, *g)
        u = np.mean([uar(y[outer & (corp == c)], sc[outer & (corp == c)] > 0)
                     for c in ["EmoDB", "EMOVO"]])
        if best is None or u > best[0]:
            best = (u, g)
    out[spk == s] = fit_predict(outer, spk == s, *best[1])
    print(f"{s}: chose strengths {best[1]} (inner UAR {best[0]:.3f})", flush=True)
print("nested UAR", {c: round(uar(y[corp == c], out[corp == c] > 0), 3)
                     for c in ["EmoDB", "EMOVO"]})
