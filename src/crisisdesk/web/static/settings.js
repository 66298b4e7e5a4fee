// Settings pages, progressive enhancement only (every form works without this file):
// - an input with data-query-check="ID" (and the old #query-check) checks a monitor query as it
//   is typed and points at the error in the element with that id;
// - a select with data-kind-select shows only the fieldset of the chosen target kind;
// - [data-add-step] adds another empty step row to a policy form;
// - a form with data-confirm asks before it is sent (deleting);
// - an element with data-reload-while-running (a retrain's step) reloads the page every 5 s.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');

  function checker(input) {
    var out = document.getElementById(input.getAttribute("data-query-check") || "query-result");
    if (!out || !window.fetch) { return; }
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!input.value.trim()) { out.textContent = ""; input.removeAttribute("aria-invalid"); return; }
        fetch("/api/v1/queries/check", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
          body: JSON.stringify({ query: input.value })
        }).then(function (r) { return r.json(); }).then(function (res) {
          if (res.ok) {
            out.textContent = "✓"; out.style.whiteSpace = ""; input.setAttribute("aria-invalid", "false");
            return;
          }
          input.setAttribute("aria-invalid", "true");
          var pos = res.position || 0;
          out.textContent = res.error + "\n" + input.value + "\n" + " ".repeat(pos) + "^";
          out.style.whiteSpace = "pre-wrap"; out.style.fontFamily = "monospace";
          if (input.setSelectionRange && document.activeElement !== input) { input.setSelectionRange(pos, pos + 1); }
        }).catch(function () { /* the server checks again when the form is sent */ });
      }, 250);
    });
  }
  var seen = [];
  document.querySelectorAll("[data-query-check], #query-check").forEach(function (input) {
    if (seen.indexOf(input) < 0) { seen.push(input); checker(input); }
  });

  // Target kind: the other kinds' fieldsets are hidden and disabled (so they are not sent).
  document.querySelectorAll("select[data-kind-select]").forEach(function (select) {
    var form = select.form;
    function show() {
      form.querySelectorAll("fieldset[data-kind]").forEach(function (fs) {
        var chosen = fs.getAttribute("data-kind") === select.value;
        fs.hidden = !chosen; fs.disabled = !chosen;
      });
    }
    select.addEventListener("change", show);
    show();
  });

  // Policy steps: a button that copies the empty last row with the next number.
  document.querySelectorAll("[data-add-step]").forEach(function (button) {
    var rows = button.form && button.form.querySelector("[data-step-rows]");
    if (!rows) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var all = rows.querySelectorAll("fieldset.step-row");
      var last = all[all.length - 1];
      var from = Number(last.getAttribute("data-step"));
      var to = from + 1;
      var copy = last.cloneNode(true);
      copy.setAttribute("data-step", String(to));
      var pattern = new RegExp("step-" + from + "(?=-|$)", "g");
      copy.querySelectorAll("[id],[name],[for],[aria-describedby]").forEach(function (el) {
        ["id", "name", "for", "aria-describedby"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) { el.setAttribute(attr, v.replace(pattern, "step-" + to)); }
        });
      });
      if (copy.id) { copy.id = copy.id.replace(pattern, "step-" + to); }
      copy.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.checked = false; });
      copy.querySelectorAll("input:not([type=checkbox])").forEach(function (i) { i.value = ""; });
      copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      copy.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
      var legend = copy.querySelector("legend");
      if (legend && legend.firstChild) {
        legend.firstChild.textContent = legend.firstChild.textContent.replace(/\d+/, String(to + 1));
      }
      rows.appendChild(copy);
      var first = copy.querySelector("input");
      if (first) { first.focus(); }
    });
  });

  if (document.querySelector("[data-reload-while-running]")) {
    setTimeout(function () { window.location.reload(); }, 5000);
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
})();
