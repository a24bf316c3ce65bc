/* The tracker table: rows come as JSON (#tracker-data) and are filtered and sorted as data; only
   the first page of matching rows is drawn ("Show more" draws the next), so 50,000 rows open in a
   second. Filters can be preset with #theme=ID&status=persists. Text goes in with textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("tracker-data").textContent);
  var table = document.getElementById("tracker");
  var body = table.tBodies[0];
  var form = document.getElementById("filters");
  var count = document.getElementById("count");
  var more = document.getElementById("more");
  var OPEN = { persists: 1, progress: 1, no_evidence: 1 };
  /* a row: [slug, text, kind, area, area label, agency ids, agency labels, theme ids, theme labels,
     status, confidence, date, last evidence, follow-ups] */
  var ROWS = data.rows, RANK = {};
  Object.keys(data.labels).forEach(function (s, i) { RANK[s] = i; });
  var COLUMN = [1, 2, 4, 6, 8, 9, 10, 11, 12, 13];  /* table column -> row field */
  var order = ROWS.map(function (r, i) { return i; }), matching = order, drawn = 0;
  var search = ROWS.map(function (r) { return (r[1] + " " + r[4] + " " + r[6] + " " + r[8]).toLowerCase(); });

  function key(r, col, type) {
    var v = r[COLUMN[col]];
    if (COLUMN[col] === 9) return RANK[v];
    if (type === "num") { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return String(v).toLowerCase();
  }

  function cell(tr, text, cls) {
    var td = tr.insertCell();
    if (cls) td.className = cls;
    if (text !== undefined) td.textContent = text;
    return td;
  }

  function row(r) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-area", r[3]); tr.setAttribute("data-status", r[9]);
    var a = document.createElement("a");
    a.href = "finding/" + r[0] + ".html"; a.textContent = r[1];
    cell(tr).appendChild(a);
    cell(tr, r[2]); cell(tr, r[4]); cell(tr, r[6]); cell(tr, r[8]);
    var badge = document.createElement("span");
    badge.className = "badge st-" + r[9]; badge.textContent = data.labels[r[9]] || r[9];
    cell(tr).appendChild(badge);
    cell(tr, r[10], "num"); cell(tr, r[11]); cell(tr, r[12]); cell(tr, String(r[13]), "num");
    return tr;
  }

  function draw(upto) {
    var frag = document.createDocumentFragment();
    for (; drawn < Math.min(upto, matching.length); drawn++) frag.appendChild(row(ROWS[matching[drawn]]));
    body.appendChild(frag);
    more.hidden = drawn >= matching.length;
    more.textContent = "Show " + Math.min(data.page, matching.length - drawn) + " more";
    count.textContent = matching.length + " of " + ROWS.length + (drawn < matching.length ?
      " match (the first " + drawn + " shown)" : " shown");
  }

  function has(list, v) { return (" " + list + " ").indexOf(" " + v + " ") >= 0; }

  function apply() {
    var q = form.elements.q.value.trim().toLowerCase(), area = form.elements.area.value,
        agency = form.elements.agency.value, theme = form.elements.theme.value, status = form.elements.status.value;
    matching = order.filter(function (i) {
      var r = ROWS[i], st = r[9];
      return (!q || search[i].indexOf(q) >= 0) && (!area || r[3] === area) && (!agency || has(r[5], agency)) &&
        (!theme || has(r[7], theme)) && (!status || (status === "open" ? OPEN[st] : st === status));
    });
    body.textContent = ""; drawn = 0;
    draw(data.page);
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    function sort() {
      var col = +th.getAttribute("data-col"), type = th.getAttribute("data-type");
      var dir = th.classList.contains("asc") ? -1 : 1;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.classList.remove("asc", "desc"); });
      th.classList.add(dir === 1 ? "asc" : "desc");
      var keyed = ROWS.map(function (r, i) { return [key(r, col, type), i]; });
      keyed.sort(function (a, b) { return a[0] < b[0] ? -dir : a[0] > b[0] ? dir : a[1] - b[1]; });
      order = keyed.map(function (k) { return k[1]; });
      apply();
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sort(); });
  });

  function fromHash() {
    var h = window.location.hash.replace(/^#/, "");
    if (!h) return;
    h.split("&").forEach(function (kv) {
      var p = kv.split("="), k = decodeURIComponent(p[0]), v = decodeURIComponent(p[1] || "");
      if (form.elements[k]) form.elements[k].value = v;
    });
  }

  more.addEventListener("click", function () { draw(drawn + data.page); });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
})();
