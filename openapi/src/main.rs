//! Writes `openapi/openapi.json` from the code (`--check` only compares).

use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let generated = match openapi::generate() {
        Ok(text) => text,
        Err(error) => {
            eprintln!("openapi: {error}");
            return ExitCode::FAILURE;
        }
    };
    let path = openapi::committed_path();
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            eprintln!("{} is stale: run `cargo run -p openapi`", path.display());
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    match std::fs::write(&path, generated) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("openapi: cannot write {}: {error}", path.display());
            ExitCode::FAILURE
        }
    }
}
