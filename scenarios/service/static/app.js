// munigrid workspace: job progress polling, live scenario checks, charts, table filter.
(function () {
  'use strict';
  var POLL_MS = 500, MAX_POLLS = 7200;  // at most an hour of polling per page

  function statusLabel(value) { return value; }

  var MEMBER_COLUMNS = ['cost_after_thb', 'self_sufficiency_pct', 'import_mwh'];
  var FIXED = ['member', 'site', 'key', 'status', 'error'];

  function showMembers(rows) {
    var table = document.getElementById('live-members');
    if (!table || !rows.length) { return; }
    var params = Object.keys(rows[0]).filter(function (k) {
      return FIXED.indexOf(k) === -1 && !/_(mwh|pct|kw|thb|t|s|kwh)$/.test(k);
    });
    var columns = ['member'].concat(params, ['status'], MEMBER_COLUMNS);
    table.innerHTML = '';
    [columns].concat(rows.map(function (r) { return columns.map(function (c) { return r[c]; }); })).forEach(function (cells, i) {
      var tr = table.insertRow();
      cells.forEach(function (value) {
        var cell = document.createElement(i === 0 ? 'th' : 'td');
        cell.textContent = typeof value === 'number' ? value.toLocaleString(undefined, {maximumFractionDigits: 1}) : (value === null || value === undefined ? '' : value);
        tr.appendChild(cell);
      });
    });
    var done = rows.filter(function (r) { return r.status === 'ok'; });
    var chart = document.getElementById('live-chart');
    if (window.Plotly && done.length) {
      window.Plotly.react(chart, [{type: 'bar', x: done.map(function (r) { return 'm' + r.member; }),
        y: done.map(function (r) { return r.cost_after_thb; }), name: chart.dataset.label}],
        {margin: {t: 20}, yaxis: {title: {text: chart.dataset.label}}}, {displaylogo: false, responsive: true});
    }
  }

  function pollJob(box) {
    var id = box.dataset.job, polls = 0;
    var next = {run: function (r) { return '/runs/' + r.run_id; }, sweep: function (r) { return '/sweeps/' + r.sweep_id; },
                finance: function () { return '/finance/' + id; }, operations: function () { return '/operations/' + id; }};
    function tick() {
      if (++polls > MAX_POLLS) { return; }
      if (box.dataset.kind === 'sweep') {
        fetch('/api/v1/jobs/' + id + '/members', {credentials: 'same-origin'})
          .then(function (r) { return r.json(); }).then(showMembers).catch(function () { return null; });
      }
      fetch('/api/v1/jobs/' + id, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (job) {
        var p = job.progress || {};
        document.getElementById('job-status').textContent = statusLabel(job.status);
        document.getElementById('job-stage').textContent = p.stage ? p.stage + (p.total ? ' (' + p.done + '/' + p.total + ')' : '') : '';
        var bar = document.getElementById('job-progress');
        bar.max = p.total || 1; bar.value = job.status === 'done' ? bar.max : (p.done || 0);
        box.dataset.status = job.status;
        if (job.status === 'done') {
          var link = document.getElementById('result-link');
          link.href = next[job.kind](job.result || {});
          document.getElementById('job-result').hidden = false;
          var cancel = document.getElementById('cancel-form'); if (cancel) { cancel.hidden = true; }
          window.location.assign(link.href);
        } else if (job.status === 'queued' || job.status === 'running') {
          window.setTimeout(tick, POLL_MS);
        } else {
          var err = document.getElementById('job-error');
          err.hidden = false;
          err.textContent = (job.error && job.error.message) || job.status;
          var cancelForm = document.getElementById('cancel-form'); if (cancelForm) { cancelForm.hidden = true; }
        }
      }).catch(function () { window.setTimeout(tick, 4 * POLL_MS); });
    }
    if (box.dataset.status === 'queued' || box.dataset.status === 'running') { tick(); }
  }

  function showProblems(form, problems) {
    form.querySelectorAll('.field-error').forEach(function (el) { el.textContent = ''; });
    var box = document.getElementById('problems'), list = box.querySelector('ul');
    list.innerHTML = '';
    problems.forEach(function (p) {
      var li = document.createElement('li'), code = document.createElement('code');
      code.textContent = p.path; li.appendChild(code); li.appendChild(document.createTextNode(': ' + p.message));
      list.appendChild(li);
      var spot = form.querySelector('.field-error[data-for="' + CSS.escape(p.path) + '"]');
      if (spot) { spot.textContent = (spot.textContent ? spot.textContent + '; ' : '') + p.message; }
    });
    box.hidden = problems.length === 0;
    document.getElementById('valid').hidden = problems.length !== 0;
  }

  function liveCheck(form) {
    var timer = null;
    function check() {
      var data = new FormData(form);
      form.querySelectorAll('input[type=file]').forEach(function (el) { data.delete(el.name); });
      fetch(form.dataset.check, {method: 'POST', body: data, credentials: 'same-origin'})
        .then(function (r) { return r.json(); }).then(function (out) { showProblems(form, out.problems); });
    }
    form.addEventListener('input', function () { window.clearTimeout(timer); timer = window.setTimeout(check, 400); });
    form.addEventListener('change', function () { window.clearTimeout(timer); timer = window.setTimeout(check, 100); });
  }

  function drawCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll('[data-figure]').forEach(function (el) {
      var fig = JSON.parse(el.dataset.figure);
      window.Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displaylogo: false});
    });
  }

  function filterTable(input) {
    var table = document.querySelector(input.dataset.filter);
    input.addEventListener('input', function () {
      var q = input.value.toLowerCase();
      table.querySelectorAll('tr[data-name]').forEach(function (row) {
        row.hidden = row.dataset.name.toLowerCase().indexOf(q) === -1;
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var job = document.getElementById('job'); if (job) { pollJob(job); }
    var form = document.getElementById('editor'); if (form) { liveCheck(form); }
    var search = document.querySelector('[data-filter]'); if (search) { filterTable(search); }
    drawCharts();
  });
}());
