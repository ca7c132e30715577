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
    Ok(Run {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: quantile(&latencies, 0.50),
        p99_ms: quantile(&latencies, 0.99),
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

/// Milliseconds from a booking's 201 to its row in the case summary, for `count` bookings made
/// one after another.
async fn projection_lag(
    address: std::net::SocketAddr,
    pool: &sqlx::PgPool,
    count: u64,
    next: Arc<AtomicU64>,
) -> anyhow::Result<(f64, f64)> {
    let client = reqwest::Client::new();
    let mut lags = Vec::new();
    for _ in 0..count {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let start = local_at(
            1 + (i % DAYS) as i64,
            8 + ((i / DAYS) % SLOTS_PER_DAY / 2) as u32,
            (((i / DAYS) % 2) * 30) as u32,
        );
        let response = as_clerk(client.post(format!("http://{address}/v1/requests")))
            .json(&booking_body("PADRON-ALTA", start))
            .send()
            .await?;
        if response.status() != reqwest::StatusCode::CREATED {
            continue;
        }
        let committed = Instant::now();
        let id: uuid::Uuid = response.json::<serde_json::Value>().await?["id"]
            .as_str()
            .context("id")?
            .parse()?;
        loop {
            let visible: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM case_summary WHERE request_id = $1)",
            )
            .bind(id)
            .fetch_one(pool)
            .await?;
            if visible {
                break;
            }
            if committed.elapsed() > Duration::from_secs(10) {
                bail!("booking {id} not projected within 10 s");
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        lags.push(committed.elapsed().as_secs_f64() * 1000.0);
    }
    lags.sort_by(|a, b| a.total_cmp(b));
    Ok((quantile(&lags, 0.5), quantile(&lags, 0.99)))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// `wrk` against `GET /v1/requests/{id}` as a clerk: requests per second and p99 in ms.
fn get_load(
    address: std::net::SocketAddr,
    id: &str,
    seconds: u64,
) -> anyhow::Result<(f64, String)> {
    let output = Command::new("wrk")
        .args(["-t2", "-c32", &format!("-d{seconds}s"), "--latency"])
        .arg("-H")
        .arg(format!(
            "Authorization: Bearer {}",
            tests::staff_token("clerk", "clerk-bench")
        ))
        .arg(format!("http://{address}/v1/requests/{id}"))
        .output()
        .context("wrk runs (Debian package wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.contains("Non-2xx") {
        bail!("wrk failed or saw errors: {text}");
    }
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .context("wrk printed no Requests/sec")?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    Ok((rps, p99))
}

/// Resident memory of a process: (current, peak) in MiB.
fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Makes a case of `events` events (one booking, then reschedules back and forth) and times
/// loading it: the aggregate through postgres-es, and the case summary folded from its events.
/// Waits until every due receipt went out, then: (receipts sent, receipts per second between the
/// first and the last, due-to-sent p50 and p99 in ms).
async fn mail_drain(pool: &sqlx::PgPool) -> anyhow::Result<(i64, f64, f64, f64)> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM mail_outbox WHERE kind = 'receipt' AND status = 'pending'",
        )
        .fetch_one(pool)
        .await?;
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (count, span, p50, p99): (i64, Option<f64>, Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT count(*), extract(epoch FROM max(sent_at) - min(sent_at))::float8, \
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - due_at)) * 1000)::float8, \
           (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - due_at)) * 1000)::float8 \
         FROM mail_outbox WHERE kind = 'receipt' AND status = 'sent'",
    )
    .fetch_one(pool)
    .await?;
    let rate = span.filter(|s| *s > 0.0).map_or(0.0, |s| count as f64 / s);
    Ok((count, rate, p50.unwrap_or(0.0), p99.unwrap_or(0.0)))
}

