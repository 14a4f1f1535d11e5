//! The backends view (dex's `endpoints` and `discover`) and the aliases view (dex's `aliases`):
//! their URL state, the alias table's filter and order, and "which alias names this address?".

use std::net::{IpAddr, SocketAddr};

use crate::domain::calls::HostPort;
use crate::domain::homer::{Alias, AliasList};
use crate::domain::ladder::AliasTable;

/// URL key of the backend whose check runs on the backends view (`/backends?check=embedded`).
pub const CHECK_KEY: &str = "check";
/// URL key of the aliases view's filter text.
pub const FILTER_KEY: &str = "q";
/// URL key of the aliases view's address lookup.
pub const LOOKUP_KEY: &str = "ip";

/// One alias as the table shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasRow {
    /// Display name.
    pub name: String,
    /// `ip/mask`, or the bare address for a host mask (/32, /128) or no mask.
    pub network: String,
    /// The port, or `any` for 0.
    pub port: String,
    /// Capture id, or `any` for `"0"` and empty.
    pub capture_id: String,
    /// Inactive aliases are listed but not used to name hosts.
    pub active: bool,
}

impl AliasRow {
    fn from_alias(alias: &Alias) -> Self {
        let ip = alias.ip.trim();
        let host_mask = match ip.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => 32,
            Ok(IpAddr::V6(_)) => 128,
            Err(_) => 0,
        };
        let network = match alias.mask {
            Some(mask) if mask >= 0 && mask != host_mask => format!("{ip}/{mask}"),
            _ => ip.to_owned(),
        };
        let capture = alias.capture_id.trim();
        AliasRow {
            name: alias.alias.trim().to_owned(),
            network,
            port: if alias.port == 0 {
                "any".to_owned()
            } else {
                alias.port.to_string()
            },
            capture_id: if capture.is_empty() || capture == "0" {
                "any".to_owned()
            } else {
                capture.to_owned()
            },
            active: alias.status,
        }
    }
}

/// The aliases whose name or address contains `filter` (case-insensitive; empty = all), active ones
/// first, then by name and address.
pub fn alias_rows(list: &AliasList, filter: &str) -> Vec<AliasRow> {
    let needle = filter.trim().to_lowercase();
    let mut rows: Vec<AliasRow> = list
        .data
        .iter()
        .map(AliasRow::from_alias)
        .filter(|row| {
            needle.is_empty()
                || row.name.to_lowercase().contains(&needle)
                || row.network.to_lowercase().contains(&needle)
        })
        .collect();
    rows.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.network.cmp(&b.network))
    });
    rows
}

/// Why an address lookup could not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The text is not `ip`, `ip:port`, `v6` or `[v6]:port`.
    #[error(
        "{0:?} is not an address: use 10.0.0.5, 10.0.0.5:5060, 2001:db8::1 or [2001:db8::1]:5060"
    )]
    NotAnAddress(String),
}

/// Parses `ip`, `ip:port`, a bare IPv6 address or `[v6]:port`.
pub fn parse_address(text: &str) -> Result<HostPort, LookupError> {
    let text = text.trim();
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Ok(HostPort {
            ip: socket.ip().to_string(),
            port: Some(socket.port()),
        });
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(HostPort {
            ip: ip.to_string(),
            port: None,
        }),
        Err(_) => Err(LookupError::NotAnAddress(text.to_owned())),
    }
}

/// The name the ladder would give `address` with these aliases (active ones only; the longest
/// prefix wins, an exact port before "any port"), or `None` when no alias covers it.
pub fn lookup_alias(list: &AliasList, address: &str) -> Result<Option<String>, LookupError> {
    let host = parse_address(address)?;
    Ok(AliasTable::from_list(list)
        .resolve(&host)
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(name: &str, ip: &str, mask: i64, port: i64, active: bool) -> Alias {
        Alias {
            alias: name.into(),
            ip: ip.into(),
            mask: Some(mask),
            port,
            status: active,
            capture_id: "0".into(),
            ..Alias::default()
        }
    }

    fn list() -> AliasList {
        AliasList {
            data: vec![
                alias("pbx-net", "10.0.2.0", 24, 0, true),
                alias("PBX", "10.0.2.10", 32, 5060, true),
                alias("SBC", "2001:db8::5", 128, 0, true),
                alias("retired", "10.0.9.1", 32, 0, false),
            ],
        }
    }

    #[test]
    fn rows_show_networks_ports_and_put_inactive_last() {
        let rows = alias_rows(&list(), "");
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["PBX", "pbx-net", "SBC", "retired"]);
        assert_eq!(rows[0].network, "10.0.2.10");
        assert_eq!(rows[0].port, "5060");
        assert_eq!(rows[1].network, "10.0.2.0/24");
        assert_eq!(rows[1].port, "any");
        assert_eq!(rows[2].network, "2001:db8::5");
        assert_eq!(rows[0].capture_id, "any");
        assert!(!rows[3].active);
    }

    #[test]
    fn filter_matches_name_or_address_ignoring_case() {
        let names = |f: &str| -> Vec<String> {
            alias_rows(&list(), f).into_iter().map(|r| r.name).collect()
        };
        assert_eq!(names("pbx"), ["PBX", "pbx-net"]);
        assert_eq!(names("db8"), ["SBC"]);
        assert_eq!(names(" 10.0.9 "), ["retired"]);
        assert!(names("nothing").is_empty());
    }

    #[test]
    fn lookup_prefers_the_longest_prefix_and_an_exact_port() {
        let l = list();
        assert_eq!(
            lookup_alias(&l, "10.0.2.10:5060").unwrap().as_deref(),
            Some("PBX")
        );
        assert_eq!(
            lookup_alias(&l, "10.0.2.10:5080").unwrap().as_deref(),
            Some("pbx-net")
        );
        assert_eq!(
            lookup_alias(&l, "10.0.2.77").unwrap().as_deref(),
            Some("pbx-net")
        );
        assert_eq!(
            lookup_alias(&l, "[2001:db8::5]:5061").unwrap().as_deref(),
            Some("SBC")
        );
        assert_eq!(
            lookup_alias(&l, "2001:db8::5").unwrap().as_deref(),
            Some("SBC")
        );
    }

    #[test]
    fn lookup_ignores_inactive_aliases_and_rejects_non_addresses() {
        let l = list();
        assert_eq!(lookup_alias(&l, "10.0.9.1").unwrap(), None);
        assert_eq!(lookup_alias(&l, "192.0.2.1:5060").unwrap(), None);
        let err = lookup_alias(&l, "pbx.example").unwrap_err();
        assert!(err.to_string().contains("is not an address"), "{err}");
    }
}
