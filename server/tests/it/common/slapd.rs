//! A real OpenLDAP `slapd` (Debian's package; `scripts/setup.sh --test` installs it) on a free
//! 127.0.0.1 port, with a small directory loaded by `ldapadd`, stopped when dropped.
//!
//! The directory (`dc=example,dc=org`):
//! - `alice` (password `alice-pw`) in `voip-support` and `noc`;
//! - `bob` (`bob-pw`) in `noc`;
//! - `carol` (`carol-pw`) in `staff` only (a group no role map names);
//! - `dave` (`dave-pw`) in `voip-support`, disabled: `pwdAccountLockedTime` under the ppolicy overlay.
//!   The `memberof` overlay maintains `memberOf` on users, as Active Directory does.
//!
//! [`Slapd::start_tls`] adds TLS: a CA and a server certificate for 127.0.0.1/localhost generated
//! here with rcgen, StartTLS on the `ldap://` port and a second `ldaps://` port.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory's suffix.
pub const SUFFIX: &str = "dc=example,dc=org";
/// The directory manager (also the search account in the tests).
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=org";
pub const ADMIN_PASSWORD: &str = "directory-admin-pw";

/// (uid, password, groups, disabled)
pub const USERS: &[(&str, &str, &[&str], bool)] = &[
    ("alice", "alice-pw", &["voip-support", "noc"], false),
    ("bob", "bob-pw", &["noc"], false),
    ("carol", "carol-pw", &["staff"], false),
    ("dave", "dave-pw", &["voip-support"], true),
];

/// A running slapd; killed when dropped.
pub struct Slapd {
    pub addr: SocketAddr,
    /// With [`Slapd::start_tls`].
    pub tls: Option<SlapdTls>,
    dir: PathBuf,
    child: Option<Child>,
}

/// The TLS side of a [`Slapd::start_tls`] directory.
pub struct SlapdTls {
    /// The `ldaps://` listener.
    pub ldaps_addr: SocketAddr,
    /// PEM of the CA that signed the server's certificate (for `[auth.ldap] ca_file`).
    pub ca_file: PathBuf,
}

impl Slapd {
    /// Starts slapd with the directory above loaded, without TLS.
    pub fn start() -> Slapd {
        Self::start_with(false)
    }

    /// Starts slapd with TLS: StartTLS on [`Self::url`] and `ldaps://` on [`SlapdTls::ldaps_addr`],
    /// with a server certificate for 127.0.0.1 and localhost signed by a CA made for this test.
    pub fn start_tls() -> Slapd {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Slapd {
        let dir = super::app::temp_dir("slapd");
        std::fs::create_dir_all(dir.join("db")).unwrap();
        let tls_conf = if tls {
            write_certificates(&dir)
        } else {
            String::new()
        };
        let tls = tls.then(|| SlapdTls {
            ldaps_addr: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
            ca_file: dir.join("ca.pem"),
        });
        std::fs::write(dir.join("slapd.conf"), slapd_conf(&dir, &tls_conf)).unwrap();
        std::fs::write(dir.join("data.ldif"), directory_ldif()).unwrap();
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut slapd = Slapd {
            addr,
            tls,
            dir,
            child: None,
        };
        slapd.run();
        let added = Command::new("ldapadd")
            .args([
                "-x",
                "-H",
                &slapd.url(),
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
                "-f",
            ])
            .arg(slapd.dir.join("data.ldif"))
            .stdout(Stdio::null())
            .output()
            .expect("ldapadd (Debian's ldap-utils; scripts/setup.sh --test installs it)");
        assert!(
            added.status.success(),
            "ldapadd failed: {}",
            String::from_utf8_lossy(&added.stderr)
        );
        slapd
    }

    /// Applies an LDIF change (`ldapmodify` as the directory manager).
    pub fn modify(&self, ldif: &str) {
        let path = self.dir.join("change.ldif");
        std::fs::write(&path, ldif).unwrap();
        let changed = Command::new("ldapmodify")
            .args([
                "-x",
                "-H",
                &self.url(),
                "-D",
                ADMIN_DN,
                "-w",
                ADMIN_PASSWORD,
                "-f",
            ])
            .arg(&path)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(
            changed.status.success(),
            "ldapmodify failed: {}",
            String::from_utf8_lossy(&changed.stderr)
        );
    }

    /// `ldap://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("ldap://{}", self.addr)
    }

