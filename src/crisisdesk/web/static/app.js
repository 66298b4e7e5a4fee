// crisisdesk: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  // Parts of a page marked data-live="URL" are re-fetched when a situation changes.
  var parts = document.querySelectorAll("[data-live]");
  if (!parts.length || !window.EventSource) { return; }
  var pending = null;
  function refresh() {
    pending = null;
    parts.forEach(function (el) {
      fetch(el.getAttribute("data-live"), { credentials: "same-origin", headers: { "X-Partial": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { el.innerHTML = html; } });
    });
  }
  var source = new EventSource("/live");
  source.addEventListener("alert", function (e) {
    var status = document.getElementById("live-status");
    try {
      var data = JSON.parse(e.data);
      if (status) {
        var labels = JSON.parse(status.getAttribute("data-labels") || "{}");
        status.textContent = (data.monitor || "") + ": " + (labels[data.event] || data.event || "");
      }
    } catch (err) { /* ignore */ }
    if (!pending) { pending = setTimeout(refresh, 300); }
  });
  setInterval(function () { if (!pending) { refresh(); } }, 30000);
  void csrf;
})();
