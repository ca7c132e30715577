//! Who did what, from where, in answer to what: metadata carried by every event.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The role a caller acts in. Staff roles come from the council's identity provider; `Citizen`
/// is anyone on the public web or holding a capability link; `System` is Arreta itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Clerk,
    Supervisor,
    Auditor,
    Reporting,
    MunicipalSync,
    Recorder,
    /// A 010 phone operator: finds, books, moves and cancels appointments on a caller's behalf,
    /// and sees nothing else of a case.
    Operator,
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Clerk => "clerk",
            Self::Supervisor => "supervisor",
            Self::Auditor => "auditor",
            Self::Reporting => "reporting",
            Self::MunicipalSync => "municipal_sync",
            Self::Recorder => "recorder",
            Self::Operator => "operator",
            Self::System => "system",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Citizen,
            Self::Clerk,
            Self::Supervisor,
            Self::Auditor,
            Self::Reporting,
            Self::MunicipalSync,
            Self::Recorder,
            Self::Operator,
            Self::System,
        ]
        .into_iter()
        .find(|role| role.as_str() == text || role.as_str().replace('_', "-") == text)
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Self::Clerk | Self::Supervisor)
    }
}

/// Metadata stored beside every event. Kept as a string map in the event store (the shape
/// cqrs-es persists), with these keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// `staff:<id>`, `citizen`, `citizen:<request>` or `system:<component>`.
    pub actor: String,
    pub role: Role,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

impl EventMetadata {
    pub fn system(component: &str, occurred_at: DateTime<Utc>, correlation_id: Uuid) -> Self {
        Self {
            actor: format!("system:{component}"),
            role: Role::System,
            correlation_id,
            causation_id: None,
            request_id: None,
            occurred_at,
            client_address: None,
            user_agent: None,
        }
    }

    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            ("actor".to_string(), self.actor.clone()),
            ("role".to_string(), self.role.as_str().to_string()),
            (
                "correlation_id".to_string(),
                self.correlation_id.to_string(),
            ),
            ("occurred_at".to_string(), self.occurred_at.to_rfc3339()),
        ]);
        let optional = [
            ("causation_id", self.causation_id.map(|id| id.to_string())),
            ("request_id", self.request_id.clone()),
            ("client_address", self.client_address.clone()),
            ("user_agent", self.user_agent.clone()),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                map.insert(key.to_string(), value);
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_carries_every_known_field_and_omits_absent_ones() {
        let metadata = EventMetadata {
            actor: "staff:clerk-01".into(),
            role: Role::Clerk,
            correlation_id: Uuid::nil(),
            causation_id: None,
            request_id: Some("req-1".into()),
            occurred_at: DateTime::<Utc>::UNIX_EPOCH,
            client_address: Some("127.0.0.1".into()),
            user_agent: None,
        };
        let map = metadata.to_map();
        assert_eq!(map["actor"], "staff:clerk-01");
        assert_eq!(map["role"], "clerk");
        assert_eq!(map["request_id"], "req-1");
        assert_eq!(map["occurred_at"], "1970-01-01T00:00:00+00:00");
        assert!(!map.contains_key("causation_id"));
        assert!(!map.contains_key("user_agent"));
    }

    #[test]
    fn roles_parse_with_either_separator() {
        assert_eq!(Role::parse("municipal-sync"), Some(Role::MunicipalSync));
        assert_eq!(Role::parse("auditor"), Some(Role::Auditor));
        assert_eq!(Role::parse("operator"), Some(Role::Operator));
        assert_eq!(Role::Operator.as_str(), "operator");
        assert_eq!(Role::parse("root"), None);
    }
}
