//! Who a call comes from when the gateway stands behind proxies (an ingress controller, a load
//! balancer): the TCP peer is then the proxy, and the client is named in `Forwarded` (RFC 7239)
//! or `X-Forwarded-For`.
//!
//! Those headers are only believed from peers inside [`TrustedProxies`]. The chain is walked
//! from the right (the hop nearest the gateway), skipping addresses of trusted proxies; the first
//! address that is not a trusted proxy is the client. Anything unreadable (an obfuscated or
//! `unknown` node, garbage) stops the walk at the last trusted hop reached, so a client can
//! never pick its own address by sending the headers itself.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use http::HeaderMap;

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`), or one address (`127.0.0.1`,
/// which is `127.0.0.1/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Whether `address` is inside this network. An IPv4-mapped IPv6 address
    /// (`::ffff:10.0.0.1`) counts as its IPv4 address.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// Why a network could not be read.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a network (`10.0.0.0/8`, `2001:db8::/32`) or an address")]
pub struct InvalidNetwork(String);

impl FromStr for Network {
    type Err = InvalidNetwork;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidNetwork(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address = IpAddr::from_str(address)
            .map_err(|_| invalid())?
            .to_canonical();
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            // Digits only: `u8::from_str` would accept `+8`.
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix.parse::<u8>().map_err(|_| invalid())?
            }
            Some(_) => return Err(invalid()),
            None => max,
        };
        if prefix > max {
            return Err(invalid());
        }
        Ok(Self { address, prefix })
    }
}

/// The proxies whose `Forwarded` and `X-Forwarded-For` headers are believed. Empty (the
/// default): none, and the client is always the TCP peer.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    pub fn new(networks: Vec<Network>) -> Self {
        Self(networks)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client's address for a call from `peer` carrying `headers`.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops = if headers.contains_key("forwarded") {
            forwarded_hops(headers)
        } else {
            x_forwarded_for_hops(headers)
        };
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(address) = hop.map(|address| address.to_canonical()) else {
                // Unreadable: the last trusted hop is as far as the chain can be believed.
                return client;
            };
            client = address;
            if !self.trusts(address) {
                return address;
            }
        }
        client
    }
}

/// The addresses in every `X-Forwarded-For` line, in order; `None` for an unreadable entry.
fn x_forwarded_for_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        hops.extend(value.split(',').map(|entry| node(unquote(entry.trim()))));
    }
    hops
}

/// The `for=` node of every element of every `Forwarded` line, in order; `None` for an element
/// without one or whose node is obfuscated, `unknown` or unreadable.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all("forwarded") {
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in split_outside_quotes(value, ',') {
            let node_of_element = split_outside_quotes(element, ';')
                .into_iter()
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| node(unquote(value.trim())));
            hops.push(node_of_element);
        }
    }
    hops
}

/// `text` split at `separator`s that are not inside a quoted string.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if c == separator && !quoted => {
                parts.push(&text[start..index]);
                start = index + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text)
}

/// An address with or without a port: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711`, `2001:db8::1`. `unknown`, obfuscated identifiers (`_hidden`) and
/// anything else are `None`.
fn node(text: &str) -> Option<IpAddr> {
    if let Some(rest) = text.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(port)) {
            return None;
        }
        return Ipv6Addr::from_str(address).ok().map(IpAddr::V6);
    }
    if let Ok(address) = IpAddr::from_str(text) {
        return Some(address);
    }
    let (address, after) = text.rsplit_once(':')?;
    if !port(after) {
        return None;
    }
    Ipv4Addr::from_str(address).ok().map(IpAddr::V4)
}

