//! The host aliases `hepscope demo` serves (`GET /alias`) when the config names none, so the call
//! view's alias columns have names for the demo's hosts: the carrier, the SBC, the PBX and the
//! agents' phones of [`app::domain::fixture`].

use std::net::{IpAddr, Ipv4Addr};

use crate::config::AliasConfig;

/// The demo's aliases: (network, prefix length, port or 0 for any, name).
const DEMO_ALIASES: [([u8; 4], u8, u16, &str); 5] = [
    ([198, 51, 100, 0], 24, 0, "carrier"),
    ([203, 0, 113, 5], 32, 0, "sbc"),
    ([10, 0, 0, 5], 32, 0, "sbc-private"),
    ([10, 0, 0, 20], 32, 0, "pbx"),
    ([10, 0, 1, 0], 24, 0, "phones"),
];

/// The aliases of the demo's hosts.
pub fn demo_aliases() -> Vec<AliasConfig> {
    DEMO_ALIASES
        .iter()
        .map(|&(ip, prefix, port, name)| AliasConfig {
            ip: IpAddr::V4(Ipv4Addr::from(ip)),
            prefix,
            port,
            name: name.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::api::resolve_alias as resolve;
    use app::domain::fixture::{three_leg_call, PacketKind};

    #[test]
    fn demo_aliases_name_every_host_of_the_three_leg_call() {
        let aliases = demo_aliases();
        let mut names = std::collections::BTreeSet::new();
        for packet in three_leg_call(4, 1_700_000_000_000_000) {
            if packet.kind != PacketKind::Sip {
                continue;
            }
            for addr in [packet.src, packet.dst] {
                let name = resolve(&aliases, &addr.ip().to_string(), addr.port());
                names.insert(name.unwrap_or_else(|| panic!("{addr} has no alias")));
            }
        }
        let names: Vec<&str> = names.into_iter().collect();
        assert_eq!(names, ["carrier", "pbx", "phones", "sbc"]);
    }
}
