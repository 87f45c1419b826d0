//! A loopback TCP proxy in front of the PostgreSQL server that the test
//! can open late, cut (the port refuses connections and every open one is
//! dropped, as when the server or the network goes away) and restore on
//! the same port.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub struct Proxy {
    pub port: u16,
    upstream: String,
    up: Option<CancellationToken>,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`) on a free port, not open yet:
    /// connections are refused until [`Proxy::open`].
    pub fn closed(upstream: &str) -> Proxy {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Proxy { port, upstream: upstream.to_string(), up: None }
    }

    /// `url` (a PostgreSQL URL) pointed at this proxy.
    pub fn url_for(&self, url: &str) -> url::Url {
        let mut url = url::Url::parse(url).expect("database url");
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url
    }

    /// The `host:port` of the server behind `url`.
    pub fn upstream_of(url: &str) -> String {
        let url = url::Url::parse(url).expect("database url");
        format!("{}:{}", url.host_str().expect("host"), url.port().unwrap_or(5432))
    }

    /// Starts accepting and forwarding.
    pub async fn open(&mut self) {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], self.port))).await.expect("proxy port free");
        let up = CancellationToken::new();
        let (stop, upstream) = (up.clone(), self.upstream.clone());
        tokio::spawn(async move {
            loop {
                let (mut client, _) = tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = listener.accept() => match accepted { Ok(c) => c, Err(_) => return },
                };
                let (stop, upstream) = (stop.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        self.up = Some(up);
    }

    /// Refuses new connections and drops every open one.
    pub fn cut(&mut self) {
        if let Some(up) = self.up.take() {
            up.cancel();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}
