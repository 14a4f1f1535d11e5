//! The shipping files that cannot run here (no container runtime; the .deb is built and installed by
//! scripts/test-deb.sh): the Dockerfile's stages only use files and scripts that exist, the compose file
//! builds this repository, and the Debian metadata, unit and config are complete and consistent.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The Dockerfile's instructions with continuation lines joined.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

#[test]
fn dockerfile_stages_reference_files_that_exist() {
    let text = read("Dockerfile");
    let steps = instructions(&text);
    let mut froms = 0;
    for step in &steps {
        let (op, args) = step.split_once(' ').unwrap_or((step, ""));
        match op {
            "FROM" => froms += 1,
            "COPY" if !args.starts_with("--from") => {
                let parts: Vec<&str> = args.split_whitespace().collect();
                let (sources, _dest) = parts.split_at(parts.len() - 1);
                assert!(!sources.is_empty(), "{step}");
                for source in sources {
                    assert!(
                        root().join(source).exists(),
                        "COPY source {source} is missing"
                    );
                }
            }
            "RUN" => {
                for word in args.split_whitespace() {
                    if let Some(script) = word.strip_prefix("scripts/") {
                        let path = root().join("scripts").join(script);
                        let meta = std::fs::metadata(&path)
                            .unwrap_or_else(|e| panic!("RUN uses {}: {e}", path.display()));
                        use std::os::unix::fs::PermissionsExt;
                        assert!(
                            meta.permissions().mode() & 0o111 != 0,
                            "{word} is not executable"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(froms, 2, "a build stage and a runtime stage");
    // The build stage runs the same release script as everyone else, with the pinned toolchain.
    assert!(steps
        .iter()
        .any(|s| s.starts_with("RUN scripts/release.sh")));
    let rust_version = read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with(&format!("FROM rust:{rust_version}-"))),
        "the build stage uses rust {rust_version}"
    );
    assert!(steps.iter().any(|s| s == "EXPOSE 8080 9060/udp 9060/tcp"));
    assert!(steps
        .iter()
        .any(|s| s.starts_with("HEALTHCHECK") && s.contains("/readyz")));
    assert!(steps.iter().any(|s| s == "USER hepscope"));
    assert!(steps
        .iter()
        .any(|s| s.contains("VOLUME") && s.contains("/var/lib/hepscope")));
    // Whatever the build copies must not be excluded by .dockerignore.
    let ignored = read(".dockerignore");
    assert!(!ignored
        .lines()
        .any(|l| l.trim() == "scripts" || l.trim() == "server"));
}

#[test]
fn compose_builds_this_repository_with_the_data_volume() {
    let text = read("compose.yaml");
    assert!(text.contains("build: .") && root().join("Dockerfile").exists());
    assert!(text.contains("hepscope-data:/var/lib/hepscope"));
    assert!(text.contains("9060:9060/udp") && text.contains("9060:9060/tcp"));
}

#[test]
fn debian_metadata_unit_and_config_are_complete() {
    let manifest: toml::Value = toml::from_str(&read("server/Cargo.toml")).unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    assert_eq!(deb["name"].as_str(), Some("hepscope"));
    let scripts = root()
        .join("server")
        .join(deb["maintainer-scripts"].as_str().unwrap());
    for script in ["postinst", "prerm", "postrm"] {
        assert!(scripts.join(script).is_file(), "{script}");
    }
    let mut targets = Vec::new();
    for asset in deb["assets"].as_array().unwrap() {
        let source = asset[0].as_str().unwrap();
        if !source.starts_with("target/") {
            assert!(
                root().join("server").join(source).is_file(),
                "asset {source} is missing"
            );
        }
        targets.push(asset[1].as_str().unwrap().to_string());
    }
    for wanted in [
        "usr/bin/",
        "etc/hepscope/hepscope.toml",
        "lib/systemd/system/hepscope.service",
    ] {
        assert!(targets.iter().any(|t| t == wanted), "{wanted}");
    }
    assert_eq!(
        deb["conf-files"].as_array().unwrap()[0].as_str(),
        Some("/etc/hepscope/hepscope.toml")
    );

    let unit = read("server/debian/hepscope.service");
    for line in [
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/hepscope",
        "AmbientCapabilities=",
        "User=hepscope",
        "ExecStart=/usr/bin/hepscope --config /etc/hepscope/hepscope.toml serve",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    assert!(unit.lines().any(|l| l.starts_with("LimitNOFILE=")));

    // The packaged config is valid as installed.
    let raw: server::config::RawConfig =
        toml::from_str(&read("server/debian/hepscope.toml")).unwrap();
    let config = server::config::Config::from_raw(
        raw,
        None,
        &server::config::Overrides::default(),
        &std::collections::BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/hepscope"));
}
