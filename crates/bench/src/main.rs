//! `roundtable-bench`: the data side of the benchmark harness (`bench/run`
//! drives the servers and the load generator).

use clap::{Parser, Subcommand};
use roundtable_bench::{Scale, generate, people_csv};
use roundtable_store::{Store, StoreOptions};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "roundtable-bench",
    about = "Data for Roundtable's benchmark harness"
)]
struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates the `bench` organization with its history in a migrated database,
    /// then prints what the load needs as `key=value` lines.
    Generate {
        #[arg(long, env = "ROUNDTABLE_DATABASE")]
        database: String,
        #[command(flatten)]
        scale: Scale,
    },
    /// Writes a people CSV of `count` rows for the import workload.
    PeopleCsv {
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = Scale::full().departments)]
        departments: usize,
        #[arg(long)]
        output: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Arguments::parse().command {
        Command::Generate { database, scale } => {
            let store = Store::connect(&database, &StoreOptions::default()).await?;
            store.migrate().await?;
            let started = Instant::now();
            let generated = generate(&store, &scale, |written| {
                eprintln!(
                    "  {written} of {} requests written ({:.0} s)",
                    scale.requests,
                    started.elapsed().as_secs_f64()
                );
            })
            .await?;
            store.close().await;
            println!("generate_seconds={:.1}", started.elapsed().as_secs_f64());
            println!("organization_id={}", generated.organization_id);
            println!("queue_department_id={}", generated.queue_department_id);
            println!("queue_open_requests={}", generated.queue_open_requests);
            println!("service_id={}", generated.service_id);
            println!("requests={}", generated.requests);
            println!("answered_checks={}", generated.answered_checks);
            println!("pulse_responses={}", generated.pulse_responses);
            println!("admin_email={}", roundtable_bench::ADMIN_EMAIL);
            println!("requester_email={}", roundtable_bench::REQUESTER_EMAIL);
        }
        Command::PeopleCsv {
            count,
            departments,
            output,
        } => {
            std::fs::write(&output, people_csv(count, departments))?;
        }
    }
    Ok(())
}
