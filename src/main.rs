//! cloud-torrent: a self-hosted BitTorrent client driven from a browser.

mod config;
mod logging;
mod memory;

use std::process::ExitCode;

use crate::config::Startup;

/// Threads of tokio's blocking pool (disk reads and writes, file listings).
const BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    let matches = match config::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // One line: clap's first line says which setting and why.
            let text = e.render().to_string();
            eprintln!(
                "cloud-torrent: {}",
                text.lines()
                    .next()
                    .unwrap_or("invalid arguments")
                    .trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    let mut startup = match Startup::resolve(&matches) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cloud-torrent: {e}");
            return ExitCode::from(2);
        }
    };
    let default_filter = if startup.log {
        "info,tower_http=debug,librqbit=warn"
    } else {
        "info,librqbit=warn,librqbit_dht=warn,librqbit_utp=error"
    };
    logging::init(default_filter);
    for warning in &startup.warnings {
        tracing::warn!("{warning}");
    }
    match startup.resolve_auth() {
        Ok(Some(password)) => {
            // Shown this once; only its argon2 hash is kept (auth.json in the state folder).
            eprintln!(
                "cloud-torrent: no login was configured and the server listens beyond loopback, \
                 so one was generated:\n\n    user: admin\n    password: {password}\n\n\
                 It is shown only this once. Delete auth.json in the state folder to get a new one, \
                 or choose your own with --auth user:password (--no-auth turns the login off)."
            );
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("cloud-torrent: {e}");
            return ExitCode::from(2);
        }
    }
    let values = &startup.server.settings;
    if values.no_auth && !values.host.is_loopback() {
        tracing::warn!(
            "--no-auth: anyone who can reach {} can use this server",
            values.host
        );
    }
    // A small blocking pool, as rqbit has: librqbit moves every disk write to it
    // (`block_in_place`), and tokio's default of up to 512 threads made those
    // threads churn (2.75 -> 2.08 CPU s/GiB measured, BENCHMARKS.md).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cloud-torrent: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(startup.server)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cloud-torrent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(server: cloud_torrent_server::ServerConfig) -> anyhow::Result<()> {
    let port = server.settings.port;
    let addr = std::net::SocketAddr::new(server.settings.host, port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("port {port}: cannot listen on {addr}: {e}"))?;
    cloud_torrent_server::serve(server, listener, shutdown_signal()).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: saving state");
}
