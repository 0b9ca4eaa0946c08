// The dashboard (/app/tong-quan): headline figures, charts (Chart.js) and a commune map
// (MapLibre), all from /app/tong-quan/so-lieu.json and /app/tong-quan/xa.geojson, which
// answer the same documents as /stats/dossiers, /stats/quality and /stats/communes. The
// figures are asked for again every minute, on "Cập nhật" and when the tab is shown again,
// without reloading the page. Numbers are written the page's language's way (1.234,5 and
// 95,2 % in Vietnamese), dates day first.
(function () {
  "use strict";

  var root = document.getElementById("tong-quan");
  if (!root) return;
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  var names = JSON.parse(document.getElementById("ten-goi").textContent);
  var input = document.getElementById("as-of");
  var form = document.getElementById("dieu-khien");
  var said = document.getElementById("trang-thai");
  var REFRESH_MS = 60000;
  var WEEKS_SHOWN = 26;
  var MONTHS_SHOWN = 24;
  var WORKER = "/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js";
  // Sequential classes of open errors per 1,000 parcels (ColorBrewer YlOrRd), and grey for a
  // commune with no parcel in the register.
  var CLASSES = [
    {from: 0, colour: "#ffffcc", vi: "0 (không có lỗi)", en: "0 (no error)"},
    {from: 0.000001, colour: "#fed976", vi: "dưới 5", en: "under 5"},
    {from: 5, colour: "#feb24c", vi: "5 đến dưới 10", en: "5 to under 10"},
    {from: 10, colour: "#fd8d3c", vi: "10 đến dưới 20", en: "10 to under 20"},
    {from: 20, colour: "#e31a1c", vi: "20 đến dưới 50", en: "20 to under 50"},
    {from: 50, colour: "#800026", vi: "từ 50 trở lên", en: "50 or more"}
  ];
  var NO_PARCELS = {colour: "#c5cacf", vi: "chưa có thửa trong sổ", en: "no parcel in the register"};
  // Distinct colours for series (Okabe–Ito, then Tableau's), each ≥ 3:1 against white.
  var PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#b07aa1", "#9c755f", "#bab0ac",
    "#edc948"];

  function t(vi, en) { return lang === "en" ? en : vi; }

  // ---- writing numbers and dates -------------------------------------------------------

  function num(value, digits) {
    if (value === null || value === undefined || !isFinite(value)) return "—";
    var text = Number(value).toFixed(digits || 0);
    var sign = text.charAt(0) === "-" ? "-" : "";
    var parts = text.replace("-", "").split(".");
    var grouped = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, lang === "en" ? "," : ".");
    return sign + grouped + (parts[1] ? (lang === "en" ? "." : ",") + parts[1] : "");
  }

  function pct(value) {
    if (value === null || value === undefined) return "—";
    return num(value, 1) + (lang === "en" ? "%" : " %");
  }

  function day(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] : "";
  }

  // Times of the figures carry +07:00: their first digits are already the local time.
  function moment(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    return m ? m[3] + "/" + m[2] + "/" + m[1] + " " + m[4] + ":" + m[5] : "";
  }

  function month(key) {
    var m = /^(\d{4})-(\d{2})$/.exec(key || "");
    return m ? m[2] + "/" + m[1] : key;
  }

  function procedure(code) { return names.procedures[code] || code; }
  function office(code) { return names.offices[code] || code || "—"; }

  // ---- headline figures ----------------------------------------------------------------

  function figure(name, value, text, note) {
    document.querySelectorAll('[data-figure="' + name + '"]').forEach(function (el) {
      el.dataset.value = value === null || value === undefined ? "" : String(value);
      el.textContent = text;
    });
    document.querySelectorAll('[data-note="' + name + '"]').forEach(function (el) {
      el.textContent = note || "";
    });
  }

  function headlines(d, q) {
    var totals = d.totals;
    var due = d.apologies.filter(function (a) { return !a.recorded; }).length;
    figure("on_time_rate", totals.on_time_rate, pct(totals.on_time_rate),
      t("trên " + num(totals.processed) + " hồ sơ đã giải quyết",
        "of " + num(totals.processed) + " processed dossiers"));
    figure("overdue", totals.overdue, num(totals.overdue),
      t("chưa giải quyết, đã quá hạn", "open and past the due date"));
    figure("at_risk", totals.at_risk, num(totals.at_risk),
      t("còn một ngày làm việc trở xuống", "one working day left or less"));
    figure("apologies_due", due, num(due),
      t("hồ sơ trễ hạn chưa có phiếu xin lỗi", "late dossiers without an apology letter"));
    figure("open_findings", q.open_findings, num(q.open_findings),
      t("trong đó " + num(q.open_errors) + " lỗi, " + num(q.open_warnings) + " cảnh báo",
        "of which " + num(q.open_errors) + " errors, " + num(q.open_warnings) + " warnings"));
    figure("share_without_open_errors", q.share_without_open_errors,
      pct(q.share_without_open_errors),
      t(num(q.parcels_without_open_errors) + " trên " + num(q.parcels) + " thửa",
        num(q.parcels_without_open_errors) + " of " + num(q.parcels) + " parcels"));
    figure("parcels_checked", q.parcels_checked, num(q.parcels_checked),
      t("Đã kiểm tra (đối soát) " + num(q.parcels_checked) + " trên " + num(q.parcels) +
        " thửa ở phiên bản hiện tại; " + num(q.parcels_with_open_errors) +
        " thửa có lỗi đang mở.",
        num(q.parcels_checked) + " of " + num(q.parcels) + " parcels checked by a " +
        "reconciliation in their current version; " + num(q.parcels_with_open_errors) +
        " parcels have an open error."));
  }

  // ---- tables (the charts' text alternative) ----------------------------------------------

  // rows: arrays of cells; a cell is text, or {text, href}, or {text, value} for a number.
  function table(holder, caption, heads, rows, empty) {
    var box = typeof holder === "string" ? document.getElementById(holder) : holder;
    box.textContent = "";
    if (!rows.length) {
      var p = document.createElement("p");
      p.className = "note";
      p.textContent = empty || t("Không có.", "None.");
      box.appendChild(p);
      return;
    }
    var tbl = document.createElement("table");
    var cap = document.createElement("caption");
    cap.className = "visually-hidden";
    cap.textContent = caption;
    tbl.appendChild(cap);
    var head = tbl.createTHead().insertRow();
    heads.forEach(function (h) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.appendChild(th);
    });
    var body = tbl.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (cell, i) {
        var td = i === 0 ? document.createElement("th") : document.createElement("td");
        if (i === 0) td.scope = "row";
        if (cell && typeof cell === "object" && cell.href) {
          var a = document.createElement("a");
          a.href = cell.href;
          a.textContent = cell.text;
          td.appendChild(a);
        } else if (cell && typeof cell === "object") {
          td.textContent = cell.text;
          td.className = "num";
          td.dataset.value = cell.value === null ? "" : String(cell.value);
        } else {
          td.textContent = cell;
        }
        tr.appendChild(td);
      });
    });
    box.appendChild(tbl);
  }

  function n(value) { return {text: num(value), value: value}; }
  function p(value) { return {text: pct(value), value: value}; }

  // ---- charts ---------------------------------------------------------------------------

  var charts = {};

  function chart(id, type, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return null;
    var existing = charts[id];
    if (existing) {
      existing.data.labels = labels;
      existing.data.datasets = datasets;
      existing.update("none");
      return existing;
    }
    charts[id] = new Chart(canvas, {type: type, data: {labels: labels, datasets: datasets},
      options: options});
    return charts[id];
  }

  function baseOptions(horizontal, percent, stacked) {
    var valueAxis = {
      beginAtZero: true, stacked: !!stacked,
      ticks: {callback: function (v) {
        return percent ? num(v) + (lang === "en" ? "%" : " %") : num(v);
      }},
      grid: {color: "#d9dde0"}
    };
    if (percent) valueAxis.max = 100;
    else valueAxis.ticks.precision = 0;  // counts: whole numbers only
    var labelAxis = {stacked: !!stacked, ticks: {autoSkip: true}, grid: {display: false}};
    return {
      animation: false, responsive: true, maintainAspectRatio: false,
      indexAxis: horizontal ? "y" : "x",
      plugins: {
        legend: {display: !horizontal, labels: {color: "#1b1b1b"}},
        tooltip: {callbacks: {label: function (item) {
          var v = horizontal ? item.parsed.x : item.parsed.y;
          return (item.dataset.label ? item.dataset.label + ": " : "") + (percent ? pct(v) : num(v));
        }}}
      },
      scales: horizontal ? {x: valueAxis, y: labelAxis} : {x: labelAxis, y: valueAxis}
    };
  }

  function describe(id, title, pairs) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var shown = pairs.slice(0, 12).map(function (pair) { return pair[0] + " " + pair[1]; });
    var more = pairs.length > 12 ? "; " + t("và " + (pairs.length - 12) + " mục khác trong bảng",
      "and " + (pairs.length - 12) + " more in the table") : "";
    canvas.setAttribute("aria-label", title + ": " + (shown.join("; ") || t("không có số liệu", "no figures")) + more);
  }

  function sizeFor(id, rows) {
    var area = document.getElementById(id).parentNode;
    area.style.height = Math.max(220, 48 + rows * 34) + "px";
  }

  // Long names on an axis: the words every name starts with left out ("Chi nhánh Văn phòng
  // Đăng ký đất đai …"), the rest on lines of about 30 characters.
  function axisLabels(texts) {
    var words = texts.map(function (text) { return String(text).split(" "); });
    var common = 0;
    if (words.length > 1) {
      while (words.every(function (w) { return w.length > common + 1 && w[common] === words[0][common]; })) {
        common += 1;
      }
    }
    return words.map(function (w) {
      var lines = [], line = "";
      w.slice(common).forEach(function (word) {
        if (line && (line + " " + word).length > 30) { lines.push(line); line = word; }
        else line = line ? line + " " + word : word;
      });
      lines.push(line);
      return lines.length > 1 ? lines : lines[0];
    });
  }

  function rateChart(id, title, groups, label) {
    var rated = groups.filter(function (g) { return g.processed > 0; });
    sizeFor(id, rated.length * 1.4);
    chart(id, "bar", axisLabels(rated.map(function (g) { return label(g.key); })), [{
      label: t("Tỷ lệ đúng hạn", "On-time rate"),
      data: rated.map(function (g) { return g.on_time_rate; }),
      backgroundColor: "#0072b2"
    }], baseOptions(true, true));
    describe(id, title, rated.map(function (g) { return [label(g.key), pct(g.on_time_rate)]; }));
    var heads = [t("Nhóm", "Group"), t("Hồ sơ", "Dossiers"), t("Đã giải quyết", "Processed"),
      t("Trước và đúng hạn", "Early or on time"), t("Trễ hạn", "Late"),
      t("Quá hạn", "Overdue"), t("Tỷ lệ đúng hạn", "On-time rate")];
    table(id + "-bang", title, heads, groups.map(function (g) {
      return [label(g.key), n(g.dossiers), n(g.processed), n(g.early + g.on_time), n(g.late),
        n(g.overdue), p(g.on_time_rate)];
    }));
  }

  function monthChart(d) {
    var id = "bd-thang";
    var title = t("Tỷ lệ đúng hạn theo tháng giải quyết", "On-time rate by month of processing");
    var months = d.by_month.filter(function (g) { return g.key !== "?"; }).slice(-MONTHS_SHOWN);
    chart(id, "line", months.map(function (g) { return month(g.key); }), [{
      label: t("Tỷ lệ đúng hạn", "On-time rate"),
      data: months.map(function (g) { return g.on_time_rate; }),
      borderColor: "#0072b2", backgroundColor: "#0072b2", pointRadius: 3, spanGaps: true
    }], baseOptions(false, true));
    describe(id, title, months.map(function (g) { return [month(g.key), pct(g.on_time_rate)]; }));
    table(id + "-bang", title, [t("Tháng", "Month"), t("Đã giải quyết", "Processed"),
      t("Trễ hạn", "Late"), t("Tỷ lệ đúng hạn", "On-time rate")],
      months.map(function (g) {
        return [month(g.key), n(g.processed), n(g.late), p(g.on_time_rate)];
      }));
  }

  function weekChart(d) {
    var id = "bd-tuan";
    var title = t("Hồ sơ tiếp nhận và đã giải quyết theo tuần",
      "Dossiers received and processed per week");
    var weeks = d.by_week.slice(-WEEKS_SHOWN);
    var labels = weeks.map(function (w) { return day(w.starts_on).slice(0, 5); });
    chart(id, "bar", labels, [
      {label: t("Tiếp nhận", "Received"), data: weeks.map(function (w) { return w.received; }),
        backgroundColor: "#0072b2"},
      {label: t("Đã giải quyết", "Processed"),
        data: weeks.map(function (w) { return w.processed; }), backgroundColor: "#d55e00"}
    ], baseOptions(false, false));
    describe(id, title, weeks.map(function (w) {
      return [w.week, t("tiếp nhận " + num(w.received) + ", giải quyết " + num(w.processed),
        "received " + num(w.received) + ", processed " + num(w.processed))];
    }));
    table(id + "-bang", title, [t("Tuần", "Week"), t("Từ ngày", "From"),
      t("Tiếp nhận", "Received"), t("Đã giải quyết", "Processed")],
      weeks.map(function (w) {
        return [w.week, day(w.starts_on), n(w.received), n(w.processed)];
      }));
  }

  function findingsChart(q) {
    var id = "bd-phat-hien";
    var title = t("Phát hiện đang mở theo tuần, theo quy tắc", "Open findings per week, by rule");
    var titles = {};
    q.by_rule.forEach(function (r) { titles[r.rule] = lang === "en" ? r.title_en : r.title_vi; });
    var rules = q.weeks.length ? q.weeks[q.weeks.length - 1].by_rule.map(function (c) {
      return c.key; }) : [];
    var datasets = rules.map(function (rule, i) {
      return {
        label: titles[rule] || rule,
        data: q.weeks.map(function (w) {
          var found = w.by_rule.filter(function (c) { return c.key === rule; })[0];
          return found ? found.open : 0;
        }),
        backgroundColor: PALETTE[i % PALETTE.length], stack: "open", maxBarThickness: 48
      };
    });
    var options = baseOptions(false, false, true);
    options.plugins.legend.position = "bottom";
    var labels = q.weeks.map(function (w) { return day(w.starts_on).slice(0, 5); });
    chart(id, "bar", labels, datasets, options);
    describe(id, title, q.weeks.map(function (w) {
      return [t("tuần " + w.week, "week " + w.week), num(w.open)];
    }));
    table(id + "-bang", title, [t("Tuần", "Week"), t("Đang mở", "Open"), t("Lỗi", "Errors")]
      .concat(rules.map(function (r) { return titles[r] || r; })),
      q.weeks.map(function (w) {
        return [w.week, n(w.open), n(w.open_errors)].concat(rules.map(function (r) {
          var found = w.by_rule.filter(function (c) { return c.key === r; })[0];
          return n(found ? found.open : 0);
        }));
      }));
  }

  // ---- lists ----------------------------------------------------------------------------

  function dossierLink(code) {
    return {text: code, href: "/app/ho-so/" + encodeURIComponent(code)};
  }

  function lists(d, q) {
    table("ds-theo-doi", t("Hồ sơ quá hạn và sắp đến hạn", "Overdue and at-risk dossiers"),
      [t("Mã hồ sơ", "Code"), t("Thủ tục", "Procedure"), t("Nơi tiếp nhận", "Office"),
        t("Trạng thái", "Status"), t("Thời hạn", "Deadline"), t("Hạn giải quyết", "Due"),
        t("Ngày làm việc", "Working days")],
      d.watch.map(function (w) {
        var late = w.working_days_late;
        return [dossierLink(w.code), procedure(w.procedure), office(w.office),
          names.statuses[w.status] || w.status_vi,
          names.timeliness[w.timeliness] || w.timeliness, day(w.due_date),
          late > 0 ? t("quá " + num(late), num(late) + " late")
            : t("còn " + num(-late), num(-late) + " left")];
      }), t("Không có hồ sơ quá hạn hay sắp đến hạn.", "No dossier is overdue or at risk."));
    table("ds-xin-loi", t("Phiếu xin lỗi cần gửi", "Apology letters due"),
      [t("Mã hồ sơ", "Code"), t("Thủ tục", "Procedure"), t("Nơi tiếp nhận", "Office"),
        t("Hạn giải quyết", "Due"), t("Số ngày trễ", "Working days late"),
        t("Hẹn lại ngày trả", "New return date")],
      d.apologies.filter(function (a) { return !a.recorded; }).map(function (a) {
        return [dossierLink(a.code), procedure(a.procedure), office(a.office), day(a.due_date),
          n(a.working_days_late), day(a.new_return_date)];
      }), t("Không có phiếu xin lỗi nào cần gửi.", "No apology letter is due."));
    table("ds-quy-tac", t("Phát hiện đang mở theo quy tắc", "Open findings by rule"),
      [t("Quy tắc", "Rule"), t("Mã", "Code"), t("Mức độ", "Severity"), t("Đang mở", "Open")],
      q.by_rule.map(function (r) {
        return [lang === "en" ? r.title_en : r.title_vi, r.rule,
          r.severity === "error" ? t("Lỗi", "Error") : t("Cảnh báo", "Warning"), n(r.open)];
      }), t("Không có phát hiện nào đang mở.", "No finding is open."));
  }

  // ---- the commune map ------------------------------------------------------------------

  var map = null;
  var mapLoaded = false;
  var pendingCommunes = null;

  function fillColour() {
    var step = ["step", ["to-number", ["coalesce", ["get", "errors_per_1000"], -1]],
      NO_PARCELS.colour];
    CLASSES.forEach(function (c) { step.push(c.from, c.colour); });
    return step;
  }

  function legend() {
    var list = document.getElementById("chu-giai");
    if (!list || list.childElementCount) return;
    CLASSES.concat([NO_PARCELS]).forEach(function (c) {
      var li = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = c.colour;
      li.appendChild(swatch);
      li.appendChild(document.createTextNode(t(c.vi, c.en)));
      list.appendChild(li);
    });
  }

  function makeMap() {
    if (map || typeof maplibregl === "undefined") return;
    maplibregl.setWorkerUrl(WORKER);
    map = new maplibregl.Map({
      container: "ban-do-xa",
      // Nothing from outside landreg: no tiles, fonts or sprites, only the communes.
      style: {
        version: 8,
        sources: {xa: {type: "geojson", data: {type: "FeatureCollection", features: []}}},
        layers: [
          {id: "nen", type: "background", paint: {"background-color": "#eef1f4"}},
          {id: "xa-to", type: "fill", source: "xa",
            paint: {"fill-color": fillColour(), "fill-opacity": 0.9}},
          {id: "xa-vien", type: "line", source: "xa",
            paint: {"line-color": "#1b1b1b", "line-width": 1}}
        ]
      },
      center: [106.2, 11.0], zoom: 7, attributionControl: false,
      locale: {
        "NavigationControl.ZoomIn": t("Phóng to", "Zoom in"),
        "NavigationControl.ZoomOut": t("Thu nhỏ", "Zoom out"),
        "NavigationControl.ResetBearing": t("Đặt lại hướng bắc", "Reset bearing to north"),
        "Map.Title": t("Bản đồ lỗi đang mở theo xã", "Map of open errors by commune")
      }
    });
    map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
    map.on("load", function () {
      mapLoaded = true;
      if (pendingCommunes) showCommunes(pendingCommunes);
    });
    map.on("click", "xa-to", function (event) {
      var f = event.features && event.features[0];
      if (!f) return;
      var props = f.properties;
      new maplibregl.Popup({closeButton: true})
        .setLngLat(event.lngLat)
        .setText(props.name + ": " + num(props.open_errors) + t(" lỗi đang mở, ", " open errors, ") +
          num(props.parcels) + t(" thửa", " parcels"))
        .addTo(map);
    });
  }

  function bounds(collection) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    function walk(coords) {
      if (typeof coords[0] === "number") {
        box[0] = Math.min(box[0], coords[0]); box[1] = Math.min(box[1], coords[1]);
        box[2] = Math.max(box[2], coords[0]); box[3] = Math.max(box[3], coords[1]);
        return;
      }
      coords.forEach(walk);
    }
    collection.features.forEach(function (f) { if (f.geometry) walk(f.geometry.coordinates); });
    return isFinite(box[0]) ? [[box[0], box[1]], [box[2], box[3]]] : null;
  }

  var fitted = false;

  function showCommunes(collection) {
    pendingCommunes = collection;
    if (!map || !mapLoaded) return;
    map.getSource("xa").setData(collection);
    var box = bounds(collection);
    if (box && !fitted) {
      map.fitBounds(box, {padding: 20, animate: false});
      fitted = true;
    }
    map.once("idle", function () { root.dataset.mapDrawn = String(Date.now()); });
  }

  function communeTable(collection) {
    var rows = collection.features.map(function (f) { return f.properties; });
    table("ban-do-bang", t("Lỗi đang mở theo xã", "Open errors by commune"),
      [t("Xã, phường", "Commune"), t("Mã", "Code"), t("Số thửa", "Parcels"),
        t("Lỗi đang mở", "Open errors"), t("Lỗi trên 1.000 thửa", "Errors per 1,000 parcels")],
      rows.map(function (c) {
        return [c.name, c.code, n(c.parcels), n(c.open_errors),
          {text: num(c.errors_per_1000, 1), value: c.errors_per_1000}];
      }));
  }

  // ---- reading the figures ----------------------------------------------------------------

  var running = null;
  var loads = 0;

  // The day typed (05/01/2024, or 2024-01-05) as ISO; "" for empty, null when not a day.
  function typedDay(text) {
    var value = (text || "").trim();
    if (!value) return "";
    var m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value);
    var iso = m ? m[3] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[1]).slice(-2)
      : (/^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null);
    if (!iso) return null;
    var parsed = new Date(iso + "T00:00:00Z");
    return isNaN(parsed) || parsed.toISOString().slice(0, 10) !== iso ? null : iso;
  }

  // "" for now (today, a later day, or nothing typed), "?as_of=…" for an earlier day.
  function asOfQuery() {
    var iso = typedDay(input.value);
    if (iso === null) return null;
    if (!iso || iso >= root.dataset.today) return "";
    return "?as_of=" + encodeURIComponent(iso);
  }

  function getJSON(url, signal) {
    return fetch(url, {
      cache: "no-cache", credentials: "same-origin", signal: signal,
      headers: {Accept: "application/json"}
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/app/dang-nhap?tiep=" +
          encodeURIComponent(window.location.pathname + window.location.search));
        throw new Error(t("Phiên làm việc đã hết hạn", "The session has expired"));
      }
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (problem) {
          throw new Error(problem.detail || response.statusText);
        });
      }
      return response.json();
    });
  }

  function clock() {
    var now = new Date();
    function two(x) { return (x < 10 ? "0" : "") + x; }
    return two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds());
  }

  function render(figures, communes) {
    var d = figures.dossiers;
    var q = figures.quality;
    var when = document.getElementById("thoi-diem");
    when.dataset.asOf = d.as_of;
    when.textContent = t("Số liệu tại thời điểm " + moment(d.as_of) + " (giờ Việt Nam)",
      "Figures as of " + moment(d.as_of) + " (Vietnam time)");
    headlines(d, q);
    rateChart("bd-thu-tuc", t("Tỷ lệ đúng hạn theo thủ tục", "On-time rate by procedure"),
      d.by_procedure, procedure);
    rateChart("bd-don-vi", t("Tỷ lệ đúng hạn theo nơi tiếp nhận", "On-time rate by office"),
      d.by_office, office);
    monthChart(d);
    weekChart(d);
    findingsChart(q);
    lists(d, q);
    communeTable(communes);
    makeMap();
    showCommunes(communes);
  }

  function refresh() {
    if (running) running.abort();
    var controller = new AbortController();
    running = controller;
    var query = asOfQuery();
    if (query === null) {
      running = null;
      input.setAttribute("aria-invalid", "true");
      said.textContent = t("Ngày chưa đúng: hãy viết ngày/tháng/năm, ví dụ 05/01/2024",
        "Not a day: write day/month/year, e.g. 05/01/2024");
      return Promise.resolve();
    }
    input.removeAttribute("aria-invalid");
    root.setAttribute("aria-busy", "true");
    said.textContent = t("Đang cập nhật số liệu…", "Updating the figures…");
    return Promise.all([
      getJSON(root.dataset.figuresUrl + query, controller.signal),
      getJSON(root.dataset.communesUrl + query, controller.signal)
    ]).then(function (answers) {
      if (running !== controller) return;
      render(answers[0], answers[1]);
      loads += 1;
      root.dataset.loads = String(loads);
      said.textContent = t("Đã cập nhật lúc " + clock(), "Updated at " + clock());
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      said.textContent = t("Không tải được số liệu: ", "Could not load the figures: ") +
        error.message;
    }).then(function () {
      if (running === controller) {
        running = null;
        root.removeAttribute("aria-busy");
      }
    });
  }

  if (typeof Chart !== "undefined") {
    Chart.defaults.color = "#1b1b1b";
    Chart.defaults.font.size = 14;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  }
  legend();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    refresh();
  });
  input.addEventListener("change", refresh);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });
  window.setInterval(function () {
    if (document.visibilityState === "visible") refresh();
  }, REFRESH_MS);
  // For people and tests who look at the page from the browser's console.
  window.tongQuan = {refresh: refresh, charts: charts, map: function () { return map; }};
  refresh();
})();
