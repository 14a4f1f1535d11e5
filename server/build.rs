//! Build-time facts for the `hepscope` binary:
//!
//! - `HEPSCOPE_GIT_COMMIT`: the git commit the binary was built from (`unknown` outside a git
//!   checkout; a build without `.git`, such as a container stage, may set the variable itself).
//! - `$OUT_DIR/embedded_ui.rs`: the front end embedded in the binary. The files of Trunk's `dist/`
//!   (`HEPSCOPE_EMBED_DIST`, or in a release build the workspace's `dist/`) when it holds an
//!   `index.html`, otherwise a one-page placeholder saying the binary was built without the UI, so the
//!   server always compiles. Debug builds (tests) embed the placeholder unless told otherwise: a debug
//!   WASM is tens of megabytes, linked into every test binary, and development serves `--dist dist`.
//!   Compressible files get brotli (quality 11) and gzip (level 9) variants made here, served as is
//!   when the browser accepts them. A debug build of a real `dist/` skips them (brotli 11 over a debug
//!   WASM takes minutes; the server compresses on the fly instead) unless `HEPSCOPE_PRECOMPRESS=1`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files smaller than this are not worth a compressed variant.
const MIN_COMPRESS_BYTES: usize = 256;
/// Extensions whose content compresses (text and WASM); images and fonts are compressed already.
const COMPRESSIBLE: &[&str] = &[
    "html", "js", "mjs", "wasm", "css", "svg", "json", "map", "txt",
];

const PLACEHOLDER: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>hepscope</title></head><body>\n<h1>hepscope was built without the UI</h1>\n\
<p>This binary embeds no front end: <code>dist/</code> was not built when it was compiled. \
Build the release with <code>scripts/release.sh</code>, or point <code>--dist</code> at a \
<code>trunk build</code> output. The API under <code>/api/</code> works.</p>\n</body></html>\n";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=HEPSCOPE_GIT_COMMIT={}", git_commit());
    if let Err(e) = embed_ui() {
        panic!("embedding the front end: {e}");
    }
}

fn git_commit() -> String {
    println!("cargo:rerun-if-env-changed=HEPSCOPE_GIT_COMMIT");
    if let Ok(commit) = std::env::var("HEPSCOPE_GIT_COMMIT") {
        if !commit.trim().is_empty() {
            return commit.trim().to_string();
        }
    }
    // Rebuild when HEAD moves: HEAD itself (a branch switch) and the branch's ref (a commit).
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &reference]) {
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string())
}

/// One line of git's output, relative paths made absolute against the working directory.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    if text.is_empty() {
        return None;
    }
    if args.contains(&"--git-path") {
        let path = PathBuf::from(&text);
        let abs = if path.is_absolute() {
            path
        } else {
            std::env::current_dir().ok()?.join(path)
        };
        return Some(abs.to_string_lossy().into_owned());
    }
    Some(text)
}

fn embed_ui() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed=HEPSCOPE_EMBED_DIST");
    println!("cargo:rerun-if-env-changed=HEPSCOPE_PRECOMPRESS");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let explicit = std::env::var_os("HEPSCOPE_EMBED_DIST").map(PathBuf::from);
    let dist = explicit
        .clone()
        .or_else(|| release.then(|| manifest.join("..").join("dist")))
        .unwrap_or_default();
    // A missing path would make cargo rerun this script on every build, so only an existing
    // dist/ is watched; release.sh sets HEPSCOPE_EMBED_DIST, which reruns it when dist/ appears.
    let from_dist = !dist.as_os_str().is_empty() && dist.join("index.html").is_file();
    let ui_dir = out_dir.join("ui");
    if ui_dir.exists() {
        std::fs::remove_dir_all(&ui_dir)?;
    }
    std::fs::create_dir_all(&ui_dir)?;
    let mut files = Vec::new();
    if from_dist {
        println!("cargo:rerun-if-changed={}", dist.display());
        collect(&dist, &dist, &mut files)?;
    } else {
        if explicit.is_some() {
            return Err(format!("HEPSCOPE_EMBED_DIST={} has no index.html", dist.display()).into());
        }
        let index = ui_dir.join("index.html");
        std::fs::write(&index, PLACEHOLDER)?;
        files.push(("index.html".to_string(), index));
    }
    files.sort();
    let precompress = match std::env::var("HEPSCOPE_PRECOMPRESS").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => release || !from_dist,
    };
    let mut code = String::new();
    writeln!(
        code,
        "/// True when the files come from a built `dist/`, false for the placeholder."
    )?;
    writeln!(code, "pub const FROM_DIST: bool = {from_dist};")?;
    writeln!(code, "/// The embedded files, sorted by path.")?;
    writeln!(code, "pub static FILES: &[EmbeddedFile] = &[")?;
    for (i, (rel, path)) in files.iter().enumerate() {
        let bytes = std::fs::read(path)?;
        let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let compressible = precompress
            && bytes.len() >= MIN_COMPRESS_BYTES
            && ext.as_deref().is_some_and(|e| COMPRESSIBLE.contains(&e));
        let (br, gzip) = if compressible {
            let br_path = ui_dir.join(format!("{i}.br"));
            let gz_path = ui_dir.join(format!("{i}.gz"));
            let br = brotli_bytes(&bytes)?;
            let gz = gzip_bytes(&bytes)?;
            // A variant that saves nothing is left out.
            let br =
                (br.len() < bytes.len()).then(|| std::fs::write(&br_path, &br).map(|_| br_path));
            let gz =
                (gz.len() < bytes.len()).then(|| std::fs::write(&gz_path, &gz).map(|_| gz_path));
            (br.transpose()?, gz.transpose()?)
        } else {
            (None, None)
        };
        let include = |p: &Option<PathBuf>| match p {
            Some(p) => format!("Some(include_bytes!({:?}))", p.to_string_lossy()),
            None => "None".to_string(),
        };
        writeln!(
            code,
            "    EmbeddedFile {{ path: {rel:?}, body: include_bytes!({:?}), br: {}, gzip: {} }},",
            path.to_string_lossy(),
            include(&br),
            include(&gzip),
        )?;
    }
    writeln!(code, "];")?;
    std::fs::write(out_dir.join("embedded_ui.rs"), code)?;
    Ok(())
}

/// Every file under `dir`, as (path relative to `root` with `/` separators, absolute path).
fn collect(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(String, PathBuf)>,
) -> Result<(), Box<dyn std::error::Error>> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, files)?;
        } else {
            let rel = path.strip_prefix(root)?;
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, std::fs::canonicalize(&path)?));
        }
    }
    Ok(())
}

fn brotli_bytes(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
    }
    Ok(out)
}

fn gzip_bytes(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}
