//! A real OpenLDAP `slapd` (Debian's package; `scripts/setup.sh --test` installs it) on a free
//! 127.0.0.1 port, with a small directory loaded by `ldapadd`, stopped when dropped.
//!
//! The directory (`dc=example,dc=org`):
//! - `alice` (password `alice-pw`) in `voip-support` and `noc`;
//! - `bob` (`bob-pw`) in `noc`;
//! - `carol` (`carol-pw`) in `staff` only (a group no role map names);
//! - `dave` (`dave-pw`) in `voip-support`, disabled: `pwdAccountLockedTime` under the ppolicy overlay.
//!   The `memberof` overlay maintains `memberOf` on users, as Active Directory does.

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
    dir: PathBuf,
    child: Option<Child>,
}

impl Slapd {
    /// Starts slapd with the directory above loaded.
    pub fn start() -> Slapd {
        let dir = super::app::temp_dir("slapd");
        std::fs::create_dir_all(dir.join("db")).unwrap();
        std::fs::write(dir.join("slapd.conf"), slapd_conf(&dir)).unwrap();
        std::fs::write(dir.join("data.ldif"), directory_ldif()).unwrap();
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut slapd = Slapd {
            addr,
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
        let child = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(self.dir.join("slapd.conf"))
            .args(["-h", &format!("{}/", self.url()), "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd (Debian's slapd; scripts/setup.sh --test installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "slapd did not listen on {}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
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

fn slapd_conf(dir: &std::path::Path) -> String {
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
database mdb
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
