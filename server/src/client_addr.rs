//! The client address of a request: the TCP peer, or, when the peer is a trusted reverse proxy
//! (`[http] trusted_proxies`), the address that proxy names in `X-Forwarded-For` or `Forwarded`.
//!
//! [`resolve`] runs once per request as a middleware and stores a [`ClientAddr`] in the request's
//! extensions; every per-address limit (logins, the share-link brake) and the login logs read it through
//! the [`ClientAddr`] extractor, so they all agree on who the client is.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The client's address as hepscope believes it (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The reverse proxies whose forwarding headers are believed; empty (the default) trusts none.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    /// Trusts the peers in `nets`.
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(Arc::new(nets))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request from `peer` carrying `headers`: the rightmost hop that is not a
    /// trusted proxy, walking `X-Forwarded-For` (else `Forwarded`) from the peer leftwards. A peer that
    /// is not trusted is the client, whatever it sends. A hop that does not parse stops the walk at the
    /// last trusted proxy, so garbage cannot choose an address.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_hops(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = hop else { return client };
            client = canonical(*ip);
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// The hops of `X-Forwarded-For` when present, else the `for=` values of `Forwarded`; left to right,
/// `None` for an entry that is not an address (`unknown`, obfuscated names, garbage).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    const XFF: HeaderName = HeaderName::from_static("x-forwarded-for");
    let xff = list_values(headers, &XFF);
    if !xff.is_empty() {
        return xff.iter().map(|hop| parse_node(hop)).collect();
    }
    list_values(headers, &header::FORWARDED)
        .iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(value))
            })
        })
        .collect()
}

/// Every comma-separated entry of every `name` header, in order. A header that is not text counts as
/// one unreadable entry.
fn list_values(headers: &HeaderMap, name: &HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .flat_map(|value| match value.to_str() {
            Ok(text) => text.split(',').map(|s| s.trim().to_string()).collect(),
            Err(_) => vec![String::new()],
        })
        .collect()
}

/// An address from an `X-Forwarded-For` entry or a `Forwarded` node: `1.2.3.4`, `1.2.3.4:5`, `::1`,
/// `[::1]`, `[::1]:5`, optionally quoted.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
}

/// IPv4-mapped IPv6 addresses as IPv4, so `::ffff:10.0.0.1` matches `10.0.0.0/8`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Middleware: works out the request's [`ClientAddr`] once and stores it in its extensions. Without
/// connection info (a router served without `into_make_service_with_connect_info`) nothing is stored,
/// and the extractor refuses.
pub async fn resolve(
    State(trusted): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Some(peer) = peer {
        let client = ClientAddr(trusted.client_of(peer, request.headers()));
        request.extensions_mut().insert(client);
    }
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(client) = parts.extensions.get::<ClientAddr>() {
            return Ok(*client);
        }
        // Not behind the middleware: the TCP peer is all there is.
        match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => Ok(ClientAddr(canonical(peer.ip()))),
            None => Err(crate::error::json_error(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "the client address is unknown (served without connection info)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn trusted(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_static(value));
        }
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(t.client_of(ip("192.0.2.9"), &h), ip("192.0.2.9"));
        let none = TrustedProxies::default();
        assert_eq!(none.client_of(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let t = trusted(&["10.0.0.0/8", "127.0.0.1/32"]);
        // A client forging a first hop cannot choose its address: the proxy appended the real one.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(t.client_of(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // Several headers are one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.8"),
        ]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("203.0.113.8"));
        // Only proxies in the chain: the leftmost.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.2")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(
            t.client_of(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn garbage_stops_at_the_last_trusted_hop() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "1.2.3.4, unknown, 10.0.0.7")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("10.0.0.7"));
    }

    #[test]
    fn forwarded_header_is_read_when_there_is_no_x_forwarded_for() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http;by=10.0.0.1, For=\"[2001:db8:cafe::17]:4711\"",
        )]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=\"198.51.100.4:8080\"")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), ip("198.51.100.4"));
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_networks() {
        let t = trusted(&["127.0.0.1/32"]);
        let h = headers(&[("x-forwarded-for", "::ffff:198.51.100.1")]);
        assert_eq!(t.client_of(ip("::ffff:127.0.0.1"), &h), ip("198.51.100.1"));
    }
}