async fn replay(
    address: std::net::SocketAddr,
    pool: &sqlx::PgPool,
    events: usize,
) -> anyhow::Result<(f64, f64)> {
    let client = reqwest::Client::new();
    let (a, b) = (local_at(3300, 12, 0), local_at(3301, 12, 0));
    let created: serde_json::Value = as_clerk(client.post(format!("http://{address}/v1/requests")))
        .json(&booking_body("PADRON-ALTA", a))
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"].as_str().context("id")?.to_string();
    for n in 1..events {
        let start = if n % 2 == 1 { b } else { a };
        let response =
            as_clerk(client.post(format!("http://{address}/v1/requests/{id}/reschedule")))
                .json(&serde_json::json!({ "start": start.to_rfc3339() }))
                .send()
                .await?;
        if response.status() != reqwest::StatusCode::OK {
            bail!("reschedule {n} failed: {}", response.text().await?);
        }
    }
    let uuid: uuid::Uuid = id.parse()?;
    let bus: infrastructure::command_bus::CommandBus<domain::citizen_request::CitizenRequest> =
        infrastructure::command_bus::CommandBus::new(pool.clone(), tests::test_personal_data(), ());
    let mut aggregate_ms = Vec::new();
    let mut fold_ms = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let (_, version) = bus.load(&id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        aggregate_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        if version != events {
            bail!("the case has {version} events, not {events}");
        }
        let mut conn = pool.acquire().await?;
        let started = Instant::now();
        infrastructure::read_models::case_summary_from_events(
            &mut conn,
            &tests::test_personal_data(),
            uuid,
        )
        .await?;
        fold_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    aggregate_ms.sort_by(|x, y| x.total_cmp(y));
    fold_ms.sort_by(|x, y| x.total_cmp(y));
    Ok((quantile(&aggregate_ms, 0.5), quantile(&fold_ms, 0.5)))
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
    let pid = process.child.id();
    let next = Arc::new(AtomicU64::new(0));
    // Warm up connections and caches.
    bookings(process.address, 4, 2, next.clone()).await?;

    let mut rows = Vec::new();
    for &clients in &args.clients {
        let run = bookings(process.address, clients, args.seconds, next.clone()).await?;
        let tps = pgbench(&server, &database, clients, args.seconds)?;
        rows.push((clients, run, tps));
    }
    let (lag_p50, lag_p99) = projection_lag(process.address, &pool, 200, next.clone()).await?;
    let some_case: uuid::Uuid = sqlx::query_scalar("SELECT request_id FROM case_summary LIMIT 1")
        .fetch_one(&pool)
        .await?;
    let (get_rps, get_p99) = get_load(process.address, &some_case.to_string(), args.seconds)?;
    let (rss, rss_peak) = rss_mib(pid);
    let (replay_aggregate_ms, replay_fold_ms) = replay(process.address, &pool, 1000).await?;
    let mail = mail_drain(&pool).await?;
    process.kill_9();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await?;
    let mut rebuilds = Vec::new();
    for projector in infrastructure::projector::all(chrono_tz::Europe::Madrid) {
        let started = Instant::now();
        let applied = infrastructure::projector::rebuild(
            &pool,
            &tests::test_personal_data(),
            projector.as_ref(),
            500,
        )
        .await?;
        rebuilds.push((
            projector.name(),
            applied as f64 / started.elapsed().as_secs_f64(),
        ));
    }
    pool.close().await;

    println!("| measure | measured | target |");
    println!("|---|---:|---|");
    for (clients, run, tps) in &rows {
        println!(
            "| bookings/s, {clients} client(s) | {:.0} | |",
            run.per_second
        );
        println!(
            "| pgbench single-row inserts/s, {clients} client(s), same database | {tps:.0} | |"
        );
        let target = if *clients == 16 { "≥ 0.8" } else { "" };
        println!(
            "| ratio bookings / pgbench, {clients} client(s) | {:.2} | {target} |",
            run.per_second / tps
        );
        println!(
            "| booking latency p50 / p99, {clients} client(s) | {:.1} / {:.1} ms | |",
            run.p50_ms, run.p99_ms
        );
        if run.failed > 0 {
            println!(
                "| failed bookings, {clients} client(s) | {} | 0 |",
                run.failed
            );
        }
    }
    println!(
        "| projection lag p50 / p99 (201 to case summary row) | {lag_p50:.1} / {lag_p99:.1} ms | p99 < 50 ms |"
    );
    println!(
        "| GET /v1/requests/{{id}} (wrk, 32 connections) | {get_rps:.0} req/s, p99 {get_p99} | ≥ 5,000 req/s |"
    );
    println!("| server RSS after the load / peak | {rss:.0} / {rss_peak:.0} MiB | |");
    println!(
        "| receipts written (files transport) while booking: count / rate / due-to-sent p50, p99 | {} / {:.0} per s / {:.0}, {:.0} ms | |",
        mail.0, mail.1, mail.2, mail.3
    );
    println!(
        "| replay of a 1,000-event case: aggregate load / case-summary fold | {replay_aggregate_ms:.1} / {replay_fold_ms:.1} ms | < 20 ms |"
    );
    for (name, rate) in &rebuilds {
        println!("| rebuild of {name} from position zero | {rate:.0} events/s | |");
    }
    println!("{}", recorder_row());
    println!(
        "\n{events} events in the log; each booking is 2 event-store transactions (Agenda, then CitizenRequest)."
    );
    println!("database {database} kept for inspection; scripts/test.sh drops it.");
    Ok(())
}

/// The recorder's row, from the figures scripts/bench.sh had the recorder's benchmark write
/// (`ARRETA_BENCH_RECORDER_FILE`): two calls, four publications, recorded at once.
fn recorder_row() -> String {
    let figures = std::env::var("ARRETA_BENCH_RECORDER_FILE")
        .ok()
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    match figures {
        Some(f) => format!(
            "| recorder CPU-s per media second per call, peak RSS, 2 calls ({} for {:.0} s) | {:.3}, {:.1} MiB | < 0.05 |",
            f["video"].as_str().unwrap_or("?"),
            f["media_seconds"].as_f64().unwrap_or(0.0),
            f["cpu_seconds_per_media_second_per_call"]
                .as_f64()
                .unwrap_or(f64::NAN),
            f["peak_rss_mib_recording"].as_f64().unwrap_or(f64::NAN),
        ),
        None => "| recorder CPU-s per media second per call, peak RSS, 2 calls | not measured in this run (scripts/bench.sh measures it) | < 0.05 |".into(),
    }
}
