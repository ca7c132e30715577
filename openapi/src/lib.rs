//! The committed OpenAPI document (`openapi/openapi.json`) and the check that keeps it equal to
//! what the code generates. Regenerate with `cargo run -p openapi`.

use std::path::PathBuf;

/// Where the committed document lives.
pub fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

/// The document as the code generates it, pretty-printed, ending with a newline.
pub fn generate() -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&api::openapi::document())?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_document_is_current() {
        let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
        let generated = generate().expect("the document serialises");
        assert!(
            committed == generated,
            "openapi/openapi.json is stale: run `cargo run -p openapi` and commit the result"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_and_names_every_route() {
        let document: serde_json::Value =
            serde_json::from_str(&generate().expect("document")).expect("json");
        assert!(
            document["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1"))
        );
        let paths = document["paths"].as_object().expect("paths");
        for route in [
            "/v1/procedures",
            "/v1/availability",
            "/v1/requests",
            "/v1/requests/{id}",
            "/v1/requests/{id}/reschedule",
            "/v1/requests/{id}/cancel",
            "/v1/requests/{id}/no-show",
            "/v1/requests/{id}/close",
            "/v1/requests/{id}/history",
            "/v1/agenda",
            "/health/live",
            "/health/ready",
        ] {
            assert!(
                paths.contains_key(route),
                "{route} is missing from the document"
            );
        }
    }
}
