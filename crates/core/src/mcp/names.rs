//! The names the model calls MCP tools by: `mcp__<server>__<tool>`, with
//! every character outside `[A-Za-z0-9_-]` replaced by `_` and, when that
//! is longer than 64 characters (the longest function name the APIs
//! take), its first part kept and a hash of the whole name appended, so
//! two long names stay apart and a name is the same in every run.

/// The longest function name the model APIs accept.
pub(crate) const MAX_NAME: usize = 64;

/// What every MCP tool's name starts with.
pub(crate) const PREFIX: &str = "mcp__";

/// The model-visible name of `tool` on `server`.
pub(crate) fn qualified(server: &str, tool: &str) -> String {
    let name = format!("{}{}__{}", PREFIX, sanitise(server), sanitise(tool));
    if name.len() <= MAX_NAME {
        return name;
    }
    // The hash is of the name as configured, so servers or tools that
    // sanitise alike still differ.
    let hash = format!("{:016x}", fnv1a(format!("{server}\u{0}{tool}").as_bytes()));
    let keep = MAX_NAME - hash.len() - 1;
    format!("{}_{hash}", &name[..keep])
}

/// The prefix of every tool of `server` that keeps its whole name.
pub(crate) fn server_prefix(server: &str) -> String {
    format!("{PREFIX}{}__", sanitise(server))
}

/// `name` with every character outside `[A-Za-z0-9_-]` replaced by `_`.
pub(crate) fn sanitise(name: &str) -> String {
    name.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect()
}

/// 64-bit FNV-1a: small, stable across runs and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn short_names_are_sanitised_and_kept_whole() {
        assert_eq!(qualified("everything", "echo"), "mcp__everything__echo");
        assert_eq!(
            qualified("my docs", "search.pages/v2"),
            "mcp__my_docs__search_pages_v2"
        );
        assert_eq!(qualified("a-b", "c_d"), "mcp__a-b__c_d");
        assert_eq!(server_prefix("my docs"), "mcp__my_docs__");
    }

    #[test]
    fn long_names_are_cut_to_64_with_a_stable_hash() {
        let tool = "x".repeat(80);
        let name = qualified("server", &tool);
        assert_eq!(name.len(), MAX_NAME);
        assert!(name.starts_with("mcp__server__xxxx"), "{name}");
        assert_eq!(name, qualified("server", &tool), "the same in every run");
        // Names that sanitise alike and share their first 47 characters
        // still differ.
        let other = qualified("server", &format!("{}.", "x".repeat(79)));
        let same_sanitised = qualified("server", &format!("{}_", "x".repeat(79)));
        assert_ne!(other, same_sanitised);
        assert_eq!(other.len(), MAX_NAME);
        assert!(
            name.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        );
        assert_eq!(
            qualified("s", &"y".repeat(56)),
            format!("mcp__s__{}", "y".repeat(56)),
            "exactly 64 characters are kept whole"
        );
        assert_eq!(qualified("s", &"y".repeat(57)).len(), MAX_NAME);
    }
}
