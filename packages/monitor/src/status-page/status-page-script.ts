/**
 * The status page's browser script, inlined into the page. Plain ES2020 for the browser, kept as
 * text so the page needs no bundling and no second request. It polls `api/status` (relative, so
 * the page works behind a path prefix) every `?refresh=` seconds (default 5) and updates the DOM in
 * place: one card per flow, keyed by flow name. Text goes in through `textContent` only, never
 * `innerHTML`, because flow names, topics and alert messages are not ours to trust.
 *
 * Written without backticks or dollar-brace so it can live in a raw template literal.
 */
export const statusPageScript = String.raw`
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var HOUR_MS = 3600 * 1000;
  var CHART_W = 300;
  var CHART_H = 60;
  var params = new URLSearchParams(window.location.search);
  var refreshSeconds = Number(params.get('refresh'));
  if (!Number.isFinite(refreshSeconds) || refreshSeconds <= 0) refreshSeconds = 5;
  refreshSeconds = Math.max(refreshSeconds, 0.25);
  var integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  var decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

  function byId(testId) { return document.querySelector('[data-testid="' + testId + '"]'); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

  function formatCount(value) { return integer.format(value); }
  function formatRate(value) { return decimal.format(value) + ' /s'; }
  function formatSeconds(value) {
    if (value === null || value === undefined) return '\u2014';
    return formatDuration(value * 1000);
  }
  function formatDuration(ms) {
    if (ms === null || ms === undefined) return '\u2014';
    if (ms < 1000) return integer.format(ms) + ' ms';
    if (ms < 60 * 1000) return decimal.format(ms / 1000) + ' s';
    if (ms < HOUR_MS) return decimal.format(ms / 60000) + ' min';
    return decimal.format(ms / HOUR_MS) + ' h';
  }
  function formatTime(iso) {
    var date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
  }

  // One path over the last hour of the snapshot's own clock; a null sample breaks the line.
  function chartPath(samples, pick, now) {
    var from = now - HOUR_MS;
    var points = samples.filter(function (s) { return s.at >= from && s.at <= now; });
    var max = 0;
    points.forEach(function (s) { var v = pick(s); if (v !== null && v > max) max = v; });
    var scale = max > 0 ? max : 1;
    var d = '';
    var pen = false;
    points.forEach(function (s) {
      var v = pick(s);
      if (v === null || v === undefined) { pen = false; return; }
      var x = ((s.at - from) / HOUR_MS) * CHART_W;
      var y = CHART_H - 2 - (v / scale) * (CHART_H - 4);
      d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1) + ' ';
      pen = true;
    });
    return { d: d.trim(), max: max, count: points.length };
  }

  var charts = [
    { key: 'lag', label: 'Lag (events)', pick: function (s) { return s.lagEvents; }, format: formatCount },
    { key: 'lag-seconds', label: 'Lag (time)', pick: function (s) { return s.lagSeconds; }, format: formatSeconds },
    { key: 'freshness', label: 'Freshness p99', pick: function (s) { return s.freshnessP99Ms; }, format: formatDuration },
    { key: 'throughput', label: 'Throughput', pick: function (s) { return s.eventsPerSecond; }, format: formatRate },
  ];
  var figures = [
    { key: 'lag-events', label: 'Lag (events)', value: function (f) { return formatCount(f.lagEvents); } },
    { key: 'lag-seconds', label: 'Lag (time)', value: function (f) { return formatSeconds(f.lagSeconds); } },
    { key: 'freshness-p50', label: 'Freshness p50', value: function (f) { return formatDuration(f.freshnessP50Ms); } },
    { key: 'freshness-p99', label: 'Freshness p99', value: function (f) { return formatDuration(f.freshnessP99Ms); } },
    { key: 'throughput', label: 'Throughput', value: function (f) { return formatRate(f.eventsPerSecond); } },
  ];

  function createFlowCard(name) {
    var card = el('article', { class: 'flow', 'data-testid': 'flow', 'data-flow': name });
    card.appendChild(el('h3', { 'data-testid': 'flow-name' }, name));
    card.appendChild(el('p', { class: 'where', 'data-testid': 'flow-where' }));
    var list = el('dl', { class: 'figures' });
    figures.forEach(function (figure) {
      var item = el('div', {});
      item.appendChild(el('dt', {}, figure.label));
      item.appendChild(el('dd', { 'data-testid': 'flow-' + figure.key }));
      list.appendChild(item);
    });
    card.appendChild(list);
    var chartRow = el('div', { class: 'charts' });
    charts.forEach(function (chart) {
      var figure = el('figure', { class: 'chart', style: 'margin:0' });
      var caption = el('figcaption', {});
      caption.appendChild(el('span', {}, chart.label + ', last hour'));
      caption.appendChild(el('span', { 'data-testid': 'flow-chart-' + chart.key + '-max' }));
      figure.appendChild(caption);
      var svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('viewBox', '0 0 ' + CHART_W + ' ' + CHART_H);
      svg.setAttribute('preserveAspectRatio', 'none');
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', chart.label + ' over the last hour');
      svg.setAttribute('data-testid', 'flow-chart-' + chart.key);
      var path = document.createElementNS(SVG, 'path');
      svg.appendChild(path);
      var empty = document.createElementNS(SVG, 'text');
      empty.setAttribute('class', 'empty');
      empty.setAttribute('x', '6');
      empty.setAttribute('y', String(CHART_H / 2 + 3));
      svg.appendChild(empty);
      figure.appendChild(svg);
      chartRow.appendChild(figure);
    });
    card.appendChild(chartRow);
    return card;
  }

  function updateFlowCard(card, flow, now) {
    var where = 'group ' + flow.groupId + ' \u00b7 ' + (flow.topics.length ? flow.topics.join(', ') : 'no topics');
    setText(card.querySelector('[data-testid="flow-where"]'), where);
    figures.forEach(function (figure) {
      setText(card.querySelector('[data-testid="flow-' + figure.key + '"]'), figure.value(flow));
    });
    charts.forEach(function (chart) {
      var svg = card.querySelector('[data-testid="flow-chart-' + chart.key + '"]');
      var drawn = chartPath(flow.history, chart.pick, now);
      svg.querySelector('path').setAttribute('d', drawn.d);
      svg.setAttribute('data-points', String(drawn.count));
      setText(svg.querySelector('text'), drawn.d === '' ? 'no samples in the last hour' : '');
      setText(card.querySelector('[data-testid="flow-chart-' + chart.key + '-max"]'),
        drawn.d === '' ? '' : 'max ' + chart.format(drawn.max));
    });
  }

  function renderFlows(flows, now) {
    var container = byId('flows');
    var existing = {};
    Array.prototype.forEach.call(container.querySelectorAll('[data-testid="flow"]'), function (card) {
      existing[card.getAttribute('data-flow')] = card;
    });
    flows.forEach(function (flow, index) {
      var card = existing[flow.name] || createFlowCard(flow.name);
      delete existing[flow.name];
      if (container.children[index] !== card) container.insertBefore(card, container.children[index] || null);
      updateFlowCard(card, flow, now);
    });
    Object.keys(existing).forEach(function (name) { existing[name].remove(); });
    byId('flows-empty').hidden = flows.length > 0;
  }

  function renderAlerts(alerts) {
    var firing = alerts.filter(function (a) { return a.state === 'firing'; });
    var resolved = alerts.filter(function (a) { return a.state === 'resolved'; });
    var firingList = byId('alerts-firing');
    firingList.replaceChildren.apply(firingList, firing.map(function (alert) {
      var item = el('li', { 'data-testid': 'alert-firing', 'data-rule': alert.rule, 'data-flow': alert.flow });
      item.appendChild(el('span', { class: 'rule' }, alert.rule));
      item.appendChild(document.createTextNode(' on ' + alert.flow + ' since ' + formatTime(alert.since) + ': '));
      item.appendChild(el('span', { class: 'message', 'data-testid': 'alert-message' }, alert.message));
      return item;
    }));
    byId('alerts-clear').hidden = firing.length > 0;
    var resolvedRows = byId('alerts-resolved');
    resolvedRows.replaceChildren.apply(resolvedRows, resolved.map(function (alert) {
      var row = el('tr', { 'data-testid': 'alert-resolved', 'data-rule': alert.rule, 'data-flow': alert.flow });
      row.appendChild(el('td', {}, alert.rule));
      row.appendChild(el('td', {}, alert.flow));
      row.appendChild(el('td', {}, formatTime(alert.since)));
      row.appendChild(el('td', {}, alert.message));
      return row;
    }));
    byId('alerts-resolved-section').hidden = resolved.length === 0;
  }

  function renderReconciliation(summary) {
    var node = byId('reconciliation');
    if (!summary) {
      node.replaceChildren(el('span', { class: 'muted' }, 'No reconciliation has run yet.'));
      node.removeAttribute('data-matched');
      return;
    }
    node.setAttribute('data-matched', String(summary.matched));
    var named = summary.name && summary.name !== summary.source + ' -> ' + summary.sink;
    node.replaceChildren(
      named ? el('strong', { 'data-testid': 'reconciliation-name' }, summary.name) : document.createTextNode(''),
      document.createTextNode(named ? ' \u00b7 ' : ''),
      el('span', { class: summary.matched ? 'matched' : 'differs', 'data-testid': 'reconciliation-result' },
        summary.matched ? 'Matched' : summary.differingKeys + ' differing keys'),
      document.createTextNode(' \u00b7 ' + summary.source + ' \u2192 ' + summary.sink + ' \u00b7 ' + formatTime(summary.at)));
  }

  function render(snapshot) {
    var now = Date.parse(snapshot.at);
    if (Number.isNaN(now)) now = Date.now();
    renderAlerts(snapshot.alerts);
    renderFlows(snapshot.flows, now);
    renderReconciliation(snapshot.reconciliation);
    setText(byId('snapshot-at'), 'as of ' + formatTime(snapshot.at));
    document.body.setAttribute('data-snapshot-at', snapshot.at);
  }

  function showError(message) {
    var node = byId('connection-error');
    node.hidden = message === null;
    if (message !== null) setText(node, 'Could not refresh: ' + message + ' (showing the last good status)');
  }

  function poll() {
    fetch('api/status', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body && body.error) || 'HTTP ' + response.status);
          return body;
        });
      })
      .then(function (snapshot) { render(snapshot); showError(null); })
      .catch(function (error) { showError(error && error.message ? error.message : String(error)); })
      .then(function () { window.setTimeout(poll, refreshSeconds * 1000); });
  }

  setText(byId('refresh-interval'), 'refreshes every ' + decimal.format(refreshSeconds) + ' s');
  poll();
})();
`;
