// The fedtune coordinator dashboard's script (served from /assets; the page is src/dashboard.ts):
// polls /api/status, draws one uPlot chart per figure with a point for each completed round, and
// swaps in the server-rendered tables (escaped there) from /?fragment=1. No framework, no build.
(function () {
  'use strict';
  var REFRESH_MS = 1000;
  var charts = {};
  // Tests and curious users read the charts' data here.
  window.fedtuneCharts = charts;

  function stageOf(d) {
    return d.stage.indexOf('secagg:') === 0 ? d.stage : 'collect';
  }

  // Each chart: its id, title, series labels, and the columns it plots from the completed rounds.
  function chartSpecs(rounds) {
    var done = rounds.filter(function (r) { return r.status === 'completed'; });
    var x = done.map(function (r) { return r.round; });
    var col = function (f) { return done.map(function (r) { var v = f(r); return typeof v === 'number' && isFinite(v) ? v : null; }); };
    var specs = [
      { id: 'loss', title: 'Loss', labels: ['train loss', 'eval loss'], data: [x, col(function (r) { return r.trainLoss; }), col(function (r) { return r.evalLoss; })] },
    ];
    var hasPpl = done.some(function (r) { return r.evalMetrics && typeof r.evalMetrics.perplexity === 'number'; });
    specs.push(hasPpl
      ? { id: 'quality', title: 'Perplexity', labels: ['perplexity'], data: [x, col(function (r) { return r.evalMetrics.perplexity; })] }
      : { id: 'quality', title: 'Accuracy', labels: ['accuracy'], data: [x, col(function (r) { return r.evalAccuracy; })] });
    specs.push({ id: 'epsilon', title: 'Privacy spent (epsilon)', labels: ['epsilon'], data: [x, col(function (r) { return r.epsilon; })] });
    var stages = [];
    done.forEach(function (r) { r.droppedDetail.forEach(function (d) { var s = stageOf(d); if (stages.indexOf(s) < 0) stages.push(s); }); });
    stages.sort();
    var drops = { id: 'survivors', title: 'Survivors and drops by stage', labels: ['survivors'], data: [x, col(function (r) { return r.survivors; })] };
    stages.forEach(function (s) {
      drops.labels.push('dropped at ' + s);
      drops.data.push(col(function (r) { return r.droppedDetail.filter(function (d) { return stageOf(d) === s; }).length; }));
    });
    specs.push(drops);
    specs.push({ id: 'upload', title: 'Upload bytes per node', labels: ['bytes'], data: [x, col(function (r) { return r.uploadBytesPerClient; })] });
    return specs;
  }

  var COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];

  function draw(spec) {
    var holder = document.getElementById('chart-' + spec.id);
    var existing = charts[spec.id];
    // A new series (a stage seen for the first time) needs a new chart; otherwise only new data.
    if (existing && existing.fedtuneLabels.join('|') === spec.labels.join('|')) {
      existing.setData(spec.data);
      holder.setAttribute('data-points', String(spec.data[0].length));
      return;
    }
    if (existing) existing.destroy();
    if (!holder) {
      holder = document.createElement('div');
      holder.className = 'chart';
      holder.id = 'chart-' + spec.id;
      var h = document.createElement('h3');
      h.textContent = spec.title;
      holder.appendChild(h);
      document.getElementById('charts').appendChild(holder);
    } else {
      holder.querySelector('h3').textContent = spec.title;
    }
    var opts = {
      width: 420,
      height: 220,
      scales: { x: { time: false } },
      // Rounds are whole numbers: no tick between two of them.
      axes: [{ label: 'round', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }, {}],
      series: [{ label: 'round' }].concat(spec.labels.map(function (label, i) {
        return { label: label, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: true, size: 5 } };
      })),
    };
    var chart = new uPlot(opts, spec.data, holder);
    chart.fedtuneLabels = spec.labels.slice();
    charts[spec.id] = chart;
    // How many rounds the chart shows, for anyone (a test, a screen reader) reading the page.
    holder.setAttribute('data-points', String(spec.data[0].length));
  }

  function get(url) {
    return fetch(url, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
      if (!res.ok) throw new Error(url + ': ' + res.status);
      return res;
    });
  }

  var busy = false;
  function refresh() {
    if (busy) return;
    busy = true;
    Promise.all([
      get('/api/status?limit=500').then(function (r) { return r.json(); }),
      get('/?fragment=1').then(function (r) { return r.text(); }),
    ]).then(function (both) {
      chartSpecs(both[0].rounds).forEach(draw);
      // Swap in the server-rendered (escaped) parts; the charts between them stay.
      var fresh = document.createElement('template');
      fresh.innerHTML = both[1];
      ['live-head', 'live-tables'].forEach(function (id) {
        var next = fresh.content.getElementById(id);
        var now = document.getElementById(id);
        if (next && now) now.replaceWith(next);
      });
      document.body.setAttribute('data-rounds', String(both[0].rounds.length));
    }).catch(function (err) {
      document.body.setAttribute('data-error', String(err && err.message));
    }).then(function () {
      busy = false;
    });
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
