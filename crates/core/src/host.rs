//! The one way hosts are written: `ip:port`, with brackets around IPv6 (`[2001:db8::1]:5060`), as
//! homer-app keys hosts and as the browser shows them. The store's `srcIp`-style keys, the exports and
//! the result tables all use it, so a host reads the same everywhere.

use std::fmt;

/// A transport address as HOMER rows and live frames give it: the IP as text and the port if known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// IP address text.
    pub ip: String,
    /// Port, if known.
    pub port: Option<u16>,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&host_port(&self.ip, self.port))
    }
}

/// `ip:port`, with brackets around IPv6; just the IP when the port is unknown.
pub fn host_port(ip: &str, port: Option<u16>) -> String {
    let ip = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_owned()
    };
    match port {
        Some(port) => format!("{ip}:{port}"),
        None => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_brackets_ipv6_only() {
        assert_eq!(host_port("10.0.0.5", Some(5060)), "10.0.0.5:5060");
        assert_eq!(host_port("2001:db8::1", Some(5060)), "[2001:db8::1]:5060");
        assert_eq!(host_port("2001:db8::1", None), "[2001:db8::1]");
        assert_eq!(host_port("10.0.0.5", None), "10.0.0.5");
    }

    #[test]
    fn display_is_host_port() {
        let host = HostPort {
            ip: "::1".into(),
            port: Some(5061),
        };
        assert_eq!(host.to_string(), "[::1]:5061");
    }
}
