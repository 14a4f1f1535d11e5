//! OpenID providers for the OIDC tests:
//! - [`OidcProvider`]: panva's certified `oidc-provider` (e2e/oidc/provider.mjs, installed by `npm ci`
//!   in e2e/) in a node process on a free port, with its development login and consent pages;
//! - [`Browser`]: an HTTP client with a cookie jar that follows redirects and submits those pages.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The client registered in provider.mjs.
pub const CLIENT_ID: &str = "hepscope";
pub const CLIENT_SECRET: &str = "hepscope-test-secret";

/// A running oidc-provider; killed when dropped.
pub struct OidcProvider {
    pub issuer: String,
    child: Child,
}

impl OidcProvider {
    /// Starts the provider, accepting `redirect_uri`.
    pub fn start(redirect_uri: &str) -> OidcProvider {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../e2e/oidc/provider.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .env("OIDC_PORT", "0")
            .env("OIDC_REDIRECT_URIS", redirect_uri)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (scripts/setup.sh installs e2e's npm packages)");
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("oidc-provider listening on ") {
                    let _ = sender.send(issuer.to_string());
                }
            }
        });
        let issuer = receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("oidc-provider started (is `npm ci` done in e2e/?)");
        OidcProvider { issuer, child }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A cookie jar over one host (127.0.0.1; cookies ignore ports, as browsers' do), by name.
pub struct Browser {
    cookies: BTreeMap<String, (String, String)>,
    client: reqwest::Client,
}

/// Where a walk stopped.
pub struct Stop {
    pub status: u16,
    pub url: String,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            cookies: BTreeMap::new(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// The value of cookie `name`, if set.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(|(value, _)| value.as_str())
    }

    pub fn remove_cookie(&mut self, name: &str) {
        self.cookies.remove(name);
    }

    fn cookie_header(&self, url: &str) -> String {
        let path = reqwest::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        self.cookies
            .iter()
            .filter(|(_, (_, cookie_path))| path.starts_with(cookie_path.as_str()))
            .map(|(name, (value, _))| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn store(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all("set-cookie") {
            let text = header.to_str().unwrap_or_default();
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
                continue;
            };
            let mut path = "/".to_string();
            let mut expired = value.is_empty();
            for attribute in parts {
                let attribute = attribute.trim();
                let lower = attribute.to_ascii_lowercase();
                if let Some(p) = lower.strip_prefix("path=") {
                    path = attribute[5..5 + p.len()].to_string();
                }
                if lower == "max-age=0" || lower.starts_with("expires=thu, 01 jan 1970") {
                    expired = true;
                }
            }
            if expired {
                self.cookies.remove(name);
            } else {
                self.cookies
                    .insert(name.to_string(), (value.to_string(), path));
            }
        }
    }

    /// One request with the jar's cookies; the answer's cookies go into the jar.
    pub async fn request(
        &mut self,
        method: &str,
        url: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Stop {
        let client = &self.client;
        let mut request = match method {
            "POST" => client.post(url),
            _ => client.get(url),
        };
        let cookies = self.cookie_header(url);
        if !cookies.is_empty() {
            request = request.header("cookie", cookies);
        }
        if let Some(form) = form {
            let body: String = form
                .iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect::<Vec<_>>()
                .join("&");
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = request.send().await.unwrap();
        self.store(&response);
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|l| join(url, l.to_str().unwrap()));
        let body = response.text().await.unwrap_or_default();
        Stop {
            status,
            url: url.to_string(),
            location,
            body,
        }
    }

    /// Follows redirects from `url`, signing in as `user` on the provider's login page and
    /// consenting, until a redirect to a URL starting with `until` (not followed) or a page with no
    /// form.
    pub async fn walk(&mut self, url: &str, user: &str, until: &str) -> Stop {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut next = (
            String::from("GET"),
            url.to_string(),
            Vec::<(String, String)>::new(),
        );
        loop {
            assert!(Instant::now() < deadline, "the walk did not end");
            let form: Vec<(&str, &str)> = next
                .2
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let stop = self
                .request(
                    &next.0,
                    &next.1,
                    (!form.is_empty()).then_some(form.as_slice()),
                )
                .await;
            if let Some(location) = &stop.location {
                if location.starts_with(until) {
                    return stop;
                }
                next = ("GET".into(), location.clone(), Vec::new());
                continue;
            }
            let Some(action) = form_action(&stop.body) else {
                return stop;
            };
            let action = join(&stop.url, &action);
            let fields = if stop.body.contains("name=\"login\"") {
                vec![
                    ("prompt".to_string(), "login".to_string()),
                    ("login".to_string(), user.to_string()),
                    ("password".to_string(), "any password".to_string()),
                ]
            } else {
                vec![("prompt".to_string(), "consent".to_string())]
            };
            next = ("POST".into(), action, fields);
        }
    }
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("<form")?;
    let rest = &html[start..];
    let action = rest.find("action=\"")? + 8;
    let end = rest[action..].find('"')?;
    Some(rest[action..action + end].replace("&amp;", "&"))
}

fn join(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_string())
}

/// `application/x-www-form-urlencoded` escaping.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
