//! What the tests that run `roundtable serve` as a process share.

use roundtable_testkit::TestDatabase;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts `roundtable serve` on a free port, on `database` and with the
/// extra `environment`; returns it with its address (`http://host:port`).
pub fn start_server(database: &TestDatabase, environment: &[(&str, &str)]) -> (Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_roundtable"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("ROUNDTABLE_DATABASE", database.url())
        .envs(environment.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        if let Some(rest) = line.strip_prefix("Roundtable is serving on ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let address = if address.starts_with("http") {
        address
    } else {
        format!("http://{address}")
    };
    (server, address)
}
