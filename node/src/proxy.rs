//! Behind a reverse proxy: the client's address, read from `Forwarded` or
//! `X-Forwarded-For`, but only on requests that come from a proxy the operator trusts
//! (`--trusted-proxy CIDR`). From anyone else those headers are ignored, so a client
//! cannot pick the address its budget is counted under.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The address a request is counted under: `peer`, or, when `peer` is a trusted
/// proxy, the nearest address in the forwarding headers that is not one (each proxy
/// appends the address it saw, so the rightmost untrusted one is the client). Without
/// a usable header, the proxy's own address.
pub fn client(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> SocketAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer.ip()) {
        return peer;
    }
    let forwarded = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(forwarded_for)
        .collect::<Vec<_>>();
    let chain = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| address(s.trim()))
            .collect()
    } else {
        forwarded
    };
    chain
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .map_or(peer, |ip| SocketAddr::new(ip, 0))
}

/// The `for=` address of one element of a `Forwarded` header (RFC 7239).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| address(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// An IP address, possibly with a port (`1.2.3.4:80`, `[2001:db8::1]:80`).
fn address(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Ok(sock) = text.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    text.strip_prefix('[')?.split_once(']')?.0.parse().ok()
}

/// Parses a `--trusted-proxy` value: a CIDR block or a single address.
pub fn parse_net(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("--trusted-proxy {text:?} is not an address or a CIDR block such as 10.0.0.0/8")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("a header name"),
                v.parse().expect("a header value"),
            );
        }
        h
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let trusted = [parse_net("10.0.0.0/8").expect("a block")];
        let proxy: SocketAddr = "10.1.2.3:5000".parse().expect("an address");
        let stranger: SocketAddr = "198.51.100.7:5000".parse().expect("an address");
        let xff = headers(&[("x-forwarded-for", "203.0.113.9, 10.9.9.9")]);
        assert_eq!(
            client(proxy, &xff, &trusted).ip().to_string(),
            "203.0.113.9"
        );
        // Anyone else's header is ignored.
        assert_eq!(client(stranger, &xff, &trusted), stranger);
        // A client that forges the leftmost entry gets the one the proxy appended.
        let forged = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9")]);
        assert_eq!(
            client(proxy, &forged, &trusted).ip().to_string(),
            "203.0.113.9"
        );
        let fwd = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.5",
        )]);
        assert_eq!(
            client(proxy, &fwd, &trusted).ip().to_string(),
            "2001:db8::1"
        );
        // Garbage falls back to the proxy itself.
        for junk in ["", "unknown", "not an ip", "999.1.1.1", "[::1", "for="] {
            let h = headers(&[("x-forwarded-for", junk), ("forwarded", junk)]);
            assert_eq!(client(proxy, &h, &trusted), proxy, "{junk:?}");
        }
        assert!(parse_net("10.0.0.0/33").is_err());
        assert!(parse_net("lots").unwrap_err().contains("CIDR"));
        assert_eq!(
            parse_net("127.0.0.2").expect("an address").to_string(),
            "127.0.0.2/32"
        );
    }
}
