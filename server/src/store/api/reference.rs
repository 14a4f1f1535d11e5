//! Reference data of the HOMER API: the alias list from `[[alias]]` (`GET /alias`), alias
//! resolution for transaction answers, and the data-node list (`GET /database/node/list`).

use std::net::IpAddr;

use app::domain::alias;
use serde_json::{json, Value};

use hepscope_store::config::AliasConfig;

/// The one data node of the embedded store, as homer-app names a single-database setup.
pub const NODE: &str = "localnode";

/// The answer of `GET /database/node/list`.
pub fn node_list() -> Value {
    json!({ "count": 1, "data": [ { "value": NODE, "name": "LocalNode" } ] })
}

/// The answer of `GET /alias`: homer-app's alias rows, sorted by guid.
pub fn alias_list(aliases: &[AliasConfig]) -> Value {
    let data: Vec<Value> = aliases
        .iter()
        .enumerate()
        .map(|(index, alias)| {
            json!({
                "id": index + 1,
                "guid": format!("00000000-0000-4000-a000-{:012x}", index + 1),
                "alias": alias.name,
                "ip": alias.ip.to_string(),
                "port": alias.port,
                "mask": alias.prefix,
                "captureID": "0",
                "status": true,
            })
        })
        .collect();
    json!({ "data": data })
}

/// `ip:port`, with brackets for IPv6 (`[2001:db8::1]:5060`), as homer-app keys hosts: the one
/// host formatting of [`hepscope_core::host`], so the store's keys match the browser's.
pub fn host_key(ip: &str, port: u16) -> String {
    hepscope_core::host::host_port(ip, Some(port))
}

/// The alias of `ip` and `port` by the domain's one rule ([`alias::resolve`]): the longest matching
/// prefix, then this port over port 0 ("any"), so the ladder names the host the same way.
pub fn resolve<'a>(aliases: &'a [AliasConfig], ip: &str, port: u16) -> Option<&'a str> {
    let addr: IpAddr = ip.parse().ok()?;
    alias::resolve(aliases, addr, Some(port)).map(|a| a.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(ip: &str, prefix: u8, port: u16, name: &str) -> AliasConfig {
        AliasConfig {
            ip: ip.parse().unwrap(),
            prefix,
            port,
            name: name.into(),
        }
    }

    #[test]
    fn resolve_prefers_longest_prefix_then_port_then_any_port() {
        let aliases = vec![
            alias("10.0.0.0", 8, 0, "core"),
            alias("10.0.0.5", 32, 0, "sbc"),
            alias("10.0.0.5", 32, 5080, "sbc-internal"),
            alias("2001:db8::", 32, 0, "v6-net"),
        ];
        assert_eq!(resolve(&aliases, "10.0.0.5", 5060), Some("sbc"));
        assert_eq!(resolve(&aliases, "10.0.0.5", 5080), Some("sbc-internal"));
        assert_eq!(resolve(&aliases, "10.9.9.9", 5060), Some("core"));
        assert_eq!(resolve(&aliases, "192.0.2.1", 5060), None);
        assert_eq!(resolve(&aliases, "2001:db8::7", 5060), Some("v6-net"));
        assert_eq!(resolve(&aliases, "not-an-ip", 1), None);
    }

    #[test]
    fn host_alias_for_any_port_beats_network_alias_for_the_port() {
        let aliases = vec![
            alias("10.0.0.0", 24, 5060, "lan-sip"),
            alias("10.0.0.5", 32, 0, "sbc"),
        ];
        assert_eq!(resolve(&aliases, "10.0.0.5", 5060), Some("sbc"));
        assert_eq!(resolve(&aliases, "10.0.0.6", 5060), Some("lan-sip"));
        assert_eq!(resolve(&aliases, "10.0.0.0", 0), None);
    }

    #[test]
    fn host_key_brackets_ipv6() {
        assert_eq!(host_key("10.0.0.5", 5060), "10.0.0.5:5060");
        assert_eq!(host_key("2001:db8::1", 5060), "[2001:db8::1]:5060");
    }

    #[test]
    fn alias_list_has_homer_row_shape() {
        let list = alias_list(&[alias("10.0.0.5", 32, 5060, "SBC-1")]);
        let row = &list["data"][0];
        assert_eq!(row["alias"], "SBC-1");
        assert_eq!(row["mask"], 32);
        assert_eq!(row["captureID"], "0");
        assert_eq!(row["status"], true);
    }
}
