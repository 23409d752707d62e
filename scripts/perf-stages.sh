#!/usr/bin/env bash
# Sums the samples of a `perf record` file (the cluster bench's PERF_DATA) by stage of a login:
# each sampled function (self time, user and kernel) goes to the first stage whose pattern
# matches its name. Prints each stage's share of the samples.
#   scripts/perf-stages.sh perf.data
set -euo pipefail
data="${1:?usage: perf-stages.sh perf.data}"
perf report -i "$data" --no-children --sort sym --stdio -F overhead,sym 2>/dev/null |
  awk '
    BEGIN {
      # Order matters: the first match wins.
      n = 0
      stage[++n] = "crypto (ring: signatures, key agreement, AEAD, hashes)"; pat[n] = "ring_core|ring::|p256|p384|x25519|ecp_nistz|nistz256|sha256|sha512|aes_|gcm|chacha|poly1305|ecdsa|ed25519|bn_|LIMBS|limbs_|fiat_|curve25519|x25519"
      stage[++n] = "database: sqlx and its drivers (query building, row decoding, the pool)"; pat[n] = "sqlx|sqlite3|libsqlite|postgres|Pg[A-Z]|AnyRow|AnyArguments"
      stage[++n] = "JSON (serde_json)"; pat[n] = "serde_json"
      stage[++n] = "tracing and log lines"; pat[n] = "tracing|fmt::format|Writer|nu_ansi|EnvFilter|env_filter|chrono|time::format"
      stage[++n] = "HTTP and WebSocket framing (hyper, axum, tungstenite, httparse)"; pat[n] = "hyper|axum|tungstenite|httparse|http::|h1::|tower|base64|sha1|WebSocket"
      stage[++n] = "async runtime (tokio)"; pat[n] = "tokio|mio::|futures|parking_lot|std::sync|Waker|waker"
      stage[++n] = "memory (malloc, free, memcpy)"; pat[n] = "malloc|free|realloc|memcpy|memmove|memset|cfree|_int_|alloc::"
      stage[++n] = "kernel: sockets, syscalls, scheduling"; pat[n] = "\\[k\\]"
      stage[++n] = "this server (nextauth)"; pat[n] = "nextauth"
    }
    /^#/ || NF < 2 { next }
    {
      share = $1; sub(/%/, "", share)
      line = $0
      found = 0
      for (i = 1; i <= n; i++) if (line ~ pat[i]) { sum[i] += share; found = 1; break }
      if (!found) { other += share; if (share > 0.3) unmatched = unmatched sprintf("    %s\n", line) }
      total += share
    }
    END {
      for (i = 1; i <= n; i++) printf "%6.1f %%  %s\n", sum[i], stage[i]
      printf "%6.1f %%  other\n", other
      printf "%6.1f %%  total\n", total
      if (unmatched != "") printf "  other, above 0.3 %% each:\n%s", unmatched
    }'
