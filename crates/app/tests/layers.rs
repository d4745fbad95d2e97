//! The layering, checked: the rules ARCHITECTURE.md states about which
//! layer may do what are read off the source here, so a change that breaks
//! one fails the suite instead of waiting for a reviewer.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under a folder, with its text.
fn sources(folder: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                found.push((path, text));
            }
        }
    }
    found
}

/// SQL lives in the store. Only the store, the test kit (which creates and
/// drops test databases) and the bare-limits benchmark (which measures the
/// database without Roundtable) may even depend on sqlx.
#[test]
fn sqlx_is_used_only_by_the_store() {
    let allowed = ["store", "testkit", "bench-limits"];
    // Spelled in two halves so this file does not find itself.
    let path_into_sqlx = concat!("sqlx", "::");
    let mut offenders = Vec::new();
    let crates = std::fs::read_dir(workspace().join("crates")).expect("crates/");
    for entry in crates.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if allowed.contains(&name.as_str()) {
            continue;
        }
        let manifest = std::fs::read_to_string(entry.path().join("Cargo.toml")).unwrap_or_default();
        if manifest
            .lines()
            .any(|line| line.trim_start().starts_with("sqlx"))
        {
            offenders.push(format!("crates/{name}/Cargo.toml depends on sqlx"));
        }
        for folder in ["src", "tests", "benches"] {
            for (path, text) in sources(&entry.path().join(folder)) {
                if text.contains(path_into_sqlx) {
                    offenders.push(format!("{} uses sqlx", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "SQL outside the store:\n{}",
        offenders.join("\n")
    );
}

/// The application layer knows no HTTP: it is called by the API and the
/// web pages, never the other way round.
#[test]
fn the_application_layer_knows_nothing_of_http() {
    let mut offenders = Vec::new();
    for (path, text) in sources(&workspace().join("crates/app/src")) {
        for word in ["axum", "roundtable_server", "StatusCode", "askama"] {
            if text.contains(word) {
                offenders.push(format!("{} mentions {word}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

/// A web page calls the application layer's use cases, never the API's
/// axum handlers with hand-built extractors (a page and an endpoint that
/// share a use case cannot drift apart, and neither parses the other's
/// strings). A handler called by hand gets its `State` built by hand: that
/// is what this looks for.
#[test]
fn web_pages_call_use_cases_not_api_handlers() {
    let mut offenders = Vec::new();
    for (path, text) in sources(&workspace().join("crates/server/src/web")) {
        let calls =
            text.matches("State(state.clone()),").count() + text.matches("State(state),").count();
        if calls > 0 {
            offenders.push(format!(
                "{} calls API handlers {calls} times",
                path.display()
            ));
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
