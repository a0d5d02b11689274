import { statusPageScript } from './status-page-script';
import { statusPageStyle } from './status-page-style';

/**
 * The status page: one self-contained HTML document, its CSS and script inline, so it is a plain
 * string in the built package (ESM and CJS alike) and the browser fetches nothing but
 * `api/status`. The markup is the static frame; the script fills it from each snapshot. The
 * `data-testid` attributes are the page's contract with its tests: keep them stable.
 */
export const statusPageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inlet status</title>
<style>${statusPageStyle}</style>
</head>
<body>
<header>
  <h1>Inlet status</h1>
  <span class="meta" data-testid="snapshot-at">loading…</span>
  <span class="meta" data-testid="refresh-interval"></span>
</header>
<main>
  <p class="connection-error" data-testid="connection-error" role="alert" hidden></p>
  <section aria-labelledby="alerts-heading">
    <h2 id="alerts-heading">Firing alerts</h2>
    <ul class="firing" data-testid="alerts-firing"></ul>
    <p class="all-clear" data-testid="alerts-clear" hidden>No alerts firing.</p>
  </section>
  <section aria-labelledby="flows-heading">
    <h2 id="flows-heading">Flows</h2>
    <div class="flows" data-testid="flows"></div>
    <p class="muted" data-testid="flows-empty" hidden>No flows are monitored.</p>
  </section>
  <section aria-labelledby="reconciliation-heading">
    <h2 id="reconciliation-heading">Last reconciliation</h2>
    <p data-testid="reconciliation"></p>
  </section>
  <section aria-labelledby="resolved-heading" data-testid="alerts-resolved-section" hidden>
    <h2 id="resolved-heading">Resolved alerts</h2>
    <table>
      <thead><tr><th>Rule</th><th>Flow</th><th>Since</th><th>Message</th></tr></thead>
      <tbody data-testid="alerts-resolved"></tbody>
    </table>
  </section>
</main>
<script>${statusPageScript}</script>
</body>
</html>
`;
