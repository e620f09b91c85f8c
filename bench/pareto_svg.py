#!/usr/bin/env python3
"""Bits/weight vs mean KLD (log scale) for every variant of a bench/plan_quality.sh run, as SVG.

    python3 bench/pareto_svg.py RESULTS.jsonl TITLE > chart.svg

Variants are coloured by family (uniform, mlx_lm recipes, SWAN, swan's plans); the Pareto
front (no other variant is both smaller and better) is drawn as a line.
"""
import json
import math
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
title = sys.argv[2] if len(sys.argv) > 2 else ""
W, H, L, R, T, B = 720, 440, 70, 200, 40, 50


def family(name):
    if name.startswith("plan-measured"): return "plan (measured, in context)", "#d62728"
    if name.startswith("plan-isolated"): return "plan (measured, isolated)", "#e377c2"
    if name.startswith("plan-prior"): return "plan (role priors)", "#ff7f0e"
    if name.startswith("mlx_lm"): return "mlx_lm mixed recipe", "#2ca02c"
    if name.startswith("swan-"): return "SWAN thresholds", "#9467bd"
    return "uniform", "#1f77b4"


xs = [r["bits_per_weight"] for r in rows]
ys = [max(r["kld_mean"], 1e-6) for r in rows]
x0, x1 = min(xs) - 0.2, max(xs) + 0.2
y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
px = lambda x: L + (x - x0) / (x1 - x0) * (W - L - R)
py = lambda y: T + (y1 - math.log10(y)) / (y1 - y0) * (H - T - B)
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{L}" y="22" font-size="14">{title}</text>',
       f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
       f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
       f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">bits per weight (scales, biases and float tensors included)</text>',
       f'<text x="16" y="{(T + H - B) / 2}" transform="rotate(-90 16 {(T + H - B) / 2})" text-anchor="middle">mean KLD (nats, log scale)</text>']
for e in range(y0, y1 + 1):
    y = py(10 ** e)
    out.append(f'<line x1="{L - 4}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#ddd"/>')
    out.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">1e{e}</text>')
for i in range(math.ceil(x0), math.floor(x1) + 1):
    out.append(f'<text x="{px(i):.1f}" y="{H - B + 16}" text-anchor="middle">{i}</text>')
front = sorted(rows, key=lambda r: (r["bits_per_weight"], r["kld_mean"]))
best, pareto = float("inf"), []
for r in front:
    if r["kld_mean"] < best:
        best = r["kld_mean"]
        pareto.append(r)
out.append('<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="' +
           " ".join(f'{px(r["bits_per_weight"]):.1f},{py(max(r["kld_mean"], 1e-6)):.1f}' for r in pareto) + '"/>')
seen = {}
for r in rows:
    label, colour = family(r["variant"])
    seen[label] = colour
    out.append(f'<circle cx="{px(r["bits_per_weight"]):.1f}" cy="{py(max(r["kld_mean"], 1e-6)):.1f}" r="4" '
               f'fill="{colour}"><title>{r["variant"]}: {r["bits_per_weight"]:.3f} bpw, KLD {r["kld_mean"]:.5f}</title></circle>')
for k, (label, colour) in enumerate(seen.items()):
    y = T + 10 + 18 * k
    out.append(f'<circle cx="{W - R + 16}" cy="{y}" r="4" fill="{colour}"/><text x="{W - R + 26}" y="{y + 4}">{label}</text>')
out.append(f'<text x="{W - R + 10}" y="{T + 10 + 18 * len(seen)}" fill="#666">- - Pareto front</text>')
out.append("</svg>")
print("\n".join(out))
