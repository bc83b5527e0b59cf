# pm_readout_acc.py RUN_DIR [N PMP SCALES SEEDS]: overall and content-only held-out
# accuracy of the size-sweep PMs nN h050 pmpPMP s0.. per scale (default: n4000,
# pmp0, xs,s,m,l, 3 seeds; see pm-readout.md). overall = /eval/accuracy pooled.
import h5py, numpy as np, sys, os
from math import sqrt
run = sys.argv[1]
N = sys.argv[2] if len(sys.argv) > 2 else "4000"
P = sys.argv[3] if len(sys.argv) > 3 else "0"
SC = sys.argv[4].split(",") if len(sys.argv) > 4 else ["xs", "s", "m", "l"]
NS = int(sys.argv[5]) if len(sys.argv) > 5 else 3
T2 = {2: 12.706204736174705, 3: 4.302652729911275, 4: 3.182446305284263}.get(NS, float("nan"))
def ci(v):
    v = np.array(v); m = v.mean()
    h = T2 * v.std(ddof=1) / sqrt(len(v)) if len(v) > 1 else float('nan')
    return m, h
print("scale readout  overall(mean+-t)      content-only vs crowd   content-only vs gold  per-seed content")
for sc in SC:
    ov, co, cg, ro = [], [], [], set()
    for s in range(NS):
        fn = f"{run}/pm/{sc}_n{N}_h050_pmp{P}_s{s}.h5"
        if not os.path.exists(fn): continue
        f = h5py.File(fn, "r")
        txt = f.attrs["params"].decode() if isinstance(f.attrs["params"], bytes) else f.attrs["params"]
        r = [l.split("=")[1].split(";")[0].strip() for l in txt.splitlines() if l.startswith("readout")]
        ro.add(r[0] if r else "eos(absent)")
        ov.append(float(f["eval/accuracy"][2]))
        e = f["eval/helpful"]
        a, b, d, g = e["score_chosen"][:], e["score_rejected"][:], e["differs"][:], e["gold"][:]
        c = (a > b) + 0.5 * (a == b)
        co.append(c[d == 0].mean())
        nt = (d == 0) & (g != 0)
        cg.append(np.where(g > 0, a > b, b > a)[nt].mean())
    if not ov: continue
    (om, oh), (cm, ch), (gm, gh) = ci(ov), ci(co), ci(cg)
    print(f"{sc:5s} {','.join(sorted(ro)):7s} {om:.4f}+-{oh:.4f}   {cm:.4f}+-{ch:.4f}        {gm:.4f}+-{gh:.4f}      "
          + " ".join(f"{x:.3f}" for x in co))
