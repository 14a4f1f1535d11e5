//! Kubernetes service discovery of a HOMER 7 webapp, used when no Homer URL is configured at all.
//!
//! Looks up `homer-webapp.<ns>.svc.cluster.local` and tries TCP ports 80 then 9080. The namespace
//! comes from config or env `HEPSCOPE_NAMESPACE`, else the pod's service-account namespace file,
//! else `default`. DNS and TCP go through [`ServiceResolver`] so tests can fake both.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use futures_util::future::BoxFuture;

/// The Kubernetes service name homer-app is deployed under.
pub const SERVICE_NAME: &str = "homer-webapp";
/// Env var naming the namespace to search.
pub const ENV_NAMESPACE: &str = "HEPSCOPE_NAMESPACE";
/// Where Kubernetes mounts the pod's namespace.
pub const SERVICE_ACCOUNT_NAMESPACE_FILE: &str =
    "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
/// Ports tried, in order.
pub const PORTS: [u16; 2] = [80, 9080];

/// DNS lookups and TCP probes, injectable for tests.
pub trait ServiceResolver: Send + Sync {
    /// Resolves `host` to socket addresses on `port`.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>>;

    /// Opens (and closes) a TCP connection to `addr` within `timeout`.
    fn connect(&self, addr: SocketAddr, timeout: Duration) -> BoxFuture<'_, std::io::Result<()>>;
}

/// The real resolver: the system's DNS through Tokio, real TCP connects.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl ServiceResolver for SystemResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }

    fn connect(&self, addr: SocketAddr, timeout: Duration) -> BoxFuture<'_, std::io::Result<()>> {
        Box::pin(async move {
            match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(_stream)) => Ok(()),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connect to {addr} timed out after {timeout:?}"),
                )),
            }
        })
    }
}

/// The namespace to search: `configured`, else env `HEPSCOPE_NAMESPACE`, else the contents of the
/// service-account file (`service_account`), else `default`. Blank values are skipped.
pub fn namespace(
    configured: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    service_account: Option<&str>,
) -> String {
    configured
        .map(str::to_owned)
        .into_iter()
        .chain(env(ENV_NAMESPACE))
        .chain(service_account.map(str::to_owned))
        .map(|ns| ns.trim().to_owned())
        .find(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

/// Reads the service-account namespace file; `None` when absent or unreadable.
pub fn read_service_account_namespace(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The DNS name of the Homer service in `namespace`.
pub fn service_host(namespace: &str) -> String {
    format!("{SERVICE_NAME}.{namespace}.svc.cluster.local")
}

/// A Homer found by discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovered {
    /// `http://homer-webapp.<ns>.svc.cluster.local[:9080]`.
    pub url: String,
    /// The address that accepted the TCP probe.
    pub addr: SocketAddr,
}

/// Looks for `homer-webapp` in `namespace` on ports 80 then 9080.
///
/// Returns `None` (and logs why at `info`) when the name does not resolve or no port accepts.
pub async fn discover(
    resolver: &dyn ServiceResolver,
    namespace: &str,
    connect_timeout: Duration,
) -> Option<Discovered> {
    let host = service_host(namespace);
    for port in PORTS {
        let addrs = match resolver.resolve(&host, port).await {
            Ok(addrs) => addrs,
            Err(e) => {
                tracing::info!(%host, error = %e, "Homer discovery: name does not resolve");
                return None;
            }
        };
        for addr in addrs {
            match resolver.connect(addr, connect_timeout).await {
                Ok(()) => {
                    let url = if port == 80 {
                        format!("http://{host}")
                    } else {
                        format!("http://{host}:{port}")
                    };
                    tracing::info!(%url, %addr, "Homer discovery: found homer-webapp");
                    return Some(Discovered { url, addr });
                }
                Err(e) => {
                    tracing::info!(%addr, error = %e, "Homer discovery: port does not accept");
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn namespace_prefers_config_then_env_then_file_then_default() {
        let env = |k: &str| (k == ENV_NAMESPACE).then(|| "from-env".to_owned());
        assert_eq!(namespace(Some("cfg"), &env, Some("sa")), "cfg");
        assert_eq!(namespace(None, &env, Some("sa")), "from-env");
        assert_eq!(namespace(None, &no_env, Some("sa\n")), "sa");
        assert_eq!(namespace(None, &no_env, None), "default");
        assert_eq!(namespace(Some("  "), &no_env, None), "default");
    }

    #[test]
    fn service_host_uses_the_cluster_domain() {
        assert_eq!(service_host("voip"), "homer-webapp.voip.svc.cluster.local");
    }

    #[test]
    fn read_service_account_namespace_is_none_when_absent() {
        assert!(read_service_account_namespace(Path::new("/nonexistent/ns")).is_none());
    }
}
