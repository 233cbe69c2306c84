"""A self-contained HTML report with inline SVG charts (no JavaScript, no network)."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from bot.reporting.report import Report
from bot.reporting.stats import percentile
from bot.views.text import human_duration

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d3557;
max-width:960px}
h1{margin-bottom:.2rem} .muted{color:#6c757d} table{border-collapse:collapse;margin:1rem 0}
td,th{padding:.3rem .8rem;border-bottom:1px solid #dee2e6;text-align:right}
td:first-child,th:first-child{text-align:left} .kpis{display:flex;gap:1rem;flex-wrap:wrap}
.kpi{border:1px solid #dee2e6;border-radius:8px;padding:.8rem 1.2rem}
.kpi b{display:block;font-size:1.6rem}
"""


def _kpi(label: str, value: str) -> str:
    return f'<div class="kpi"><b>{escape(value)}</b>{escape(label)}</div>'


def _duration(seconds: float | None) -> str:
    return "-" if seconds is None else human_duration(timedelta(seconds=seconds))


def bar_chart(rows: list[tuple[str, list[int]]], series: list[str], colors: list[str]) -> str:
    """Horizontal grouped bars as SVG; rows are (label, one value per series)."""
    if not rows:
        return '<p class="muted">No data in this period.</p>'
    peak = max((v for _, values in rows for v in values), default=0) or 1
    bar_h, gap, label_w, width = 14, 10, 120, 560
    height = len(rows) * (bar_h * len(series) + gap) + 30
    parts = [f'<svg width="{label_w + width + 60}" height="{height}" role="img">']
    y = 0
    for label, values in rows:
        parts.append(f'<text x="0" y="{y + bar_h}" font-size="12">{escape(label)}</text>')
        for i, value in enumerate(values):
            w = int(width * value / peak)
            top = y + i * bar_h
            parts.append(
                f'<rect x="{label_w}" y="{top}" width="{w}" height="{bar_h - 2}" '
                f'fill="{colors[i]}">'
                f"<title>{escape(series[i])}: {value}</title></rect>"
                f'<text x="{label_w + w + 4}" y="{top + bar_h - 3}" font-size="11">{value}</text>'
            )
        y += bar_h * len(series) + gap
    legend_x = label_w
    for name, color in zip(series, colors, strict=True):
        parts.append(
            f'<rect x="{legend_x}" y="{y + 6}" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="{y + 15}" font-size="12">{escape(name)}</text>'
        )
        legend_x += 110
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: Report) -> str:
    s = report.stats
    rate = s.acceptance_rate
    kpis = "".join(
        [
            _kpi("leads", str(s.leads)),
            _kpi("speed to lead p50", _duration(percentile(s.speed_to_lead, 50))),
            _kpi("speed to lead p90", _duration(percentile(s.speed_to_lead, 90))),
            _kpi("acceptance rate", "-" if rate is None else f"{rate:.0%}"),
            _kpi("SLA breaches", str(report.events["sla.breached"])),
            _kpi("escalation steps", str(report.events["sla.escalated"])),
            _kpi("unrouted", str(s.states.get("unrouted", 0))),
        ]
    )
    reps = sorted(s.per_rep.items())
    rep_chart = bar_chart(
        [(rep, [r.offered, r.accepted, r.declined + r.timed_out]) for rep, r in reps],
        ["offered", "accepted", "declined or timed out"],
        ["#457b9d", "#2a9d8f", "#e76f51"],
    )
    histogram = bar_chart(
        [(label, [count]) for label, count in report.accept_histogram()],
        ["accepted offers"],
        ["#2a9d8f"],
    )
    pool_rows = []
    for pool, counts in sorted(report.pools.items()):
        values = sorted(counts.values())
        spread = values[-1] - values[0] if values else 0
        members = ", ".join(f"{escape(r)} {n}" for r, n in sorted(counts.items()))
        pool_rows.append(
            f"<tr><td>{escape(pool)}</td><td>{sum(values)}</td><td>{spread}</td><td>{members}</td></tr>"
        )
    rule_rows = "".join(
        f"<tr><td>{escape(rule)}</td><td>{n}</td></tr>" for rule, n in report.rules.most_common()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lead Router report</title>
<style>{CSS}</style></head><body>
<h1>Lead Router report</h1>
<p class="muted">{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC</p>
<div class="kpis">{kpis}</div>
<h2>Per rep</h2>{rep_chart}
<h2>Time to accept</h2>{histogram}
<h2>Fairness per pool</h2>
<table><tr><th>pool</th><th>leads</th><th>spread (max-min)</th><th>per rep</th></tr>
{"".join(pool_rows)}</table>
<h2>Rule hits</h2><table><tr><th>rule</th><th>decisions</th></tr>{rule_rows}</table>
</body></html>
"""
