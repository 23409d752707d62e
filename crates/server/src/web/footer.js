(function () {
  "use strict";
  var el = document.getElementById("nextauth-config");
  if (!el || !window.WebSocket) { return; }
  var cfg;
  try { cfg = JSON.parse(el.textContent); } catch (e) { return; }
  var text = cfg.text;
  var known = {};
  cfg.sessions.forEach(function (s) { known[s.hsid + " " + s.server] = s; });
  var socket = null;
  var leaving = false;

  function blocksOf(hsid, server) {
    return Array.prototype.filter.call(document.querySelectorAll(".nextauth-block"), function (b) {
      return b.getAttribute("data-nextauth-hsid") === hsid &&
        b.getAttribute("data-nextauth-server") === server;
    });
  }
  function show(block, message, state) {
    var status = block.querySelector("[data-nextauth-status]");
    if (status) { status.textContent = message; }
    block.setAttribute("data-nextauth-state", state);
  }
  function reload() {
    if (leaving) { return; }
    leaving = true;
    if (socket) { socket.close(); }
    window.location.reload();
  }
  function onMessage(event) {
    if (typeof event.data !== "string") { return; }
    var part = event.data.split(" ");
    if (part.length !== 3) { return; }
    var session = known[part[1] + " " + part[2]];
    if (!session) { return; }
    var blocks = blocksOf(part[1], part[2]);
    var each = function (message, state) {
      blocks.forEach(function (b) { show(b, message, state); });
    };
    switch (part[0]) {
      case "LOGIN": if (!session.loggedin) { reload(); } break;
      case "LOGOUT": if (session.loggedin) { reload(); } break;
      case "CONFIRMSCAN": each(text.scanned, "scanned"); break;
      case "CONFIRMPROVOKE": each(text.provoked, "scanned"); break;
      case "CANCEL": each(text.cancelled, "idle"); break;
      case "NOACCOUNTS": each(text.noaccounts, "idle"); break;
      case "CANPROVOKE":
        blocks.forEach(function (b) {
          b.querySelectorAll("[data-nextauth-provoke]").forEach(function (p) { p.hidden = false; });
        });
        break;
      default: break;
    }
  }
  function connect() {
    if (leaving) { return; }
    var ws;
    try { ws = new WebSocket(cfg.ws); } catch (e) { setTimeout(connect, 500); return; }
    socket = ws;
    ws.onopen = function () {
      cfg.sessions.forEach(function (s) { ws.send("REGISTER " + s.hsid + " " + s.server); });
    };
    ws.onmessage = onMessage;
    ws.onclose = function () { socket = null; setTimeout(connect, 500); };
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-nextauth-provoke]") : null;
    var block = button ? button.closest(".nextauth-block") : null;
    if (!block) { return; }
    if (!socket || socket.readyState !== 1) { show(block, text.offline, "idle"); return; }
    socket.send("PROVOKE " + block.getAttribute("data-nextauth-hsid") + " " +
      block.getAttribute("data-nextauth-server"));
    show(block, text.pushed, "waiting");
    button.disabled = true;
    setTimeout(function () { button.disabled = false; }, 5000);
  });
  var mobile = /Android|iPhone|iPad|iPod/i.test(navigator.userAgent) ||
    (window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  if (mobile) {
    document.querySelectorAll("[data-nextauth-mobile]").forEach(function (a) { a.hidden = false; });
  }
  connect();
})();
