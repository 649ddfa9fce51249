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
          --error: #b91c1c; --focus: #2563eb; --server: #0f766e; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #111318; --fg: #e5e7eb; --muted: #a1a7b3; --line: #6b7280; --panel: #1c1f26;
            --link: #93c5fd; --fill: #2563eb; --on-fill: #ffffff; --bar: #60a5fa; --marker: #fbbf24;
            --error: #fca5a5; --focus: #93c5fd; --server: #5eead4; }
  }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
         background: var(--bg); color: var(--fg); display: flex; justify-content: center; padding: 1.5rem 1rem; }
  main { width: 100%; max-width: 120rem; min-width: 0; }
  h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1rem; }
  h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
  h3 { font-size: 1.05rem; margin: 0 0 .5rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
  a { color: var(--link); text-underline-offset: .15em; }
  .button { font: inherit; font-weight: 600; padding: .5rem 1.25rem; border: 0; border-radius: .375rem;
            background: var(--fill); color: var(--on-fill); cursor: pointer; text-decoration: none;
            display: inline-block; }
  .button:hover { background: color-mix(in srgb, var(--fill) 85%, black); }
  a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  nav { font-size: .95rem; display: flex; gap: .75rem 1.25rem; align-items: center; flex-wrap: wrap; }
  .toolbar { margin: 0 0 1rem; }
  .scroll { overflow-x: auto; max-width: 100%; }
  .overview { margin: 0 0 .75rem; }
  .overview-table { table-layout: auto; width: auto; margin: 0; }
  .overview-table :is(th, td) { padding: .3rem .75rem .3rem 0; vertical-align: middle; }
  .overview-table thead th { border-bottom: 1px solid var(--line); }
  .overview-table th[scope="colgroup"] { text-align: center; border-bottom: 1px solid var(--line); }
  .overview-table th[scope="row"] { font-weight: 600; font-family: ui-monospace, "DejaVu Sans Mono", monospace;
                                    white-space: nowrap; }
  .overview-table tbody tr:nth-child(even) { background: var(--panel); }
  .overview-table .group th { color: var(--muted); font-weight: 600; font-size: .85rem; padding-top: .75rem;
                              background: var(--bg); }
  .overview-table .key { display: block; font-size: .7rem; }
  .overview-table .attention [data-stat="errors-window"] { color: var(--error); font-weight: 700; }
  .rate { color: var(--muted); font-size: .85rem; }
  .attention .rate { color: inherit; }
  .spark { display: block; }
  .spark .spark-calls { fill: var(--line); }
  .spark .spark-error { fill: var(--error); }
  .spark .spark-p99 { fill: none; stroke: var(--marker); stroke-width: 1.5; stroke-linejoin: round; }
  .spark .spark-dot { fill: var(--marker); }
  .startup-summary { margin: 0 0 .75rem; }
  .columns { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 34rem), 1fr));
             gap: 0 1.25rem; align-items: start; }
  .details > h2 { margin-top: .5rem; }
  :target { scroll-margin-top: 1rem; }
  .function.idle { padding: .5rem 1.25rem; }
  .function.idle h3 { display: inline; margin-right: .75rem; }
  .function.idle p { display: inline; margin: 0; }
  .note { color: var(--muted); font-size: .9rem; margin: 0 0 1.25rem; }
  .function { margin: 0 0 1.25rem; padding: 1rem 1.25rem; border-radius: .5rem; background: var(--panel);
              min-width: 0; }
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
  .phase-server { fill: var(--server); }
  .phase-app { fill: var(--marker); }
  .phase-ready, .import { fill: var(--bar); }
  .startup-table { font-size: .85rem; margin: .25rem 0 .5rem; }
  .startup-table summary { color: var(--muted); cursor: pointer; }
  .startup-table table { table-layout: auto; }
  .startup-table td { white-space: normal; vertical-align: top; }
  .startup, .processes { max-width: 60rem; }
  .listening { stroke: var(--fg); stroke-width: 2; }
  @media (max-width: 48rem) {
    /* The overview folds: each function a card of label-value pairs, the headings said per cell. */
    .overview-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    .overview-table, .overview-table tbody { display: block; }
    .overview-table tr.function-row { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
                                      gap: .1rem .75rem; padding: .5rem .5rem; }
    .overview-table tr.group { display: block; }
    .overview-table tr.function-row > * { padding: 0; }
    .overview-table tr.function-row th[scope="row"], .overview-table .spark-cell { grid-column: 1 / -1; }
    .overview-table td[data-label]::before { content: attr(data-label); display: block; font-size: .75rem;
                                             color: var(--muted); }
  }
  @media (max-width: 32rem) {
    body { padding: 1rem .75rem; }
    h1 { font-size: 1.35rem; }
    .function, .processes, .startup { padding: .75rem; }
    .function.idle { padding: .5rem .75rem; }
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