    /// `ldaps://127.0.0.1:<port>` of a [`Self::start_tls`] directory.
    pub fn ldaps_url(&self) -> String {
        let tls = self.tls.as_ref().expect("slapd started with start_tls");
        format!("ldaps://{}", tls.ldaps_addr)
    }

    /// Stops slapd (the directory goes down; [`Self::restart`] brings it back with its data).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the stopped slapd again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    fn run(&mut self) {
        let mut urls = format!("{}/", self.url());
        if self.tls.is_some() {
            urls.push_str(&format!(" {}/", self.ldaps_url()));
        }
        let child = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(self.dir.join("slapd.conf"))
            .args(["-h", &urls, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd (Debian's slapd; scripts/setup.sh --test installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let addrs = std::iter::once(self.addr).chain(self.tls.as_ref().map(|t| t.ldaps_addr));
        for addr in addrs {
            while TcpStream::connect(addr).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "slapd did not listen on {addr} (a TLS set-up error makes it exit; run \
                     /usr/sbin/slapd -d 1 -f {}/slapd.conf to see it)",
                    self.dir.display()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `global`: more global-section lines (the TLS settings), which slapd takes only before `database`.
fn slapd_conf(dir: &std::path::Path, global: &str) -> String {
    let dir = dir.display();
    format!(
        "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload memberof
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
{global}database mdb
maxsize 10485760
suffix \"{SUFFIX}\"
rootdn \"{ADMIN_DN}\"
rootpw {ADMIN_PASSWORD}
directory {dir}/db
overlay memberof
overlay ppolicy
ppolicy_default \"cn=default,ou=policies,{SUFFIX}\"
"
    )
}

/// Writes `ca.pem` (a CA made here), `server.pem` and `server.key` (a certificate for 127.0.0.1 and
/// localhost that the CA signed) into `dir`, and returns the slapd.conf lines using them. Debian's
/// slapd uses GnuTLS, which reads rcgen's PEM (PKCS#8 ECDSA key) as it is; the key is left readable
/// by its owner only, who is also the user slapd runs as (the tests start it without `-u`).
fn write_certificates(dir: &std::path::Path) -> String {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "hepscope test directory CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    server_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();
    let (ca_file, cert_file, key_file) = (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    );
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&cert_file, server_cert.pem()).unwrap();
    std::fs::write(&key_file, server_key.serialize_pem()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    format!(
        "TLSCACertificateFile {}\nTLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
        ca_file.display(),
        cert_file.display(),
        key_file.display()
    )
}

/// The test directory as LDIF, generated from [`USERS`].
fn directory_ldif() -> String {
    let mut ldif = format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: example\ndc: example\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: ou=policies,{SUFFIX}\nobjectClass: organizationalUnit\nou: policies\n\n\
         dn: cn=default,ou=policies,{SUFFIX}\nobjectClass: pwdPolicy\nobjectClass: device\ncn: default\n\
         pwdAttribute: userPassword\npwdLockout: TRUE\n\n"
    );
    let mut groups: Vec<&str> = USERS.iter().flat_map(|u| u.2.iter().copied()).collect();
    groups.sort_unstable();
    groups.dedup();
    for (uid, password, _, disabled) in USERS {
        ldif.push_str(&format!(
            "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n\
             userPassword: {password}\n"
        ));
        if *disabled {
            // ppolicy: locked until an administrator removes it.
            ldif.push_str("pwdAccountLockedTime: 000001010000Z\n");
        }
        ldif.push('\n');
    }
    for group in groups {
        ldif.push_str(&format!(
            "dn: cn={group},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {group}\n"
        ));
        for (uid, _, member_of, _) in USERS {
            if member_of.contains(&group) {
                ldif.push_str(&format!("member: uid={uid},ou=people,{SUFFIX}\n"));
            }
        }
        ldif.push('\n');
    }
    ldif
}
