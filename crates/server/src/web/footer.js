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
  // The page must not wait in silence: when no answer comes, a timer says so.
  var timers = {};
  function arm(key, ms, blocks, message) {
    disarm(key);
    timers[key] = setTimeout(function () {
      delete timers[key];
      blocks.forEach(function (b) { show(b, message, "failed"); });
    }, ms);
  }
  function disarm(key) {
    if (timers[key]) { clearTimeout(timers[key]); delete timers[key]; }
  }

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
    if (part.length !== 3 && !(part.length === 4 && (part[0] === "NUMBER" || part[0] === "NOPUSH"))) {
      return;
    }
    var key = part[1] + " " + part[2];
    var session = known[key];
    if (!session) { return; }
    var blocks = blocksOf(part[1], part[2]);
    var each = function (message, state) {
      disarm(key);
      blocks.forEach(function (b) { show(b, message, state); });
    };
    switch (part[0]) {
      case "LOGIN": disarm(key); if (!session.loggedin) { reload(); } break;
      case "LOGOUT": disarm(key); if (session.loggedin) { reload(); } break;
      // In the app now: it answers, or the server says why not (TIMEOUT) when the person
      // takes longer than it waits; the timer covers a server that went away meanwhile.
      case "CONFIRMSCAN":
        each(text.scanned, "scanned");
        arm(key, cfg.decideWaitMs, blocks, text.timeout);
        break;
      case "CONFIRMPROVOKE":
        each(text.provoked, "scanned");
        arm(key, cfg.decideWaitMs, blocks, text.timeout);
        break;
      case "CANCEL": each(text.cancelled, "refused"); break;
      case "NOACCOUNTS": each(text.noaccounts, "failed"); break;
      case "TIMEOUT": each(text.timeout, "failed"); break;
      case "EXPIRED": each(text.expired, "failed"); break;
      case "ERROR": each(text.error, "failed"); break;
      case "NUMBER":
        blocks.forEach(function (b) {
          var box = b.querySelector("[data-nextauth-number-box]");
          var digits = b.querySelector("[data-nextauth-number]");
          if (box && digits && /^[0-9]{1,8}$/.test(part[3])) {
            digits.textContent = part[3];
            box.hidden = false;
          }
        });
        break;
      case "NOPUSH":
        disarm(key);
        each(text.nopush[part[3]] || text.nopush.none, "failed");
        break;
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
    var hsid = block.getAttribute("data-nextauth-hsid");
    var server = block.getAttribute("data-nextauth-server");
    socket.send("PROVOKE " + hsid + " " + server);
    show(block, text.pushed, "waiting");
    // The app picks a request up within moments when it runs (CONFIRMPROVOKE); silence means
    // it does not.
    arm(hsid + " " + server, cfg.pushWaitMs, [block], text.unanswered);
    button.disabled = true;
    setTimeout(function () { button.disabled = false; }, 5000);
  });
  // A form that leaves the page (Log out) must not be overtaken by a reload on the session's
  // change: the navigation it started decides where the person lands.
  document.addEventListener("submit", function () { leaving = true; });
  // A code that expires while shown says so instead of being scanned in vain.
  // (Seconds from when the page was made: the browser's clock may differ from the server's.)
  document.querySelectorAll(".nextauth-block[data-nextauth-ttl]").forEach(function (b) {
    var ms = Number(b.getAttribute("data-nextauth-ttl")) * 1000;
    if (ms > 0 && ms < 2147483647) {
      setTimeout(function () { show(b, text.expired, "expired"); }, ms);
    }
  });
  var mobile = /Android|iPhone|iPad|iPod/i.test(navigator.userAgent) ||
    (window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  if (mobile) {
    document.querySelectorAll("[data-nextauth-mobile]").forEach(function (a) { a.hidden = false; });
  }
  connect();
})();
