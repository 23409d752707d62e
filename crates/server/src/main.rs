//! `nextauth-server`: runs the reference server (see `--help`).

use std::io::Write;
use std::process::ExitCode;

use nextauth_server::Cli;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let config = match Cli::parse(std::env::args_os().skip(1)) {
        Ok(Cli::Run(config)) => config,
        Ok(Cli::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(Cli::Completions(shell)) => {
            let script = nextauth_server::completions(shell);
            return match std::io::stdout().write_all(&script) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        Err(err) => {
            eprintln!("nextauth-server: {err}");
            return ExitCode::from(2);
        }
    };

    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = config.worker_threads {
        runtime.worker_threads(threads.get());
    }
    match runtime.enable_all().build() {
        // On a worker, not on this thread: the accept loop then hands each connection to the
        // worker it runs on, instead of waking one from here (with one worker thread, a
        // futex wake-up and a context switch for every third connection, docs/benchmarks.md).
        Ok(runtime) => runtime.block_on(async {
            // A panic has been reported by the hook already.
            tokio::spawn(run(config)).await.unwrap_or(ExitCode::FAILURE)
        }),
        Err(err) => {
            eprintln!("nextauth-server: cannot start the runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut config: nextauth_server::ServerConfig) -> ExitCode {
    // What `--worker-threads` (or the CPU count) gave, for the operator (docs/server.md).
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    tracing::info!(worker_threads = workers, "runtime started");
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("nextauth-server: cannot listen on {}: {err}", config.listen);
            return ExitCode::FAILURE;
        }
    };
    // Port 0 asks the system for a free port; the one it gave is then the address the server
    // names in its codes (unless --public-url says otherwise), and the line below tells the
    // caller (tests start servers this way, with no window for another process to take it).
    if let Ok(addr) = listener.local_addr() {
        config.listen = addr;
    }
    println!(
        "nextAuth reference server listening on http://{}",
        config.listen
    );

    match nextauth_server::serve(listener, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nextauth-server: {err}");
            ExitCode::FAILURE
        }
    }
}
