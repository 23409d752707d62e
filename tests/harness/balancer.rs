//! HAProxy from Debian in front of server processes (`scripts/install-deps.sh` installs it), as
//! `scripts/cluster.sh` runs it: WebSocket tunnels, readiness checks every 200 ms on `/readyz`
//! that take a dead, draining or disconnected process out at the first failure.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{request, shared_database, ServerProcess, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// How the balancer picks a process.
#[derive(Debug, Clone, Copy)]
pub enum Balance {
    /// Each request to the next process (no sticky sessions), as `scripts/cluster.sh` does.
    RoundRobin,
    /// The first process that is up: a test knows where a connection lands, and it lands on
    /// the next one once the first is out.
    First,
}

/// HAProxy in front of `backends`, on `port`; killed when dropped.
pub struct Balancer(Child);

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts HAProxy in front of `backends` on `port` (its configuration in `dir`), once it passes
/// requests.
pub async fn balancer(
    dir: &Path,
    port: u16,
    backends: &[SocketAddr],
    balance: Balance,
) -> Balancer {
    assert!(
        Path::new(HAPROXY).exists(),
        "HAProxy is needed for the cluster test: scripts/install-deps.sh installs it (apt-get install haproxy)"
    );
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, addr)| format!("  server s{i} {addr} check\n"))
        .collect();
    let balance = match balance {
        Balance::RoundRobin => "roundrobin",
        Balance::First => "first",
    };
    // Readiness checks every 200 ms take a dead or draining process out at the first failure
    // (an answer may take up to 2 s: the database check);
    // WebSockets (the browser's and the app's) are tunnels that may stay open for an hour.
    let config = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 1h\n  timeout check 2s\n  option redispatch\n  retries 2\n\
         frontend front\n  bind 127.0.0.1:{port}\n  default_backend servers\n\
         backend servers\n  balance {balance}\n  option httpchk GET /readyz\n  default-server inter 200ms fall 1 rise 2\n{servers}"
    );
    let file = dir.join("haproxy.cfg");
    std::fs::write(&file, config).expect("haproxy.cfg");
    let child = Command::new(HAPROXY)
        .args(["-db", "-f"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start haproxy");
    let started = Balancer(child);
    let front: SocketAddr = ([127, 0, 0, 1], port).into();
    for _ in 0..100 {
        if request(front, "GET", "/healthz", &[], b"")
            .await
            .is_ok_and(|r| r.status == 200)
        {
            return started;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("HAProxy did not pass requests within 5 s");
}

/// A free loopback address for the balancer.
pub fn free_front() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("probe port")
}

/// Two processes on one database (A's data in a directory named after `tag`) that name the
/// balancer at `front` as their public address.
pub async fn pair_behind(front: SocketAddr, tag: &str) -> (ServerProcess, ServerProcess) {
    let data_a = TempDir::new(tag);
    let database = shared_database(&data_a);
    let public = ["--public-url".to_owned(), format!("http://{front}")];
    ServerProcess::start_pair_on(data_a, database, &public).await
}
