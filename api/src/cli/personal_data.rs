//! `arreta personal-data status` and `arreta personal-data rewrap`: the wrapping key's rotation.

use api::server;
use clap::Subcommand;
use infrastructure::config::Settings;
use infrastructure::personal_data::{PersonalData, key_counts, rewrap};

#[derive(Subcommand)]
pub enum PersonalDataCommand {
    /// Case keys per wrapping key, and how many were erased.
    Status,
    /// Wrap every case key still under one of `personal_data.previous_key_files` with
    /// `personal_data.key_file` (restartable; the service may run meanwhile).
    Rewrap,
}

pub async fn run(settings: Settings, command: PersonalDataCommand) -> Result<(), String> {
    let pool = server::connect(&settings)
        .await
        .map_err(|e| e.to_string())?;
    let personal = PersonalData::from_settings(&settings).map_err(|e| e.to_string())?;
    match command {
        PersonalDataCommand::Status => {}
        PersonalDataCommand::Rewrap => {
            let done = rewrap(&pool, &personal).await.map_err(|e| e.to_string())?;
            println!(
                "{} case key(s) wrapped again under {}",
                done.keys,
                personal.key_id()
            );
        }
    }
    let counts = key_counts(&pool).await.map_err(|e| e.to_string())?;
    for (key_id, keys) in &counts.by_wrapping_key {
        let current = if *key_id == personal.key_id() {
            " (current)"
        } else {
            ""
        };
        println!("{key_id}{current}: {keys} case key(s)");
    }
    println!("{} case key(s) erased", counts.erased);
    Ok(())
}
