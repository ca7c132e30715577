//! `arreta-bench`: bookings per second through the HTTP API of a release `arreta serve`, with 1
//! and with 16 concurrent clients, beside pgbench's single-row-insert transactions per second on
//! the same PostgreSQL database in the same run. Run it with `scripts/bench.sh`.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tests::{ServerProcess, as_clerk, booking_body, local_at, open_settings, write_config};

#[derive(Parser)]
struct Args {
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent clients, comma-separated.
    #[arg(long, default_value = "1,16", value_delimiter = ',')]
    clients: Vec<usize>,
}

/// Service days the bookings are spread over, so that consecutive bookings hit different days'
/// agendas (see the note in the README: one day's agenda is one consistency boundary).
const DAYS: u64 = 3000;
/// Half-hour slots from 08:00 to 20:00 (away from daylight-saving gaps at 02:00).
const SLOTS_PER_DAY: u64 = 24;

struct Run {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    failed: usize,
}

async fn bookings(
    address: std::net::SocketAddr,
    clients: usize,
    seconds: u64,
    next: Arc<AtomicU64>,
) -> anyhow::Result<Run> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (client, next) = (client.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failed = 0usize;
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let day = 1 + (i % DAYS) as i64;
                    let slot = (i / DAYS) % SLOTS_PER_DAY;
                    let start = local_at(day, 8 + (slot / 2) as u32, ((slot % 2) * 30) as u32);
                    let sent = Instant::now();
                    let response = as_clerk(client.post(format!("http://{address}/v1/requests")))
                        .json(&booking_body("PADRON-ALTA", start))
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                            latencies.push(sent.elapsed().as_secs_f64() * 1000.0)
                        }
                        _ => failed += 1,
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for worker in workers {
        let (l, f) = worker.await?;
        latencies.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let quantile = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Run {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: quantile(0.50),
        p99_ms: quantile(0.99),
        failed,
    })
}

fn pgbench(server: &str, database: &str, clients: usize, seconds: u64) -> anyhow::Result<f64> {
    let script = std::env::temp_dir().join(format!("arreta-pgbench-{}.sql", std::process::id()));
    std::fs::write(
        &script,
        "INSERT INTO bench_insert (payload) VALUES ('{\"x\": 1}');\n",
    )?;
    let url = format!("{server}/{database}");
    let output = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .args(["-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(&url)
        .output()
        .context("pgbench runs (it comes with the postgresql package)")?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    text.lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("pgbench printed no tps")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = tests::postgres_server();
    let database = format!("arreta_bench_{}", std::process::id());
    let url = format!("{server}/{database}");
    let pool = infrastructure::database::connect(&url, 4, true).await?;
    infrastructure::database::migrate(&pool).await?;
    sqlx::query("CREATE TABLE bench_insert (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload jsonb NOT NULL)")
        .execute(&pool)
        .await?;
    let mut settings = open_settings();
    settings.database_max_connections = 32;
    let config = write_config(&settings);
    let process = ServerProcess::start(config.path(), &url);
    let next = Arc::new(AtomicU64::new(0));
    // Warm up connections and caches.
    bookings(process.address, 4, 2, next.clone()).await?;

    let mut rows = Vec::new();
    for &clients in &args.clients {
        let run = bookings(process.address, clients, args.seconds, next.clone()).await?;
        let tps = pgbench(&server, &database, clients, args.seconds)?;
        rows.push((clients, run, tps));
    }
    process.kill_9();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await?;
    pool.close().await;

    println!(
        "| clients | bookings/s | p50 ms | p99 ms | failed | pgbench single-row inserts/s | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (clients, run, tps) in rows {
        println!(
            "| {clients} | {:.0} | {:.1} | {:.1} | {} | {:.0} | {:.2} |",
            run.per_second,
            run.p50_ms,
            run.p99_ms,
            run.failed,
            tps,
            run.per_second / tps
        );
    }
    println!(
        "\n{events} events written; each booking is 2 event-store transactions (Agenda, then CitizenRequest)."
    );
    println!("database {database} kept for inspection; scripts/test.sh drops it.");
    Ok(())
}
