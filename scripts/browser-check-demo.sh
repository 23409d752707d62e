#!/usr/bin/env bash
# Checks the HTML footer's JavaScript in a real browser: headless Chromium shows the Acme login
# page of a running server while this script changes the session straight in the SQLite
# database (as another server process would), and reads the page over the DevTools protocol.
#
#   scripts/browser-check-demo.sh
#
# Covers: REGISTER on load, scan progress (CONFIRMSCAN), CANCEL, ERROR, TIMEOUT and EXPIRED,
# reload to /account on LOGIN, reload to /login on LOGOUT with the push button shown, PROVOKE
# from the button and the server's NOPUSH answer.
# Needs chromium, sqlite3, openssl, curl and node >= 20 (WebSocket client).
set -euo pipefail

cd "$(dirname "$0")/.."
listen="127.0.0.1:18082"
port=9333
work="$(mktemp -d /tmp/acme-check.XXXXXX)"
cargo build -q -p nextauth-server
cp "${CARGO_TARGET_DIR:-target}/debug/nextauth-server" "$work/server"
RUST_LOG=nextauth_server=debug "$work/server" --listen "$listen" --data-dir "$work/db" \
  >"$work/server.log" 2>&1 &
server_pid=$!
chrome_pid=
cleanup() {
  [[ -n "$chrome_pid" ]] && kill "$chrome_pid" 2>/dev/null || true
  kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  sleep 0.5 # Chromium's helper processes let go of the profile
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fsS "http://$listen/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

cat >"$work/eval.mjs" <<'JS'
const targets = await (await fetch(`http://127.0.0.1:${process.argv[2]}/json`)).json();
const page = targets.find((t) => t.type === "page");
const ws = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((resolve) => { ws.onopen = resolve; });
ws.onmessage = (m) => {
  const d = JSON.parse(m.data);
  if (d.id === 1) { console.log(String(d.result.result.value)); ws.close(); }
};
ws.send(JSON.stringify({ id: 1, method: "Runtime.evaluate",
  params: { expression: process.argv[3], returnByValue: true } }));
JS
page() { node --experimental-websocket --no-warnings "$work/eval.mjs" "$port" "$1"; }
db() { sqlite3 "$work/db/server.db" "$1"; }
STATE='(() => { const b = document.querySelector(".nextauth-block");
  const s = b ? b.querySelector("[data-nextauth-status]").textContent : "";
  return location.pathname + "|" + (b ? b.getAttribute("data-nextauth-state") : "-") + "|" + s; })()'
fails=0
passes=0
ok() { echo "ok   $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
expect() { # expect <label> <substring>
  local got
  got="$(page "$STATE")"
  if [[ "$got" == *"$2"* ]]; then ok "$1: $got"; else bad "$1: $got (wanted $2)"; fi
}

chromium --headless=new --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
  --remote-debugging-port=$port "http://$listen/login" >/dev/null 2>&1 &
chrome_pid=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/json" >/dev/null 2>&1 && break; sleep 0.2; done
sleep 2
expect "login page" "/login|idle|"
if grep -q "browser REGISTER" "$work/server.log"; then ok "REGISTER sent"; else bad "no REGISTER"; fi

db "UPDATE sessions SET state='scanned', event='CONFIRMSCAN', version=version+1;"
sleep 1.5
expect "scan progress" "/login|scanned|Code scanned"
db "UPDATE sessions SET state='new', event='CANCEL', version=version+1;"
sleep 1.5
expect "refused" "/login|refused|Refused in the"
for outcome in "ERROR:That did not work" "TIMEOUT:The nextAuth app did not answer in time" "EXPIRED:This code has expired"; do
  db "UPDATE sessions SET state='scanned', event='CONFIRMSCAN', version=version+1;"
  sleep 1.2
  db "UPDATE sessions SET state='new', event='${outcome%%:*}', version=version+1;"
  sleep 1.2
  expect "${outcome%%:*}" "/login|failed|${outcome#*:}"
done

pk="$(openssl ecparam -name prime256v1 -genkey 2>/dev/null | openssl ec -pubout -outform DER 2>/dev/null | tail -c 65 | od -An -tx1 | tr -d ' \n')"
db "INSERT INTO accounts (server_id, public_key, userid, display_name, description, client_version,
  blocked, deleted, push_key_sealed, push_key_id, pin_verifier_sealed, pin_failures, pin_blocked,
  last_pin_at, created, lastlogin, lastprovoke) SELECT server_id, X'$pk', 'zed', 'Zed', 'check',
  '', 0, 0, X'00', X'0000000000000000', NULL, 0, 0, 0, 0, 0, 0 FROM servers LIMIT 1;
  UPDATE sessions SET state='loggedin', event='LOGIN', account_id=(SELECT max(account_id) FROM accounts),
  last_account_id=(SELECT max(account_id) FROM accounts), version=version+1;"
sleep 2
expect "reload on LOGIN" "/account|-|"
# As the site's logout leaves the visitor: a session that waits for a login and remembers the
# account (a logged-out one is over: no push login is offered for it).
db "UPDATE sessions SET state='new', event='LOGOUT', account_id=NULL, version=version+1;"
sleep 2
expect "reload on LOGOUT" "/login|idle|"
shown="$(page '(() => { const p = document.querySelector("button[data-nextauth-provoke]"); return p && !p.hidden; })()')"
if [[ "$shown" == true ]]; then ok "push button shown"; else bad "push button: $shown"; fi
page 'document.querySelector("button[data-nextauth-provoke]").click()' >/dev/null
sleep 1
# The account's push key here is a dummy, so the server refuses to seal the message: the
# refusal in the log proves that PROVOKE arrived.
if grep -q "PROVOKE refused" "$work/server.log"; then ok "PROVOKE sent"; else bad "no PROVOKE"; fi
expect "nothing was sent" "/login|failed|The login request could not be sent"
echo "$passes passed, $fails failed"
[[ $fails -eq 0 ]]
