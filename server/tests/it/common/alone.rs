//! Running one test in a process of its own, for the figures that belong to a whole process (peak RSS,
//! a killed writer): every integration test shares one binary, so its process is shared too.

use std::process::Command;

/// Set in the child: run the test's body.
const ALONE_ENV: &str = "HEPSCOPE_TEST_ALONE";

/// Whether the caller should run its body: `true` in a child started by this function (running only
/// the test `name`, `<module>::<fn>`), `false` in the parent once that child has passed.
///
/// The child's output is printed through the test harness (shown on failure or with `--nocapture`), so
/// its own `test result:` line does not count twice in `scripts/test.sh`'s totals.
///
/// # Panics
/// The child fails or cannot start.
pub fn in_own_process(name: &str) -> bool {
    if std::env::var_os(ALONE_ENV).is_some() {
        return true;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE_ENV, "1")
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&output.stdout));
    print!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "{name} in its own process: {}",
        output.status
    );
    false
}
