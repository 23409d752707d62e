//! The history with thousands of entries: how long a page takes to read, newest first, deep in
//! the past, and filtered by server or status (what the app's History screen asks for), and how
//! long an append takes. A real SQLite file through the SDK's store.
//!
//! Run with `cargo bench -p nextauth-sdk --bench history`; it prints a table (results in
//! docs/benchmarks.md). Under `cargo test --all-targets` (no `--bench` argument) it runs a
//! short smoke pass instead, so the tests check that it works without spending minutes.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nextauth_protocol::ids::ServerId;
use nextauth_sdk::store::{HistoryQuery, HistoryRecord, Store};
use nextauth_sdk::{HistoryKind, HistoryStatus};

/// The app asks for 25 entries a page.
const PAGE: u32 = 25;

/// Three servers: a busy one, an ordinary one and one used once in a thousand interactions.
const BUSY: ServerId = ServerId([1; 16]);
const ORDINARY: ServerId = ServerId([2; 16]);
const RARE: ServerId = ServerId([3; 16]);

/// A plausible mix: mostly logins, some aborted, errors one in fifty.
fn draft(n: u64) -> HistoryRecord {
    let server = match n % 1000 {
        0 => RARE,
        x if x % 4 == 0 => ORDINARY,
        _ => BUSY,
    };
    let (kind, status) = match n % 50 {
        0 => (HistoryKind::Login, HistoryStatus::Error),
        1..=5 => (HistoryKind::Login, HistoryStatus::Aborted),
        6 => (HistoryKind::SignTransaction, HistoryStatus::Approved),
        _ => (HistoryKind::Login, HistoryStatus::LoggedInOneShot),
    };
    HistoryRecord {
        at: 1_800_000_000 + n * 60,
        kind,
        status,
        server_id: Some(server.to_base64()),
        server_name: format!("Server {}", server.0[0]),
        account_id: Some(format!("account-{}", server.0[0])),
        account_name: "alice@example.com".into(),
        announce: None,
        error_code: (status == HistoryStatus::Error).then_some(120),
        detail: String::new(),
    }
}

fn data_file(size: u64) -> PathBuf {
    std::env::temp_dir().join(format!(
        "nextauth-history-bench-{}-{size}",
        std::process::id()
    ))
}

/// Median and 99th percentile of `rounds` runs of `f`.
async fn time<F, Fut>(rounds: usize, mut f: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let rows = f().await;
        samples.push(start.elapsed());
        assert!(rows > 0, "a query that finds nothing measures nothing");
    }
    samples.sort();
    (samples[rounds / 2], samples[rounds * 99 / 100])
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (sizes, rounds): (&[u64], usize) = if full {
        (&[1_000, 10_000, 100_000], 200)
    } else {
        (&[1_000], 10)
    };
    println!("| entries | query | rows | median ms | p99 ms |");
    println!("|---:|---|---:|---:|---:|");
    for &size in sizes {
        let dir = data_file(size);
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&dir.join("sdk.sqlite"), None)
            .await
            .expect("open store");

        // Appends as the SDK makes them: one entry at a time, each its own transaction.
        let mut append = Vec::with_capacity(size as usize);
        for n in 0..size {
            let start = Instant::now();
            store.add_history(&draft(n)).await.expect("append");
            append.push(start.elapsed());
        }
        append.sort();
        println!(
            "| {size} | append one entry | 1 | {} | {} |",
            ms(append[append.len() / 2]),
            ms(append[append.len() * 99 / 100])
        );

        let middle = (size / 2) as i64;
        let queries: [(&str, HistoryQuery); 6] = [
            (
                "first page",
                HistoryQuery {
                    limit: Some(PAGE),
                    ..Default::default()
                },
            ),
            (
                "page from the middle",
                HistoryQuery {
                    limit: Some(PAGE),
                    before_id: Some(middle),
                    ..Default::default()
                },
            ),
            (
                "busy server",
                HistoryQuery {
                    limit: Some(PAGE),
                    server_id: Some(BUSY.to_base64()),
                    ..Default::default()
                },
            ),
            (
                "rare server (0.1 %)",
                HistoryQuery {
                    limit: Some(PAGE),
                    server_id: Some(RARE.to_base64()),
                    ..Default::default()
                },
            ),
            (
                "errors (2 %)",
                HistoryQuery {
                    limit: Some(PAGE),
                    status: Some(HistoryStatus::Error),
                    ..Default::default()
                },
            ),
            (
                "rare server's errors from the middle",
                HistoryQuery {
                    limit: Some(PAGE),
                    before_id: Some(middle),
                    server_id: Some(RARE.to_base64()),
                    status: Some(HistoryStatus::Error),
                },
            ),
        ];
        for (name, query) in queries {
            let rows = store.history(&query).await.expect("query").len();
            let (median, p99) = time(rounds, || async {
                store.history(&query).await.expect("query").len()
            })
            .await;
            println!(
                "| {size} | {name} | {rows} | {} | {} |",
                ms(median),
                ms(p99)
            );
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
