//! What the smoke tests of the load harness and of the benchmark share: finding the
//! `ferroftp` binary they run against. Neither crate depends on `ferroftp`, so Cargo does
//! not build it for them; `ferroftp-bench`'s smoke test includes this file by path.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The `ferroftp` binary: `$FERROFTP_BIN` when set (as scripts/test sets it), otherwise built
/// with `cargo build -p ferroftp`, whose JSON messages name the executable wherever the
/// target directory is. Built once per test binary.
pub fn ferroftp_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("FERROFTP_BIN") {
            return PathBuf::from(p);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        // Both crates that include this file sit in crates/, two levels below the workspace.
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = Command::new(cargo)
            .args(["build", "-p", "ferroftp", "--bin", "ferroftp"])
            .arg("--message-format=json-render-diagnostics")
            .current_dir(&root)
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build -p ferroftp");
        assert!(out.status.success(), "cargo build -p ferroftp failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "ferroftp")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the ferroftp executable")
    })
    .clone()
}
