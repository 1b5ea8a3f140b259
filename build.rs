//! The build's git commit for `--version`: PLEO_KEYS_BUILD_COMMIT when set (packagers, builds
//! from a tarball), else `git rev-parse --short=12 HEAD`, else "unknown" (no git, no .git).

use std::path::PathBuf;
use std::process::Command;

const COMMIT_ENV: &str = "PLEO_KEYS_BUILD_COMMIT";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={COMMIT_ENV}");
    let given = std::env::var(COMMIT_ENV)
        .ok()
        .map(|c| clean(&c))
        .filter(|c| !c.is_empty());
    let commit = given.or_else(|| {
        watch_git_head();
        git(&["rev-parse", "--short=12", "HEAD"]).map(|c| clean(&c))
    });
    let commit = commit
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PLEO_KEYS_COMMIT={commit}");
}

/// Whatever goes into the version string: a commit-ish, nothing that could break a line.
fn clean(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '+'))
        .take(40)
        .collect()
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(std::env::var_os("CARGO_MANIFEST_DIR")?)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// Rebuild when HEAD moves: HEAD itself (a checkout), the branch it names (a commit) and
/// packed-refs. Asked of git, so a worktree's files (outside `.git/`) are found too. Only files
/// that exist are named: a missing one would make cargo run this script on every build.
fn watch_git_head() {
    let mut paths = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        paths.push(branch);
    }
    for name in paths {
        let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name]) else {
            continue;
        };
        if PathBuf::from(&path).is_file() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
