//! Ladder columns ("lanes"): one per `ip:port`, per IP, or per alias name, and the alias table that
//! names hosts, resolved by [`crate::domain::alias`] (the server's `aliasSrc` uses the same rule).
//! Pure: no I/O.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::domain::alias::{self, host_network, AliasRule, IpNet};
use crate::domain::calls::HostPort;
use crate::domain::homer::AliasList;

/// How hosts are grouped into lanes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LaneMode {
    /// One lane per `ip:port`.
    HostPort,
    /// One lane per IP address, ports merged (Homer's default).
    #[default]
    Ip,
    /// One lane per alias name; hosts without an alias get one lane per IP.
    Alias,
}

impl LaneMode {
    /// Every mode.
    pub const ALL: [LaneMode; 3] = [LaneMode::HostPort, LaneMode::Ip, LaneMode::Alias];

    /// The URL and UI name.
    pub fn as_str(self) -> &'static str {
        match self {
            LaneMode::HostPort => "port",
            LaneMode::Ip => "ip",
            LaneMode::Alias => "alias",
        }
    }

    /// Reads a URL name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// One lane (column) of the ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Identity of the lane: `ip:port`, `ip`, or `alias:<name>`.
    pub key: String,
    /// Main header text: the alias name when there is one, else the address.
    pub label: String,
    /// Second header line: the address(es) behind an alias label, else empty.
    pub sublabel: String,
}

/// One alias: a network, a port (`None` = any) and a name.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AliasEntry {
    network: IpNet,
    port: Option<u16>,
    name: String,
}

impl AliasRule for AliasEntry {
    fn network(&self) -> IpNet {
        self.network
    }
    fn port(&self) -> Option<u16> {
        self.port
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// Host names for lanes, from HOMER's alias list or a transaction answer's `alias` map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AliasTable {
    entries: Vec<AliasEntry>,
}

impl AliasTable {
    /// The active aliases of `GET /api/v3/alias`. Rows whose IP does not parse are skipped; masks
    /// outside the address family's range are clamped to a host route.
    pub fn from_list(list: &AliasList) -> Self {
        let entries = list
            .active()
            .filter(|a| !a.alias.trim().is_empty())
            .filter_map(|a| {
                let ip: IpAddr = a.ip.trim().parse().ok()?;
                let network = u8::try_from(a.mask)
                    .ok()
                    .filter(|m| *m >= 1)
                    .and_then(|m| IpNet::new(ip, m).ok())
                    .unwrap_or_else(|| host_network(ip));
                let port = u16::try_from(a.port).ok().filter(|p| *p != 0);
                Some(AliasEntry {
                    network,
                    port,
                    name: a.alias.trim().to_owned(),
                })
            })
            .collect();
        Self { entries }
    }

    /// A transaction answer's `data.alias` map (`ip:port` or `[ip]:port` → name). Entries whose
    /// name is the address itself (homer-app's "no alias") are skipped.
    pub fn from_transaction(alias: &BTreeMap<String, String>) -> Self {
        let entries = alias
            .iter()
            .filter(|(addr, name)| !name.trim().is_empty() && addr != name)
            .filter_map(|(addr, name)| {
                let (ip, port) = split_host_port(addr)?;
                let ip: IpAddr = ip.parse().ok()?;
                Some(AliasEntry {
                    network: host_network(ip),
                    port: port.filter(|p| *p != 0),
                    name: name.trim().to_owned(),
                })
            })
            .collect();
        Self { entries }
    }

    /// Adds an alias for one address (`port` `None` = any port), ahead of equally specific ones.
    pub fn insert(&mut self, ip: IpAddr, port: Option<u16>, name: impl Into<String>) {
        let entry = AliasEntry {
            network: host_network(ip),
            port,
            name: name.into(),
        };
        self.entries.insert(0, entry);
    }

    /// The alias name of a host by [`alias::resolve`]'s rule: the longest matching prefix, then an
    /// exact port before "any port".
    pub fn resolve(&self, host: &HostPort) -> Option<&str> {
        let ip: IpAddr = host.ip.trim().parse().ok()?;
        alias::resolve(&self.entries, ip, host.port).map(|e| e.name.as_str())
    }

    /// True when no alias is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Splits `ip:port`, `[v6]:port`, a bare IPv4 or a bare IPv6 address.
fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return Some((ip, port));
    }
    match text.rsplit_once(':') {
        Some((ip, port)) if !ip.contains(':') => Some((ip, port.parse().ok())),
        _ => Some((text, None)),
    }
}

/// Assigns lanes to hosts in order of first use, caching each host's lane.
pub(super) struct LaneBuilder<'a> {
    mode: LaneMode,
    aliases: &'a AliasTable,
    lanes: Vec<Lane>,
    by_key: HashMap<String, usize>,
    by_host: HashMap<HostPort, usize>,
}

impl<'a> LaneBuilder<'a> {
    pub(super) fn new(mode: LaneMode, aliases: &'a AliasTable) -> Self {
        Self {
            mode,
            aliases,
            lanes: Vec::new(),
            by_key: HashMap::new(),
            by_host: HashMap::new(),
        }
    }

