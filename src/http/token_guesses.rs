//! Wrong tokens per client address: after [`MAX_FAILURES`] wrong tokens
//! (the API's bearer token, the board's login form, HTTP Basic on a board
//! page) within [`WINDOW`], that address is refused with 429 and
//! `Retry-After` until its oldest failure ages out; the token is not even
//! compared meanwhile, so guessing stalls.
//! Other addresses are unaffected. Behind a reverse proxy on the same host
//! (a loopback peer) the address is the one that proxy forwarded, the last
//! `X-Forwarded-For` entry, which the proxy writes itself.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// Wrong tokens an address may send within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Addresses remembered at most; the stalest are forgotten first.
const MAX_ADDRESSES: usize = 10_000;

/// Recent failures per address. Shared by every request of a daemon.
#[derive(Debug, Default)]
pub struct TokenGuesses {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl TokenGuesses {
    /// `Err(wait)` while `client` has used up its failures.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(seen) = map.get_mut(&client) else { return Ok(()) };
        forget_old(seen, now);
        match seen.front() {
            Some(oldest) if seen.len() >= MAX_FAILURES => Err(WINDOW.saturating_sub(now - *oldest)),
            _ => Ok(()),
        }
    }

    /// Counts a wrong token from `client`.
    pub fn failed(&self, client: IpAddr, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&client) {
            map.retain(|_, seen| {
                forget_old(seen, now);
                !seen.is_empty()
            });
            if map.len() >= MAX_ADDRESSES {
                let stalest = map.iter().min_by_key(|(_, s)| s.back().copied()).map(|(ip, _)| *ip);
                stalest.map(|ip| map.remove(&ip));
            }
        }
        let seen = map.entry(client).or_default();
        forget_old(seen, now);
        seen.push_back(now);
    }
}

fn forget_old(seen: &mut VecDeque<Instant>, now: Instant) {
    while seen.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
        seen.pop_front();
    }
}

/// The client's address, as [`client`] finds it.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client(parts)))
    }
}

/// The address a request's failures count against.
pub fn client(parts: &Parts) -> IpAddr {
    let peer =
        parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if !peer.is_loopback() {
        return peer;
    }
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn an_address_is_refused_after_its_failures_until_they_age_out() {
        let t = TokenGuesses::default();
        let start = Instant::now();
        for n in 0..MAX_FAILURES {
            assert_eq!(t.check(ip(1), start), Ok(()), "attempt {n}");
            t.failed(ip(1), start + Duration::from_secs(n as u64));
        }
        let at = start + Duration::from_secs(30);
        let wait = t.check(ip(1), at).unwrap_err();
        assert_eq!(wait, WINDOW - Duration::from_secs(30));
        assert_eq!(t.check(ip(2), at), Ok(()), "another address is not affected");
        assert_eq!(t.check(ip(1), start + WINDOW), Ok(()), "the oldest failure aged out");
    }

    #[test]
    fn memory_stays_bounded() {
        let t = TokenGuesses::default();
        let now = Instant::now();
        for n in 0..(MAX_ADDRESSES as u32 + 50) {
            t.failed(IpAddr::V4(Ipv4Addr::from(n)), now);
        }
        assert!(t.failures.lock().unwrap().len() <= MAX_ADDRESSES);
    }

    #[test]
    fn a_proxy_on_this_host_names_the_client() {
        let request = |peer: &str, xff: Option<&str>| {
            let mut b = axum::http::Request::builder();
            if let Some(v) = xff {
                b = b.header("x-forwarded-for", v);
            }
            let (mut parts, ()) = b.body(()).unwrap().into_parts();
            parts.extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            parts
        };
        assert_eq!(client(&request("127.0.0.1:4000", Some("203.0.113.9, 192.0.2.7"))), ip(7));
        assert_eq!(
            client(&request("192.0.2.1:4000", Some("192.0.2.7"))),
            ip(1),
            "a remote peer cannot pick its address"
        );
        assert_eq!(client(&request("127.0.0.1:4000", None)), "127.0.0.1".parse::<IpAddr>().unwrap());
    }
}
