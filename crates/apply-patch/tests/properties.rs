//! Property tests: a patch generated from a random edit of a random file
//! reproduces the edit; applied to a file that changed since, it either
//! applies correctly or fails and leaves the file byte for byte as it was.
//!
//! Files are made of unique lines (`L7:word`, some indented), so where a
//! chunk belongs is never ambiguous and a small model (exact search from a
//! forward cursor) says what the right result is.

use duet_apply_patch::{apply, parse_patch};
use proptest::collection::vec;
use proptest::prelude::*;
use std::fs;

const WORDS: [&str; 6] = ["alpha", "beta", "gamma", "let x = 1;", "}", "fn main() {"];

/// One edit: where, how many lines go and come, how much context, and
/// whether the chunk names a `@@` header line or ends with `*** End of File`.
#[derive(Debug, Clone)]
struct EditSpec {
    at: usize,
    delete: usize,
    insert: usize,
    before: usize,
    after: usize,
    header: bool,
    end_of_file: bool,
}

fn edit_spec() -> impl Strategy<Value = EditSpec> {
    (
        0usize..64,
        0usize..4,
        0usize..4,
        0usize..4,
        0usize..4,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(at, delete, insert, before, after, header, end_of_file)| EditSpec {
                at,
                delete,
                insert,
                before,
                after,
                header,
                end_of_file,
            },
        )
}

/// A chunk as the model sees it.
#[derive(Debug, Clone)]
struct ModelChunk {
    header: Option<String>,
    old: Vec<String>,
    new: Vec<String>,
    end_of_file: bool,
}

fn original_lines(count: usize, seed: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let indent = if (index + seed).is_multiple_of(3) {
                "    "
            } else {
                ""
            };
            format!(
                "{indent}L{index}:{}",
                WORDS[(index * 7 + seed) % WORDS.len()]
            )
        })
        .collect()
}

/// Turn edit specs into chunks over `lines`, never overlapping and in order.
fn build_chunks(lines: &[String], specs: &[EditSpec]) -> Vec<ModelChunk> {
    let count = lines.len();
    let mut specs = specs.to_vec();
    specs.sort_by_key(|spec| spec.at % (count + 1));
    let mut chunks = Vec::new();
    let mut free_from = 0;
    let mut inserted = 0;
    for spec in specs {
        let start = (spec.at % (count + 1)).max(free_from);
        if start > count {
            continue;
        }
        let mut lead = spec.before.min(start - free_from);
        let end = (start + spec.delete).min(count);
        let mut trail = spec.after.min(count - end);
        if start == end && lead == 0 && trail == 0 && start != count {
            // A chunk with no old lines would go to the end of the file.
            if start > free_from {
                lead = 1;
            } else {
                trail = 1;
            }
        }
        let new: Vec<String> = (0..spec.insert)
            .map(|index| format!("N{}:{}", inserted + index, WORDS[index % WORDS.len()]))
            .collect();
        inserted += spec.insert;
        let old: Vec<String> = lines[start - lead..end + trail].to_vec();
        if old.is_empty() && new.is_empty() {
            continue;
        }
        let header =
            (spec.header && start - lead > free_from).then(|| lines[start - lead - 1].clone());
        let end_of_file = spec.end_of_file && !old.is_empty() && end + trail == count;
        let mut chunk_new = lines[start - lead..start].to_vec();
        chunk_new.extend(new);
        chunk_new.extend(lines[end..end + trail].iter().cloned());
        chunks.push(ModelChunk {
            header,
            old,
            new: chunk_new,
            end_of_file,
        });
        free_from = end + trail;
    }
    chunks
}

fn patch_text(chunks: &[ModelChunk]) -> String {
    let mut text = String::from("*** Begin Patch\n*** Update File: f.txt\n");
    for chunk in chunks {
        match &chunk.header {
            Some(header) => text.push_str(&format!("@@ {header}\n")),
            None => text.push_str("@@\n"),
        }
        // Lines are unique, so old and new share a prefix and a suffix of
        // context; everything between is removed then added.
        let common_prefix = chunk
            .old
            .iter()
            .zip(&chunk.new)
            .take_while(|(a, b)| a == b)
            .count();
        let max_suffix = chunk.old.len().min(chunk.new.len()) - common_prefix;
        let common_suffix = chunk
            .old
            .iter()
            .rev()
            .zip(chunk.new.iter().rev())
            .take(max_suffix)
            .take_while(|(a, b)| a == b)
            .count();
        for line in &chunk.old[..common_prefix] {
            text.push_str(&format!(" {line}\n"));
        }
        for line in &chunk.old[common_prefix..chunk.old.len() - common_suffix] {
            text.push_str(&format!("-{line}\n"));
        }
        for line in &chunk.new[common_prefix..chunk.new.len() - common_suffix] {
            text.push_str(&format!("+{line}\n"));
        }
        for line in &chunk.old[chunk.old.len() - common_suffix..] {
            text.push_str(&format!(" {line}\n"));
        }
        if chunk.end_of_file {
            text.push_str("*** End of File\n");
        }
    }
    text.push_str("*** End Patch\n");
    text
}

