//! Subcommands of `arreta` that have grown past a few lines, one module each.

pub mod personal_data;
pub mod retention;
pub mod sealing;
