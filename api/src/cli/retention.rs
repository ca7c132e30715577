//! `arreta retention report` and `arreta retention purge`.

use api::server;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use infrastructure::config::Settings;
use infrastructure::retention::{DueItem, DueKind, ObjectOutcome, PurgeRun, ShredOutcome};

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// List what of the ended cases is due to go, and what comes due within `--within-days`:
    /// each document and recording version, and each case's personal data.
    Report {
        /// How far ahead "coming due" looks, in days.
        #[arg(long, default_value_t = 30)]
        within_days: u32,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Purge what is due now (as `arreta serve` does every `retention.purge_interval_minutes`)
    /// and print what was done. Exits 2 when something due was left (a version still locked, a
    /// failure).
    Purge {
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command; `Ok(false)` means "exit 2".
pub async fn run(settings: Settings, command: RetentionCommand) -> Result<bool, String> {
    let pool = server::connect(&settings)
        .await
        .map_err(|e| e.to_string())?;
    let state = server::state(pool, settings).map_err(|e| e.to_string())?;
    let purger = server::purger(&state).map_err(|e| e.to_string())?;
    let wired = purger.shredder.is_some();
    match command {
        RetentionCommand::Report { within_days, json } => {
            let now = state.booking.now();
            let until = now + chrono::Duration::days(i64::from(within_days));
            let items = purger.report(until).await.map_err(|e| e.to_string())?;
            if json {
                let text = serde_json::to_string_pretty(&serde_json::json!({
                    "now": now,
                    "until": until,
                    "shredding_wired": wired,
                    "items": items,
                }))
                .map_err(|e| e.to_string())?;
                println!("{text}");
            } else {
                print!("{}", table(&items, until, wired));
            }
            Ok(true)
        }
        RetentionCommand::Purge { json } => {
            let run = purger.run().await.map_err(|e| e.to_string())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&run).map_err(|e| e.to_string())?
                );
            } else {
                print!("{}", lines(&run));
            }
            let failed = run.objects.iter().any(|a| {
                matches!(
                    a.outcome,
                    ObjectOutcome::Locked { .. } | ObjectOutcome::Failed { .. }
                )
            }) || run
                .personal_data
                .iter()
                .any(|a| matches!(a.outcome, ShredOutcome::Failed { .. }));
            Ok(!failed)
        }
    }
}

fn what(item: &DueItem) -> String {
    match (item.kind, &item.object_key, &item.version_id) {
        (DueKind::PersonalData, _, _) => "personal data".to_string(),
        (_, Some(key), Some(version)) => format!("{key} @ {version}"),
        _ => String::new(),
    }
}

fn seconds(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The report as a table, then a line of totals.
fn table(items: &[DueItem], until: DateTime<Utc>, wired: bool) -> String {
    let mut out = String::new();
    let width = items
        .iter()
        .map(|i| what(i).len())
        .max()
        .unwrap_or(0)
        .max(16);
    out.push_str(&format!(
        "{:<36}  {:<13}  {:<width$}  {:<20}  {}\n",
        "CASE", "KIND", "OBJECT @ VERSION", "DUE", "STATE"
    ));
    for item in items {
        out.push_str(&format!(
            "{:<36}  {:<13}  {:<width$}  {:<20}  {}\n",
            item.request_id,
            item.kind.as_str(),
            what(item),
            seconds(item.due_at),
            if item.due { "due" } else { "coming" }
        ));
    }
    let due = items.iter().filter(|i| i.due).count();
    out.push_str(&format!(
        "{due} due now, {} coming due by {}\n",
        items.len() - due,
        seconds(until)
    ));
    if !wired && items.iter().any(|i| i.kind == DueKind::PersonalData) {
        out.push_str("personal data is not shredded by this build: shredding is not wired\n");
    }
    out
}

/// One line per thing the purge did or left.
fn lines(run: &PurgeRun) -> String {
    let mut out = String::new();
    for a in &run.objects {
        let object = format!(
            "{} {} @ {} of case {}",
            a.kind.as_str(),
            a.object_key,
            a.version_id,
            a.request_id
        );
        out.push_str(&match &a.outcome {
            ObjectOutcome::Purged => format!("purged {object}\n"),
            ObjectOutcome::AlreadyGone => {
                format!("recorded {object} (already gone from the store)\n")
            }
            ObjectOutcome::Locked { retain_until } => format!(
                "LOCKED {object}: the store still locks it until {}\n",
                retain_until.map_or_else(|| "a time it did not say".to_string(), seconds)
            ),
            ObjectOutcome::Failed { error } => format!("FAILED {object}: {error}\n"),
        });
    }
    for a in &run.personal_data {
        out.push_str(&match &a.outcome {
            ShredOutcome::Shredded => {
                format!("shredded the personal data of case {}\n", a.request_id)
            }
            ShredOutcome::NotWired => format!(
                "personal data of case {} is due: shredding is not wired\n",
                a.request_id
            ),
            ShredOutcome::Failed { error } => format!(
                "FAILED shredding the personal data of case {}: {error}\n",
                a.request_id
            ),
        });
    }
    out.push_str(&format!(
        "{} object version(s) purged, {} thing(s) left\n",
        run.purged(),
        run.left()
    ));
    out
}
