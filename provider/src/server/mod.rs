//! go-plugin's side of the conversation: the magic-cookie check, the
//! listener bound before the single handshake line on stdout, mutual TLS,
//! and the gRPC services until Terraform says `Shutdown`.

pub mod grpc;
pub mod tls;

use crate::log;
use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::resources::Ctx;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Go providers allow 256 MiB messages; tonic's default is 4 MiB.
pub const MAX_MESSAGE: usize = 256 << 20;

/// Why the provider cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will\nload any plugins automatically (this is terraform-provider-jit: run it through Terraform)."
    )]
    NotAPlugin,
    #[error(
        "Terraform offers plugin protocol versions `{0}`, but this provider speaks only protocol 6 (Terraform >= 1.0)"
    )]
    Protocol(String),
    #[error("`PLUGIN_CLIENT_CERT` holds no PEM certificate")]
    ClientCert,
    #[error("cannot create the TLS identity: {0}")]
    Tls(String),
    #[error("cannot listen on {path}: {source}")]
    Listen { path: String, source: std::io::Error },
    #[error("cannot write the handshake: {0}")]
    Handshake(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Serve(String),
}

/// What the environment tells a plugin.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub cookie: Option<String>,
    pub protocol_versions: Option<String>,
    pub client_cert: Option<String>,
    pub disable_tls: bool,
    /// Listen on 127.0.0.1 over TCP instead of a Unix socket: always on
    /// Windows (go-plugin's transport there), on Unix when
    /// `JIT_PLUGIN_TRANSPORT=tcp`.
    pub tcp: bool,
}

impl Env {
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            client_cert: var("PLUGIN_CLIENT_CERT"),
            disable_tls: var("TF_DISABLE_PLUGIN_TLS").is_some(),
            tcp: cfg!(not(unix)) || var("JIT_PLUGIN_TRANSPORT").as_deref() == Some("tcp"),
        }
    }
}

/// Where the plugin listens.
#[derive(Debug)]
pub enum Listener {
    /// A Unix socket in the temporary folder (Terraform's transport on Unix).
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
    /// 127.0.0.1 on a port the system picks.
    Tcp(tokio::net::TcpListener),
}

impl Listener {
    async fn accept(&self) -> std::io::Result<Box<dyn Io>> {
        match self {
            #[cfg(unix)]
            Listener::Unix(l) => l.accept().await.map(|(s, _)| Box::new(s) as Box<dyn Io>),
            Listener::Tcp(l) => l.accept().await.map(|(s, _)| {
                let _ = s.set_nodelay(true);
                Box::new(s) as Box<dyn Io>
            }),
        }
    }
}

impl Listener {
    /// The go-plugin network name (`unix`, `tcp`).
    pub fn network(&self) -> &'static str {
        match self {
            #[cfg(unix)]
            Listener::Unix(_) => "unix",
            Listener::Tcp(_) => "tcp",
        }
    }
}

/// A bound listener and the handshake line announcing it.
#[derive(Debug)]
pub struct Prepared {
    pub listener: Listener,
    /// The Unix socket's path (empty over TCP).
    pub socket: PathBuf,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub line: String,
}

/// Check the environment, make the TLS identity and bind the socket.
pub fn prepare(env: &Env, dir: &Path) -> Result<Prepared, StartError> {
    if env.cookie.as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(StartError::NotAPlugin);
    }
    if let Some(v) = &env.protocol_versions {
        if !v.split(',').any(|p| p.trim() == "6") {
            return Err(StartError::Protocol(v.clone()));
        }
    }
    let (tls, cert_field) = match (&env.client_cert, env.disable_tls) {
        (Some(pem), false) => {
            let client = tls::pem_to_der(pem).ok_or(StartError::ClientCert)?;
            let identity = tls::server_identity().map_err(|e| StartError::Tls(e.to_string()))?;
            let cfg = tls::server_config(&identity, client).map_err(|e| StartError::Tls(e.to_string()))?;
            use base64::Engine;
            let field = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&identity.cert_der);
            (Some(Arc::new(cfg)), field)
        }
        _ => (None, String::new()),
    };
    let (listener, socket, network, address) = listen(env.tcp, dir)?;
    let line = format!("1|6|{network}|{address}|grpc|{cert_field}");
    Ok(Prepared { listener, socket, tls, line })
}

