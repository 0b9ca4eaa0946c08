// The cadastral map workbench: landreg's own vector tiles drawn with MapLibre GL JS, the
// findings queue beside the map, a parcel's record when it is clicked, and for cadastral staff
// the three actions on a finding (apply the suggested fix, edit the boundary by hand, dismiss).
//
// Everything comes from landreg itself: the style below names no glyphs, sprites or tiles of
// another site (parcel numbers are HTML labels over the map, so no font files are needed).
// The data lives under /app/ban-do/..., read with the session cookie; every change carries the
// page's form token in X-Form-Token. After a change, and whenever the register's revision
// moves (polled every 30 s), the tiles, the queue and the counts reload without a page reload.
(function () {
  "use strict";

  var BASE = "/app/ban-do";
  var POLL_MS = 30000;
  var LABELS_FROM_ZOOM = 17;
  var MAX_LABELS = 300;
  var PAGE_SIZE = 20;
  var config = JSON.parse(document.getElementById("cau-hinh-ban-do").textContent);
  var T = config.texts;
  var formToken = document.querySelector('meta[name="form-token"]').content;
  var COLOURS = {
    background: "#f4f1ea", outline: "#4d4d4d", commune: "#1d2f6f", selected: "#0b3d6e",
    highlight: "#8e24aa", before: "#c4161c", after: "#00703c", edit: "#d35400"
  };
  var EMPTY = { type: "FeatureCollection", features: [] };
  var FILTERS = ["rule", "severity", "commune", "status"];

  var state = {
    revision: null, offset: 0, total: 0, finding: null, parcelId: null, dates: [],
    editing: null, names: { rules: {}, severities: {}, communes: {} }
  };
  var draw = null;

  function byId(id) { return document.getElementById(id); }

  // An element with attributes and children (text or elements); never parses HTML.
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function number(value) {
    return Number(value).toLocaleString(config.lang === "en" ? "en-GB" : "vi-VN");
  }

  function dayText(iso) {  // 2023-05-12 → 12/05/2023
    var parts = String(iso).slice(0, 10).split("-");
    return parts.length === 3 ? parts[2] + "/" + parts[1] + "/" + parts[0] : String(iso);
  }

  function pick(vi, en) { return config.lang === "en" ? (en || vi) : (vi || en); }

  // ---- talking to the server -------------------------------------------------------------

  // A request to landreg: JSON (or the HTML of a fragment); a refusal becomes an Error whose
  // message is the problem's detail, in the page's language.
  function call(url, options) {
    options = options || {};
    var headers = {
      Accept: options.html ? "text/html" : "application/json",
      "Accept-Language": config.lang
    };
    var init = { method: options.method || "GET", headers: headers, credentials: "same-origin" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-Form-Token"] = formToken;
      init.body = JSON.stringify(options.body);
    }
    return fetch(url, init).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/app/dang-nhap?tiep=" + encodeURIComponent(BASE));
      }
      var type = response.headers.get("content-type") || "";
      var read = type.indexOf("json") >= 0 ? response.json() : response.text();
      return read.then(function (body) {
        if (response.ok) return body;
        var error = new Error((body && body.detail) || T.load_failed);
        error.status = response.status;
        throw error;
      });
    });
  }

  function say(text) { byId("thong-bao").textContent = text || ""; }

  function showError(text) {
    var box = byId("loi");
    box.textContent = "";
    if (text) box.appendChild(el("p", { text: text }));
    box.classList.toggle("shown", !!text);
  }

  function failed(error) { showError(error && error.message ? error.message : T.load_failed); }

  // ---- the map's style: landreg's layers only ---------------------------------------------

  function tileUrl(layer) {
    return window.location.origin + BASE + "/tiles/" + layer + "/{z}/{x}/{y}.pbf?v=" +
      (state.revision === null ? 0 : state.revision);
  }

  function landUseColour(property) {
    // The first three letters: "ONT+CLN" and "LUC " are coloured as ONT and LUC.
    // Without a property: the land register's land use where it has one, else the map's.
    var written = ["upcase", ["to-string", property ? ["coalesce", ["get", property], ""]
      : ["coalesce", ["get", "legal_land_use_code"], ["get", "land_use_code"], ""]]];
    var code = ["slice", written, 0, 3];
    var expression = ["match", code];
    var other = "#cccccc";
    config.landUse.forEach(function (group) {
      if (group.codes.length) expression.push(group.codes, group.colour);
      else other = group.colour;
    });
    expression.push(other);
    return expression;
  }

  function severityColour() {
    return ["match", ["get", "severity"], "error", config.severityColours.error,
      config.severityColours.warning];
  }

  var POLYGONS = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
  var LINES = ["match", ["geometry-type"],
    ["Polygon", "MultiPolygon", "LineString", "MultiLineString"], true, false];
  var POINTS = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];

  function vectorSource(layer, minzoom, maxzoom) {
    return { type: "vector", tiles: [tileUrl(layer)], minzoom: minzoom, maxzoom: maxzoom };
  }

  function style() {
    return {
      version: 8,
      sources: {
        parcels: vectorSource("parcels", config.parcelsFromZoom, 18),
        findings: vectorSource("findings", 10, 18),
        communes: vectorSource("communes", 8, 16),
        strips: vectorSource("strips", config.parcelsFromZoom, 18),
        preview: { type: "geojson", data: EMPTY },
        highlight: { type: "geojson", data: EMPTY },
        selected: { type: "geojson", data: EMPTY }
      },
      layers: [
        { id: "background", type: "background", paint: { "background-color": COLOURS.background } },
        // Roads and canals drawn between the parcels, coloured as their land use.
        { id: "strips-fill", type: "fill", source: "strips", "source-layer": "strips",
          paint: { "fill-color": landUseColour("land_use_text"), "fill-opacity": 1 } },
        { id: "parcels-fill", type: "fill", source: "parcels", "source-layer": "parcels",
          paint: { "fill-color": landUseColour(), "fill-opacity": 1 } },
        { id: "parcels-line", type: "line", source: "parcels", "source-layer": "parcels",
          paint: { "line-color": COLOURS.outline,
            "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0.2, 16, 0.7, 19, 1.4] } },
        { id: "findings-fill", type: "fill", source: "findings", "source-layer": "findings",
          filter: POLYGONS, paint: { "fill-color": severityColour(), "fill-opacity": 0.35 } },
        { id: "findings-line", type: "line", source: "findings", "source-layer": "findings",
          filter: LINES, paint: { "line-color": severityColour(), "line-width": 1.5 } },
        { id: "communes-fill", type: "fill", source: "communes", "source-layer": "communes",
          paint: { "fill-color": COLOURS.commune, "fill-opacity": 0 } },
        { id: "communes-line", type: "line", source: "communes", "source-layer": "communes",
          paint: { "line-color": COLOURS.commune, "line-width": 2.5, "line-dasharray": [4, 2] } },
        { id: "findings-point", type: "circle", source: "findings", "source-layer": "findings",
          filter: POINTS, paint: { "circle-color": severityColour(), "circle-radius": 6,
            "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } },
        { id: "highlight-fill", type: "fill", source: "highlight", filter: POLYGONS,
          paint: { "fill-color": COLOURS.highlight, "fill-opacity": 0.3 } },
        { id: "highlight-line", type: "line", source: "highlight", filter: LINES,
          paint: { "line-color": COLOURS.highlight, "line-width": 3 } },
        { id: "highlight-point", type: "circle", source: "highlight", filter: POINTS,
          paint: { "circle-color": COLOURS.highlight, "circle-radius": 9,
            "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } },
        { id: "selected-line", type: "line", source: "selected",
          paint: { "line-color": COLOURS.selected, "line-width": 4 } },
        { id: "preview-after-fill", type: "fill", source: "preview",
          filter: ["==", ["get", "phase"], "after"],
          paint: { "fill-color": COLOURS.after, "fill-opacity": 0.25 } },
        { id: "preview-after-line", type: "line", source: "preview",
          filter: ["==", ["get", "phase"], "after"],
          paint: { "line-color": COLOURS.after, "line-width": 2.5 } },
        { id: "preview-before-line", type: "line", source: "preview",
          filter: ["==", ["get", "phase"], "before"],
          paint: { "line-color": COLOURS.before, "line-width": 3, "line-dasharray": [2, 1.5] } }
      ]
    };
  }

  // ---- the map --------------------------------------------------------------------------

  function fitLayout() {
    var layout = document.querySelector(".map-layout");
    var top = layout.getBoundingClientRect().top + window.scrollY;
    layout.style.height = Math.max(480, window.innerHeight - top) + "px";
  }

  fitLayout();
  maplibregl.setWorkerUrl("/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js");
  var map = new maplibregl.Map({
    container: "ban-do",
    style: style(),
    bounds: config.bounds,
    fitBoundsOptions: { padding: 20 },
    maxZoom: 21,
    hash: true,
    attributionControl: false,
    locale: {
      "Map.Title": T.map, "NavigationControl.ZoomIn": T.zoom_in,
      "NavigationControl.ZoomOut": T.zoom_out, "NavigationControl.ResetBearing": T.reset_north
    }
  });
  window.landregMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.addEventListener("resize", function () { fitLayout(); map.resize(); });

  function toBounds(bbox) { return [[bbox[0], bbox[1]], [bbox[2], bbox[3]]]; }

  function zoomTo(bbox) {
    if (!bbox) return;
    map.fitBounds(toBounds(bbox), { padding: 60, maxZoom: 19, duration: 700 });
  }

  function setData(source, data) { map.getSource(source).setData(data || EMPTY); }

  function asCollection(geometry) {
    if (!geometry) return EMPTY;
    if (geometry.type === "FeatureCollection") return geometry;
    if (geometry.type === "Feature") return { type: "FeatureCollection", features: [geometry] };
    return { type: "FeatureCollection",
      features: [{ type: "Feature", properties: {}, geometry: geometry }] };
  }

  // Parcel numbers at large scales: HTML labels over the rendered parcels (no glyphs needed).
  function ringCentre(ring) {
    var area = 0, x = 0, y = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      area += cross;
      x += (ring[j][0] + ring[i][0]) * cross;
      y += (ring[j][1] + ring[i][1]) * cross;
    }
    if (!area) return null;
    return { area: Math.abs(area / 2), at: [x / (3 * area), y / (3 * area)] };
  }

  function outerRings(geometry) {
    if (geometry.type === "Polygon") return [geometry.coordinates[0]];
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates.map(function (part) { return part[0]; });
    }
    return [];
  }

  // Each feature's largest rendered piece (features are cut at tile edges) and its label.
  function labelPlaces(layer, property) {
    var best = {};
    map.queryRenderedFeatures({ layers: [layer] }).forEach(function (feature) {
      var key = feature.id !== undefined ? feature.id : feature.properties[property];
      outerRings(feature.geometry).forEach(function (ring) {
        var centre = ringCentre(ring);
        var known = best[key];
        if (centre && (!known || centre.area > known.area)) {
          best[key] = { area: centre.area, at: centre.at, text: feature.properties[property] };
        }
      });
    });
    return best;
  }

  // Parcel numbers at large scales, commune names below the parcels' zooms.
  function drawLabels() {
    var box = byId("nhan-thua");
    box.textContent = "";
    if (!map.getLayer("parcels-fill")) return;
    var zoom = map.getZoom(), best, kind;
    if (zoom >= LABELS_FROM_ZOOM) {
      best = labelPlaces("parcels-fill", "parcel_number");
      kind = "parcel-label";
    } else if (zoom < config.parcelsFromZoom) {
      best = labelPlaces("communes-fill", "name");
      kind = "commune-label";
    } else {
      return;
    }
    var canvas = map.getCanvas();
    var width = canvas.clientWidth, height = canvas.clientHeight;
    var labels = document.createDocumentFragment();
    var taken = [];
    Object.keys(best).some(function (id) {
      var point = map.project(best[id].at);
      var text = String(best[id].text);
      if (point.x < 0 || point.y < 0 || point.x > width || point.y > height) return false;
      var room = { x: point.x, y: point.y, half: text.length * 3.8 + 2 };
      if (taken.some(function (other) { return crowds(room, other); })) return false;
      taken.push(room);
      var label = el("span", { class: kind, text: text });
      label.style.left = point.x + "px";
      label.style.top = point.y + "px";
      labels.appendChild(label);
      return taken.length >= MAX_LABELS;
    });
    box.appendChild(labels);
  }

  // Two labels too close to read: their boxes (about 14 px high) overlap.
  function crowds(one, other) {
    return Math.abs(one.x - other.x) < one.half + other.half && Math.abs(one.y - other.y) < 15;
  }

  function zoomHint() {
    byId("goi-y-phong-to").hidden = map.getZoom() >= config.parcelsFromZoom;
  }

  map.on("movestart", function () { byId("nhan-thua").textContent = ""; });
  map.on("zoomend", zoomHint);
  map.on("idle", function () {
    if (map.getSource("parcels") && map.isSourceLoaded("parcels")) {
      document.body.dataset.mapReady = "1";
    }
    drawLabels();
  });
  map.on("load", zoomHint);
  map.on("mouseenter", "parcels-fill", function () { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "parcels-fill", function () { map.getCanvas().style.cursor = ""; });
  map.on("click", function (event) {
    if (state.editing) return;
    var hits = map.queryRenderedFeatures(event.point,
      { layers: ["findings-point", "parcels-fill"] });
    if (!hits.length) {
      // Below the parcels' zooms a click on a commune goes down to where its parcels show.
      var communes = map.queryRenderedFeatures(event.point, { layers: ["communes-fill"] });
      if (map.getZoom() < config.parcelsFromZoom && communes.length) {
        map.easeTo({ center: event.lngLat, zoom: config.parcelsFromZoom + 1 });
      }
      return;
    }
    if (hits[0].layer.id === "findings-point") selectFinding(hits[0].id);
    else openParcel(hits[0].id, {});
  });

  function reloadTiles() {
    ["parcels", "findings"].forEach(function (name) {
      var source = map.getSource(name);
      if (source) source.setTiles([tileUrl(name)]);
    });
  }

  // ---- the register's revision and the open counts ---------------------------------------

  function showCounts(status) {
    var node = byId("dem-mo");
    node.dataset.openCount = String(status.open);
    node.textContent = T.count_open + ": " + number(status.open) + " (" +
      number(status.open_errors) + " " + T.count_errors + ", " +
      number(status.open_warnings) + " " + T.count_warnings + ")";
  }

  // The tiles and the queue reload when the revision moved (a change by anyone).
  function moveTo(revision) {
    if (revision === state.revision) return false;
    var first = state.revision === null;
    state.revision = revision;
    if (!first) {
      reloadTiles();
      loadQueue();
    }
    return !first;
  }

  function refreshStatus() {
    return call(BASE + "/trang-thai").then(function (status) {
      showCounts(status);
      if (moveTo(status.revision)) say(T.updated);
      return status;
    }).catch(function () { /* the next poll tries again */ });
  }

  // ---- the findings queue --------------------------------------------------------------

  function filterParams() {
    var form = byId("loc-phat-hien");
    var params = new URLSearchParams();
    FILTERS.forEach(function (name) {
      var value = form.elements[name].value;
      if (value) params.set(name, value);
    });
    return params;
  }

  function exportLinks() {
    var query = filterParams().toString();
    byId("tai-gpkg").href = BASE + "/xuat.gpkg?" + query;
    byId("tai-csv").href = BASE + "/xuat.csv?" + query;
  }

  function fillSelect(id, options) {
    var select = byId(id);
    options.forEach(function (option) {
      select.appendChild(el("option", { value: option[0], text: option[1] }));
    });
  }

  function loadFilters() {
    return call(BASE + "/loc").then(function (choices) {
      var names = state.names;
      fillSelect("loc-quy-tac", choices.rules.map(function (r) {
        names.rules[r.code] = pick(r.vi, r.en);
        return [r.code, names.rules[r.code]];
      }));
      fillSelect("loc-muc-do", choices.severities.map(function (s) {
        names.severities[s.code] = pick(s.vi, s.en);
        return [s.code, names.severities[s.code]];
      }));
      fillSelect("loc-xa", choices.communes.map(function (c) {
        names.communes[c.code] = c.name;
        return [c.code, c.name + " (" + c.code + ")"];
      }));
    }).catch(failed);
  }

  function severityName(code) { return state.names.severities[code] || code; }

  function communeName(code) {
    var name = state.names.communes[code];
    return name ? name + " (" + code + ")" : code || "";
  }

  function findingButton(item) {
    var selected = state.finding && state.finding.id === item.id;
    var button = el("button", {
      type: "button", class: "finding-item sev-" + item.severity,
      "data-finding-id": item.id, "aria-current": selected ? "true" : null
    }, [
      el("span", { class: "sev-badge sev-" + item.severity, text: severityName(item.severity) }),
      el("span", { class: "finding-rule", text: pick(item.rule_vi, item.rule_en) }),
      el("span", { class: "finding-where",
        text: communeName(item.commune_code) + " · #" + item.id }),
      el("span", { class: "finding-message", text: pick(item.message_vi, item.message_en) })
    ]);
    button.addEventListener("click", function () { selectFinding(item.id); });
    return button;
  }

  function renderQueue(page) {
    state.total = page.total;
    var list = byId("danh-sach-phat-hien");
    list.textContent = "";
    page.items.forEach(function (item) { list.appendChild(el("li", {}, [findingButton(item)])); });
    var matched = byId("so-khop");
    matched.dataset.total = String(page.total);
    matched.textContent = page.total ? number(page.total) + " " + T.matched : T.none_matched;
    var pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
    var current = Math.floor(state.offset / PAGE_SIZE) + 1;
    byId("trang-phat-hien").hidden = pages < 2;
    byId("so-trang").textContent = T.page + " " + current + " " + T.of + " " + pages;
    byId("trang-truoc").disabled = current <= 1;
    byId("trang-sau").disabled = current >= pages;
  }

  function loadQueue() {
    var params = filterParams();
    params.set("limit", String(PAGE_SIZE));
    params.set("offset", String(state.offset));
    return call(BASE + "/phat-hien?" + params.toString()).then(renderQueue).catch(failed);
  }

  byId("loc-phat-hien").addEventListener("change", function () {
    state.offset = 0;
    exportLinks();
    loadQueue();
  });
  byId("loc-phat-hien").addEventListener("submit", function (event) { event.preventDefault(); });
  byId("trang-truoc").addEventListener("click", function () {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    loadQueue();
  });
  byId("trang-sau").addEventListener("click", function () {
    state.offset += PAGE_SIZE;
    loadQueue();
  });

  // ---- one finding ---------------------------------------------------------------------

  function statusName(status) { return T["status_" + status] || status; }

  function selectFinding(id) {
    stopEditing();
    clearPreview();
    return call(BASE + "/phat-hien/" + id).then(function (item) {
      state.finding = item;
      renderFinding(item);
      setData("highlight", asCollection(item.geometry));
      zoomTo(item.bbox);
      document.querySelectorAll(".finding-item").forEach(function (button) {
        var chosen = Number(button.dataset.findingId) === item.id;
        if (chosen) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      });
      if (item.parcel_ids && item.parcel_ids.length) {
        openParcel(item.parcel_ids[0], { zoom: !item.bbox });
      }
      return item;
    }).catch(failed);
  }

  // A parcel named by its key (commune-sheet-number), as the register writes it; the id
  // stands in until the key has been read.
  var parcelKeys = {};

  function parcelKey(parcelId) {
    if (!parcelKeys[parcelId]) {
      parcelKeys[parcelId] = call(BASE + "/thua/" + parcelId + ".geojson").then(function (feature) {
        var p = feature.properties || {};
        if (p.map_sheet === null || p.parcel_number === null) return p.key_vi || "#" + parcelId;
        return p.commune_code + "-" + p.map_sheet + "-" + p.parcel_number;
      }).catch(function () { delete parcelKeys[parcelId]; return "#" + parcelId; });
    }
    return parcelKeys[parcelId];
  }

  function named(node, parcelId) {
    node.textContent = "#" + parcelId;
    parcelKey(parcelId).then(function (key) { node.textContent = key; });
    return node;
  }

  function parcelButtons(item) {
    return item.parcel_ids.map(function (parcelId) {
      var button = named(el("button", { type: "button", class: "link-button",
        "data-parcel-id": parcelId }), parcelId);
      button.addEventListener("click", function () { openParcel(parcelId, { zoom: true }); });
      return button;
    });
  }

  function renderFinding(item) {
    var card = el("article", { class: "finding-card sev-" + item.severity,
      "aria-labelledby": "tieu-de-phat-hien", "data-finding-id": item.id });
    var close = el("button",
      { type: "button", class: "close-button", "aria-label": T.close, text: "×" });
    close.addEventListener("click", closeFinding);
    card.appendChild(close);
    card.appendChild(el("h3", { id: "tieu-de-phat-hien", text: T.finding + " #" + item.id + ": " +
      pick(item.rule_vi, item.rule_en) }));
    card.appendChild(el("p", { class: "finding-meta" }, [
      el("span", { class: "sev-badge sev-" + item.severity, text: severityName(item.severity) }),
      " " + statusName(item.status) + " · " + communeName(item.commune_code)
    ]));
    card.appendChild(el("p", { text: pick(item.message_vi, item.message_en) }));
    if (item.parcel_ids.length) {
      card.appendChild(el("p", { class: "finding-parcels" },
        [T.parcels + ": "].concat(parcelButtons(item))));
    }
    if (item.fix) {
      var fix = el("strong", { text: pick(item.fix.label_vi, item.fix.label_en) });
      card.appendChild(el("p", {}, [T.suggested_fix + ": ", fix]));
    }
    var zoom = el("button", { type: "button", class: "button-secondary", text: T.zoom_to });
    zoom.addEventListener("click", function () { zoomTo(item.bbox); });
    var actions = el("div", { class: "finding-actions" }, item.bbox ? [zoom] : []);
    if (config.mayEdit && item.status === "open") addActions(actions, item);
    card.appendChild(actions);
    card.appendChild(el("div", { class: "finding-work", id: "viec-phat-hien" }));
    var holder = byId("phat-hien-chon");
    holder.textContent = "";
    holder.appendChild(card);
  }

  function closeFinding() {
    stopEditing();
    clearPreview();
    state.finding = null;
    setData("highlight", EMPTY);
    byId("phat-hien-chon").textContent = "";
    document.querySelectorAll(".finding-item[aria-current]").forEach(function (button) {
      button.removeAttribute("aria-current");
    });
  }

  function addActions(actions, item) {
    if (item.fix) actions.appendChild(actionButton(T.apply_fix, function () { previewFix(item); }));
    if (item.parcel_ids.length) {
      actions.appendChild(actionButton(T.edit_by_hand, function () { editForm(item); }));
    }
    actions.appendChild(actionButton(T.dismiss, function () { dismissForm(item); }));
  }

  function actionButton(text, onClick) {
    var button = el("button", { type: "button", class: "button-secondary", text: text });
    button.addEventListener("click", function () { showError(""); onClick(); });
    return button;
  }

  function workArea() {
    var area = byId("viec-phat-hien");
    area.textContent = "";
    return area;
  }

  // After an action: the finding as it now is, the tiles, the queue and the counts.
  function acted(message) {
    return function (answer) {
      state.finding = answer.finding;
      stopEditing();
      clearPreview();
      renderFinding(answer.finding);
      if (!moveTo(answer.revision)) {
        reloadTiles();
        loadQueue();
      }
      refreshStatus();
      // The parcel as it now is (a parcel merged into its duplicate is no longer there).
      if (state.parcelId !== null) openParcel(state.parcelId, { quiet: true });
      say(message);
    };
  }

  function refused(item) {
    return function (error) {
      if (error.status === 409) {
        showError(T.conflict);
        loadQueue();
        refreshStatus();
        selectFinding(item.id);
        return;
      }
      failed(error);
    };
  }

  function post(item, action, body) {
    body.expected_version = item.version;
    return call(BASE + "/phat-hien/" + item.id + "/" + action, { method: "POST", body: body });
  }

  // Apply the suggested fix: the before and after drawn on the map, then a confirmation.
  function previewFix(item) {
    stopEditing();
    var area = workArea();
    area.appendChild(el("p", { text: T.loading }));
    call(BASE + "/phat-hien/" + item.id + "/xem-truoc").then(function (preview) {
      var features = [];
      [["before", preview.before], ["after", preview.after]].forEach(function (pair) {
        (pair[1].features || []).forEach(function (feature) {
          var properties = Object.assign({}, feature.properties || {}, { phase: pair[0] });
          features.push({ type: "Feature", properties: properties, geometry: feature.geometry });
        });
      });
      setData("preview", { type: "FeatureCollection", features: features });
      zoomTo(boundsOf(features) || item.bbox);
      confirmFix(item, area);
    }).catch(function (error) {
      area.textContent = "";
      refused(item)(error);
    });
  }

  function confirmFix(item, area) {
    area.textContent = "";
    area.appendChild(el("h4", { text: T.preview_title }));
    area.appendChild(el("ul", { class: "legend-list preview-legend" }, [
      el("li", {}, [el("span", { class: "swatch swatch-before" }), T.before]),
      el("li", {}, [el("span", { class: "swatch swatch-after" }), T.after])
    ]));
    var confirm = el("button", { type: "button", class: "button", text: T.confirm_fix });
    var cancel = el("button", { type: "button", class: "button-secondary", text: T.cancel });
    confirm.addEventListener("click", function () {
      confirm.disabled = true;
      post(item, "sua", {}).then(acted(T.fixed)).catch(refused(item)).then(function () {
        confirm.disabled = false;
      });
    });
    cancel.addEventListener("click", function () { clearPreview(); workArea(); });
    area.appendChild(el("div", { class: "finding-actions" }, [confirm, cancel]));
    confirm.focus();
  }

  function clearPreview() {
    if (map.getSource("preview")) setData("preview", EMPTY);
  }

  function boundsOf(features) {
    var box = null;
    function visit(coordinates) {
      if (typeof coordinates[0] === "number") {
        if (!box) box = [coordinates[0], coordinates[1], coordinates[0], coordinates[1]];
        box = [Math.min(box[0], coordinates[0]), Math.min(box[1], coordinates[1]),
          Math.max(box[2], coordinates[0]), Math.max(box[3], coordinates[1])];
        return;
      }
      coordinates.forEach(visit);
    }
    features.forEach(function (feature) {
      if (feature.geometry && feature.geometry.coordinates) visit(feature.geometry.coordinates);
    });
    return box;
  }

  // Dismiss with a reason.
  function dismissForm(item) {
    stopEditing();
    clearPreview();
    var area = workArea();
    var reason = el("textarea", { id: "ly-do-bo-qua", rows: 3, maxlength: 500 });
    var confirm = el("button", { type: "button", class: "button", text: T.confirm_dismiss });
    var cancel = el("button", { type: "button", class: "button-secondary", text: T.cancel });
    confirm.addEventListener("click", function () {
      var text = reason.value.trim();
      if (text.length < 5) { showError(T.reason_short); reason.focus(); return; }
      showError("");
      post(item, "bo-qua", { reason: text }).then(acted(T.dismissed)).catch(refused(item));
    });
    cancel.addEventListener("click", function () { workArea(); });
    area.appendChild(el("div", { class: "field" }, [
      el("label", { for: "ly-do-bo-qua", text: T.reason }), reason
    ]));
    area.appendChild(el("div", { class: "finding-actions" }, [confirm, cancel]));
    reason.focus();
  }

  // ---- editing a boundary by hand (Mapbox GL Draw on MapLibre) ------------------------------

  var DRAW_STYLES = [
    { id: "gl-draw-polygon-fill", type: "fill", filter: ["all", ["==", "$type", "Polygon"]],
      paint: { "fill-color": COLOURS.edit, "fill-opacity": 0.15 } },
    { id: "gl-draw-polygon-stroke", type: "line", filter: ["all", ["==", "$type", "Polygon"]],
      layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": COLOURS.edit, "line-width": 3 } },
    { id: "gl-draw-vertex-halo", type: "circle",
      filter: ["all", ["==", "meta", "vertex"], ["==", "$type", "Point"]],
      paint: { "circle-radius": 7, "circle-color": "#ffffff" } },
    { id: "gl-draw-vertex", type: "circle",
      filter: ["all", ["==", "meta", "vertex"], ["==", "$type", "Point"]],
      paint: { "circle-radius": ["case", ["==", ["get", "active"], "true"], 6, 5],
        "circle-color": COLOURS.edit } },
    { id: "gl-draw-midpoint", type: "circle", filter: ["all", ["==", "meta", "midpoint"]],
      paint: { "circle-radius": 4, "circle-color": COLOURS.edit, "circle-opacity": 0.7 } }
  ];

  function drawTool() {
    if (draw) return draw;
    // Mapbox GL Draw names MapLibre's classes the Mapbox way; these are MapLibre's.
    var classes = MapboxDraw.constants.classes;
    classes.CANVAS = "maplibregl-canvas";
    classes.CONTROL_BASE = "maplibregl-ctrl";
    classes.CONTROL_PREFIX = "maplibregl-ctrl-";
    classes.CONTROL_GROUP = "maplibregl-ctrl-group";
    classes.ATTRIBUTION = "maplibregl-ctrl-attrib";
    draw = new MapboxDraw({
      displayControlsDefault: false, controls: {}, boxSelect: false, keybindings: true,
      userProperties: false, styles: DRAW_STYLES
    });
    map.addControl(draw);
    window.landregDraw = draw;
    // Clicking beside the parcel would leave vertex editing; the parcel stays in it.
    map.on("draw.modechange", function (event) {
      if (state.editing && event.mode !== "direct_select") keepEditing();
    });
    map.on("draw.delete", function () { if (state.editing) keepEditing(); });
    return draw;
  }

  function keepEditing() {
    var editing = state.editing;
    window.setTimeout(function () {
      if (state.editing !== editing) return;
      if (!draw.get(editing.featureId)) {
        draw.add({ type: "Feature", id: editing.featureId, properties: {},
          geometry: editing.original });
      }
      draw.changeMode("direct_select", { featureId: editing.featureId });
    }, 0);
  }

  // A boundary of one part is edited as a polygon (Draw moves its vertices more simply).
  function editable(geometry) {
    if (geometry.type === "MultiPolygon" && geometry.coordinates.length === 1) {
      return { type: "Polygon", coordinates: geometry.coordinates[0] };
    }
    return geometry;
  }

  function editForm(item) {
    clearPreview();
    stopEditing();
    var area = workArea();
    var choice = null;
    if (item.parcel_ids.length > 1) {
      choice = el("select", { id: "thua-can-sua" }, item.parcel_ids.map(function (id) {
        return named(el("option", { value: id }), id);
      }));
      area.appendChild(el("div", { class: "field" }, [
        el("label", { for: "thua-can-sua", text: T.edit_parcel }), choice
      ]));
      choice.addEventListener("change", function () { startEditing(item, Number(choice.value)); });
    }
    area.appendChild(el("p", { class: "hint", text: T.edit_help }));
    var note = el("textarea", { id: "ghi-chu-sua", rows: 3, maxlength: 500 });
    area.appendChild(el("div", { class: "field" },
      [el("label", { for: "ghi-chu-sua", text: T.note }), note]));
    var save = el("button", { type: "button", class: "button", text: T.save });
    var cancel = el("button", { type: "button", class: "button-secondary", text: T.cancel });
    save.addEventListener("click", function () { saveEdit(item, note, save); });
    cancel.addEventListener("click", function () { stopEditing(); workArea(); });
    area.appendChild(el("div", { class: "finding-actions" }, [save, cancel]));
    startEditing(item, item.parcel_ids[0]);
  }

  function startEditing(item, parcelId) {
    return call(BASE + "/thua/" + parcelId + ".geojson").then(function (feature) {
      var tool = drawTool();
      tool.deleteAll();
      var geometry = editable(feature.geometry);
      var ids = tool.add({ type: "Feature", properties: {}, geometry: geometry });
      state.editing = { finding: item.id, parcelId: parcelId, featureId: ids[0],
        original: geometry };
      document.body.dataset.editing = String(parcelId);
      tool.changeMode("direct_select", { featureId: ids[0] });
      zoomTo(feature.bbox);
    }).catch(failed);
  }

  function saveEdit(item, note, save) {
    var editing = state.editing;
    if (!editing) return;
    var text = note.value.trim();
    if (text.length < 5) { showError(T.note_short); note.focus(); return; }
    var feature = draw.get(editing.featureId);
    showError("");
    save.disabled = true;
    post(item, "chinh-tay", { parcel_id: editing.parcelId, geometry: feature.geometry, note: text })
      .then(acted(T.saved))
      .catch(function (error) {
        if (error.status === 422) failed(error);  // the edit stays open to be put right
        else refused(item)(error);
      })
      .then(function () { save.disabled = false; });
  }

  function stopEditing() {
    if (!state.editing) return;
    state.editing = null;
    delete document.body.dataset.editing;
    if (draw) {
      draw.deleteAll();
      draw.changeMode("simple_select");
    }
  }

  // ---- one parcel: its record, its history ------------------------------------------------

  function historyDates(record) {
    var holder = record.querySelector("[data-history-dates]");
    if (!holder) return [];
    try {
      var dates = JSON.parse(holder.getAttribute("data-history-dates"));
      return dates.filter(function (day, i) { return dates.indexOf(day) === i; }).sort();
    } catch (error) {
      return [];
    }
  }

  function slider(dates) {
    var last = dates.length - 1;
    var range = el("input", { type: "range", id: "ngay-xem", min: 0, max: last, step: 1,
      value: last, "aria-describedby": "goi-y-ngay-xem", "aria-valuetext": dayText(dates[last]) });
    var shown = el("output", { id: "ngay-xem-chu", for: "ngay-xem", text: dayText(dates[last]) });
    range.addEventListener("input", function () {
      var day = dayText(dates[Number(range.value)]);
      shown.textContent = day;
      range.setAttribute("aria-valuetext", day);
    });
    range.addEventListener("change", function () {
      openParcel(state.parcelId, { at: dates[Number(range.value)], keepSlider: true });
    });
    return el("div", { class: "as-of" }, [
      el("label", { for: "ngay-xem", text: T.as_of }),
      el("p", { class: "hint", id: "goi-y-ngay-xem", text: T.as_of_hint }),
      el("div", { class: "as-of-row" }, [range, shown])
    ]);
  }

  function showRecord(parcelId, html, keepSlider) {
    var holder = byId("thua-chon");
    var record = el("div", { class: "parcel-holder" });
    record.innerHTML = html;  // landreg's own fragment, escaped where it was rendered
    record.querySelectorAll("[data-finding-id]").forEach(function (button) {
      button.addEventListener("click", function () {
        selectFinding(Number(button.getAttribute("data-finding-id")));
      });
    });
    var dates = historyDates(record);
    var oldSlider = holder.querySelector(".as-of");
    holder.textContent = "";
    if (keepSlider && oldSlider) holder.appendChild(oldSlider);
    else if (dates.length > 1) holder.appendChild(slider(dates));
    state.dates = dates;
    holder.appendChild(record);
  }

  function openParcel(parcelId, options) {
    var at = options.at ? "?at=" + encodeURIComponent(options.at) : "";
    state.parcelId = parcelId;
    return Promise.all([
      call(BASE + "/thua/" + parcelId + at, { html: true }),
      call(BASE + "/thua/" + parcelId + ".geojson" + at)
    ]).then(function (answers) {
      if (state.parcelId !== parcelId) return;
      showRecord(parcelId, answers[0], !!options.keepSlider);
      setData("selected", asCollection(answers[1]));
      if (options.zoom) zoomTo(answers[1].bbox);
      var title = parcelTitle(answers[1].properties || {}, parcelId);
      if (!options.quiet) say(T.opened_parcel + ": " + title);
    }).catch(function (error) {
      if (!options.quiet) failed(error);
      else if (state.parcelId === parcelId) closeParcel();
    });
  }

  // "Thửa 13, tờ 1 (27790-1-13)" in the page's language.
  function parcelTitle(p, parcelId) {
    if (p.map_sheet === null || p.map_sheet === undefined || p.parcel_number === null) {
      return p.key_vi || "#" + parcelId;
    }
    var word = T.parcel_short.charAt(0).toUpperCase() + T.parcel_short.slice(1);
    return word + " " + p.parcel_number + ", " + T.sheet_short + " " + p.map_sheet + " (" +
      p.commune_code + "-" + p.map_sheet + "-" + p.parcel_number + ")";
  }

  function closeParcel() {
    state.parcelId = null;
    setData("selected", EMPTY);
    byId("thua-chon").textContent = "";
  }

  // ---- the search box ------------------------------------------------------------------

  function showResults(items) {
    var box = byId("ket-qua-tim");
    box.textContent = "";
    if (!items.length) {
      box.appendChild(el("p", { class: "hint", text: T.no_results }));
      return;
    }
    box.appendChild(el("h2", { class: "results-title", text: T.results }));
    var list = el("ul", { class: "result-list" });
    items.forEach(function (item) {
      var button = el("button", { type: "button", class: "result-item",
        text: pick(item.label_vi, item.label_en),
        "data-parcel-id": item.parcel_id });
      button.addEventListener("click", function () {
        zoomTo(item.bbox);
        openParcel(item.parcel_id, {});
      });
      list.appendChild(el("li", {}, [button]));
    });
    box.appendChild(list);
  }

  byId("tim-thua").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = byId("o-tim").value.trim();
    if (!q) return;
    showError("");
    call(BASE + "/tim?q=" + encodeURIComponent(q)).then(function (answer) {
      showResults(answer.items);
    }).catch(failed);
  });

  // ---- start ---------------------------------------------------------------------------

  // A tab in the background does not ask; it asks again as soon as it is looked at.
  refreshStatus().then(function () {
    window.setInterval(function () { if (!document.hidden) refreshStatus(); }, POLL_MS);
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refreshStatus();
  });
  loadFilters().then(loadQueue);
  exportLinks();
})();
