#!/usr/bin/env python3
"""How the nucleus detector's committee of peak-pickers (NucleiParams::default)
was chosen. Development tool, not part of the product or of CI; needs numpy and
pandas.

    for t in 1 0.8 1.3; do
        cargo run --release --example grid_counts $t > /tmp/grid_$t.csv
    done
    python3 scripts/explore/pick_committee.py /tmp

Each CSV holds, per EmoDB utterance (clean and telephone, at its own pace or
sped up / slowed down by WSOLA with the truth rate scaled alike), the count of
one peak-picker at each of 108 settings. Forward selection with replacement on
the tuning half (even speakers) only: each step adds the setting that most
raises the Pearson r between the mean rate of the chosen settings and the
truth, over the three paces pooled (so the count has to follow a change of
pace), averaged over clean and telephone. The odd speakers are only printed.
"""
import sys

import numpy as np
import pandas as pd

TEMPOS = ["1", "0.8", "1.3"]
STEPS = 5

folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
grids = {t: pd.read_csv(f"{folder}/grid_{t}.csv") for t in TEMPOS}
cols = [c for c in grids["1"].columns if c.startswith("s") and c not in ("speaker", "speech_s")]


def mats(t, v):
    a = grids[t][grids[t].version == v].reset_index(drop=True)
    return a[cols].values / a.speech_s.values[:, None], a.truth_rate.values, (a.speaker % 2 == 0).values


M = {(t, v): mats(t, v) for t in TEMPOS for v in ("clean", "tel")}
even = M[("1", "clean")][2]


def r_of(sel, t, v, mask):
    R, y, _ = M[(t, v)]
    m = R[:, sel].mean(1)
    return np.corrcoef(m[mask], y[mask])[0, 1]


def pooled_r(sel, v, mask):
    xs, ys = [], []
    for t in TEMPOS:
        R, y, _ = M[(t, v)]
        xs.append(R[mask][:, sel].mean(1))
        ys.append(y[mask])
    return np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1]


def response(sel, t, v):
    return np.median(M[(t, v)][0][:, sel].mean(1) / M[("1", v)][0][:, sel].mean(1))


def report(sel):
    out = []
    for v in ("clean", "tel"):
        out.append(
            f"{v}: r all {r_of(sel, '1', v, even | ~even):.3f} odd {r_of(sel, '1', v, ~even):.3f}, "
            f"x1.3 reads x{response(sel, '1.3', v):.3f}, x0.8 reads x{response(sel, '0.8', v):.3f}"
        )
    return " | ".join(out)


print("one picker (the old default s1_d1_p0.3_g0.07):", report([cols.index("s1_d1_p0.3_g0.07")]))
sel = []
for step in range(STEPS + 3):
    score, k = max((np.mean([pooled_r(sel + [k], v, even) for v in ("clean", "tel")]), k) for k in range(len(cols)))
    sel.append(k)
    mark = "" if step < STEPS else "  (not taken)"
    print(f"step {step}: + {cols[k]}  criterion {score:.4f}  {report(sel)}{mark}")
chosen = pd.Series([cols[k] for k in sel[:STEPS]]).value_counts() / STEPS
print("committee (setting: weight):")
print(chosen.to_string())
