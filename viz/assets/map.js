/* Draws one map page from the JSON in #kg-data with vis-network (physics off, positions given).
   Every piece of text reaches the page through textContent, never innerHTML. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var OPEN = { persists: 1, progress: 1, no_evidence: 1 };
  var label = {}, colour = {};
  data.statuses.forEach(function (s) { label[s[0]] = s[1]; colour[s[0]] = s[2]; });
  var national = data.view.kind === "national";
  var form = document.getElementById("filters");
  var countEl = document.getElementById("count");

  function tip(info) {
    var d = document.createElement("div");
    d.className = "kg-tip";
    info.forEach(function (p) {
      var row = document.createElement("div");
      if (p[0]) { var b = document.createElement("b"); b.textContent = p[0] + ":"; row.appendChild(b); }
      var s = document.createElement("span");
      s.textContent = p[1];
      if (p[0] === "Quote") s.className = "q";
      row.appendChild(s);
      d.appendChild(row);
    });
    return d;
  }

  /* The same rule as kg.link.current(as_of): among assessments dated on or before the date,
     the latest wins, and a reviewer's wins over the software's on the same date. */
  function statusAt(hist, date) {
    var best = null, bd = "", bp = 0;
    hist.forEach(function (h) {
      if (h[0] && h[0] > date) return;
      var d = h[0] || "", p = h[2] ? 1 : 0;
      if (best === null || d > bd || (d === bd && p >= bp)) { best = h; bd = d; bp = p; }
    });
    return best ? best[1] : null;
  }

  ["area", "agency", "theme"].forEach(function (k) {
    var sel = form.elements[k];
    (data.options[k] || []).forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = o[0]; opt.textContent = o[1];
      sel.appendChild(opt);
    });
    if (data.view.kind === k) { sel.value = data.view.id; sel.disabled = true; }
  });

  data.nodes.forEach(function (n) { if (n.info) n.title = tip(n.info); });
  /* Evidence and its follow-up links are put on the map only while it shows two areas at most: a
     theme map of every area would have 13,000 evidence nodes and 33,000 links to draw. */
  var EVIDENCE = {}, FOLLOW = [], drawnEv = {};
  var nodes = new vis.DataSet(data.nodes.filter(function (n) {
    if (n.role === "evidence") { EVIDENCE[n.id] = n; return false; }
    return true;
  }));
  var edges = new vis.DataSet(data.edges.filter(function (e) {
    if (EVIDENCE[e.from] || EVIDENCE[e.to]) { FOLLOW.push(e); return false; }
    return true;
  }));
  var areaOf = {};
  data.nodes.forEach(function (n) { if (n.role === "target") areaOf[n.id] = n.area || ""; });
  var across = data.edges.filter(function (e) { return e.role === "recurs" && areaOf[e.from] !== areaOf[e.to]; })
    .map(function (e) { return e.id; });
  var big = data.nodes.length > 800;
  var options = {
    physics: false,
    layout: { improvedLayout: false },
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big, keyboard: false },
    nodes: { borderWidth: 1, font: { size: 12, color: "#1d2733" } },
    edges: {
      smooth: false, width: 1,
      color: { color: "#c3cad2", highlight: "#1f3a5f", hover: "#1f3a5f" },
      font: { size: national ? 12 : 8, align: "middle", color: "#4a5663", strokeWidth: 3 },
      scaling: { min: 1, max: 12, label: { enabled: false } }
    }
  };
  var container = document.getElementById("network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);

  network.on("click", function (p) {
    if (!p.nodes.length) return;
    var n = nodes.get(p.nodes[0]);
    if (n && n.url) window.location.href = n.url;
  });
  network.on("hoverNode", function (p) { var n = nodes.get(p.node); container.style.cursor = n && n.url ? "pointer" : "default"; });
  network.on("blurNode", function () { container.style.cursor = "default"; });

  function read() {
    var st = {};
    Array.prototype.forEach.call(document.querySelectorAll("input[name=status]"), function (c) { st[c.value] = c.checked; });
    return { area: form.elements.area.value, agency: form.elements.agency.value, theme: form.elements.theme.value,
             date: form.elements.date.value, statuses: st };
  }

  function matches(r, f, st) {
    return !!st && f.statuses[st] && (!f.date || !r.date || r.date <= f.date) &&
      (!f.area || r.area === f.area) && (!f.agency || r.agencies.indexOf(f.agency) >= 0) &&
      (!f.theme || r.themes.indexOf(f.theme) >= 0);
  }

  function applyDetail(f) {
    var up = [], visible = {}, hubs = {}, areas = {}, shown = 0, total = 0;
    data.nodes.forEach(function (n) {
      if (n.role !== "target") return;
      total++;
      var st = f.date ? statusAt(n.hist, f.date) : n.status;
      var show = matches(n, f, st);
      if (show) {
        visible[n.id] = 1; shown++; areas[n.area || ""] = 1;
        n.agencies.forEach(function (a) { hubs["agency:" + a] = 1; });
      }
      var info = n.info.map(function (p) {
        return p[0] === "Status" ? ["Status", st ? label[st] + (f.date ? " (as of " + f.date + ")" : "") : "not yet found"] : p;
      });
      up.push({ id: n.id, hidden: !show, color: st ? colour[st] : "#cccccc", title: tip(info) });
    });
    data.nodes.forEach(function (n) { if (n.role === "agency") up.push({ id: n.id, hidden: !hubs[n.id] }); });
    nodes.update(up);
    var few = Object.keys(areas).length <= 2;
    var want = {}, addN = [], remN = [], addE = [], remE = [];
    Object.keys(EVIDENCE).forEach(function (id) {
      var n = EVIDENCE[id];
      if (few && n.targets.some(function (t) { return visible[t]; }) && (!f.date || !n.date || n.date <= f.date)) want[id] = 1;
      if (want[id] && !drawnEv[id]) addN.push(n); else if (!want[id] && drawnEv[id]) remN.push(id);
    });
    FOLLOW.forEach(function (e) {
      var ev = EVIDENCE[e.from] ? e.from : e.to;
      if (want[ev] && !drawnEv[ev]) addE.push(e); else if (!want[ev] && drawnEv[ev]) remE.push(e.id);
    });
    edges.remove(remE); nodes.remove(remN); nodes.add(addN); edges.add(addE);
    drawnEv = want;
    /* A recurrence joins the same weakness in two areas or years. Links between areas cross the
       whole map when it shows many areas, so they are drawn only while it shows two at most. */
    edges.update(across.map(function (id) { return { id: id, hidden: !few }; }));
    countEl.textContent = "Showing " + shown + " of " + total + " findings" +
      ((across.length || FOLLOW.length) && !few ? " (evidence, and links between areas: choose an area)" : "");
    return shown;
  }

  function applyNational(f) {
    var counts = {}, byNode = {}, n = 0;
    function add(key, st) { var c = counts[key] || (counts[key] = {}); c[st] = (c[st] || 0) + 1; }
    data.records.forEach(function (r) {
      var st = f.date ? statusAt(r.hist, f.date) : r.status;
      if (!matches(r, f, st)) return;
      n++;
      r.types.forEach(function (t) { r.themes.forEach(function (th) { add(t + "|" + th, st); }); });
    });
    var eu = [];
    data.edges.forEach(function (e) {
      var c = counts[e.id] || {}, open = 0, all = 0;
      Object.keys(c).forEach(function (s) { all += c[s]; if (OPEN[s]) open += c[s]; });
      [e.from, e.to].forEach(function (k) {
        var b = byNode[k] || (byNode[k] = {});
        Object.keys(c).forEach(function (s) { b[s] = (b[s] || 0) + c[s]; });
      });
      eu.push({ id: e.id, hidden: all === 0, label: data.edges.length > 30 ? undefined : open + " open / " + all, value: open,
                title: tip([["", e.from.slice(5) + " × " + e.to.slice(6)], ["Open", String(open)], ["All", String(all)]]),
                color: c.persists ? colour.persists : "#888888" });
    });
    edges.update(eu);
    matrix(counts);
    var nu = [];
    data.nodes.forEach(function (node) {
      var b = byNode[node.id] || {}, info = [node.info[0]], any = 0;
      data.statuses.forEach(function (s) { info.push([s[1], String(b[s[0]] || 0)]); any += b[s[0]] || 0; });
      nu.push({ id: node.id, hidden: any === 0, title: tip(info) });
    });
    nodes.update(nu);
    countEl.textContent = "Counting " + n + " of " + data.records.length + " findings";
    return n;
  }

  function apply() {
    var f = read();
    var shown = national ? applyNational(f) : applyDetail(f);
    var ids = nodes.getIds({ filter: function (x) { return !x.hidden; } });
    if (ids.length) network.fit({ nodes: ids, animation: false });
    scaleLabels();
    return shown;
  }

  form.addEventListener("change", apply);
  document.querySelector(".legend").addEventListener("change", apply);
  document.getElementById("reset").addEventListener("click", function () {
    ["area", "agency", "theme"].forEach(function (k) { if (!form.elements[k].disabled) form.elements[k].value = ""; });
    form.elements.date.value = "";
    Array.prototype.forEach.call(document.querySelectorAll("input[name=status]"), function (c) { c.checked = true; });
    apply();
  });

  /* Hub and theme labels stay readable at any zoom: their font grows as the view zooms out.
     A hub's label that would overlap the label of a bigger hub at this zoom is left out (hovering
     still names the hub) and comes back when zooming in makes room. */
  var labelled = data.nodes.filter(function (n) { return n.role === "agency" || n.role === "type" || n.role === "theme"; });
  var dots = labelled.filter(function (n) { return n.role !== "theme"; })  /* a theme's label is its box */
    .sort(function (a, b) { return (b.size || 0) - (a.size || 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0); });
  var lastFont = 0, measure = document.createElement("canvas").getContext("2d");
  function fontSize(n, size) { return n.role === "theme" ? Math.round(size * 0.8) : size; }
  function scaleLabels() {
    var s = network.getScale() || 1, size = Math.round(Math.max(14, 15 / s));
    if (size !== lastFont) {
      lastFont = size;
      nodes.update(labelled.map(function (n) {
        return { id: n.id, font: { size: fontSize(n, size), strokeWidth: 4, strokeColor: "#ffffff" } };
      }));
    }
    declutter(size);
  }
  function declutter(size) {
    var placed = [], up = [], pos = network.getPositions(dots.map(function (n) { return n.id; }));
    measure.font = size + "px system-ui, sans-serif";
    dots.forEach(function (n) {
      var now = nodes.get(n.id), p = pos[n.id];
      if (!now || now.hidden || !p) return;
      var half = measure.measureText(n.label).width / 2 + 6, top = p.y + (n.size || 10) + 2;
      var box = [p.x - half, top, p.x + half, top + size * 1.3];
      var free = placed.every(function (o) { return box[2] <= o[0] || o[2] <= box[0] || box[3] <= o[1] || o[3] <= box[1]; });
      if (free) placed.push(box);
      if ((now.label === n.label) !== free) up.push({ id: n.id, label: free ? n.label : "" });
    });
    if (up.length) nodes.update(up);
  }
  network.on("zoom", scaleLabels);

  function matrix(counts) {
    var box = document.getElementById("matrix");
    if (!box) return;
    var types = data.nodes.filter(function (n) { return n.role === "type"; });
    var themes = data.nodes.filter(function (n) { return n.role === "theme"; });
    var max = 1;
    Object.keys(counts).forEach(function (k) { var c = counts[k]; var o = (c.persists || 0) + (c.progress || 0) + (c.no_evidence || 0); if (o > max) max = o; });
    var t = document.createElement("table"), head = t.insertRow();
    head.appendChild(document.createElement("th")).textContent = "Theme × agency type (open / all)";
    types.forEach(function (ty) { head.appendChild(document.createElement("th")).textContent = ty.label; });
    themes.forEach(function (th) {
      var row = t.insertRow();
      row.appendChild(document.createElement("th")).textContent = th.label;
      types.forEach(function (ty) {
        var c = counts[ty.agencyType + "|" + th.theme] || {}, all = 0, open = 0;
        Object.keys(c).forEach(function (s) { all += c[s]; if (OPEN[s]) open += c[s]; });
        var td = row.insertCell();
        td.textContent = all ? open + " / " + all : "";
        td.style.background = all ? "rgba(192,57,43," + (0.08 + 0.6 * open / max).toFixed(2) + ")" : "";
      });
    });
    box.textContent = "";
    box.appendChild(t);
  }

  window.kg = {
    network: network, nodes: nodes, edges: edges, apply: apply, statusAt: statusAt,
    visibleCount: function () { return nodes.get({ filter: function (x) { return !x.hidden; } }).length; }
  };
  window.network = network;
  network.once("afterDrawing", function () { document.body.setAttribute("data-drawn", String(Math.round(performance.now()))); });
  apply();
})();