/// Bind the listener: (listener, socket path, network, address).
fn listen(tcp: bool, dir: &Path) -> Result<(Listener, PathBuf, &'static str, String), StartError> {
    if tcp {
        let bound = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(|l| l.local_addr().map(|a| (l, a)))
            .and_then(|(l, a)| tokio::net::TcpListener::from_std(l).map(|l| (l, a)));
        let (l, addr) = bound.map_err(|e| StartError::Listen { path: "127.0.0.1:0".into(), source: e })?;
        return Ok((Listener::Tcp(l), PathBuf::new(), "tcp", addr.to_string()));
    }
    unix_listener(dir)
}

#[cfg(unix)]
fn unix_listener(dir: &Path) -> Result<(Listener, PathBuf, &'static str, String), StartError> {
    let socket = dir.join(format!("plugin{}{}", std::process::id(), jiff::Timestamp::now().subsec_nanosecond()));
    let l = tokio::net::UnixListener::bind(&socket)
        .map_err(|e| StartError::Listen { path: socket.display().to_string(), source: e })?;
    let address = socket.display().to_string();
    Ok((Listener::Unix(l), socket, "unix", address))
}

#[cfg(not(unix))]
fn unix_listener(_dir: &Path) -> Result<(Listener, PathBuf, &'static str, String), StartError> {
    Err(StartError::Listen {
        path: "a Unix socket".into(),
        source: std::io::Error::new(std::io::ErrorKind::Unsupported, "no Unix sockets on this platform"),
    })
}

/// Print the handshake line (the only thing ever written to stdout).
pub fn announce(line: &str, mut out: impl Write) -> Result<(), StartError> {
    out.write_all(line.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
        .map_err(StartError::Handshake)
}

/// A connection as tonic wants it.
#[derive(Debug)]
pub struct Conn<T>(pub T);

impl<T: AsyncRead + Unpin> AsyncRead for Conn<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Conn<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<T> tonic::transport::server::Connected for Conn<T> {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

/// Serve until `shutdown` is notified. Connections whose TLS handshake
/// fails (no client certificate, or another one) are dropped and logged.
pub async fn serve(prepared: Prepared, ctx: Ctx, shutdown: Arc<Notify>) -> Result<(), StartError> {
    let Prepared { listener, socket, tls, .. } = prepared;
    let service = grpc::ProviderService::new(ctx);
    let broker = service.broker_handle();
    let provider =
        ProviderServer::new(service).max_decoding_message_size(MAX_MESSAGE).max_encoding_message_size(MAX_MESSAGE);
    let controller = GrpcControllerServer::new(grpc::Controller { shutdown: shutdown.clone(), broker });
    let router = tonic::transport::Server::builder().add_service(provider).add_service(controller);
    let stop = {
        let s = shutdown.clone();
        async move { s.notified().await }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Conn<Box<dyn Io>>>>(16);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let accept_loop = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok(stream) => stream,
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    log::error("accept failed", &[("error", &e.to_string())]);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let tx = tx.clone();
            match acceptor.clone() {
                None => {
                    let _ = tx.send(Ok(Conn(stream))).await;
                }
                Some(acceptor) => {
                    tokio::spawn(async move {
                        let handshake =
                            tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(stream)).await;
                        match handshake {
                            Ok(Ok(tls)) => {
                                let _ = tx.send(Ok(Conn(Box::new(tls) as Box<dyn Io>))).await;
                            }
                            Ok(Err(e)) => log::error(
                                "refused a connection: TLS client authentication failed",
                                &[("error", &e.to_string())],
                            ),
                            Err(_) => log::error("refused a connection: TLS handshake timed out", &[]),
                        }
                    });
                }
            }
        }
    });
    let result = router
        .serve_with_incoming_shutdown(tokio_stream::wrappers::ReceiverStream::new(rx), stop)
        .await
        .map_err(|e| StartError::Serve(e.to_string()));
    accept_loop.abort();
    if !socket.as_os_str().is_empty() {
        let _ = std::fs::remove_file(&socket);
    }
    result
}

/// Any byte stream a connection may be.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}