/// A port: digits, or an obfuscated one (`_abc`), which RFC 7239 allows.
fn port(text: &str) -> bool {
    !text.is_empty()
        && (text.bytes().all(|b| b.is_ascii_digit())
            || (text.starts_with('_')
                && text[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn proxies(networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            networks
                .iter()
                .map(|network| network.parse().expect("a network"))
                .collect(),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                *name,
                HeaderValue::from_bytes(value.as_bytes()).expect("a header value"),
            );
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    const INGRESS: &str = "10.0.0.7";

    fn client(trusted: &[&str], peer: &str, pairs: &[(&'static str, &str)]) -> IpAddr {
        proxies(trusted).client_address(ip(peer), &headers(pairs))
    }

    #[test]
    fn without_trusted_proxies_the_client_is_the_peer_whatever_the_headers_say() {
        let forged = [
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ];
        assert_eq!(client(&[], INGRESS, &forged), ip(INGRESS));
    }

    #[test]
    fn an_untrusted_peer_sending_x_forwarded_for_is_the_client_itself() {
        let forged = [("x-forwarded-for", "203.0.113.9")];
        assert_eq!(
            client(&["10.0.0.0/8"], "198.51.100.4", &forged),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn a_trusted_peer_names_the_client_in_x_forwarded_for() {
        let pairs = [("x-forwarded-for", "203.0.113.9")];
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &pairs), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_peer_without_headers_is_the_client() {
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &[]), ip(INGRESS));
    }

    #[test]
    fn the_chain_is_walked_from_the_right_skipping_trusted_proxies_and_ignoring_forged_entries() {
        // The client forged `1.2.3.4`; its real address was appended by the outer proxy
        // (10.0.0.2), which the ingress (the peer) appended in turn.
        let pairs = [("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.2")];
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &pairs), ip("203.0.113.9"));
    }

    #[test]
    fn several_x_forwarded_for_lines_form_one_chain() {
        let pairs = [
            ("x-forwarded-for", "1.2.3.4, 203.0.113.9"),
            ("x-forwarded-for", "10.0.0.2"),
        ];
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &pairs), ip("203.0.113.9"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_only_ends_at_its_first_address() {
        let pairs = [("x-forwarded-for", "10.0.0.3, 10.0.0.2")];
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &pairs), ip("10.0.0.3"));
    }

    #[test]
    fn forwarded_is_read_before_x_forwarded_for() {
        let pairs = [
            ("forwarded", "for=203.0.113.9;proto=https, for=10.0.0.2"),
            ("x-forwarded-for", "198.51.100.1"),
        ];
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &pairs), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_names_are_case_insensitive_and_values_may_carry_ports() {
        let pairs = [(
            "forwarded",
            "proto=https;For=\"203.0.113.9:4711\";by=10.0.0.7",
        )];
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &pairs), ip("203.0.113.9"));
    }

    #[test]
    fn quoted_ipv6_nodes_in_forwarded_are_read_with_or_without_a_port() {
        for value in [
            "for=\"[2001:db8::1]:4711\"",
            "for=\"[2001:db8::1]\"",
            "for=\"[2001:db8::1]:_port\"",
        ] {
            let pairs = [("forwarded", value)];
            assert_eq!(
                client(&["10.0.0.0/8"], INGRESS, &pairs),
                ip("2001:db8::1"),
                "{value}"
            );
        }
    }

    #[test]
    fn ipv6_proxies_and_clients_are_matched_in_x_forwarded_for() {
        let pairs = [("x-forwarded-for", "2001:db8::1, [fd00::2]:443")];
        assert_eq!(client(&["fd00::/8"], "fd00::1", &pairs), ip("2001:db8::1"));
    }

    #[test]
    fn an_ipv4_mapped_peer_is_matched_as_its_ipv4_address() {
        let pairs = [("x-forwarded-for", "203.0.113.9")];
        assert_eq!(
            client(&["10.0.0.0/8"], "::ffff:10.0.0.7", &pairs),
            ip("203.0.113.9")
        );
        assert_eq!(
            client(&[], "::ffff:10.0.0.7", &pairs),
            ip("10.0.0.7"),
            "the client address is given as IPv4 too"
        );
    }

    #[test]
    fn an_obfuscated_or_unknown_node_stops_the_walk_at_the_last_trusted_hop() {
        for value in [
            "for=203.0.113.9, for=_hidden, for=10.0.0.2",
            "for=203.0.113.9, for=unknown, for=10.0.0.2",
            "for=203.0.113.9, proto=http, for=10.0.0.2",
        ] {
            let pairs = [("forwarded", value)];
            assert_eq!(
                client(&["10.0.0.0/8"], INGRESS, &pairs),
                ip("10.0.0.2"),
                "{value}"
            );
        }
    }

    #[test]
    fn garbage_falls_back_to_the_last_trusted_hop_and_never_panics() {
        for value in [
            "",
            ",",
            "not an address",
            "203.0.113.9:99999x",
            "[2001:db8::1",
            "[2001:db8::1]x",
            "\"",
            "300.1.2.3",
            "ünïcödé",
        ] {
            let pairs = [("x-forwarded-for", value)];
            assert_eq!(
                client(&["10.0.0.0/8"], INGRESS, &pairs),
                ip(INGRESS),
                "x-forwarded-for: {value}"
            );
            let forwarded = format!("for={value}");
            let pairs = [("forwarded", forwarded.as_str())];
            assert_eq!(
                client(&["10.0.0.0/8"], INGRESS, &pairs),
                ip(INGRESS),
                "forwarded: {forwarded}"
            );
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff\xfe").expect("opaque bytes"),
        );
        assert_eq!(
            proxies(&["10.0.0.0/8"]).client_address(ip(INGRESS), &headers),
            ip(INGRESS)
        );
    }

    #[test]
    fn a_quoted_comma_does_not_split_a_forwarded_element() {
        let pairs = [("forwarded", "for=203.0.113.9;host=\"a,b\", for=10.0.0.2")];
        assert_eq!(client(&["10.0.0.0/8"], INGRESS, &pairs), ip("203.0.113.9"));
    }

    #[test]
    fn networks_are_read_in_cidr_notation_or_as_one_address() {
        let network: Network = "10.0.0.0/8".parse().expect("valid");
        assert!(network.contains(ip("10.255.1.2")));
        assert!(!network.contains(ip("11.0.0.1")));
        assert!(!network.contains(ip("::1")));

        let one: Network = "127.0.0.1".parse().expect("valid");
        assert!(one.contains(ip("127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));

        let any: Network = "0.0.0.0/0".parse().expect("valid");
        assert!(any.contains(ip("203.0.113.9")));

        let v6: Network = "2001:db8::/32".parse().expect("valid");
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));

        for invalid in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "ten",
            "10.0.0/8",
            "",
        ] {
            assert!(invalid.parse::<Network>().is_err(), "{invalid}");
        }
    }
}
