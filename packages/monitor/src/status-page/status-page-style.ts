/** The status page's stylesheet, inlined into the page: light, system fonts, nothing fetched. */
export const statusPageStyle = `
:root {
  --ink: #1d2330; --muted: #5b6474; --line: #dde2ea; --paper: #ffffff; --ground: #f5f7fa;
  --ok: #1f7a4d; --ok-bg: #e6f4ec; --bad: #b42318; --bad-bg: #fdecea; --accent: #2f5fb3;
  color-scheme: light;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--ground); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
header {
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.5rem 1.5rem;
  padding: 1rem 1.5rem; background: var(--paper); border-bottom: 1px solid var(--line);
}
header h1 { margin: 0; font-size: 1.25rem; }
header .meta { color: var(--muted); font-size: 0.9rem; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 0.5rem; }
.connection-error {
  margin: 0.75rem 0 0; padding: 0.5rem 0.75rem; border-radius: 6px;
  background: var(--bad-bg); color: var(--bad);
}
.firing { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
.firing li {
  padding: 0.75rem 1rem; border-radius: 8px; background: var(--bad-bg);
  border-left: 6px solid var(--bad); color: var(--bad);
}
.firing .rule { font-weight: 700; }
.firing .message { color: var(--ink); }
.all-clear {
  padding: 0.6rem 1rem; border-radius: 8px; background: var(--ok-bg); color: var(--ok); font-weight: 600;
}
.flows { display: grid; gap: 1rem; }
.flow { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; }
.flow h3 { margin: 0; font-size: 1.1rem; }
.flow .where { color: var(--muted); font-size: 0.85rem; margin: 0.15rem 0 0.75rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 0.75rem; margin: 0; }
.figures div { margin: 0; }
.figures dt { color: var(--muted); font-size: 0.8rem; }
.figures dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 0.75rem; margin-top: 0.75rem; }
.chart figcaption { color: var(--muted); font-size: 0.8rem; display: flex; justify-content: space-between; }
.chart svg { display: block; width: 100%; height: 60px; background: var(--ground); border-radius: 4px; }
.chart path { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.chart .empty { fill: var(--muted); font-size: 10px; }
table { border-collapse: collapse; width: 100%; background: var(--paper); border: 1px solid var(--line); }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); font-size: 0.9rem; }
th { color: var(--muted); font-weight: 600; }
.muted { color: var(--muted); }
.matched { color: var(--ok); font-weight: 600; }
.differs { color: var(--bad); font-weight: 600; }
`;