/// The expected result of the chunks on `lines`, or `None` if they must fail.
fn model_apply(lines: &[String], chunks: &[ModelChunk]) -> Option<Vec<String>> {
    let find = |needle: &[String], from: usize| {
        (from..=lines.len().checked_sub(needle.len())?)
            .find(|&at| lines[at..at + needle.len()] == *needle)
    };
    let mut cursor = 0;
    let mut replacements = Vec::new();
    for chunk in chunks {
        if let Some(header) = &chunk.header {
            cursor = find(std::slice::from_ref(header), cursor)? + 1;
        }
        if chunk.old.is_empty() {
            replacements.push((lines.len(), 0, chunk.new.clone()));
            continue;
        }
        let at = if chunk.end_of_file {
            let at = lines.len().checked_sub(chunk.old.len())?;
            (lines[at..] == chunk.old[..]).then_some(at)?
        } else {
            find(&chunk.old, cursor)?
        };
        replacements.push((at, chunk.old.len(), chunk.new.clone()));
        cursor = at + chunk.old.len();
    }
    replacements.sort_by_key(|(at, _, _)| *at);
    let mut out = lines.to_vec();
    for (at, len, new) in replacements.into_iter().rev() {
        out.splice(at..at + len, new);
    }
    Some(out)
}

fn render(lines: &[String], eol: &str, final_newline: bool) -> String {
    let mut text = lines.join(eol);
    if final_newline && !lines.is_empty() {
        text.push_str(eol);
    }
    text
}

/// The ending of new lines: the file's first line break, LF if it has none.
fn written_eol<'a>(before: &str, eol: &'a str) -> &'a str {
    if before.contains('\n') { eol } else { "\n" }
}

/// Apply `patch` to a file with `before` in a fresh directory.
fn run(before: &str, patch: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("f.txt");
    fs::write(&path, before).expect("write");
    let patch = parse_patch(patch).expect("generated patches parse");
    let applied = apply(&patch, dir.path()).is_ok();
    (
        applied,
        fs::read_to_string(&path).expect("the file is still there"),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_generated_patch_reproduces_the_edit(
        count in 0usize..40,
        seed in 0usize..6,
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        specs in vec(edit_spec(), 1..6),
    ) {
        let lines = original_lines(count, seed);
        let chunks = build_chunks(&lines, &specs);
        prop_assume!(!chunks.is_empty());
        let eol = if crlf { "\r\n" } else { "\n" };
        let expected = model_apply(&lines, &chunks).expect("a patch applies to its own file");
        let before = render(&lines, eol, final_newline);
        let (applied, after) = run(&before, &patch_text(&chunks));
        prop_assert_eq!((applied, after), (true, render(&expected, written_eol(&before, eol), true)));
    }

    #[test]
    fn a_changed_file_is_patched_correctly_or_left_untouched(
        count in 1usize..40,
        seed in 0usize..6,
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        specs in vec(edit_spec(), 1..6),
        changes in vec((0usize..3, 0usize..64), 1..4),
    ) {
        let lines = original_lines(count, seed);
        let chunks = build_chunks(&lines, &specs);
        prop_assume!(!chunks.is_empty());
        let mut changed = lines.clone();
        for (serial, (kind, at)) in changes.into_iter().enumerate() {
            let marker = format!("M{serial}:changed");
            match kind {
                0 if !changed.is_empty() => {
                    let at = at % changed.len();
                    changed[at] = marker;
                }
                1 => {
                    let at = at % (changed.len() + 1);
                    changed.insert(at, marker);
                }
                _ if !changed.is_empty() => {
                    let at = at % changed.len();
                    changed.remove(at);
                }
                _ => {}
            }
        }
        let eol = if crlf { "\r\n" } else { "\n" };
        let before = render(&changed, eol, final_newline);
        let (applied, after) = run(&before, &patch_text(&chunks));
        let expected = match model_apply(&changed, &chunks) {
            Some(result) => (true, render(&result, written_eol(&before, eol), true)),
            None => (false, before),
        };
        prop_assert_eq!((applied, after), expected);
    }
}
