//! The catalogue of municipal procedures that can be handled by video call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::values::{Language, ProcedureCode};

/// A text in both of the council's languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    pub eu: String,
    pub es: String,
}

impl Bilingual {
    pub fn new(eu: impl Into<String>, es: impl Into<String>) -> Self {
        Self {
            eu: eu.into(),
            es: es.into(),
        }
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Eu => &self.eu,
            Language::Es => &self.es,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub code: ProcedureCode,
    pub name: Bilingual,
    /// Length of the appointment in minutes.
    pub minutes: u16,
    /// Documents the citizen is usually asked to bring or upload.
    pub documents: Vec<Bilingual>,
    pub signature_required: bool,
    /// How long the documents uploaded for it are kept under COMPLIANCE retention, in days; the
    /// storage default when `None`.
    pub document_retention_days: Option<u32>,
}

/// The procedures on offer, by code.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    procedures: BTreeMap<ProcedureCode, Procedure>,
}

impl Catalogue {
    pub fn new(procedures: impl IntoIterator<Item = Procedure>) -> Self {
        Self {
            procedures: procedures
                .into_iter()
                .map(|p| (p.code.clone(), p))
                .collect(),
        }
    }

    pub fn get(&self, code: &ProcedureCode) -> Option<&Procedure> {
        self.procedures.get(code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Procedure> {
        self.procedures.values()
    }
}
