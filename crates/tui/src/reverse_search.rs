//! Ctrl+R: reverse incremental search over earlier prompts (the prompt
//! history, newest last). Each key narrows the search; Ctrl+R again finds
//! the next older match; Enter keeps the match in the composer, Esc puts
//! the draft back.
//!
//! Pure state over a slice of entries: the app owns the history and the
//! composer, and renders [`ReverseSearch::line`] under the composer.

use crate::theme::Theme;
use crate::wrap::truncate_line;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReverseSearch {
    pub query: String,
    /// Index of the entry shown, if any matches.
    pub found: Option<usize>,
    /// The composer text before the search started.
    pub draft: String,
}

impl ReverseSearch {
    pub fn new(draft: String) -> ReverseSearch {
        ReverseSearch {
            draft,
            ..ReverseSearch::default()
        }
    }

    /// The query grew or shrank: search again from the newest entry.
    pub fn set_query(&mut self, query: String, entries: &[String]) {
        self.query = query;
        self.found = find_before(entries, entries.len(), &self.query);
    }

    /// Ctrl+R again: the next older match; stays on the last one found.
    pub fn older(&mut self, entries: &[String]) {
        let from = self.found.unwrap_or(entries.len());
        if let Some(older) = find_before(entries, from, &self.query) {
            self.found = Some(older);
        }
    }

    /// The entry the composer shows: the match, or the draft.
    pub fn shown<'a>(&'a self, entries: &'a [String]) -> &'a str {
        self.found
            .and_then(|idx| entries.get(idx))
            .map_or(self.draft.as_str(), String::as_str)
    }

    pub fn line(&self, width: usize, theme: Theme) -> Line<'static> {
        let label = if self.found.is_some() || self.query.is_empty() {
            "reverse-i-search: "
        } else {
            "failing reverse-i-search: "
        };
        truncate_line(
            Line::from(vec![
                Span::styled(format!("  {label}"), theme.dim()),
                Span::styled(self.query.clone(), theme.bold()),
                Span::styled("  · ctrl+r older · enter accept · esc cancel", theme.dim()),
            ]),
            width,
        )
    }
}

/// The newest entry before `before` containing `query` (case-insensitive
/// when the query is lower case, as in shells' smart case).
fn find_before(entries: &[String], before: usize, query: &str) -> Option<usize> {
    let smart_lower = !query.chars().any(char::is_uppercase);
    entries[..before.min(entries.len())]
        .iter()
        .rposition(|entry| {
            if smart_lower {
                entry.to_lowercase().contains(query)
            } else {
                entry.contains(query)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn narrows_then_steps_to_older_matches() {
        let entries: Vec<String> = ["fix the tests", "Run clippy", "fix the docs", "deploy"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut search = ReverseSearch::new("draft".to_owned());
        let mut seen = vec![search.shown(&entries).to_owned()];
        search.set_query("f".to_owned(), &entries);
        seen.push(search.shown(&entries).to_owned());
        search.set_query("fix".to_owned(), &entries);
        search.older(&entries);
        seen.push(search.shown(&entries).to_owned());
        search.older(&entries);
        seen.push(search.shown(&entries).to_owned());
        search.set_query("clippy".to_owned(), &entries);
        seen.push(search.shown(&entries).to_owned());
        search.set_query("Clippy".to_owned(), &entries);
        seen.push(format!("{:?}", search.found));
        assert_eq!(
            seen,
            [
                "draft",
                "fix the docs",
                "fix the tests",
                "fix the tests",
                "Run clippy",
                "None"
            ]
        );
    }
}
