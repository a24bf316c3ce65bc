/* Sort and filter the tracker table in place; filters can be preset with #theme=ID&status=persists. */
(function () {
  "use strict";
  var table = document.getElementById("tracker");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var form = document.getElementById("filters");
  var count = document.getElementById("count");
  var OPEN = { persists: 1, progress: 1, no_evidence: 1 };

  function cellValue(row, col, type) {
    var c = row.cells[col];
    var v = c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent.trim();
    if (type === "num") { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return v.toLowerCase();
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    function sort() {
      var col = +th.getAttribute("data-col"), type = th.getAttribute("data-type");
      var dir = th.classList.contains("asc") ? -1 : 1;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.classList.remove("asc", "desc"); });
      th.classList.add(dir === 1 ? "asc" : "desc");
      var keyed = rows.map(function (r, i) { return [cellValue(r, col, type), i, r]; });
      keyed.sort(function (a, b) { return a[0] < b[0] ? -dir : a[0] > b[0] ? dir : a[1] - b[1]; });
      var frag = document.createDocumentFragment();
      keyed.forEach(function (k) { frag.appendChild(k[2]); });
      body.appendChild(frag);
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sort(); });
  });

  function has(list, v) { return (" " + list + " ").indexOf(" " + v + " ") >= 0; }

  function apply() {
    var q = form.elements.q.value.trim().toLowerCase(), area = form.elements.area.value,
        agency = form.elements.agency.value, theme = form.elements.theme.value, status = form.elements.status.value;
    var shown = 0;
    rows.forEach(function (r) {
      var st = r.getAttribute("data-status");
      var ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) &&
        (!area || r.getAttribute("data-area") === area) &&
        (!agency || has(r.getAttribute("data-agencies"), agency)) &&
        (!theme || has(r.getAttribute("data-themes"), theme)) &&
        (!status || (status === "open" ? OPEN[st] : st === status));
      r.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + " of " + rows.length + " shown";
  }

  function fromHash() {
    var h = window.location.hash.replace(/^#/, "");
    if (!h) return;
    h.split("&").forEach(function (kv) {
      var p = kv.split("="), k = decodeURIComponent(p[0]), v = decodeURIComponent(p[1] || "");
      if (form.elements[k]) form.elements[k].value = v;
    });
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
})();
