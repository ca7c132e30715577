//! Subcommands of `arreta` that have grown past a few lines, one module each.

pub mod sealing;