    /// The lane index of `host`, creating the lane on first use.
    pub(super) fn lane(&mut self, host: &HostPort) -> usize {
        if let Some(&index) = self.by_host.get(host) {
            return index;
        }
        let alias = self.aliases.resolve(host);
        let address = host.to_string();
        let (key, label, sublabel) = match (self.mode, alias) {
            (LaneMode::HostPort, Some(name)) => (address.clone(), name.to_owned(), address),
            (LaneMode::HostPort, None) => (address.clone(), address, String::new()),
            (LaneMode::Ip, Some(name)) => (host.ip.clone(), name.to_owned(), host.ip.clone()),
            (LaneMode::Ip, None) => (host.ip.clone(), host.ip.clone(), String::new()),
            (LaneMode::Alias, Some(name)) => {
                (format!("alias:{name}"), name.to_owned(), host.ip.clone())
            }
            (LaneMode::Alias, None) => (host.ip.clone(), host.ip.clone(), String::new()),
        };
        let index = match self.by_key.get(&key) {
            Some(&index) => {
                // An alias lane lists every IP merged into it.
                if let Some(lane) = self.lanes.get_mut(index) {
                    if self.mode == LaneMode::Alias
                        && alias.is_some()
                        && !lane.sublabel.split(", ").any(|ip| ip == host.ip)
                    {
                        lane.sublabel.push_str(", ");
                        lane.sublabel.push_str(&host.ip);
                    }
                }
                index
            }
            None => {
                let index = self.lanes.len();
                self.by_key.insert(key.clone(), index);
                self.lanes.push(Lane {
                    key,
                    label,
                    sublabel,
                });
                index
            }
        };
        self.by_host.insert(host.clone(), index);
        index
    }

    pub(super) fn finish(self) -> Vec<Lane> {
        self.lanes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::homer::Alias;

    fn host(ip: &str, port: u16) -> HostPort {
        HostPort {
            ip: ip.into(),
            port: Some(port),
        }
    }

    fn alias(name: &str, ip: &str, mask: i64, port: i64) -> Alias {
        Alias {
            alias: name.into(),
            ip: ip.into(),
            mask,
            port,
            status: true,
            ..Alias::default()
        }
    }

    #[test]
    fn alias_resolution_prefers_longest_prefix_then_exact_port() {
        let list = AliasList {
            data: vec![
                alias("lan", "10.0.0.0", 8, 0),
                alias("pbx", "10.0.0.20", 32, 0),
                alias("pbx-tls", "10.0.0.20", 32, 5061),
                alias("v6-net", "2001:db8::", 32, 0),
                Alias {
                    status: false,
                    ..alias("off", "10.0.0.21", 32, 0)
                },
            ],
        };
        let table = AliasTable::from_list(&list);
        for (ip, port, want) in [
            ("10.0.0.20", 5060, Some("pbx")),
            ("10.0.0.20", 5061, Some("pbx-tls")),
            ("10.0.0.21", 5060, Some("lan")),
            ("10.1.2.3", 5060, Some("lan")),
            ("192.0.2.1", 5060, None),
            ("2001:db8:100::10", 5060, Some("v6-net")),
            ("not an ip", 5060, None),
        ] {
            assert_eq!(table.resolve(&host(ip, port)), want, "{ip}:{port}");
        }
    }

    #[test]
    fn host_alias_for_any_port_beats_network_alias_for_the_port() {
        // The server's `aliasSrc` names this host the same way (server/tests/it/store_api.rs).
        let list = AliasList {
            data: vec![
                alias("lan-sip", "10.0.0.0", 24, 5060),
                alias("sbc", "10.0.0.5", 32, 0),
            ],
        };
        let table = AliasTable::from_list(&list);
        assert_eq!(table.resolve(&host("10.0.0.5", 5060)), Some("sbc"));
        assert_eq!(table.resolve(&host("10.0.0.6", 5060)), Some("lan-sip"));
        assert_eq!(table.resolve(&host("10.0.0.6", 5080)), None);
    }

    #[test]
    fn alias_table_reads_transaction_map_and_skips_self_names() {
        let map = BTreeMap::from([
            ("10.0.0.5:5060".to_owned(), "SBC-1".to_owned()),
            ("10.0.0.9:5060".to_owned(), "10.0.0.9:5060".to_owned()),
            ("[2001:db8::1]:5060".to_owned(), "v6-peer".to_owned()),
        ]);
        let table = AliasTable::from_transaction(&map);
        assert_eq!(table.resolve(&host("10.0.0.5", 5060)), Some("SBC-1"));
        assert_eq!(table.resolve(&host("10.0.0.5", 5080)), None);
        assert_eq!(table.resolve(&host("10.0.0.9", 5060)), None);
        assert_eq!(table.resolve(&host("2001:db8::1", 5060)), Some("v6-peer"));
    }

    #[test]
    fn lane_mode_round_trips_url_names() {
        for mode in LaneMode::ALL {
            assert_eq!(LaneMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(LaneMode::parse("x"), None);
    }
}
