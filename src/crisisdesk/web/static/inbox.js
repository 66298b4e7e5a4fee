// crisisdesk inbox: keyboard shortcuts and confirmations; the pages work without this file.
// List: j/k move between conversations (Enter opens). Conversation: j/k move between messages,
// r focuses the reply, n the internal note, u goes back to the inbox.
(function () {
  "use strict";
  var hint = document.getElementById("shortcuts");
  if (hint) { hint.hidden = false; }

  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (e) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // What j/k walk through: the conversation links of the list, or the messages of a conversation.
  function stops() {
    var links = document.querySelectorAll("a.row-link");
    if (links.length) { return Array.prototype.slice.call(links); }
    return Array.prototype.slice.call(document.querySelectorAll("article.message"));
  }

  function move(step) {
    var items = stops();
    if (!items.length) { return; }
    var current = items.indexOf(document.activeElement);
    var next = current < 0 ? (step > 0 ? 0 : items.length - 1)
      : Math.min(items.length - 1, Math.max(0, current + step));
    items[next].focus();
    items[next].scrollIntoView({ block: "nearest" });
  }

  function focus(id) {
    var el = document.getElementById(id);
    if (!el) { return false; }
    el.focus();
    el.scrollIntoView({ block: "center" });
    return true;
  }

  // Saved replies: choosing one puts its text, filled in for this conversation, into the reply.
  var picker = document.getElementById("saved-reply");
  if (picker) {
    document.getElementById("saved-replies").hidden = false;
    picker.addEventListener("change", function () {
      var chosen = picker.options[picker.selectedIndex];
      var text = chosen ? chosen.getAttribute("data-text") : "";
      var area = document.getElementById("reply-text");
      if (text && area) { area.value = text; area.focus(); area.dispatchEvent(new Event("input")); }
    });
  }

  // Collision detection: tell the server every 10 s that this conversation is open here (and
  // whether a reply is being typed), and show who else has it open, typing what.
  var presence = document.getElementById("presence");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  if (presence && csrf && window.fetch) {
    var reply = document.getElementById("reply-text");
    var beat = function () {
      var draft = reply ? reply.value : "";
      window.fetch("/api/v1/conversations/" + presence.getAttribute("data-conversation") + "/presence", {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf.getAttribute("content") },
        body: JSON.stringify({ typing: draft.length > 0, draft: draft || null })
      }).then(function (r) { return r.ok ? r.json() : []; }).then(function (others) {
        presence.textContent = "";
        if (!others.length) { presence.hidden = true; return; }
        presence.appendChild(document.createTextNode(presence.getAttribute("data-here") + " "));
        others.forEach(function (p, i) {
          var who = document.createElement("strong");
          who.textContent = p.name;
          presence.appendChild(who);
          var what = p.typing ? " (" + presence.getAttribute("data-typing") + (p.draft ? ": “" + p.draft.slice(0, 120) + "”" : "") + ")" : "";
          presence.appendChild(document.createTextNode(what + (i < others.length - 1 ? ", " : "")));
        });
        presence.hidden = false;
      }).catch(function () { /* the next beat tries again */ });
    };
    beat();
    window.setInterval(beat, 10000);
  }

  // Reply check: while a reply is typed (and when the page opens with one), ask the reply
  // guidelines (/api/v1/replies/check) and list what they find, with the words concerned. The
  // findings are advice: sending is never blocked here.
  var box = document.getElementById("reply-check");
  var area = document.getElementById("reply-text");
  var token = document.querySelector('meta[name="csrf-token"]');
  if (box && area && token && window.fetch) {
    var findings = document.getElementById("reply-findings");
    var clean = document.getElementById("reply-check-clean");
    var failed = document.getElementById("reply-check-failed");
    var labels = {};
    box.querySelectorAll("[data-code-label]").forEach(function (el) { labels[el.getAttribute("data-code-label")] = el.textContent; });
    var suggestionWord = document.getElementById("reply-check-suggestion").textContent;
    var pending = null;
    var asked = 0;
    var show = function (text, result) {
      findings.textContent = "";
      failed.hidden = true;
      clean.hidden = result.findings.length > 0;
      var chars = Array.from(text); // the server counts code points, not UTF-16 units
      result.findings.forEach(function (f) {
        var li = document.createElement("li");
        li.className = "finding finding-" + f.code;
        var code = document.createElement("strong");
        code.textContent = (labels[f.code] || f.code) + ": ";
        li.appendChild(code);
        li.appendChild(document.createTextNode(f.message));
        var words = chars.slice(f.start, f.end).join("");
        if (words && (f.end - f.start) < chars.length) {
          var mark = document.createElement("mark");
          mark.textContent = words.length > 120 ? words.slice(0, 120) + "…" : words;
          li.appendChild(document.createTextNode(" "));
          li.appendChild(mark);
        }
        var tip = document.createElement("div");
        tip.className = "hint";
        tip.textContent = suggestionWord + ": " + f.suggestion;
        li.appendChild(tip);
        findings.appendChild(li);
      });
      box.hidden = false;
    };
    var check = function () {
      pending = null;
      var text = area.value;
      if (!text.trim()) { box.hidden = true; return; }
      var mine = ++asked;
      var body = { text: text, apology_expected: box.getAttribute("data-apology") === "true" };
      if (box.getAttribute("data-lang")) { body.lang = box.getAttribute("data-lang"); }
      if (box.getAttribute("data-name")) { body.name = box.getAttribute("data-name"); }
      window.fetch("/api/v1/replies/check", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token.getAttribute("content") },
        body: JSON.stringify(body)
      }).then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (result) { if (mine === asked) { show(text, result); } })
        .catch(function () { if (mine === asked) { failed.hidden = false; box.hidden = false; } });
    };
    area.addEventListener("input", function () {
      if (pending) { window.clearTimeout(pending); }
      pending = window.setTimeout(check, 400);
    });
    if (area.value.trim()) { check(); }
  }

  // Live: new messages refresh the list (and the views' counts) of an open inbox page, keeping
  // the keyboard focus; an open conversation shows a notice with a link to load them (a reply
  // being typed is never thrown away).
  var list = document.getElementById("inbox-live");
  var fresh = document.getElementById("new-messages");
  if ((list || fresh) && window.EventSource && window.fetch) {
    var timer = null;
    var refresh = function () {
      timer = null;
      window.fetch(list.getAttribute("data-inbox-live"), { credentials: "same-origin", headers: { "X-Partial": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var focused = document.activeElement && document.activeElement.id;
          list.innerHTML = html;
          var views = document.getElementById("inbox-views-fresh");
          if (views) { document.getElementById("inbox-views").innerHTML = views.innerHTML; views.remove(); }
          if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
        });
    };
    var source = new window.EventSource("/live");
    var changed = document.getElementById("conversation-changed");
    source.addEventListener("inbox", function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (list) {
        if (!timer) { timer = window.setTimeout(refresh, 250); }
        return;
      }
      var here = (data.conversations || []).indexOf(Number(fresh.getAttribute("data-conversation"))) >= 0;
      if (data.event !== "inbox.changed") {
        if (here) { fresh.hidden = false; }
        return;
      }
      // A colleague's change (assignment, status, note, a reply and its delivery): offer a reload,
      // never for what this reader did alone.
      here = here || (data.threads || []).indexOf(changed.getAttribute("data-thread")) >= 0;
      var by = data.by || [];
      if (here && !(by.length === 1 && by[0] === changed.getAttribute("data-me"))) { changed.hidden = false; }
    });
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "r": handled = focus("reply-text"); break;
      case "n": handled = focus("note-text"); break;
      case "u": if (document.getElementById("back")) { window.location.href = "/inbox"; } else { handled = false; } break;
      default: handled = false;
    }
    if (handled) { e.preventDefault(); }
  });
})();
