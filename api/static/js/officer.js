// The officer's workbench: small conveniences; every form works without this script.
(function () {
  "use strict";

  // The receive form: the checklist follows the chosen procedure without a round trip.
  function checklist() {
    var select = document.getElementById("f-procedure");
    var box = document.getElementById("checklist");
    var data = document.getElementById("checklists");
    var words = document.getElementById("checklist-words");
    if (!select || !box || !data || !words) return;
    var lists = JSON.parse(data.textContent);
    var said = JSON.parse(words.textContent);
    document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    select.addEventListener("change", function () {
      var ticked = {};
      box.querySelectorAll("input:checked").forEach(function (el) { ticked[el.value] = true; });
      box.textContent = "";
      var docs = lists[select.value] || [];
      if (!docs.length) {
        var p = document.createElement("p");
        p.className = "hint";
        p.textContent = said.none;
        box.appendChild(p);
        return;
      }
      docs.forEach(function (doc) {
        var code = doc[0], name = doc[1], required = doc[2];
        var row = document.createElement("div");
        row.className = "check";
        var input = document.createElement("input");
        input.type = "checkbox";
        input.id = "doc-" + code;
        input.name = "documents";
        input.value = code;
        input.checked = !!ticked[code];
        var label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = name;
        if (required) {
          var mark = document.createElement("span");
          mark.className = "required";
          mark.textContent = " (" + said.required + ")";
          label.appendChild(mark);
        }
        row.appendChild(input);
        row.appendChild(label);
        box.appendChild(row);
      });
    });
  }

  // The receipt: a print button.
  function printing() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  checklist();
  printing();
})();
