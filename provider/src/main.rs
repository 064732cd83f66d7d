//! `terraform-provider-jit`: started by Terraform, never by hand.
#![deny(clippy::print_stdout)]

use jit_provider::resources::Ctx;
use jit_provider::server::{self, Env, StartError};
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let env = Env::from_process();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("terraform-provider-jit: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(env)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(StartError::NotAPlugin) => {
            eprintln!("{}", StartError::NotAPlugin);
            ExitCode::from(1)
        }
        Err(e) => {
            jit_provider::log::error(&e.to_string(), &[]);
            eprintln!("terraform-provider-jit: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(env: Env) -> Result<(), StartError> {
    let prepared = server::prepare(&env, &std::env::temp_dir())?;
    server::announce(&prepared.line, std::io::stdout().lock())?;
    let shutdown = Arc::new(tokio::sync::Notify::new());
    signals(&shutdown);
    let network = prepared.listener.network();
    jit_provider::log::info(
        "serving",
        &[("protocol", "6"), ("version", env!("CARGO_PKG_VERSION")), ("network", network)],
    );
    server::serve(prepared, Ctx::new(jit_provider::clock::from_env()), shutdown).await
}

/// Terraform handles Ctrl-C for us and sends StopProvider: SIGINT is
/// ignored; SIGTERM stops the server.
#[cfg(unix)]
fn signals(shutdown: &Arc<tokio::sync::Notify>) {
    use tokio::signal::unix::{signal, SignalKind};
    if let Ok(mut sigint) = signal(SignalKind::interrupt()) {
        tokio::spawn(async move { while sigint.recv().await.is_some() {} });
    }
    if let Ok(mut sigterm) = signal(SignalKind::terminate()) {
        let s = shutdown.clone();
        tokio::spawn(async move {
            if sigterm.recv().await.is_some() {
                s.notify_one();
            }
        });
    }
}

/// Elsewhere (Windows) Terraform stops the plugin through the protocol.
#[cfg(not(unix))]
fn signals(_shutdown: &Arc<tokio::sync::Notify>) {}
