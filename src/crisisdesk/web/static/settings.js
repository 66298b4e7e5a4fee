// Checks a monitor query as it is typed and points at the error (progressive enhancement).
(function () {
  "use strict";
  var input = document.getElementById("query-check");
  var out = document.getElementById("query-result");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!input || !out || !window.fetch) { return; }
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!input.value.trim()) { out.textContent = ""; return; }
      fetch("/api/v1/queries/check", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
        body: JSON.stringify({ query: input.value })
      }).then(function (r) { return r.json(); }).then(function (res) {
        if (res.ok) { out.textContent = "✓"; input.setAttribute("aria-invalid", "false"); return; }
        input.setAttribute("aria-invalid", "true");
        var pos = res.position || 0;
        out.textContent = res.error + "\n" + input.value + "\n" + " ".repeat(pos) + "^";
        out.style.whiteSpace = "pre"; out.style.fontFamily = "monospace";
        if (input.setSelectionRange && document.activeElement !== input) { input.setSelectionRange(pos, pos + 1); }
      });
    }, 250);
  });
})();
