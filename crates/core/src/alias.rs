//! The one alias resolver: which name a host `ip:port` gets, for the ladder's lanes (browser) and the
//! embedded store's `aliasSrc`/`aliasDst` and transaction `alias` map (server), so both name a host the
//! same way.
//!
//! The rule: **the most specific network first** (the longest prefix containing the address), **then an
//! exact port over any port**; among rules still equal, the first one listed wins. So with a `/32` alias
//! for any port and a `/24` alias for port 5060, the host gets the `/32` name on every port, port 5060
//! included: naming a single host is the more specific statement than naming a port of a network.

use std::net::IpAddr;

pub use ipnet::IpNet;

/// What the resolver needs of one alias. Each side keeps its own row type (the server's validated
/// `[[alias]]`, the ladder's table built from `GET /alias` or a transaction's map) and implements this.
pub trait AliasRule {
    /// The network the alias covers (a host route, `/32` or `/128`, for one address).
    fn network(&self) -> IpNet;
    /// The port it is limited to; `None` for any port.
    fn port(&self) -> Option<u16>;
    /// The name shown for matching hosts.
    fn name(&self) -> &str;
}

/// The rule naming `ip` (with `port`, `None` when unknown): see the module documentation for the order.
/// Rules of the other address family never match.
pub fn resolve<'a, R: AliasRule + 'a>(
    rules: impl IntoIterator<Item = &'a R>,
    ip: IpAddr,
    port: Option<u16>,
) -> Option<&'a R> {
    let mut best: Option<(&R, (u8, bool))> = None;
    for rule in rules {
        let rule_port = rule.port();
        if !rule.network().contains(&ip) || (rule_port.is_some() && rule_port != port) {
            continue;
        }
        let key = (rule.network().prefix_len(), rule_port.is_some());
        // Strictly better only: the first of equally specific rules stays.
        if best.is_none_or(|(_, best_key)| key > best_key) {
            best = Some((rule, key));
        }
    }
    best.map(|(rule, _)| rule)
}

/// A host route for `ip`: `/32` or `/128`.
pub fn host_network(ip: IpAddr) -> IpNet {
    IpNet::from(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rule(IpNet, Option<u16>, &'static str);

    impl AliasRule for Rule {
        fn network(&self) -> IpNet {
            self.0
        }
        fn port(&self) -> Option<u16> {
            self.1
        }
        fn name(&self) -> &str {
            self.2
        }
    }

    fn rule(net: &str, port: Option<u16>, name: &'static str) -> Rule {
        Rule(net.parse().unwrap(), port, name)
    }

    fn name(rules: &[Rule], ip: &str, port: Option<u16>) -> Option<&'static str> {
        resolve(rules, ip.parse().unwrap(), port).map(|r| r.2)
    }

    #[test]
    fn host_any_port_beats_network_with_exact_port() {
        let rules = [
            rule("10.0.0.0/24", Some(5060), "lan-sip"),
            rule("10.0.0.5/32", None, "sbc"),
        ];
        assert_eq!(name(&rules, "10.0.0.5", Some(5060)), Some("sbc"));
        assert_eq!(name(&rules, "10.0.0.5", Some(5080)), Some("sbc"));
        assert_eq!(name(&rules, "10.0.0.6", Some(5060)), Some("lan-sip"));
        assert_eq!(name(&rules, "10.0.0.6", Some(5080)), None);
        assert_eq!(name(&rules, "10.0.0.6", None), None);
    }

    #[test]
    fn exact_port_beats_any_port_on_the_same_network() {
        let rules = [
            rule("10.0.0.5/32", None, "sbc"),
            rule("10.0.0.5/32", Some(5061), "sbc-tls"),
            rule("2001:db8::/32", None, "v6-net"),
            rule("0.0.0.0/0", None, "anywhere-v4"),
        ];
        assert_eq!(name(&rules, "10.0.0.5", Some(5061)), Some("sbc-tls"));
        assert_eq!(name(&rules, "10.0.0.5", Some(5060)), Some("sbc"));
        assert_eq!(name(&rules, "192.0.2.1", Some(5060)), Some("anywhere-v4"));
        assert_eq!(name(&rules, "2001:db8:1::7", Some(5060)), Some("v6-net"));
        assert_eq!(name(&rules, "2001:db9::7", Some(5060)), None);
    }

    #[test]
    fn first_of_equal_rules_wins_and_host_bits_are_ignored() {
        let rules = [
            rule("10.0.0.77/24", None, "first"),
            rule("10.0.0.0/24", None, "second"),
        ];
        assert_eq!(name(&rules, "10.0.0.1", Some(1)), Some("first"));
        assert_eq!(host_network("10.0.0.1".parse().unwrap()).prefix_len(), 32);
        assert_eq!(host_network("::1".parse().unwrap()).prefix_len(), 128);
    }
}
