// 一屏观全域: draws the figures of one scope and period (from /dashboard/data/)
// on the grid map (Leaflet) and the charts (ECharts); clicking a village or grid
// (or a department, worker, village or grid in a table) rescopes the whole
// screen and the URL; the live feed polls every 30 s; long
// exports run on the server while this page polls their progress.
(function () {
  "use strict";

  var root = document.getElementById("screen");
  if (!root) return;
  var T = JSON.parse(document.getElementById("screen-labels").textContent);
  var state = { scope: root.dataset.scope, period: root.dataset.period, drill: "", load: {}, since: null };
  var charts = {};
  var map = null, gridLayer = null, pinLayer = null, heatLayer = null;
  var feedTimer = null;
  var RATES = { coverage: 1, on_schedule_rate: 1, response_rate: 1, on_time_rate: 1, closure_rate: 1, rework_rate: 1, satisfaction_rate: 1, extension_rate: 1, return_rate: 1 };
  var BAD_WHEN_HIGH = { overdue_now: 1, rework_rate: 1, seal_breaches: 1, sealed_adits_breached_now: 1 };
  var VISIT_TILES = ["coverage", "visited", "households", "visits"];
  var INSPECTION_TILES = ["on_schedule_rate", "on_schedule", "due", "findings", "seal_breaches", "sealed_adits_breached_now"];
  var TODAY_TILES = ["reported", "closed", "overdue_now", "response_rate"];
  var PERIOD_TILES = ["reported", "closed", "overdue_now", "response_rate", "on_time_rate", "closure_rate",
    "rework_rate", "satisfaction_rate", "accept_minutes_p50", "accept_minutes_p90", "on_scene_minutes_p50"];
  var LIGHT_COLOURS = { green: "#2e7d32", yellow: "#f9a825", red: "#c62828" };
  var LOAD_COLOURS = ["#e3f2fd", "#90caf9", "#42a5f5", "#1e88e5", "#0d47a1"];
  var OVERDUE_COLOURS = ["#f1f8e9", "#ffcdd2", "#ef9a9a", "#e53935", "#b71c1c"];

  function params(extra) {
    var p = new URLSearchParams({ scope: state.scope, period: state.period });
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  }

  function HttpError(message) { this.message = message; }

  function getJSON(base, extra) {
    return fetch(base + "?" + params(extra).toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        // A refusal (403) or a missing scope (404) is an HTML page, not JSON.
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new HttpError(body.error || T.error + " (" + response.status + ")");
          return body;
        });
      });
  }

  function showError(message) {
    var box = root.querySelector(".screen-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function text(value) { return value === null || value === undefined ? "—" : value; }

  function formatFigure(key, value) {
    if (value === null || value === undefined) return "—";
    if (RATES[key]) return (value * 100).toFixed(1) + "%";
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(1);
    return String(value);
  }

  // --- KPI tiles ----------------------------------------------------------

  function tiles(container, figures, keys) {
    container.textContent = "";
    keys.forEach(function (key) {
      var tile = document.createElement("div");
      var value = figures ? figures[key] : null;
      tile.className = "kpi" + (BAD_WHEN_HIGH[key] && value > 0 ? " bad" : "");
      tile.dataset.figure = key;
      var b = document.createElement("b");
      b.textContent = formatFigure(key, value);
      tile.appendChild(b);
      tile.appendChild(document.createTextNode(T[key] || key));
      container.appendChild(tile);
    });
  }

  // --- The map --------------------------------------------------------------

  function ensureMap() {
    if (map) return;
    map = L.map("grid-map", { zoomSnap: 0.25, minZoom: 8, maxZoom: 19, attributionControl: false });
    if (root.dataset.tiles) L.tileLayer(root.dataset.tiles, { maxZoom: 19 }).addTo(map);
    pinLayer = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
    heatLayer = L.heatLayer([], { radius: 18, blur: 15, minOpacity: 0.3 });
    pinLayer.addTo(map);
    var overlays = {};
    overlays[T.pins] = pinLayer;
    overlays[T.heat] = heatLayer;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    document.getElementById("colour-by").addEventListener("change", restyle);
  }

  function classOf(value, max) {
    if (!value || !max) return 0;
    return Math.min(4, 1 + Math.floor((3.999 * value) / max));
  }

  function gridStyle(feature) {
    var mode = document.getElementById("colour-by").value;
    var load = state.load[feature.properties.grid] || {};
    var fill;
    if (mode === "light") fill = LIGHT_COLOURS[load.light] || "#cfd8dc";
    else if (mode === "overdue") fill = OVERDUE_COLOURS[classOf(load.overdue, state.maxOverdue)];
    else fill = LOAD_COLOURS[classOf(load.open, state.maxOpen)];
    return { className: "grid-shape", color: "#37474f", weight: 1, fillColor: fill, fillOpacity: 0.65 };
  }

  function restyle() { if (gridLayer) gridLayer.setStyle(gridStyle); }

  function drawGrids(geojson) {
    ensureMap();
    if (gridLayer) map.removeLayer(gridLayer);
    gridLayer = L.geoJSON(geojson, {
      style: gridStyle,
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var load = state.load[p.grid] || {};
        layer.bindTooltip(p.name + "<br>" + T.open + " " + text(load.open) + " · " + T.overdue_now + " " + text(load.overdue), { sticky: true });
        layer.on("click", function () {
          if (state.drill === "village") rescope("village:" + p.village);
          else if (state.drill === "grid") rescope("grid:" + p.grid);
        });
      },
    }).addTo(map);
    gridLayer.bringToBack();
    var bounds = gridLayer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([34.13, 112.08], 12);
  }

  function drawPoints(points) {
    pinLayer.clearLayers();
    var markers = (points || []).map(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], { className: "case-pin", radius: 6, weight: 1, color: "#fff", fillColor: LIGHT_COLOURS[p.light] || "#546e7a", fillOpacity: 0.9 });
      var link = document.createElement("a");
      link.href = root.dataset.caseUrl + encodeURIComponent(p.number) + "/";
      link.textContent = p.number;
      marker.bindPopup(link);
      return marker;
    });
    pinLayer.addLayers(markers);
    heatLayer.setLatLngs((points || []).map(function (p) { return [p.lat, p.lon, 0.6]; }));
  }

  // --- Charts ------------------------------------------------------------------

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!charts[id]) charts[id] = echarts.init(el, null, { renderer: "canvas" });
    // No animation: a wall screen redraws often, and a half-drawn chart tells nothing.
    option.animation = false;
    charts[id].setOption(option, true);
  }

  var GRID = { left: 40, right: 12, top: 28, bottom: 28, containLabel: true };

  function drawCharts(s) {
    var daily = s.daily_volume || [];
    chart("chart-daily", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: GRID,
      xAxis: { type: "category", data: daily.map(function (d) { return d.day.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: T.reported_series, type: "line", showSymbol: false, areaStyle: { opacity: 0.15 }, data: daily.map(function (d) { return d.reported; }) },
        { name: T.closed_series, type: "line", showSymbol: false, data: daily.map(function (d) { return d.closed; }) },
      ],
    });
    var yoy = s.year_over_year || {};
    var kinds = ["petition", "public_order"];
    chart("chart-yoy", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: GRID,
      xAxis: { type: "category", data: kinds.map(function (k) { return T[k]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: T.last_year, type: "bar", data: kinds.map(function (k) { return (yoy[k] || {}).last || 0; }) },
        { name: T.this_year, type: "bar", data: kinds.map(function (k) { return (yoy[k] || {}).this || 0; }) },
      ],
    });
    var categories = ((s.breakdowns || {}).category || []).slice(0, 10).reverse();
    chart("chart-category", {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: categories.map(function (r) { return r.label; }), axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", data: categories.map(function (r) { return r.count; }), itemStyle: { color: "#b71c1c" } }],
    });
    chart("chart-channel", {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: ((s.breakdowns || {}).channel || []).map(function (r) { return { name: r.label, value: r.count }; }) }],
    });
    var settlement = (s.figures || {}).settlement || {};
    chart("chart-settlement", {
      tooltip: { trigger: "item", formatter: "{b}<br>{c} ({d}%)" },
      color: ["#2e7d32", "#1e88e5", "#f9a825", "#c62828"],
      series: [{
        type: "pie", radius: "65%",
        label: { formatter: "{b}\n{d}%" },
        data: ["group", "village", "town", "county"].map(function (k) { return { name: T["settlement_" + k], value: settlement[k] || 0 }; }),
      }],
    });
  }

  // --- League tables and the feed -------------------------------------------------

  // A name that opens its own screen when this person may see it (row.param).
  function scopeLink(name, param) {
    var cell = document.createElement("td");
    if (!param) { cell.textContent = name; return cell; }
    var a = document.createElement("a");
    a.href = "?" + new URLSearchParams({ scope: param, period: state.period }).toString();
    a.dataset.scope = param;
    a.className = "drill";
    a.title = T.open_scope.replace("%(name)s", name);
    a.textContent = name;
    cell.appendChild(a);
    return cell;
  }

  function emptyRow(body, columns) {
    if (body.children.length) return;
    var empty = document.createElement("tr");
    var cell = document.createElement("td");
    cell.colSpan = columns;
    cell.className = "muted";
    cell.textContent = T.nothing;
    empty.appendChild(cell);
    body.appendChild(empty);
  }

  function league(id, rows) {
    var body = document.querySelector("#" + id + " tbody");
    body.textContent = "";
    (rows || []).forEach(function (row) {
      var tr = document.createElement("tr");
      if (row.param) tr.className = "drill-row";
      var score = document.createElement("td");
      score.textContent = formatFigure("score", row.score);
      var grade = document.createElement("td");
      if (row.grade) {
        var badge = document.createElement("span");
        badge.className = "grade grade-" + row.grade;
        badge.textContent = row.grade;
        grade.appendChild(badge);
      } else {
        grade.textContent = "—"; // nothing to grade in the period
        grade.className = "muted";
      }
      tr.append(scopeLink(row.name, row.param), score, grade);
      body.appendChild(tr);
    });
    emptyRow(body, 3);
  }

  // --- Field work, rectification and points ------------------------------------

  function bar(percent, cls) {
    var track = document.createElement("span");
    track.className = "bar" + (cls ? " " + cls : "");
    var fill = document.createElement("i");
    fill.style.width = Math.max(0, Math.min(100, percent || 0)) + "%";
    track.appendChild(fill);
    return track;
  }

  function coverageClass(coverage) {
    if (coverage === null || coverage === undefined) return "";
    return coverage < 0.5 ? "bar-bad" : coverage < 0.8 ? "bar-warn" : "bar-good";
  }

  function drawFieldwork(field, scopeKind) {
    var visits = (field || {}).visits || {};
    var inspections = (field || {}).inspections || {};
    tiles(document.querySelector("#field-visits .kpi-tiles"), visits, VISIT_TILES);
    tiles(document.querySelector("#field-inspections .kpi-tiles"), inspections, INSPECTION_TILES);
    // The lowest coverage first: villages on a town's screen, grids below it.
    var rows = ((scopeKind === "town" ? visits.by_village : visits.by_grid) || [])
      .filter(function (r) { return r.households > 0; })
      .sort(function (a, b) { return a.coverage - b.coverage || a.name.localeCompare(b.name, "zh-CN"); })
      .slice(0, 5);
    var list = document.getElementById("field-worst");
    list.textContent = "";
    rows.forEach(function (row) {
      var li = document.createElement("li");
      var name = scopeLink(row.name, row.param).firstChild || document.createTextNode(row.name);
      var label = document.createElement("span");
      label.className = "bar-label";
      label.appendChild(name);
      var value = document.createElement("b");
      value.textContent = formatFigure("coverage", row.coverage) + " (" + row.visited + "/" + row.households + ")";
      li.append(label, bar(100 * (row.coverage || 0), coverageClass(row.coverage)), value);
      list.appendChild(li);
    });
    if (!rows.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = T.nothing;
      list.appendChild(none);
    }
  }

  function drawRectification(projects) {
    var box = document.getElementById("rectification");
    box.textContent = "";
    (projects || []).forEach(function (project) {
      var item = document.createElement("article");
      item.className = "project";
      item.dataset.project = project.project_id;
      var head = document.createElement("h3");
      var title = document.createElement("span");
      title.textContent = project.title;
      var meta = document.createElement("small");
      meta.className = "muted";
      meta.textContent = project.village + " · " + T.due_on + " " + project.due_on;
      var whole = document.createElement("b");
      whole.textContent = project.percent + "%";
      head.append(title, meta, whole);
      var targets = document.createElement("ol");
      targets.className = "bars";
      project.targets.forEach(function (target) {
        var li = document.createElement("li");
        var label = document.createElement("span");
        label.className = "bar-label";
        label.textContent = target.name;
        var value = document.createElement("b");
        value.textContent = target.done + "/" + target.target + " " + target.unit;
        li.append(label, bar(target.percent, target.percent >= 100 ? "bar-good" : ""), value);
        targets.appendChild(li);
      });
      item.append(head, targets);
      box.appendChild(item);
    });
    if (!box.children.length) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = T.nothing;
      box.appendChild(none);
    }
  }

  function drawPointsLeague(points) {
    var body = document.querySelector("#league-points tbody");
    body.textContent = "";
    (((points || {}).villages) || []).slice(0, 5).forEach(function (row) {
      var tr = document.createElement("tr");
      var per = document.createElement("td");
      per.textContent = formatFigure("per_household", row.per_household);
      var awarded = document.createElement("td");
      awarded.textContent = String(row.awarded);
      tr.append(scopeLink(row.name, row.param), per, awarded);
      body.appendChild(tr);
    });
    emptyRow(body, 3);
  }

  function feedItem(item, fresh) {
    var li = document.createElement("li");
    if (fresh) li.className = "fresh";
    var at = document.createElement("time");
    at.dateTime = item.at;
    at.textContent = new Date(item.at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" });
    var kind = document.createElement("span");
    kind.className = "kind kind-" + item.kind;
    kind.textContent = T[item.kind] || item.kind;
    var link = document.createElement("a");
    link.href = root.dataset.caseUrl + encodeURIComponent(item.number) + "/";
    link.textContent = item.title;
    var place = document.createElement("span");
    place.className = "muted";
    place.textContent = " " + [item.village, item.grid].filter(Boolean).join(" · ");
    li.append(at, kind, link, place);
    li.dataset.key = item.kind + ":" + item.id;
    return li;
  }

  function drawFeed(items) {
    var list = document.getElementById("feed");
    list.textContent = "";
    (items || []).forEach(function (item) { list.appendChild(feedItem(item, false)); });
  }

  function pollFeed() {
    getJSON(root.dataset.feedUrl, state.since ? { since: state.since } : {}).then(function (body) {
      var list = document.getElementById("feed");
      body.items.slice().reverse().forEach(function (item) {
        var key = item.kind + ":" + item.id;
        if (list.querySelector('[data-key="' + key + '"]')) return;
        list.insertBefore(feedItem(item, true), list.firstChild);
      });
      while (list.children.length > 60) list.removeChild(list.lastChild);
      state.since = body.now;
    }).catch(function () { /* the next poll tries again */ });
  }

  // --- Loading and rescoping ----------------------------------------------------

  function render(body, geojson) {
    var s = body.screen;
    state.scope = body.scope.param;
    state.period = body.period.param;
    state.drill = body.drill;
    state.since = body.now;
    state.load = {};
    state.maxOpen = 0;
    state.maxOverdue = 0;
    (s.grid_load || []).forEach(function (g) {
      state.load[g.grid] = g;
      state.maxOpen = Math.max(state.maxOpen, g.open || 0);
      state.maxOverdue = Math.max(state.maxOverdue, g.overdue || 0);
    });
    tiles(document.querySelector("#kpi-today .kpi-tiles"), s.today, TODAY_TILES);
    tiles(document.querySelector("#kpi-period .kpi-tiles"), s.figures, PERIOD_TILES);
    root.querySelector(".period-label").textContent = body.period.label;
    drawGrids(geojson);
    drawPoints(body.case_points);
    drawCharts(s);
    league("league-department", (s.league || {}).department);
    league("league-worker", (s.league || {}).worker);
    drawFieldwork(s.fieldwork, body.scope.kind);
    drawRectification(s.rectification);
    drawPointsLeague(s.points);
    drawFeed(s.feed);
    crumbs(body.crumbs);
    document.title = body.scope.name + " · " + document.title.split(" · ").slice(1).join(" · ");
    root.dataset.ready = "1";
  }

  function crumbs(list) {
    var nav = root.querySelector(".crumbs");
    nav.textContent = "";
    list.forEach(function (crumb, i) {
      var a = document.createElement("a");
      a.href = "?" + new URLSearchParams({ scope: crumb.param, period: state.period }).toString();
      a.dataset.scope = crumb.param;
      a.textContent = crumb.name;
      if (i === list.length - 1) a.setAttribute("aria-current", "page");
      nav.appendChild(a);
    });
  }

  function load() {
    root.dataset.ready = "";
    return Promise.all([getJSON(root.dataset.dataUrl), getJSON(root.dataset.gridsUrl)])
      .then(function (results) { showError(""); render(results[0], results[1]); })
      .catch(function (error) {
        showError(error.message || T.error);
        if (!(error instanceof HttpError)) throw error; // a bug: let the console show it
      });
  }

  function rescope(scope, period) {
    state.scope = scope || state.scope;
    state.period = period || state.period;
    history.pushState({ scope: state.scope, period: state.period }, "", "?" + params().toString());
    root.querySelector("input[name=scope]").value = state.scope;
    load();
  }

  // The breadcrumb and every name that opens a screen (league rows, villages, grids).
  root.addEventListener("click", function (event) {
    var a = event.target.closest("a[data-scope]");
    if (!a || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    rescope(a.dataset.scope);
  });
  document.getElementById("period").addEventListener("change", function (event) {
    rescope(null, event.target.value);
  });
  window.addEventListener("popstate", function () {
    var p = new URLSearchParams(location.search);
    state.scope = p.get("scope") || root.dataset.scope;
    state.period = p.get("period") || root.dataset.period;
    document.getElementById("period").value = state.period;
    load();
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    if (map) map.invalidateSize();
  });

  // --- Exports --------------------------------------------------------------------

  var exportStatus = root.querySelector(".export-status");

  function pollExport(url) {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (status) {
      exportStatus.textContent = "";
      if (status.state === "done") {
        var link = document.createElement("a");
        link.href = status.download_url;
        link.className = "download";
        link.textContent = T.export_done;
        exportStatus.appendChild(link);
      } else if (status.state === "failed") {
        exportStatus.textContent = T.export_failed + " " + status.error;
      } else {
        exportStatus.textContent = T.export_running.replace("%(percent)s", status.percent).replace("%%", "%");
        setTimeout(function () { pollExport(url); }, 1000);
      }
    }).catch(function () {
      setTimeout(function () { pollExport(url); }, 3000); // the connection dropped: ask again
    });
  }

  root.querySelectorAll("button.export").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = params({ format: button.dataset.format });
      exportStatus.textContent = T.export_running.replace("%(percent)s", "0").replace("%%", "%");
      fetch(root.dataset.reportUrl, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": root.dataset.csrf, Accept: "application/json" },
      }).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.error || T.export_failed);
          pollExport(body.status_url);
        });
      }).catch(function (error) { exportStatus.textContent = error.message; });
    });
  });

  history.replaceState({ scope: state.scope, period: state.period }, "", "?" + params().toString());
  load();
  feedTimer = setInterval(pollFeed, (Number(root.dataset.feedSeconds) || 30) * 1000);
  window.addEventListener("pagehide", function () { clearInterval(feedTimer); });
})();
