#!/usr/bin/env python3
"""Draws the lookup path-length distribution of `p2psip sim --json` runs as an SVG.

  bench/plot_hops.py OUT.svg RUN.json [RUN.json ...]

One bar group per hop count, one colour per run (labelled with N, the mean and ½·log2 N, the
Chord paper's expected path length, drawn as a dashed line per run).
"""
import json
import sys

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]


def main():
    out, runs = sys.argv[1], [json.load(open(p)) for p in sys.argv[2:]]
    width, height, left, bottom, top = 760, 380, 60, 50, 40
    max_h = max(len(r["hop_histogram"]) for r in runs)
    fracs = [[c / max(1, sum(r["hop_histogram"])) for c in r["hop_histogram"]] for r in runs]
    ymax = max(max(f) for f in fracs) * 1.1
    plot_w, plot_h = width - left - 20, height - bottom - top
    group_w = plot_w / max_h
    bar_w = group_w * 0.8 / len(runs)
    y = lambda v: top + plot_h * (1 - v / ymax)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">'
           'RouteQuery path length (forwarding peers), p2psip sim</text>']
    for k in range(6):
        v = ymax * k / 5
        svg.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   'stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.0%}</text>')
    for h in range(max_h):
        x = left + h * group_w
        svg.append(f'<text x="{x + group_w / 2:.1f}" y="{height - bottom + 16}" '
                   f'text-anchor="middle">{h}</text>')
        for i, f in enumerate(fracs):
            if h < len(f) and f[h] > 0:
                bx = x + group_w * 0.1 + i * bar_w
                svg.append(f'<rect x="{bx:.1f}" y="{y(f[h]):.1f}" width="{bar_w:.1f}" '
                           f'height="{top + plot_h - y(f[h]):.1f}" fill="{COLORS[i % 4]}"/>')
    for i, r in enumerate(runs):
        for value, dash in ((r["half_log2_n"], "6,4"), (r["mean_hops"], "")):
            x = left + (value + 0.5) * group_w
            svg.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" '
                       f'stroke="{COLORS[i % 4]}" stroke-width="1.5" stroke-dasharray="{dash}"/>')
        svg.append(f'<rect x="{width - 300}" y="{top + 8 + 18 * i}" width="12" height="12" '
                   f'fill="{COLORS[i % 4]}"/>')
        svg.append(f'<text x="{width - 282}" y="{top + 18 + 18 * i}">N = {r["live_nodes"]}: '
                   f'mean {r["mean_hops"]:.2f}, ½·log2 N = {r["half_log2_n"]:.2f}</text>')
    svg.append(f'<text x="{width - 282}" y="{top + 22 + 18 * len(runs)}" fill="#555">'
               'solid: mean, dashed: ½·log2 N</text>')
    svg.append(f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">'
               'hops</text>')
    svg.append('</svg>')
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")
    print(out)


if __name__ == "__main__":
    main()
