"""The latency page's look: its CSS and its tab icon, both inline, in light and dark mode.

Colours are CSS variables chosen by ``prefers-color-scheme``; the SVG charts use classes
only, so they follow the page's scheme. Nothing is fetched: no font, no stylesheet, no icon.
"""

from __future__ import annotations

# The tab's icon, inline so that the browser asks the server for no /favicon.ico.
ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%232563eb'/%3E"
    "%3Cpath d='M4 5h8M4 8h6M4 11h8' stroke='white' stroke-width='1.6'/%3E%3C/svg%3E"
)

CSS = """
  :root { color-scheme: light dark;
          --bg: #ffffff; --fg: #111827; --muted: #4b5563; --line: #9ca3af; --panel: #f3f4f6;
          --link: #1d4ed8; --fill: #2563eb; --on-fill: #ffffff; --bar: #2563eb; --marker: #92400e;
          --error: #b91c1c; --focus: #2563eb; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #111318; --fg: #e5e7eb; --muted: #a1a7b3; --line: #6b7280; --panel: #1c1f26;
            --link: #93c5fd; --fill: #2563eb; --on-fill: #ffffff; --bar: #60a5fa; --marker: #fbbf24;
            --error: #fca5a5; --focus: #93c5fd; }
  }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
         background: var(--bg); color: var(--fg); display: flex; justify-content: center; padding: 3rem 1rem; }
  main { width: 100%; max-width: 42rem; }
  h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1.5rem; }
  h2 { font-size: 1.1rem; margin: 0 0 .5rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
  a { color: var(--link); text-underline-offset: .15em; }
  .button { font: inherit; font-weight: 600; padding: .5rem 1.25rem; border: 0; border-radius: .375rem;
            background: var(--fill); color: var(--on-fill); cursor: pointer; text-decoration: none;
            display: inline-block; }
  .button:hover { background: color-mix(in srgb, var(--fill) 85%, black); }
  a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  nav { font-size: .95rem; display: flex; gap: .75rem 1.25rem; align-items: center; flex-wrap: wrap; }
  .toolbar { margin: -0.5rem 0 1.5rem; }
  .note { color: var(--muted); font-size: .9rem; margin: 0 0 1.25rem; }
  .function { margin: 0 0 1.25rem; padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel); }
  .stats { overflow-x: auto; }
  caption { text-align: left; font-size: .8rem; font-weight: 600; padding: .25rem 0 0; }
  .processes { margin: 0 0 1.25rem; padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel);
               overflow-x: auto; }
  /* Columns as wide as their content; the start time wraps rather than leave the panel. */
  .processes table { table-layout: auto; }
  .processes td:last-child { white-space: normal; overflow-wrap: anywhere; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; margin-bottom: .5rem;
          font-variant-numeric: tabular-nums; }
  th { text-align: left; color: var(--muted); font-weight: 500; font-size: .8rem; }
  td { white-space: nowrap; }
  td, th { padding: .15rem .5rem .15rem 0; }
  .histogram { display: block; max-width: 100%; height: auto; }
  .histogram .bar { fill: var(--bar); }
  .histogram .axis { stroke: var(--line); stroke-width: 1; }
  .histogram .grid { stroke: var(--line); stroke-opacity: .35; stroke-dasharray: 2 3; }
  .histogram .marker { stroke: var(--marker); stroke-width: 1.5; stroke-dasharray: 4 3; }
  .histogram text { fill: var(--muted); font-size: 12px; font-family: inherit; }
  .histogram .caption { font-size: 11px; }
  .histogram .marker-label { fill: var(--marker); font-weight: 600; }
  .history { display: block; max-width: 100%; height: auto; margin: .25rem 0 .5rem; }
  .history text { fill: var(--muted); font-size: 12px; font-family: inherit; }
  .history .caption { font-size: 11px; }
  .history .axis { stroke: var(--line); stroke-width: 1; }
  .history .grid { stroke: var(--line); stroke-opacity: .35; stroke-dasharray: 2 3; }
  .history .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
  .history .p50 { stroke: var(--bar); } .history .dot.p50 { fill: var(--bar); stroke: none; }
  .history .p99 { stroke: var(--marker); } .history .dot.p99 { fill: var(--marker); stroke: none; }
  .history .calls { fill: var(--line); fill-opacity: .7; }
  .history .error-mark { fill: var(--error); }
  .history .hit { fill: transparent; }
  .history-table { font-size: .85rem; margin: 0 0 .5rem; }
  .history-table summary { color: var(--muted); cursor: pointer; }
  .empty { color: var(--muted); }
  .startup { margin: 0 0 1.25rem; padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel);
             overflow-x: auto; }
  .startup h3 { font-size: .9rem; margin: 1rem 0 .25rem; }
  .timeline, .imports { display: block; max-width: 100%; height: auto; }
  :is(.timeline, .imports) text { fill: var(--muted); font-size: 12px; font-family: inherit; }
  :is(.timeline, .imports) .value { fill: var(--fg); }
  .phase-boot { fill: var(--line); }
  .phase-app { fill: var(--marker); }
  .phase-first, .import { fill: var(--bar); }
  .listening { stroke: var(--fg); stroke-width: 2; }
  @media (max-width: 32rem) {
    body { padding: 1.5rem .75rem; }
    h1 { font-size: 1.35rem; }
    .function, .processes, .startup { padding: .75rem; }
    /* The six figures as two rows of three, each value under its heading. */
    .stats table { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); column-gap: .5rem; }
    .stats thead, .stats tbody, .stats tr { display: contents; }
    .stats caption { grid-row: 1; grid-column: 1 / -1; }
    .stats th:nth-child(-n+3) { grid-row: 2; }
    .stats td:nth-child(-n+3) { grid-row: 3; }
    .stats th:nth-child(n+4) { grid-row: 4; padding-top: .5rem; }
    .stats td:nth-child(n+4) { grid-row: 5; }
    .stats :is(th, td):nth-child(3n+1) { grid-column: 1; }
    .stats :is(th, td):nth-child(3n+2) { grid-column: 2; }
    .stats :is(th, td):nth-child(3n) { grid-column: 3; }
    .histogram text, .history text { font-size: 20px; }
    .histogram .caption, .history .caption { font-size: 18px; }
  }
"""
